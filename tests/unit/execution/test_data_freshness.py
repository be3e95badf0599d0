"""The intraday data-freshness gate in the cycle: stale symbols get no new entries (deferred, and rejected
with INTRADAY_DATA_STALE if an intent reaches the plane), stops keep running, an alert names them; feed
failures are noted, alerted and never stop the cycle. Plus the one watched-symbols function."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.integration.crash_driver import DAY, SimScenario, daily_frame, intraday_frame, write_watchlist
from tests.unit.execution.test_cycle_runner import ClockSleeper, no_broker

from avwap.control import reasons
from avwap.core.calendar import NEW_YORK
from avwap.core.canonical import to_plain
from avwap.core.clock import SimulatedClock
from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError, DataError
from avwap.data.store import BarStore
from avwap.execution.book import DRY_RUN_BOOK
from avwap.execution.data_freshness import stale_symbols
from avwap.execution.hooks import AFTER_INTENT_WRITE, HookAt
from avwap.execution.market_data import FrameMarketData
from avwap.execution.runner import Assembly, LoopSettings, Runner, StopFlag, store_market_loader
from avwap.execution.watched import cycle_watched_symbols, watched_symbols
from avwap.integrations.slack.messages import AlertKind
from avwap.integrations.slack.notifier import RecordingNotifier
from avwap.ledger.record_enums import DecisionOutcome, OrderPurpose
from avwap.ledger.records import Decision, OrderSubmitted, TradeIntent
from avwap.ledger.router import Ledger


def ny(hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), NEW_YORK).astimezone(dt.UTC)


def market_until(last_end: dt.time, symbols: tuple[str, ...] = ("AAA", "BBB")) -> FrameMarketData:
    """The scenario's bars, but none that ends after ``last_end`` (New York): the feed stopped there."""
    intraday = intraday_frame(symbols)
    ends = intraday["timestamp"] + pd.Timedelta(minutes=5)
    kept = intraday.loc[ends.dt.time <= last_end].reset_index(drop=True)
    return FrameMarketData(daily_frame(symbols), kept, "5m")


def events(report: Any, kind: str) -> list[dict[str, Any]]:
    return [to_plain(event.to_dict()) for event in report.events if event.kind == kind]


@pytest.fixture
def scenario(home: Path) -> SimScenario:
    write_watchlist(home / "artifacts")
    return SimScenario(home)


def test_stale_symbols_measure_the_lag_from_the_newest_closed_bar_or_the_open() -> None:
    market = market_until(dt.time(10, 10), ("AAA",))
    lag = dt.timedelta(minutes=15)
    assert stale_symbols(market, ("AAA", "ZZZ"), ny(10, 25), lag) == {"ZZZ": None}  # ZZZ: no bar since 09:30
    assert stale_symbols(market, ("AAA",), ny(10, 26), lag) == {"AAA": ny(10, 10)}
    assert stale_symbols(market, ("ZZZ",), ny(9, 44), lag) == {}  # 14 minutes after the open: not yet


def test_a_stale_symbol_gets_no_entry_and_an_alert_and_entries_resume_when_data_returns(
    scenario: SimScenario,
) -> None:
    scenario.deps.market = market_until(dt.time(10, 10))  # S1 confirmed at 10:10, then the feed stopped
    report = scenario.run_at(ny(10, 30))
    (stale,) = events(report, "intraday_data_stale")
    assert stale["symbols"] == ["AAA", "BBB"] and stale["reasons"] == [reasons.INTRADAY_DATA_STALE]
    assert stale["newest"] == {"AAA": ny(10, 10).isoformat(), "BBB": ny(10, 10).isoformat()}
    assert not [record for record in scenario.records() if isinstance(record, TradeIntent | Decision)]
    (alert,) = [
        event for event in scenario.notifier.events if reasons.INTRADAY_DATA_STALE in event.reason_codes
    ]
    assert alert.kind == AlertKind.ENTRY_BLOCKED and "AAA, BBB" in alert.title

    scenario.deps.market = scenario.market  # the feed is back: the same setups are decided now
    scenario.run_at(ny(10, 35))
    assert {record.symbol for record in scenario.records() if isinstance(record, TradeIntent)} == {
        "AAA",
        "BBB",
    }


def test_the_lag_is_a_setting(home: Path) -> None:
    write_watchlist(home / "artifacts")
    scenario = SimScenario(home, environ={"INTRADAY_MAX_LAG_MINUTES": "30"})
    scenario.deps.market = market_until(dt.time(10, 10))
    report = scenario.run_at(ny(10, 30))
    assert not events(report, "intraday_data_stale")
    assert {record.symbol for record in scenario.records() if isinstance(record, TradeIntent)} == {
        "AAA",
        "BBB",
    }


@pytest.mark.parametrize("value", ["0", "391", "soon", "-5"])
def test_a_malformed_lag_names_its_variable(value: str) -> None:
    with pytest.raises(ConfigurationError, match="INTRADAY_MAX_LAG_MINUTES"):
        load_config({"INTRADAY_MAX_LAG_MINUTES": value})


@pytest.mark.parametrize("value", ["IEX", "sip", "delayed_sip"])
def test_the_data_feed_accepts_the_alpaca_equity_feeds(value: str) -> None:
    assert load_config({"ALPACA_DATA_FEED": value}).alpaca_data_feed == value.lower()


def test_an_unknown_data_feed_names_its_variable() -> None:
    with pytest.raises(ConfigurationError, match="ALPACA_DATA_FEED"):
        load_config({"ALPACA_DATA_FEED": "nasdaq"})


def test_stops_keep_being_managed_from_the_last_known_bars(scenario: SimScenario) -> None:
    scenario.run_at(ny(10, 30))
    scenario.run_at(ny(10, 35))  # AAA and BBB filled
    # The feed stops at 10:50: three bars after the fills, enough for the policy's first stop (two).
    scenario.deps.market = market_until(dt.time(10, 50))
    report = scenario.run_at(ny(11, 10))  # stale, and the stop policy's first stop is due
    assert events(report, "intraday_data_stale")[0]["symbols"] == ["AAA", "BBB"]
    stops = [
        r for r in scenario.records() if isinstance(r, OrderSubmitted) and r.purpose == OrderPurpose.STOP
    ]
    assert sorted(stop.symbol for stop in stops) == ["AAA", "BBB"]


def test_an_intent_completed_on_stale_data_is_rejected_with_the_reason(scenario: SimScenario) -> None:
    def crash(detail: dict[str, Any]) -> None:
        raise RuntimeError("killed after the intent was written")

    scenario.deps.hooks = HookAt(AFTER_INTENT_WRITE, crash, symbol="AAA")
    with pytest.raises(RuntimeError):
        scenario.run_at(ny(10, 30))
    scenario.deps.hooks = HookAt(AFTER_INTENT_WRITE, lambda detail: None)
    scenario.deps.market = market_until(dt.time(10, 10))
    scenario.run_at(ny(10, 35))  # the restarted loop completes the pending intent: the plane says stale
    (decision,) = [record for record in scenario.records() if isinstance(record, Decision)]
    assert decision.outcome == DecisionOutcome.REJECT
    assert decision.reason_codes[0] == reasons.INTRADAY_DATA_STALE  # the primary reason


def test_feed_problems_are_noted_and_alerted_and_the_cycle_goes_on(scenario: SimScenario) -> None:
    scenario.deps.data_problems = ("BrokerUnavailableError: Alpaca market data unavailable (HTTP 500)",)
    report = scenario.run_at(ny(10, 30))
    (noted,) = events(report, "market_data_unavailable")
    assert "HTTP 500" in noted["error"]
    assert any("HTTP 500" in event.title for event in scenario.notifier.events)
    assert {record.symbol for record in scenario.records() if isinstance(record, TradeIntent)} == {
        "AAA",
        "BBB",
    }


def test_unreadable_bars_count_as_stale(scenario: SimScenario) -> None:
    class Broken:
        def __getattr__(self, name: str) -> Any:
            return getattr(scenario.market, name)

        def newest_bar_end(self, *args: Any) -> Any:
            raise DataError("corrupt partition")

    scenario.deps.market = Broken()  # type: ignore[assignment]
    report = scenario.run_at(ny(10, 30))
    assert events(report, "intraday_data_stale")[0]["symbols"] == ["AAA", "BBB"]


def test_watched_symbols_are_fresh_candidates_open_orders_and_positions(scenario: SimScenario) -> None:
    tomorrow = DAY + dt.timedelta(days=1)  # today's list is not fresh then: only the book is watched
    assert cycle_watched_symbols(scenario.deps, DAY) == ("AAA", "BBB")
    assert cycle_watched_symbols(scenario.deps, tomorrow) == ()
    scenario.run_at(ny(10, 30))  # entry orders working
    state = scenario.deps.book.state
    assert not state.positions and cycle_watched_symbols(scenario.deps, tomorrow) == ("AAA", "BBB")
    scenario.run_at(ny(10, 35))  # filled: held
    assert set(scenario.deps.book.state.held_symbols()) == {"AAA", "BBB"}
    assert cycle_watched_symbols(scenario.deps, tomorrow) == ("AAA", "BBB")
    assert watched_symbols(["CCC", "AAA"], scenario.deps.book.state) == ("AAA", "BBB", "CCC")


def test_the_loop_refreshes_the_watched_symbols_then_reads_the_store_and_survives_a_failing_feed(
    home: Path,
) -> None:
    write_watchlist(home / "artifacts")
    config = load_config({}, home=home)
    store = BarStore(config.data_dir)
    store.write(daily_frame(), "1d")
    store.write(intraday_frame(), "5m")  # what earlier refreshes wrote
    calls: list[tuple[tuple[str, ...], dt.datetime]] = []

    class Failing:
        def refresh(self, symbols: Any, now: dt.datetime) -> Any:
            calls.append((tuple(symbols), now))
            raise TimeoutError("feed timed out")

    clock = SimulatedClock(ny(10, 30))
    loader = store_market_loader(config.data_dir, Failing())
    assembly = Assembly(config, clock, RecordingNotifier(), broker_factory=no_broker, market_loader=loader)
    reports: list[Any] = []
    runner = Runner(
        assembly,
        LoopSettings(once=True),
        sleeper=ClockSleeper(clock),
        stop=StopFlag(),
        on_report=reports.append,
    )
    outcome = runner.run()
    assert (outcome.cycles, outcome.failed_cycles, outcome.error) == (1, 0, None)
    assert calls == [(("AAA", "BBB"), ny(10, 30))]
    (noted,) = events(reports[0], "market_data_unavailable")
    assert noted["error"] == "TimeoutError: feed timed out"
    records = Ledger(config.ledger_dir).read_book(DRY_RUN_BOOK)
    assert {record.symbol for record in records if isinstance(record, TradeIntent)} == {"AAA", "BBB"}
