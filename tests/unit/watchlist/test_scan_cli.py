"""``avwap scan`` and ``avwap scan explain`` through typer's CliRunner, and the explain module itself."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import typer
from tests.unit.watchlist.scan_fixtures import AS_OF, HOLIDAY, TRADING_DATE, written_files
from typer.testing import CliRunner

from avwap.cli import scan_command
from avwap.scanning.explain import CANDIDATE, FILTERED, NOT_SCANNED, explain_symbol
from avwap.scanning.job import ScanJobResult


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """test root"""

    scan_command.register(app)
    return app


def invoke(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli(), list(arguments), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_scan_json_reports_and_writes_the_day(tmp_path: Path, market_store: Path) -> None:
    home = tmp_path / "home"
    arguments = ["scan", "--as-of", "2026-11-30", "--data", str(market_store), "--home", str(home)]
    code, output = invoke(*arguments, "--json")
    assert code == 0, output
    record = json.loads(output)
    assert (record["trading_date"], record["data_through"]) == ("2026-11-30", "2026-11-27")
    assert record["scanned"] == 44 and record["candidate_count"] == len(record["candidates"]) >= 2
    assert sum(record["reason_counts"].values()) == 44 - record["candidate_count"]
    files = [Path(path).relative_to(home).as_posix() for path in record["files"]]
    assert set(files) == set(written_files(home)) and len(files) == 5
    assert files[-1] == "artifacts/candidates/2026-11-30.json"
    assert record["provenance"]["as_of_date_ny"] == "2026-11-27"


def test_scan_table_output(tmp_path: Path, market_store: Path) -> None:
    code, output = invoke(
        "scan", "--as-of", "2026-11-30", "--data", str(market_store), "--home", str(tmp_path)
    )
    assert code == 0, output
    for text in (
        "Scan for 2026-11-30",
        "data through",
        "2026-11-27",
        "Top candidates",
        "GOODA",
        "Files written",
    ):
        assert text in output


def test_scan_help_says_the_day_is_the_trading_day_and_data_is_the_previous_session() -> None:
    code, output = invoke("scan", "--help")
    assert code == 0
    assert "FOR" in output and "PREVIOUS" in output and "explain" in output


def test_scan_without_as_of_is_a_usage_error() -> None:
    assert invoke("scan")[0] == 2
    assert invoke("scan", "--as-of", "tomorrow")[0] == 2


def test_scan_today_on_a_holiday_exits_0_without_writing(
    tmp_path: Path, market_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_command, "today_ny", lambda: HOLIDAY)
    home = tmp_path / "home"
    code, output = invoke("scan", "--as-of", "today", "--data", str(market_store), "--home", str(home))
    assert code == 0
    assert "2026-11-26 is not an NYSE session" in output and "no scan" in output
    code, output = invoke("scan", "--as-of", "today", "--home", str(home), "--json")
    assert (code, json.loads(output)["status"]) == (0, "NO_SESSION")
    assert written_files(home) == {}


def test_scan_today_on_a_session_scans_that_day(
    tmp_path: Path, market_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_command, "today_ny", lambda: TRADING_DATE)
    home = tmp_path / "home"
    code, output = invoke(
        "scan", "--as-of", "today", "--data", str(market_store), "--home", str(home), "--json"
    )
    assert code == 0, output
    assert json.loads(output)["trading_date"] == "2026-11-30"


def explain(home: Path, symbol: str, *extra: str) -> tuple[int, str]:
    return invoke("scan", "explain", symbol, "--home", str(home), *extra)


def test_explain_a_candidate(scanned: tuple[Path, ScanJobResult]) -> None:
    home, job = scanned
    first = job.result.candidates[0]
    code, output = explain(home, first.symbol.lower())
    assert code == 0, output
    assert f"{first.symbol} is candidate #1 for 2026-11-30" in output
    code, output = explain(home, first.symbol, "--as-of", "2026-11-30", "--json")
    record = json.loads(output)
    assert (code, record["status"], record["candidate"]["symbol"]) == (0, CANDIDATE, first.symbol)


def test_explain_a_filtered_symbol_lists_every_failing_check(scanned: tuple[Path, ScanJobResult]) -> None:
    home, _ = scanned
    code, output = explain(home, "PENNY")
    assert code == 0, output
    assert "PENNY is not a candidate for 2026-11-30: PRICE_TOO_LOW" in output
    assert "PRICE_TOO_LOW" in output and "ATR_TOO_SMALL" in output and "Failing checks" in output
    record = json.loads(explain(home, "PENNY", "--json")[1])
    assert record["status"] == FILTERED
    assert [check["code"] for check in record["checks"]] == ["PRICE_TOO_LOW", "ATR_TOO_SMALL"]
    assert [check["threshold"] for check in record["checks"]] == [3.0, 0.5]


def test_explain_shows_anchor_rejections(scanned: tuple[Path, ScanJobResult]) -> None:
    home, job = scanned
    no_anchor = [item for item in job.result.diagnostics if item.reason == "NO_ELIGIBLE_ANCHOR"]
    assert no_anchor, "the synthetic market has symbols without an eligible anchor"
    target = no_anchor[0]
    explanation = explain_symbol(home / "artifacts", target.symbol)
    assert explanation.status == FILTERED and explanation.checks == ()
    assert explanation.anchor_rejections == target.anchor_rejections
    code, output = explain(home, target.symbol)
    assert code == 0 and "Anchor rejections" in output
    assert target.anchor_rejections[0].reason in output


def test_explain_an_unknown_symbol_exits_1(scanned: tuple[Path, ScanJobResult]) -> None:
    home, _ = scanned
    code, output = explain(home, "ZZZZ")
    assert code == 1
    assert "ZZZZ was not in the scanned universe for 2026-11-30" in output
    assert explain_symbol(home / "artifacts", "zzzz", TRADING_DATE).status == NOT_SCANNED


def test_explain_without_artifacts_is_a_data_error(
    tmp_path: Path, scanned: tuple[Path, ScanJobResult]
) -> None:
    code, output = explain(tmp_path, "AAPL")
    assert code == 4 and "no candidates artifacts" in output
    home, _ = scanned
    code, output = explain(home, "GOODA", "--as-of", AS_OF.isoformat())
    assert code == 4 and "no candidates artifact for 2026-11-27" in output


def test_explain_defaults_to_the_latest_day(tmp_path: Path, scanned: tuple[Path, ScanJobResult]) -> None:
    home, _ = scanned
    explanation = explain_symbol(home / "artifacts", "GOODA")
    assert explanation.trading_date == TRADING_DATE and explanation.data_through == dt.date(2026, 11, 27)
