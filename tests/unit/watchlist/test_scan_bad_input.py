"""Bad input: a clear error and NOTHING written that could pass for a fresh artifact; Slack never fails
a scan."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from pathlib import Path

import pytest
import typer
from tests.unit.watchlist.scan_fixtures import HOLIDAY, TRADING_DATE, make_config, scan_into, written_files
from typer.testing import CliRunner

from avwap.cli import scan_command
from avwap.core.errors import DataError
from avwap.data.store import BarStore
from avwap.integrations.slack import AlertEvent, AlertKind, RecordingNotifier


def copy_store(source: Path, target: Path, drop: set[str] | None = None, end: dt.date | None = None) -> Path:
    """A copy of ``source`` without the ``drop`` symbols and without bars after ``end``."""
    frame = BarStore(source).read("1d", end=end)
    if drop:
        frame = frame[~frame["symbol"].isin(drop)]
    BarStore(target).write(frame, "1d")
    return target


@pytest.mark.parametrize(
    ("trading_date", "message"),
    [
        (HOLIDAY, "2026-11-26 is not an NYSE session"),
        (dt.date(2026, 11, 28), "2026-11-28 is not an NYSE session"),
        (dt.date(2026, 12, 15), "no universe symbol has a daily bar on 2026-12-14"),  # data ends 11-30
        (dt.date(1980, 1, 2), "outside the calendar range"),
    ],
)
def test_bad_trading_dates_write_nothing(
    tmp_path: Path, market_store: Path, trading_date: dt.date, message: str
) -> None:
    home = tmp_path / "home"
    with pytest.raises(DataError, match=message):
        scan_into(home, market_store, trading_date)
    assert written_files(home) == {}


def stale_benchmark_store(market_store: Path, target: Path) -> Path:
    store = copy_store(market_store, target, drop={"SPY"})
    BarStore(store).write(BarStore(market_store).read("1d", symbols=["SPY"], end=dt.date(2026, 11, 25)), "1d")
    return store


@pytest.mark.parametrize("benchmark", ["missing", "stale"])
def test_a_missing_or_stale_benchmark_closes_the_gate_as_unknown_and_writes_the_artifacts(
    tmp_path: Path, market_store: Path, benchmark: str
) -> None:
    """docs/SCAN.md: MARKET_GATE_UNKNOWN (fail closed), every symbol filtered out, artifacts still written."""
    if benchmark == "missing":
        store = copy_store(market_store, tmp_path / "store", drop={"SPY"})
    else:
        store = stale_benchmark_store(market_store, tmp_path / "store")
    job = scan_into(tmp_path / "home", store)
    gate = job.result.market_gate
    assert (gate.is_open, gate.reason) == (False, "MARKET_GATE_UNKNOWN")
    assert job.result.candidates == ()
    assert job.reason_counts == {"MARKET_GATE_UNKNOWN": job.scanned} and job.scanned > 0
    written = written_files(tmp_path / "home")
    candidates = json.loads(written[f"artifacts/candidates/{TRADING_DATE}.json"])
    assert candidates["candidates"] == []
    assert any(name.startswith("artifacts/diagnostics/") for name in written)


def test_scan_command_shows_an_unknown_gate_and_exits_0(tmp_path: Path, market_store: Path) -> None:
    store = copy_store(market_store, tmp_path / "store", drop={"SPY"})
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    scan_command.register(app)
    arguments = ["scan", "--as-of", TRADING_DATE.isoformat(), "--data", str(store), "--home", str(tmp_path)]
    result = CliRunner().invoke(app, arguments, env={"AVWAP_HOME": ""})
    assert result.exit_code == 0, result.output
    assert "UNKNOWN (fail closed, no candidates)" in result.output


def test_no_universe_bar_on_the_as_of_session_writes_nothing(tmp_path: Path, market_store: Path) -> None:
    store = copy_store(market_store, tmp_path / "store", drop={"SPY"}, end=dt.date(2026, 11, 25))
    spy = BarStore(market_store).read("1d", symbols=["SPY"])
    BarStore(store).write(spy, "1d")
    with pytest.raises(DataError, match="no universe symbol has a daily bar on 2026-11-27"):
        scan_into(tmp_path / "home", store)
    assert written_files(tmp_path / "home") == {}


@pytest.mark.parametrize("universe", [[], ["  ", ""]], ids=["empty", "blank"])
def test_empty_universe_writes_nothing(tmp_path: Path, market_store: Path, universe: list[str]) -> None:
    with pytest.raises(DataError, match="the universe is empty"):
        scan_into(tmp_path / "home", market_store, universe=universe)
    assert written_files(tmp_path / "home") == {}


def test_empty_store_writes_nothing(tmp_path: Path, market_store: Path) -> None:
    with pytest.raises(DataError, match="no daily bars in the bar store"):
        scan_into(tmp_path / "home", tmp_path / "nothing")
    only_benchmark = tmp_path / "only-spy"
    BarStore(only_benchmark).write(BarStore(market_store).read("1d", symbols=["SPY"]), "1d")
    with pytest.raises(DataError, match="the universe is empty: the bar store"):
        scan_into(tmp_path / "home", only_benchmark)
    assert written_files(tmp_path / "home") == {}


def test_universe_symbols_without_bars_are_diagnosed_not_fatal(tmp_path: Path, market_store: Path) -> None:
    job = scan_into(tmp_path / "home", market_store, universe=["gooda", "NOPE"])
    assert [candidate.symbol for candidate in job.result.candidates] == ["GOODA"]
    (missing,) = job.result.diagnostics
    assert (missing.symbol, missing.reason) == ("NOPE", "NO_BAR_AS_OF")
    assert "no daily bars in the store" in missing.detail


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """test root"""

    scan_command.register(app)
    return app


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("symbol,name,sector,weight,extra\nGOODA,Good,Tech,1,x\n", "unknown column 'extra'"),
        ("ticker,name,sector,weight\nGOODA,Good,Tech,1\n", "unknown column 'ticker'"),
        ("symbol,name,sector,weight\n", "no symbols"),
    ],
    ids=["extra-column", "renamed-column", "no-rows"],
)
def test_cli_bad_universe_file_is_exit_4_and_writes_nothing(
    tmp_path: Path, market_store: Path, content: str, message: str
) -> None:
    universe = tmp_path / "holdings.csv"
    universe.write_text(content)
    home = tmp_path / "home"
    arguments = ["scan", "--as-of", "2026-11-30", "--data", str(market_store), "--home", str(home)]
    result = CliRunner().invoke(cli(), [*arguments, "--universe", str(universe)], env={"COLUMNS": "300"})
    assert result.exit_code == 4, result.output
    assert message in result.output
    assert written_files(home) == {}


def test_cli_universe_file_selects_the_symbols(tmp_path: Path, market_store: Path) -> None:
    universe = tmp_path / "holdings.csv"
    universe.write_text("symbol,name,sector,weight\nGOODB,B,Tech,2\nGOODA,A,Tech,1\nPENNY,P,Tech,1\n")
    home = tmp_path / "home"
    arguments = ["scan", "--as-of", "2026-11-30", "--data", str(market_store), "--home", str(home), "--json"]
    result = CliRunner().invoke(cli(), [*arguments, "--universe", str(universe)])
    assert result.exit_code == 0, result.output
    assert '"scanned": 3' in result.output
    # A missing holdings file falls back to the cached copy (written by the run above), with a warning.
    missing = CliRunner().invoke(cli(), [*arguments, "--universe", str(tmp_path / "absent.csv")])
    assert missing.exit_code == 0 and '"scanned": 3' in missing.output


@pytest.mark.parametrize(
    "arguments",
    [
        ["--as-of", "2026-11-26"],
        ["--as-of", "2026-12-15"],
        ["--as-of", "2026-11-30", "--data", "/nonexistent"],
    ],
    ids=["holiday", "stale-data", "no-store"],
)
def test_cli_data_errors_exit_4_and_write_nothing(
    tmp_path: Path, market_store: Path, arguments: list[str]
) -> None:
    home = tmp_path / "home"
    full = ["scan", "--home", str(home), "--data", str(market_store), *arguments]
    result = CliRunner().invoke(cli(), full)
    assert result.exit_code == 4, result.output
    assert "DataError" in result.output
    assert written_files(home) == {}


@pytest.mark.parametrize(
    ("line", "in_window", "sessions"),
    [
        # reaction on the trading day D (2026-11-30) itself: session 0 of the 0-2 window
        ("GOODA,2026-11-30,BMO", True, 0.0),
        # after the close on D+1 (Dec 1): the reaction session is D+2 (Dec 2), the window's last session
        ("GOODA,2026-12-01,AMC", True, 2.0),
        # D+3 (Dec 3): outside the window
        ("GOODA,2026-12-03,BMO", False, None),
        # the as-of session D−1 (Nov 27): past, already in the data; an anchor (too young today), not a skip
        ("GOODA,2026-11-27,BMO", False, None),
    ],
    ids=["on-D", "D+2", "D+3", "as-of"],
)
def test_earnings_file_window_counts_from_the_trading_day(
    tmp_path: Path, market_store: Path, line: str, in_window: bool, sessions: float | None
) -> None:
    earnings = tmp_path / "earnings.csv"
    earnings.write_text(f"symbol,date,time\n{line}\n")
    home = tmp_path / "home"
    arguments = ["scan", "--as-of", "2026-11-30", "--data", str(market_store), "--home", str(home), "--json"]
    result = CliRunner().invoke(cli(), [*arguments, "--earnings", str(earnings)])
    assert result.exit_code == 0, result.output
    from avwap.scanning.explain import explain_symbol

    explanation = explain_symbol(home / "artifacts", "GOODA")
    if in_window:
        assert explanation.diagnostic is not None
        assert explanation.diagnostic.reason == "EARNINGS_WINDOW"
        assert (explanation.checks[0].value, explanation.checks[0].threshold) == (sessions, 2.0)
    else:  # outside the window GOODA is not skipped: it stays a candidate
        assert explanation.diagnostic is None and explanation.candidate is not None


class ExplodingNotifier:
    def notify(self, event: AlertEvent) -> None:
        raise RuntimeError("slack is down")

    def flush(self, timeout: float = 5.0) -> None:
        return None

    def close(self) -> None:
        return None


def test_the_summary_goes_to_the_notifier(tmp_path: Path, market_store: Path) -> None:
    notifier = RecordingNotifier()
    job = scan_into(tmp_path / "home", market_store, notifier=notifier)
    (event,) = notifier.events
    assert event.kind is AlertKind.SCAN_SUMMARY and job.summary_sent
    assert f"{len(job.result.candidates)} candidates from 44 symbols" in event.title
    assert event.date_ny == TRADING_DATE


def test_a_failing_notifier_never_fails_the_scan(
    tmp_path: Path, market_store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    with caplog.at_level(logging.WARNING, logger="avwap.watchlist.scan"):
        job = scan_into(home, market_store, notifier=ExplodingNotifier())
    assert not job.summary_sent and len(written_files(home)) == 5
    assert "scan_summary_not_sent: RuntimeError: slack is down" in caplog.text


def test_half_configured_slack_is_logged_not_fatal(
    tmp_path: Path, market_store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    config = make_config(home, slack_channel="alerts")  # no token
    with caplog.at_level(logging.WARNING, logger="avwap.watchlist.scan"):
        job = scan_into(home, market_store, config=config)
    assert not job.summary_sent and len(written_files(home)) == 5
    assert "SLACK_BOT_TOKEN" in caplog.text
    shutil.rmtree(home)
