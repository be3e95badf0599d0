"""``avwap strategies report`` on a home holding the worked example's ledger and snapshots; the artifact
(atomic, provenance, strict reader) and failing open."""

from __future__ import annotations

import json
import logging
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
import typer
from tests.unit.analytics.attribution_fixtures import S1, S2
from tests.unit.analytics.test_attribution import D1, D2, D3, worked_example
from typer.testing import CliRunner

from avwap.analytics.attribution_artifact import (
    attribute_fail_open,
    attribution_from_home,
    attribution_path,
    read_attribution,
)
from avwap.analytics.portfolio_snapshots import snapshot_of_book, write_snapshot_artifact
from avwap.cli import strategies_command
from avwap.cli.output import EXIT_DATA, EXIT_LEDGER_INTEGRITY, EXIT_OK, EXIT_USAGE
from avwap.core.errors import DataError
from avwap.integrations.slack.notifier import RecordingNotifier
from avwap.ledger.atomic import build_provenance
from avwap.ledger.projection import fold_book
from avwap.ledger.router import Ledger

runner = CliRunner()


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def root() -> None:
        """test root"""

    strategies_command.register(application)
    return application


@pytest.fixture
def example_home(home: Path) -> Path:
    """The worked example's ledger in ``home/ledger/PAPER_SIM`` and a snapshot of each of its closes."""
    script, marks = worked_example()
    ledger = Ledger(home / "ledger")
    for record in script.records:
        ledger.append(record)
    equities = [D("100000")]
    for day in (D1, D2, D3):
        until = [record for record in script.records if record.date_ny <= day]
        snapshot = snapshot_of_book(
            fold_book(until, "PAPER_SIM"), until, day, marks=marks[day], equity_history=equities
        )
        equities.append(snapshot.equity)
        provenance = build_provenance("c" * 64, "d" * 64, day, code_version="test")
        write_snapshot_artifact(home / "artifacts", snapshot, provenance)
    return home


def invoke(app: typer.Typer, home: Path, *args: str) -> Any:
    return runner.invoke(
        app, ["strategies", "report", *args, "--home", str(home)], env={"EXECUTION_MODE": "PAPER_SIM"}
    )


def test_report_json_reconciles_and_writes_the_artifact(app: typer.Typer, example_home: Path) -> None:
    result = invoke(app, example_home, "--from", "2026-04-01", "--to", "2026-04-06", "--json")
    assert result.exit_code == EXIT_OK, result.output
    printed = json.loads(result.stdout)
    report = printed["report"]
    assert printed["mismatched"] == []
    assert {row["name"]: row["pnl"] for row in report["strategies"]} == {S1: "318.00", S2: "-301.00"}
    assert report["portfolio"]["pnl"] == "17.00" and report["end_equity"] == "100017.00"
    path = Path(printed["path"])
    assert path == attribution_path(example_home / "artifacts", "PAPER_SIM", D1, D3)
    assert path.name == "2026-04-01_2026-04-06.json"
    stored = json.loads(path.read_bytes())
    assert (
        stored["provenance"]["as_of_date_ny"] == "2026-04-06" and len(stored["provenance"]["data_hash"]) == 64
    )
    assert read_attribution(path).portfolio.pnl == D("17.00")
    again = invoke(app, example_home, "--from", "2026-04-01", "--to", "2026-04-06", "--json")
    assert json.loads(again.stdout)["sha256"] == printed["sha256"]  # deterministic bytes


def test_report_of_one_day_as_tables(app: typer.Typer, example_home: Path) -> None:
    result = invoke(app, example_home, "--from", "2026-04-02", "--book", "paper_sim")
    assert result.exit_code == EXIT_OK, result.output
    assert "459.50" in result.stdout and "MAX_POSITIONS_REACHED" in result.stdout
    assert "2026-04-02.json" in result.stdout
    assert (example_home / "artifacts" / "strategy_attribution" / "PAPER_SIM" / "2026-04-02.json").is_file()


def test_bad_dates_and_missing_inputs_are_clear_errors(
    app: typer.Typer, example_home: Path, home: Path
) -> None:
    malformed = invoke(app, example_home, "--from", "2026-04-31")
    assert malformed.exit_code == EXIT_USAGE and "YYYY-MM-DD" in malformed.output
    inverted = invoke(app, example_home, "--from", "2026-04-06", "--to", "2026-04-01")
    assert inverted.exit_code == EXIT_DATA and "after --to" in inverted.output
    no_book = invoke(app, example_home, "--from", "2026-04-01", "--book", "ALPACA_PAPER")
    assert no_book.exit_code == EXIT_DATA and "no ledger of ALPACA_PAPER" in no_book.output
    no_snapshot = invoke(app, example_home, "--from", "2026-05-01")
    assert no_snapshot.exit_code == EXIT_DATA and "no snapshot of PAPER_SIM" in no_snapshot.output
    assert "avwap portfolio snapshot" in no_snapshot.output


def test_a_damaged_ledger_fails_closed_with_the_integrity_code(app: typer.Typer, example_home: Path) -> None:
    day_file = example_home / "ledger" / "PAPER_SIM" / "2026-04-02.jsonl"
    day_file.write_text(day_file.read_text().replace("55.00", "56.00"))
    result = invoke(app, example_home, "--from", "2026-04-01", "--to", "2026-04-06")
    assert result.exit_code == EXIT_LEDGER_INTEGRITY, result.output


def test_a_snapshot_that_disagrees_with_the_ledger_is_reported(example_home: Path) -> None:
    path = example_home / "artifacts" / "snapshots" / "PAPER_SIM" / "2026-04-02.json"
    document = json.loads(path.read_text())
    document["snapshot"]["equity"] = "1.00"
    path.write_text(json.dumps(document))
    outcome = attribution_from_home(example_home / "ledger", example_home / "artifacts", "PAPER_SIM", D1, D3)
    assert outcome.mismatched == (D2,)


def test_the_reader_refuses_another_artifact(example_home: Path) -> None:
    snapshot = example_home / "artifacts" / "snapshots" / "PAPER_SIM" / "2026-04-01.json"
    with pytest.raises(DataError, match="not a strategy attribution report"):
        read_attribution(snapshot)
    with pytest.raises(DataError, match="unreadable"):
        read_attribution(example_home / "missing.json")


def test_attribution_fails_open_logged_and_alerted(caplog: pytest.LogCaptureFixture) -> None:
    notifier = RecordingNotifier()

    def broken() -> int:
        raise KeyError("a bug in attribution")

    with caplog.at_level(logging.ERROR, logger="avwap.analytics.attribution"):
        assert attribute_fail_open(broken, book_id="PAPER_SIM", day=D1, notifier=notifier) is None
    assert "trading continues" in caplog.text
    [event] = notifier.events
    assert event.kind == "ERROR" and "attribution PAPER_SIM failed" in event.title
    assert "KeyError" in event.details[0]
    assert attribute_fail_open(lambda: 7, book_id="PAPER_SIM", day=D1) == 7


def test_the_daily_snapshot_job_writes_the_day_s_attribution_and_fails_open(
    example_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``avwap portfolio snapshot`` (take_snapshot) attributes its day after writing the snapshot; when the
    attribution breaks, the snapshot is still written, the failure is alerted and the job succeeds."""
    from avwap.core.config import load_config
    from avwap.jobs import portfolio as jobs

    config = load_config({}, home=example_home)
    _, marks = worked_example()
    monkeypatch.setattr(jobs, "closing_marks", lambda _store, _symbols, day: dict(marks[day]))
    outcome = jobs.take_snapshot(config, "PAPER_SIM", D3)
    assert outcome.attribution == attribution_path(example_home / "artifacts", "PAPER_SIM", D3, D3)
    assert read_attribution(outcome.attribution).portfolio.pnl == D("-340.50")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("attribution bug")

    monkeypatch.setattr(jobs, "attribution_from_home", broken)
    notifier = RecordingNotifier()
    failed = jobs.take_snapshot(config, "PAPER_SIM", D2, notifier)
    assert failed.attribution is None and failed.path.is_file() and failed.snapshot.equity == D("100357.50")
    assert [event.kind for event in notifier.events] == ["ERROR"]
