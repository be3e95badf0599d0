"""The freshness rule and ``avwap watchlist check`` exit codes (NY-date aware, holiday aware)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from avwap.cli import scan_command, watchlist_command
from avwap.ledger.atomic import build_provenance
from avwap.signals.scan_records import MarketGate, ScanResult
from avwap.watchlist.artifact import candidates_path, check_freshness, write_candidates

MONDAY = dt.date(2026, 11, 30)
FRIDAY = dt.date(2026, 11, 27)
THANKSGIVING = dt.date(2026, 11, 26)
SATURDAY = dt.date(2026, 11, 28)
GATE = MarketGate(
    is_open=True, reason=None, benchmark_symbol="SPY", benchmark_close=1.0, benchmark_sma=1.0, detail="open"
)


def write_day(artifacts: Path, trading_date: dt.date, as_of: dt.date) -> Path:
    result = ScanResult(as_of=as_of, market_gate=GATE, candidates=(), diagnostics=())
    provenance = build_provenance("c" * 64, "d" * 64, as_of, code_version="test")
    return write_candidates(artifacts, trading_date, result, provenance, rules_hash="test-rules")


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = tmp_path / "home" / "artifacts"
    write_day(folder, MONDAY, FRIDAY)
    return folder


def test_todays_artifact_is_fresh(artifacts: Path) -> None:
    freshness = check_freshness(artifacts, MONDAY, is_session=True)
    assert (freshness.fresh, freshness.reason) == (True, None)
    assert freshness.watchlist is not None and freshness.watchlist.data_through == FRIDAY


def test_yesterdays_artifact_is_stale_today(artifacts: Path) -> None:
    freshness = check_freshness(artifacts, dt.date(2026, 12, 1), is_session=True)
    assert (freshness.fresh, freshness.reason) == (False, "WATCHLIST_STALE")
    assert "no candidates artifact for 2026-12-01" in freshness.detail


def test_a_non_session_day_is_never_fresh(artifacts: Path) -> None:
    write_day(artifacts, THANKSGIVING, dt.date(2026, 11, 25))  # even if a file exists
    freshness = check_freshness(artifacts, THANKSGIVING, is_session=False)
    assert (freshness.fresh, freshness.reason) == (False, "WATCHLIST_NO_SESSION")


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"schema_version": 1, "kind": "candidates"}', b""],
    ids=["torn", "array", "missing-fields", "empty"],
)
def test_malformed_json_is_stale(artifacts: Path, content: bytes) -> None:
    candidates_path(artifacts, MONDAY).write_bytes(content)
    freshness = check_freshness(artifacts, MONDAY, is_session=True)
    assert (freshness.fresh, freshness.reason) == (False, "WATCHLIST_STALE")


def test_an_artifact_dated_another_day_is_stale(artifacts: Path) -> None:
    path = candidates_path(artifacts, MONDAY)
    payload = json.loads(path.read_text())
    payload["trading_date"] = FRIDAY.isoformat()  # copied from Friday's file, say
    path.write_text(json.dumps(payload))
    freshness = check_freshness(artifacts, MONDAY, is_session=True)
    assert (freshness.fresh, freshness.reason) == (False, "WATCHLIST_STALE")
    assert "dated 2026-11-27" in freshness.detail


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """test root"""

    watchlist_command.register(app)
    return app


def check(home: Path, *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli(), ["watchlist", "check", "--home", str(home), *arguments], env={})
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("day", "code", "reason"),
    [
        (MONDAY, 0, None),
        (dt.date(2026, 12, 1), 1, "WATCHLIST_STALE"),
        (THANKSGIVING, 1, "WATCHLIST_NO_SESSION"),
        (SATURDAY, 1, "WATCHLIST_NO_SESSION"),
    ],
)
def test_watchlist_check_exit_codes(artifacts: Path, day: dt.date, code: int, reason: str | None) -> None:
    home = artifacts.parent
    exit_code, output = check(home, "--date", day.isoformat(), "--json")
    assert exit_code == code, output
    record = json.loads(output)
    assert (record["fresh"], record["reason"], record["date"]) == (code == 0, reason, day.isoformat())
    exit_code, output = check(home, "--date", day.isoformat())
    assert exit_code == code
    assert (reason or "OK watchlist") in output


def test_watchlist_check_defaults_to_todays_new_york_date(
    artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_command, "today_ny", lambda: MONDAY)
    assert check(artifacts.parent)[0] == 0
    monkeypatch.setattr(scan_command, "today_ny", lambda: dt.date(2026, 12, 1))
    assert check(artifacts.parent)[0] == 1


def test_watchlist_check_rejects_a_bad_date(artifacts: Path) -> None:
    assert check(artifacts.parent, "--date", "30/11/2026")[0] == 2
    assert check(artifacts.parent, "--date", "1980-01-02")[0] == 4  # outside the calendar: a data error


def test_candidates_artifact_names_the_rules_in_force(tmp_path: Path) -> None:
    import json

    path = write_day(tmp_path, dt.date(2026, 11, 30), dt.date(2026, 11, 27))
    assert json.loads(path.read_text())["rules_hash"] == "test-rules"
