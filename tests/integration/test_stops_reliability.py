"""Stops through the real cycle when things go wrong: restarts, duplicate and partial fills, missing bars, a
halted symbol, the kill switch with a stale watchlist, a manual exit holding the shares. Simulated broker on
hand-made bars (see :mod:`tests.integration.test_stops_harness`); every scenario also checks that no stop
price ever goes down."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from tests.integration.test_stops_harness import (
    DAY,
    NEXT_DAY,
    SYMBOL,
    Bar,
    StopScenario,
    assert_never_loosens,
    assert_one_working_stop,
    daily_frame,
    exit_kinds,
    intraday_frame,
    ny,
    of_type,
    session_lows,
    stop_orders,
    with_daily_bar,
)

from avwap.core.calendar import nyse
from avwap.execution.broker import OrderRequest, OrderSide, OrderType, TimeInForce
from avwap.execution.fill_model import FillModel
from avwap.ledger.atomic import build_provenance
from avwap.ledger.records import (
    ExitEvent,
    Fill,
    OrderCanceled,
    OrderRejected,
    PositionClosed,
    PositionOpened,
    Record,
    encode_record,
)
from avwap.signals.scan_records import MarketGate, ScanResult
from avwap.watchlist.artifact import write_candidates


def full_day(home: Path, **options: object) -> StopScenario:
    scenario = StopScenario(home, intraday=intraday_frame({DAY: session_lows()}), **options)  # type: ignore[arg-type]
    scenario.run_at(ny(9, 55))
    scenario.enter(10)
    return scenario


def encoded(records: list[Record]) -> list[dict[str, object]]:
    return [encode_record(record) for record in records]


def final_stop(scenario: StopScenario) -> Decimal | None:
    return scenario.deps.book.exit_book().positions[SYMBOL].stop_price


# ----------------------------------------------------------------------------------------------- restart


@pytest.mark.parametrize("restart_after", ["10:05", "10:10", "10:30", "12:00"])
def test_a_restart_mid_session_keeps_the_same_stop_and_sends_no_duplicate(
    tmp_path: Path, restart_after: str
) -> None:
    reference = full_day(tmp_path / "reference")
    reference.run_session(first=ny(10, 0))
    hour, minute = (int(part) for part in restart_after.split(":"))
    restarted = full_day(tmp_path / "restarted")
    restarted.run_every(ny(10, 0), ny(hour, minute))
    stop_before = final_stop(restarted) if restart_after != "10:05" else None
    restarted.restart()
    if stop_before is not None:
        assert final_stop(restarted) == stop_before  # the same stop, from the ledger alone
    restarted.run_session(first=ny(hour, minute) + dt.timedelta(minutes=5))
    records = restarted.records()
    assert encoded(records) == encoded(reference.records())
    client_ids = [item[0] for item in stop_orders(records)]
    assert len(client_ids) == len(set(client_ids)) >= 3
    assert_one_working_stop(restarted, 10, final_stop(restarted))
    assert_never_loosens(records)


# ---------------------------------------------------------------------------------- fills, twice or partly


def test_fills_reported_twice_are_counted_once(tmp_path: Path) -> None:
    scenario = full_day(tmp_path / "home")
    scenario.broker.duplicate_fills = True  # type: ignore[attr-defined]
    scenario.run_session(first=ny(10, 0))
    records = scenario.records()
    (fill,) = of_type(records, Fill)
    assert fill.quantity == 10 and len(of_type(records, PositionOpened)) == 1
    assert scenario.deps.book.state.lots_of(SYMBOL)[0].quantity == 10
    assert_one_working_stop(scenario, 10, final_stop(scenario))
    assert_never_loosens(records)


@pytest.mark.parametrize("duplicated", [False, True])
def test_a_large_entry_filling_over_several_bars_is_protected_share_for_share(
    tmp_path: Path, duplicated: bool
) -> None:
    # 4 % of a 1,000-share bar: 40 shares a bar, so 250 shares fill over seven bars (10:00 .. 10:30).
    scenario = StopScenario(
        tmp_path / "home",
        intraday=intraday_frame({DAY: session_lows()}),
        fill_model=FillModel(participation_cap=Decimal("0.04")),
    )
    scenario.broker.duplicate_fills = duplicated  # type: ignore[attr-defined]
    scenario.run_at(ny(9, 55))
    scenario.enter(250)
    held: list[tuple[int, int]] = []  # (position, working stop quantity) after each cycle
    for minutes in range(0, 65, 5):
        report = scenario.run_at(ny(10, 0) + dt.timedelta(minutes=minutes))
        assert not [event for event in report.events if event.kind == "order_rejected"]
        position = scenario.deps.book.state.lots_of(SYMBOL)[0].quantity
        stops = [o for o in scenario.broker.open_orders() if o.order_type == OrderType.STOP]
        held.append((position, stops[0].remaining_quantity if stops else 0))
    assert held[0] == (40, 0)  # 10:00: not resolved yet
    assert held[2] == (120, 120)  # 10:10: the entry stop covers what is held
    assert held[3:7] == [(160, 160), (200, 200), (240, 240), (250, 250)]  # cancel-then-new each time
    assert held[-1] == (250, 250)
    records = scenario.records()
    quantities = [item[2] for item in stop_orders(records) if item[2] is not None]
    assert quantities == [120, 160, 200, 240, 250]
    assert exit_kinds(records).count("STOP_SUBMITTED") == 5
    assert len(of_type(records, OrderCanceled)) == 4 and of_type(records, OrderRejected) == []
    buys = [item for item in of_type(records, Fill) if item.side == "BUY"]
    assert (
        sum(item.quantity for item in buys) == 250 and len({item.fill_id for item in buys}) == len(buys) == 7
    )
    assert_never_loosens(records)


# ------------------------------------------------------------------------------------------ missing data


@pytest.mark.parametrize("missing", ["11:15", "11:25"])  # an ordinary bar; the bar of a swing low
def test_a_missing_bar_keeps_the_stop_and_records_nothing_wrong(tmp_path: Path, missing: str) -> None:
    hour, minute = (int(part) for part in missing.split(":"))
    starts = nyse().bar_starts(DAY, 5)
    lows: list[float | None] = list(session_lows())
    lows[starts.index(ny(hour, minute))] = None
    scenario = StopScenario(tmp_path / "home", intraday=intraday_frame({DAY: lows}))
    scenario.run_at(ny(9, 55))
    scenario.enter(10)
    scenario.run_every(ny(10, 0), ny(hour, minute))
    before = len(scenario.records())
    stop = final_stop(scenario)
    scenario.run_at(ny(hour, minute) + dt.timedelta(minutes=5))  # the cycle that would have seen the bar
    assert len(scenario.records()) == before and final_stop(scenario) == stop
    scenario.run_session(first=ny(hour, minute) + dt.timedelta(minutes=10))
    records = scenario.records()
    assert of_type(records, OrderRejected) == [] and "STOP_MISSING" not in scenario.alerts()
    assert_one_working_stop(scenario, 10, final_stop(scenario))
    assert_never_loosens(records)


def test_a_halted_symbol_keeps_its_stop_all_day_and_records_nothing(tmp_path: Path) -> None:
    daily = with_daily_bar(daily_frame(), DAY, 99.5)
    scenario = StopScenario(tmp_path / "home", intraday=intraday_frame({DAY: session_lows()}), daily=daily)
    scenario.run_at(ny(9, 55))
    scenario.enter(10)
    scenario.run_session(first=ny(10, 0))
    stop = final_stop(scenario)
    count = len(scenario.records())
    scenario.run_session(NEXT_DAY)  # no bars at all for the symbol on the next session
    assert len(scenario.records()) == count
    assert final_stop(scenario) == stop and stop is not None
    assert_one_working_stop(scenario, 10, stop)
    assert "STOP_MISSING" not in scenario.alerts()


# ------------------------------------------------------------------------------- never blocked by gates


def stale_watchlist(artifacts_dir: Path) -> None:
    """A candidates artifact of the previous session: not fresh today."""
    previous = nyse().previous_session(DAY)
    gate = MarketGate(
        is_open=True, reason=None, benchmark_symbol="SPY", benchmark_close=None, benchmark_sma=None, detail=""
    )
    result = ScanResult(as_of=previous, market_gate=gate, candidates=(), diagnostics=())
    provenance = build_provenance("c", "d", previous, code_version="t")
    write_candidates(artifacts_dir, previous, result, provenance, rules_hash="test-rules")


def test_the_kill_switch_and_a_stale_watchlist_never_block_stops(tmp_path: Path) -> None:
    reference = full_day(tmp_path / "reference")
    reference.run_session(first=ny(10, 0))
    scenario = full_day(tmp_path / "home")
    stale_watchlist(scenario.config.artifacts_dir)
    scenario.config.state_dir.mkdir(parents=True, exist_ok=True)
    (scenario.config.state_dir / "KILL_SWITCH").touch()
    scenario.run_session(first=ny(10, 0))
    assert {"KILL_SWITCH", "ENTRY_BLOCKED"} <= set(scenario.alerts())
    exits = [encode_record(item) for item in of_type(scenario.records(), ExitEvent)]
    assert exits == [encode_record(item) for item in of_type(reference.records(), ExitEvent)]
    assert exit_kinds(scenario.records()).count("STOP_REPLACED") >= 2
    assert_one_working_stop(scenario, 10, final_stop(scenario))


# --------------------------------------------------------------------------- another sell holds the shares


def test_a_manual_exit_order_holding_the_shares_blocks_the_stop_once_until_it_goes(tmp_path: Path) -> None:
    scenario = full_day(tmp_path / "home")
    scenario.run_every(ny(10, 0), ny(10, 10))
    (ours,) = scenario.broker.open_orders()
    sim = scenario.sim
    assert sim is not None
    scenario.clock.set(ny(10, 12))  # the operator cancels our stop and places his own exit
    sim.cancel_order(ours.client_order_id)
    manual = OrderRequest(
        SYMBOL,
        OrderSide.SELL,
        OrderType.LIMIT,
        10,
        "manual-exit",
        TimeInForce.GTC,
        limit_price=Decimal("110"),
    )
    sim.submit_order(manual)
    scenario.run_every(ny(10, 15), ny(10, 20))
    records = scenario.records()
    blocked = [item for item in of_type(records, ExitEvent) if item.kind == "STOP_SUBMIT_BLOCKED"]
    assert [item.reason for item in blocked] == ["SELL_ORDER_HOLDS_QUANTITY by=manual-exit stop=98.30"]
    assert len(stop_orders(records)) == 1  # nothing re-sent while the shares are held
    assert scenario.alerts().count("STOP_MISSING") >= 2
    scenario.clock.set(ny(10, 22))
    sim.cancel_order("manual-exit")
    scenario.run_at(ny(10, 25))
    assert [item[1:] for item in stop_orders(scenario.records())] == [
        (Decimal("98.30"), 10),
        (Decimal("98.30"), 10),
    ]
    assert_one_working_stop(scenario, 10, Decimal("98.30"))
    scenario.run_at(ny(10, 30))  # the ratchet replaces the re-sent stop
    assert_one_working_stop(scenario, 10, Decimal("99.70"))
    assert_never_loosens(scenario.records())


def test_a_bar_trading_through_the_stop_fills_it_at_its_price_and_leaves_nothing_working(
    tmp_path: Path,
) -> None:
    lows: list[float | Bar] = list(session_lows())
    lows[12] = Bar(open=100.00, high=100.30, low=95.00, close=96.00)  # 10:30, after the ratchet to 99.70
    scenario = StopScenario(tmp_path / "home", intraday=intraday_frame({DAY: lows}))
    scenario.run_at(ny(9, 55))
    scenario.enter(10)
    scenario.run_session(first=ny(10, 0))
    records = scenario.records()
    (closed,) = of_type(records, PositionClosed)
    assert (closed.exit_price, closed.realized_pnl, closed.ts) == (
        Decimal("99.70"),
        Decimal("-4.00"),
        ny(10, 35),
    )
    assert exit_kinds(records)[-1] == "EXIT_FILLED"
    assert scenario.broker.open_orders() == [] and scenario.broker.positions() == []
    assert not scenario.deps.book.state.open_orders and not scenario.deps.book.state.positions
    assert_never_loosens(records)


class Crash(BaseException):
    """The process dies here (nothing in the cycle catches a BaseException)."""


def test_a_crash_between_the_brokers_replace_and_its_record_heals_after_restart(tmp_path: Path) -> None:
    scenario = full_day(tmp_path / "home")
    scenario.run_every(ny(10, 0), ny(10, 25))
    broker = scenario.broker
    inner_replace = broker.inner.replace_order  # type: ignore[attr-defined]

    def replace_then_die(*args: object, **kwargs: object) -> None:
        inner_replace(*args, **kwargs)
        raise Crash

    broker.replace_order = replace_then_die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        scenario.run_at(ny(10, 30))
    del broker.replace_order
    replaced_at_broker = [order.stop_price for order in broker.open_orders()]
    assert replaced_at_broker == [Decimal("99.70")]  # but not in the ledger
    scenario.restart()
    healed = scenario.run_at(ny(10, 35))
    records = scenario.records()
    canceled = of_type(records, OrderCanceled)
    assert [item.reason for item in canceled] == ["broker status REPLACED"]
    orders = stop_orders(records)
    assert [item[1] for item in orders] == [Decimal("98.30"), Decimal("99.70")]
    assert orders[1][0].endswith("-stop-r1")  # recorded under the id the broker already has: no duplicate
    assert any(event.kind == "stop_missing" for event in healed.events)
    scenario.run_at(ny(10, 40))
    assert not scenario.reports[-1].drift
    assert_one_working_stop(scenario, 10, Decimal("99.70"))
    assert scenario.sim is not None and len(scenario.sim.fills(None)) == 1  # the entry; nothing else traded
    assert_never_loosens(records)
