"""``avwap ml build|validate|train|score|causal`` on a synthetic bar store; ``score`` needs ML_ADVISORY=1."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from tests.unit.ml.market import write_store
from typer.testing import CliRunner

from avwap.cli import ml_command
from avwap.cli.ml_causal_command import report_path
from avwap.cli.output import EXIT_CONFIGURATION, EXIT_DATA
from avwap.ml.store import read_table
from avwap.ml.training import CARD_FILE

runner = CliRunner()


def _app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def root() -> None:
        """test root"""

    ml_command.register(application)
    return application


def _invoke(home: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(_app(), ["ml", *args, "--home", str(home)], env=env or {})
    return result.exit_code, result.output


def test_build_validate_train_and_score_end_to_end(home: Path) -> None:
    write_store(home / "data")
    code, output = _invoke(home, "build", "--from", "2024-03-01", "--to", "2025-05-30", "--json")
    assert code == 0, output
    summary = json.loads(output)
    folder = home / "artifacts" / "ml"
    features, version, digest = read_table(folder / "features.parquet")
    labels, _, labels_digest = read_table(folder / "labels.parquet")
    assert (summary["features_sha256"], summary["labels_sha256"]) == (digest, labels_digest)
    assert version == "f3" and len(features) == summary["features"] > 1000
    assert not {"SPY", "IWM"} & set(features["symbol"])  # benchmarks are never candidates, as in the scan
    assert max(features["as_of"]).isoformat() == "2025-05-30"
    assert max(labels["label_known"]).isoformat() > "2025-05-30"  # labels read bars after the range

    code, output = _invoke(home, "validate", "--model", "logistic", "--json")
    assert code == 0, output
    assert len(json.loads(output)["folds"]) == 5

    code, output = _invoke(home, "train", "--model", "gbt", "--json")
    assert code == 0, output
    card = json.loads((folder / "model-gbt" / CARD_FILE).read_text())
    assert card["hashes"]["features_sha256"] == digest and card["model"]["kind"] == "gbt"

    code, output = _invoke(home, "score", "--model", "gbt", "--as-of", "2025-05-30")
    assert code == 3 and "ML_ADVISORY" in output  # no opt-in: no advisory output
    assert not (folder / "advisory_scores_2025-05-30.json").exists()
    code, output = _invoke(home, "score", "--model", "gbt", "--as-of", "2025-05-30", env={"ML_ADVISORY": "1"})
    assert code == 0, output
    artifact = json.loads((folder / "advisory_scores_2025-05-30.json").read_text())
    assert artifact["advisory_only"] is True and artifact["model_sha256"] == card["hashes"]["model_sha256"]
    assert [row["rank"] for row in artifact["scores"]] == list(range(1, len(artifact["scores"]) + 1))


def test_an_unknown_model_kind_is_a_configuration_error(home: Path) -> None:
    write_store(home / "data")
    assert _invoke(home, "build", "--from", "2025-01-02", "--to", "2025-05-30")[0] == 0
    code, output = _invoke(home, "validate", "--model", "forest")
    assert code == 3 and "forest" in output


def test_build_reads_the_recorded_regime_of_each_as_of_date(home: Path) -> None:
    from avwap.core.clock import FixedClock
    from avwap.core.config import load_config
    from avwap.jobs.regime import label_history, record_history

    write_store(home / "data")
    config = load_config({}, home=home)
    start, end = dt.date(2025, 3, 3), dt.date(2025, 5, 30)
    history = label_history(config, start, end)
    record_history(config, history, FixedClock(dt.datetime(2025, 6, 2, 12, tzinfo=dt.UTC)))
    recorded = {day.date: day.label.value for day in history.days}
    code, output = _invoke(home, "build", "--from", "2025-03-03", "--to", "2025-05-30", "--json")
    assert code == 0, output
    assert json.loads(output)["regime_dates"] == len(recorded)
    features, _, _ = read_table(home / "artifacts" / "ml" / "features.parquet")
    assert len(features) > 0
    assert [recorded[day] for day in features["as_of"]] == list(features["regime"])
    labelled = features[features["regime"] != "UNKNOWN"]
    assert len(labelled) > 0
    for name in ("RISK_ON", "NEUTRAL", "RISK_OFF", "STRESSED"):
        rows = features["regime"] == name
        assert (features.loc[rows, f"regime_{name.lower()}"] == 1.0).all()
        assert (features.loc[~rows, f"regime_{name.lower()}"] == 0.0).all()


def test_scoring_the_scans_candidates_artifact_uses_the_rows_the_store_would_hold(home: Path) -> None:
    """Train/serve parity: the features built from ``avwap scan``'s artifact for trading day 2025-06-02
    (data through 2025-05-30) equal the feature store's rows as of 2025-05-30."""
    import pandas as pd

    from avwap.cli.main import build_app
    from avwap.data.store import BarStore
    from avwap.ml.serving import artifact_features

    write_store(home / "data")
    assert _invoke(home, "build", "--from", "2024-09-03", "--to", "2025-05-30")[0] == 0
    assert _invoke(home, "train", "--model", "logistic")[0] == 0
    scanned = runner.invoke(build_app(), ["scan", "--as-of", "2025-06-02", "--home", str(home)], env={})
    assert scanned.exit_code == 0, scanned.output
    as_of, served = artifact_features(
        home / "artifacts", dt.date(2025, 6, 2), BarStore(home / "data"), {"SPY"}, home / "ledger"
    )
    stored, _, _ = read_table(home / "artifacts" / "ml" / "features.parquet")
    expected = stored[stored["as_of"] == as_of].reset_index(drop=True)
    assert as_of.isoformat() == "2025-05-30" and len(served) == len(expected) > 0
    pd.testing.assert_frame_equal(
        served, expected, check_exact=False, rtol=1e-6
    )  # the artifact rounds floats

    env = {"ML_ADVISORY": "1"}
    code, output = _invoke(home, "score", "--trading-date", "2025-06-02", "--json", env=env)
    assert code == 0, output
    from_artifact = json.loads(output)
    code, output = _invoke(home, "score", "--as-of", "2025-05-30", "--json", env=env)
    from_store = json.loads(output)
    assert from_artifact["scores"] == from_store["scores"] and len(from_store["scores"]) > 0
    code, output = _invoke(home, "score", "--json", env=env)
    assert code == 3 and "exactly one" in output


def test_scan_explain_shows_the_advisory_score_only_with_the_opt_in(home: Path) -> None:
    from avwap.cli.main import build_app

    write_store(home / "data")
    assert _invoke(home, "build", "--from", "2024-09-03", "--to", "2025-05-30")[0] == 0
    assert _invoke(home, "train", "--model", "logistic")[0] == 0
    application = build_app()

    def scan(*args: str, env: dict[str, str]) -> str:
        result = runner.invoke(application, ["scan", *args, "--home", str(home)], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    scan("--as-of", "2025-06-02", env={})
    code, output = _invoke(home, "score", "--trading-date", "2025-06-02", "--json", env={"ML_ADVISORY": "1"})
    assert code == 0, output
    first = json.loads(output)["scores"][0]
    explain = ("explain", first["symbol"], "--as-of", "2025-06-02")
    plain_off, json_off = scan(*explain, env={}), scan(*explain, "--json", env={"ML_ADVISORY": "0"})
    assert "advisory" not in plain_off.lower() and "advisory" not in json.loads(json_off)
    plain_on = scan(*explain, env={"ML_ADVISORY": "1"})
    assert plain_on.startswith(plain_off.rstrip("\n"))  # the same explanation, one advisory line more
    assert f"P(R1 before stop) {first['p_hit_r1']:.4f}" in plain_on and "never an order" in plain_on
    on = json.loads(scan(*explain, "--json", env={"ML_ADVISORY": "1"}))
    assert on.pop("advisory") == {
        "p_hit_r1": first["p_hit_r1"], "rank": first["rank"], "advisory_only": True,
        "model_sha256": json.loads(output)["model_sha256"],
    }  # fmt: skip
    assert on == json.loads(json_off)


def test_causal_writes_a_reproducible_report_of_the_built_store(home: Path) -> None:
    write_store(home / "data")
    code, output = _invoke(home, "build", "--from", "2024-03-01", "--to", "2025-05-30", "--json")
    assert code == 0, output
    folder = home / "artifacts" / "ml"
    features, _, features_hash = read_table(folder / "features.parquet")
    middle = round(float(features["distance"].median()), 4)
    treatment = f"distance<{middle}"
    arguments = ("causal", "--treatment", treatment, "--bootstrap", "100", "--folds", "3", "--json")
    code, output = _invoke(home, *arguments)
    assert code in (0, 1), output  # 1: the report's own checks failed; the report is written either way
    printed = json.loads(output)
    path = Path(printed.pop("path"))
    assert path == report_path(folder, f"distance<{float(middle)}", "forward_r") and path.name.startswith(
        "distance_lt_"
    )
    written = path.read_bytes()
    assert json.loads(written) == printed
    assert printed["advisory_only"] is True and printed["hashes"]["features_sha256"] == features_hash
    assert (code == 1) == bool(printed["flags"])
    treated = int((features["distance"] < middle).sum())
    assert printed["treatment"]["treated"] <= treated  # rows without a label are not in the analysis
    assert set(printed["estimates"]) == {"naive", "ipw", "aipw"}
    assert _invoke(home, *arguments)[0] == code and path.read_bytes() == written  # byte-identical rerun

    code, output = _invoke(
        home, "causal", "--treatment", "distance<0", "--outcome", "hit_r1", "--bootstrap", "100"
    )
    assert code == EXIT_DATA and "each group needs" in output  # no candidate has a negative distance


def test_causal_refusals_name_the_option(home: Path) -> None:
    for arguments, option in (
        (("--treatment", "distance"), "--treatment"),
        (("--treatment", "distance<1", "--outcome", "pnl"), "--outcome"),
        (("--treatment", "distance<1", "--confounders", "trend_score,bogus"), "--confounders"),
        (("--treatment", "distance<1", "--model", "forest"), "--model"),
    ):
        code, output = _invoke(home, "causal", *arguments)
        assert code == EXIT_CONFIGURATION and option in output, output
    code, output = _invoke(home, "causal", "--treatment", "distance<1")
    assert code == EXIT_DATA  # no feature store yet: a data error, not a crash
