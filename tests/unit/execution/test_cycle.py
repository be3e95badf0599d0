"""The execution cycle on the simulated broker and hand-made bars: entries, fills, stops, gates, outages."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from tests.integration.crash_driver import DAY, SimScenario, write_watchlist

from avwap.control import reasons
from avwap.core.calendar import NEW_YORK
from avwap.core.execution_mode import ExecutionMode
from avwap.execution.book import DRY_RUN_BOOK, BookRecorder
from avwap.execution.broker import OrderRequest, OrderSide, OrderType
from avwap.execution.events import StopSubmitted
from avwap.integrations.slack.messages import AlertKind
from avwap.ledger.record_enums import DecisionOutcome, OrderPurpose
from avwap.ledger.records import Decision, Fill, OrderSubmitted, PositionOpened, TradeIntent
from avwap.ledger.router import Ledger


def ny(hour: int, minute: int, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), NEW_YORK).astimezone(dt.UTC)


def of_type(records: list[Any], kind: type) -> list[Any]:
    return [record for record in records if isinstance(record, kind)]


def decisions(scenario: SimScenario) -> dict[str, Decision]:
    return {record.symbol: record for record in of_type(scenario.records(), Decision)}


@pytest.fixture
def scenario(home: Path) -> SimScenario:
    write_watchlist(home / "artifacts")
    return SimScenario(home, breakouts={"BBB": dt.time(11, 0)})


def test_a_triggered_candidate_becomes_intent_order_fill_position_and_stop(
    scenario: SimScenario,
) -> None:
    scenario.run_at(ny(10, 30))
    records = scenario.records()
    (intent,) = of_type(records, TradeIntent)
    assert (intent.symbol, intent.entry_price, intent.stop_price) == ("AAA", D("50.50"), D("48.40"))
    assert decisions(scenario)["AAA"].outcome in (DecisionOutcome.APPROVE, DecisionOutcome.RESIZE)
    (order,) = of_type(records, OrderSubmitted)
    assert (order.purpose, order.intent_id) == (OrderPurpose.ENTRY, intent.intent_id)

    scenario.run_at(ny(10, 35))  # the 10:30 bar filled the market order
    (fill,) = of_type(scenario.records(), Fill)
    (opened,) = of_type(scenario.records(), PositionOpened)
    assert (fill.quantity, opened.initial_stop_price) == (order.quantity, intent.stop_price)
    assert scenario.deps.book.state.lots_of("AAA")[0].quantity == order.quantity

    scenario.run_at(ny(11, 0))  # past the stop policy's delay and minimum bars
    stops = [
        item for item in of_type(scenario.records(), OrderSubmitted) if item.purpose == OrderPurpose.STOP
    ]
    assert [(stop.symbol, stop.stop_price, stop.quantity) for stop in stops] == [
        ("AAA", D("48.40"), order.quantity)
    ]
    (working,) = [order for order in scenario.broker.open_orders() if order.order_type == OrderType.STOP]
    assert working.stop_price == D("48.40")


@pytest.mark.parametrize("switch", ["env", "file"])
def test_the_kill_switch_rejects_entries_while_stops_still_run(home: Path, switch: str) -> None:
    write_watchlist(home / "artifacts")
    environ = {"KILL_SWITCH": "1"} if switch == "env" else {}
    scenario = SimScenario(home, breakouts={"BBB": dt.time(11, 0)})
    scenario.run_at(ny(10, 30))
    scenario.run_at(ny(10, 35))
    assert "AAA" in scenario.deps.book.state.held_symbols()
    killed = SimScenario(home, breakouts={"BBB": dt.time(11, 0)}, environ=environ)
    killed.broker, killed.deps.broker = scenario.broker, scenario.broker  # same account, kill switch engaged
    killed.clock, killed.deps.clock, killed._fed = scenario.clock, scenario.clock, scenario._fed
    if switch == "file":
        killed.config.state_dir.mkdir(parents=True, exist_ok=True)
        (killed.config.state_dir / "KILL_SWITCH").touch()
    report = killed.run_at(ny(11, 30))
    bbb = decisions(killed)["BBB"]
    assert bbb.outcome == DecisionOutcome.REJECT and bbb.reason_codes[0] == reasons.KILL_SWITCH_ACTIVE
    assert any(isinstance(event, StopSubmitted) and event.symbol == "AAA" for event in report.events)
    assert {alert.kind for alert in killed.notifier.events} >= {
        AlertKind.KILL_SWITCH,
        AlertKind.ENTRY_BLOCKED,
    }


@pytest.mark.parametrize("artifact", ["missing", "yesterday"])
def test_a_stale_or_missing_watchlist_means_no_entries_and_an_alert(home: Path, artifact: str) -> None:
    if artifact == "yesterday":
        write_watchlist(home / "artifacts", day=dt.date(2026, 3, 31))
    scenario = SimScenario(home)
    report = scenario.run_at(ny(10, 30))
    assert of_type(scenario.records(), TradeIntent) == []
    assert report.blocked_reasons == ()
    stale = [alert for alert in scenario.notifier.events if reasons.WATCHLIST_STALE in alert.reason_codes]
    assert len(stale) == 1 and stale[0].kind == AlertKind.ENTRY_BLOCKED


def test_max_entries_per_day_counts_per_new_york_date_across_the_rollover(home: Path) -> None:
    day_two = dt.date(2026, 4, 2)
    write_watchlist(home / "artifacts")
    write_watchlist(home / "artifacts", day=day_two)
    scenario = SimScenario(home, days=(DAY, day_two), max_orders_per_day=1)
    scenario.run_at(ny(10, 30))
    day_one = decisions(scenario)
    assert day_one["AAA"].outcome != DecisionOutcome.REJECT
    assert day_one["BBB"].reason_codes[0] == reasons.MAX_ENTRIES_PER_DAY_REACHED
    # 23:30 New York is already 03:30 UTC of the next day: still day one's count.
    assert scenario.deps.book.state.counters(DAY).entries_submitted == 1
    late = ny(23, 30)
    assert late.date() == day_two and scenario.run_at(late).mode == "PAPER_SIM"
    assert scenario.deps.book.state.counters(day_two).entries_submitted == 0
    scenario.run_at(ny(10, 30, day_two))
    second = [d for d in of_type(scenario.records(), Decision) if d.date_ny == day_two]
    assert [d.outcome != DecisionOutcome.REJECT for d in second] == [True]  # BBB (AAA is held)
    assert scenario.deps.book.state.counters(day_two).entries_submitted == 1


def test_a_position_placed_behind_the_ledgers_back_alerts_drift_and_blocks_entries(
    scenario: SimScenario,
) -> None:
    scenario.feed_until(ny(10, 0))
    scenario.broker.submit_order(OrderRequest("AAA", OrderSide.BUY, OrderType.MARKET, 3, "manual-1"))
    scenario.feed_until(ny(10, 10))
    report = scenario.run_at(ny(10, 30))
    assert report.drift and any("AAA: ledger 0 broker 3" in line for line in report.drift)
    assert {reasons.RECONCILIATION_DRIFT, reasons.UNKNOWN_POSITIONS} <= set(report.blocked_reasons)
    assert all(d.outcome == DecisionOutcome.REJECT for d in decisions(scenario).values())
    assert AlertKind.RECONCILIATION_DRIFT in {alert.kind for alert in scenario.notifier.events}


class ClosedClockBroker:
    """The simulated broker, except that its clock says the market is closed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def clock(self) -> Any:
        import msgspec

        return msgspec.structs.replace(self.inner.clock(), is_open=False)


def test_calendar_and_broker_clock_disagreeing_blocks_entries(scenario: SimScenario) -> None:
    scenario.deps.broker = ClosedClockBroker(scenario.broker)
    report = scenario.run_at(ny(10, 30))
    assert reasons.CALENDAR_BROKER_CLOCK_DISAGREE in report.blocked_reasons
    assert of_type(scenario.records(), OrderSubmitted) == []


class RaisingNotifier:
    def notify(self, event: object) -> None:
        raise ConnectionError("slack is down")

    def flush(self, timeout: float = 5.0) -> None:
        raise ConnectionError("slack is down")

    def close(self) -> None:
        raise ConnectionError("slack is down")


def test_a_slack_outage_never_breaks_a_cycle(scenario: SimScenario) -> None:
    scenario.deps.notifier = RaisingNotifier()
    report = scenario.run_at(ny(10, 30))
    assert report.alerts == 0
    assert [order.symbol for order in of_type(scenario.records(), OrderSubmitted)] == ["AAA"]


class DownBroker:
    """Every call fails as a broker that cannot be reached."""

    calls: collections.Counter[str]

    def __init__(self) -> None:
        self.calls = collections.Counter()

    def __getattr__(self, name: str) -> Any:
        from avwap.core.errors import BrokerUnavailableError

        def unavailable(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            raise BrokerUnavailableError(f"{name}: connection refused")

        return unavailable


def test_a_broker_that_is_down_is_recorded_blocks_entries_and_does_not_crash(scenario: SimScenario) -> None:
    down = DownBroker()
    scenario.deps.broker = down  # type: ignore[assignment]
    report = scenario.run_at(ny(10, 30))
    assert any(event.kind == "broker_unavailable" for event in report.events)
    assert report.entries_blocked == (reasons.BROKER_CLOCK_UNKNOWN, reasons.EQUITY_UNKNOWN)
    assert scenario.records() == []  # nothing decided: the candidates are considered again next cycle
    assert down.calls["submit_order"] == 0
    assert AlertKind.ERROR in {alert.kind for alert in scenario.notifier.events}
    scenario.deps.broker = scenario.broker  # the broker is back: AAA is decided and ordered
    scenario.run_at(ny(10, 35))
    assert [order.symbol for order in of_type(scenario.records(), OrderSubmitted)] == ["AAA"]


def test_dry_run_records_decisions_and_would_be_orders_without_a_broker(home: Path) -> None:
    write_watchlist(home / "artifacts")
    scenario = SimScenario(home, execution_mode=ExecutionMode.DRY_RUN)
    scenario.deps.broker = None
    scenario.deps.book = BookRecorder(Ledger(scenario.config.ledger_dir), DRY_RUN_BOOK)
    report = scenario.run_at(ny(10, 30))
    assert report.mode == "DRY_RUN" and report.book_id == "DRY_RUN"
    orders = of_type(scenario.records(), OrderSubmitted)
    assert [order.symbol for order in orders] == ["AAA", "BBB"]
    assert len(of_type(scenario.records(), Decision)) == 2
    states = scenario.deps.book.state.open_orders
    assert [states[order.client_order_id].status for order in orders] == ["SUBMITTED", "SUBMITTED"]
    assert scenario.broker.open_orders() == []  # the simulated account never heard of it


def test_a_book_of_another_mode_is_never_written_for_entries(scenario: SimScenario) -> None:
    scenario.deps.config = dataclasses.replace(scenario.config, dry_run=True)
    report = scenario.run_at(ny(10, 30))
    assert report.mode == "DRY_RUN" and report.entries_blocked == (reasons.MODE_UNRESOLVED,)
    assert scenario.records() == []
    assert scenario.broker.open_orders() == []


def test_an_order_placed_behind_the_ledgers_back_is_adopted_flagged_and_then_tracked(
    scenario: SimScenario,
) -> None:
    scenario.feed_until(ny(10, 0))
    request = OrderRequest("AAA", OrderSide.BUY, OrderType.LIMIT, 3, "manual-2", limit_price=D("1.00"))
    scenario.broker.submit_order(request)  # far below the market: stays working
    report = scenario.run_at(ny(10, 5))
    assert any("unknown broker order manual-2" in line for line in report.drift)  # flagged this cycle
    adopted = [
        order for order in of_type(scenario.records(), OrderSubmitted) if order.client_order_id == "manual-2"
    ]
    assert [(order.strategy_id, order.purpose, order.quantity) for order in adopted] == [
        ("ADOPTED", OrderPurpose.ENTRY, 3)
    ]
    assert "manual-2" in scenario.deps.book.state.open_orders  # known from now on
    assert not scenario.run_at(ny(10, 10)).drift  # and no longer drift
