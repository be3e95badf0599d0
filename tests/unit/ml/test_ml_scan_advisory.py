"""The scan job's ML advisory: with ML_ADVISORY=1 it scores its candidates with the home's trained model,
shows the scores in the scan's HTML and writes the advisory_scores artifact after the candidates (equal to
``avwap ml score --trading-date``); a missing model is a note, never a failed scan; with the switch off the
outputs do not depend on whatever ML files the home holds."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from functools import cache
from pathlib import Path

import pytest
from tests.unit.ml.market import earnings, earnings_csv, write_store
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.core.clock import FixedClock
from avwap.core.config import load_config
from avwap.scanning.job import run_scan
from avwap.watchlist.advisory import advisory_path, read_advisory

runner = CliRunner()
TRADING_DATE, AS_OF = dt.date(2025, 6, 2), dt.date(2025, 5, 30)
CLOCK = FixedClock(dt.datetime(2025, 6, 2, 12, tzinfo=dt.UTC))


def _cli(home: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(build_app(), [*args, "--home", str(home)], env=env or {})
    assert result.exit_code == 0, result.output
    return result.output


@cache
def trained_home(base: str) -> Path:
    """A home with the synthetic store, a feature store (with earnings) and a trained logistic model."""
    home = Path(base) / "trained"
    write_store(home / "data")
    calendar = earnings_csv(Path(base) / "earnings.csv")
    _cli(home, "ml", "build", "--from", "2024-09-03", "--to", "2025-05-30", "--earnings", str(calendar))
    _cli(home, "ml", "train", "--model", "logistic")
    return home


@pytest.fixture
def trained(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = trained_home(str(tmp_path_factory.getbasetemp()))
    copy = tmp_path / "home"
    shutil.copytree(source, copy)
    return copy


def _scan(home: Path, **settings: object) -> object:
    config = load_config({}, home=home, **settings)
    return run_scan(config, TRADING_DATE, clock=CLOCK, earnings=earnings(), code_version="test")


def test_the_scan_scores_its_candidates_shows_them_and_writes_the_artifact_last(trained: Path) -> None:
    job = _scan(trained, ml_advisory=True)
    path = advisory_path(trained / "artifacts", AS_OF)
    assert job.files[-1] == path and job.files[-2].name == f"{TRADING_DATE}.json"  # after the candidates
    assert job.advisory_note == ""
    scores = read_advisory(trained / "artifacts", AS_OF)
    assert scores is not None and len(scores.scores) == len(job.result.candidates) > 0
    html = (trained / "reports" / f"scan-{TRADING_DATE}.html").read_text()
    assert "ML advisory (advisory only, never an order)" in html
    for item in scores.scores:
        assert f"<td>{item.symbol}</td><td>{item.p_hit_r1:.4f}</td>" in html
    written = path.read_bytes()
    # train/serve parity: `avwap ml score --trading-date` builds the same rows from the written artifact
    calendar = earnings_csv(trained / "earnings.csv")
    _cli(trained, "ml", "score", "--trading-date", str(TRADING_DATE), "--earnings", str(calendar),
         env={"ML_ADVISORY": "1"})  # fmt: skip
    assert path.read_bytes() == written


def test_a_missing_model_is_a_note_and_never_fails_the_scan(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_store(home / "data")
    job = _scan(home, ml_advisory=True)
    assert len(job.result.candidates) > 0
    assert "no trained model" in job.advisory_note
    assert not advisory_path(home / "artifacts", AS_OF).exists()
    html = (home / "reports" / f"scan-{TRADING_DATE}.html").read_text()
    assert "no trained model" in html and "avwap ml train" in html


def test_a_failing_model_is_a_note_and_the_homes_scores_are_shown(trained: Path) -> None:
    _scan(trained, ml_advisory=True)
    before = advisory_path(trained / "artifacts", AS_OF).read_bytes()
    (trained / "artifacts" / "ml" / "model-logistic" / "model.pkl").write_bytes(b"not a model")
    job = _scan(trained, ml_advisory=True)
    assert "scoring failed" in job.advisory_note and "ML_MODEL_HASH_MISMATCH" in job.advisory_note
    assert advisory_path(trained / "artifacts", AS_OF).read_bytes() == before  # not rewritten
    html = (trained / "reports" / f"scan-{TRADING_DATE}.html").read_text()
    assert "scores already in the home" in html and "P(R1 before stop)" in html


def _outputs(home: Path) -> dict[str, bytes]:
    return {
        path.relative_to(home).as_posix(): path.read_bytes()
        for folder in ("artifacts/candidates", "artifacts/diagnostics", "artifacts/watchlists", "reports")
        for path in sorted((home / folder).rglob("*"))
        if path.is_file()
    }


def test_with_the_switch_off_the_outputs_ignore_the_homes_ml_files(trained: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    write_store(plain / "data")
    _scan(trained, ml_advisory=True)  # the home now holds a model and the day's scores
    (trained / "reports" / f"scan-{TRADING_DATE}.html").unlink()
    _scan(trained)
    _scan(plain)
    assert _outputs(trained) == _outputs(plain) != {}
    assert "advisory" not in (plain / "reports" / f"scan-{TRADING_DATE}.html").read_text().lower()


def test_the_advisory_artifact_is_plain_data_read_without_the_ml_package(trained: Path) -> None:
    _scan(trained, ml_advisory=True)
    artifact = json.loads(advisory_path(trained / "artifacts", AS_OF).read_bytes())
    assert artifact["advisory_only"] is True and artifact["as_of"] == str(AS_OF)
    (trained / "bad.json").write_text(json.dumps({**artifact, "advisory_only": False}))
    from avwap.watchlist.advisory import parse_advisory

    assert parse_advisory((trained / "bad.json").read_bytes(), AS_OF) is None
    assert (
        parse_advisory(advisory_path(trained / "artifacts", AS_OF).read_bytes(), AS_OF + dt.timedelta(1))
        is None
    )
