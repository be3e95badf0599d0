"""The broker-stop reconciliation rules of execution/protective.py, one rule per test, on the simulated broker
(wrapped to misbehave on demand) and the cycle harness of ``tests/integration/test_stops_harness.py``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.integration.test_stops_harness import (
    DAY,
    SYMBOL,
    StopScenario,
    assert_never_loosens,
    assert_one_working_stop,
    intraday_frame,
    ny,
    of_type,
    session_lows,
    stop_orders,
)

from avwap.core.errors import BrokerRejectedError, BrokerUnavailableError, DataError
from avwap.core.execution_mode import ExecutionMode
from avwap.execution.broker import OrderRequest, OrderSide, OrderType, RejectCode, TimeInForce
from avwap.execution.cycle import establish_facts
from avwap.execution.events import CycleEvent
from avwap.execution.market_data import FrameMarketData
from avwap.execution.market_views import (
    ArrayMarketData,
    VisibleBarsMarketData,
    keeps_arrays,
    sees_visible_bars,
)
from avwap.execution.protective import (
    Target,
    frame_arrays,
    maintain_stops,
    order_revision,
    policy_bars,
    reconcile_stop,
    stop_client_id,
)
from avwap.exits.bar_arrays import bar_arrays
from avwap.ledger import record_ids
from avwap.ledger.record_enums import Side, StopBasis
from avwap.ledger.records import ExitEvent, Fill, OrderCanceled, OrderReplaced


def working(home: Path, until: dt.datetime | None = None) -> StopScenario:
    """A 10-share position whose entry stop (98.30) has been working since 10:10."""
    scenario = StopScenario(home, intraday=intraday_frame({DAY: session_lows()}))
    scenario.run_at(ny(9, 55))
    scenario.enter(10)
    scenario.run_every(ny(10, 0), until or ny(10, 10))
    return scenario


def events(scenario: StopScenario, kind: str) -> list[CycleEvent]:
    return [event for report in scenario.reports for event in report.events if event.kind == kind]


def test_frame_arrays_equal_the_general_conversion() -> None:
    frame = intraday_frame({DAY: session_lows()})
    fast, general = frame_arrays(frame), bar_arrays(frame)
    assert np.array_equal(fast.start_ns, general.start_ns) and np.array_equal(fast.low, general.low)
    assert len(frame_arrays(frame.iloc[:0])) == 0


def test_a_matching_stop_is_kept_and_nothing_is_recorded(tmp_path: Path) -> None:
    scenario = working(tmp_path / "home")
    count = len(scenario.records())
    calls = len(scenario.broker.calls)  # type: ignore[attr-defined]
    scenario.run_at(ny(10, 15))
    assert len(scenario.records()) == count
    new_calls = scenario.broker.calls[calls:]  # type: ignore[attr-defined]
    assert not {"replace_order", "cancel_order", "submit_order"} & set(new_calls)


def test_a_lower_target_never_reaches_the_broker(tmp_path: Path) -> None:
    scenario = working(tmp_path / "home", until=ny(10, 30))  # ratcheted to 99.70
    facts = establish_facts(scenario.deps)
    position = scenario.deps.book.state.lots_of(SYMBOL)[0]
    count = len(scenario.records())
    reconcile_stop(scenario.deps, facts, position, Target(Decimal("98.30"), 0, resolved=True))
    assert len(scenario.records()) == count
    assert_one_working_stop(scenario, 10, Decimal("99.70"))


@pytest.mark.parametrize(
    ("code", "note"),
    [
        (RejectCode.ORDER_NOT_OPEN, "stop_replace_raced"),
        (RejectCode.CLIENT_ORDER_ID_CONFLICT, "stop_replace_failed"),
    ],
)
def test_replace_refusals_that_must_not_fall_back(tmp_path: Path, code: str, note: str) -> None:
    scenario = working(tmp_path / "home", until=ny(10, 25))
    scenario.broker.faults["replace_order"] = [BrokerRejectedError("no", status=422, code=code)]  # type: ignore[attr-defined]
    scenario.run_at(ny(10, 30))
    assert events(scenario, note)
    assert "cancel_order" not in scenario.broker.calls  # type: ignore[attr-defined]
    assert of_type(scenario.records(), OrderReplaced) == []
    assert_one_working_stop(scenario, 10, Decimal("98.30"))  # the old stop still protects


def test_an_unknown_replace_outcome_is_retried_under_the_same_new_id(tmp_path: Path) -> None:
    scenario = working(tmp_path / "home", until=ny(10, 25))
    scenario.broker.faults["replace_order"] = [BrokerUnavailableError("timeout")]  # type: ignore[attr-defined]
    scenario.run_at(ny(10, 30))
    assert events(scenario, "stop_replace_failed") and of_type(scenario.records(), OrderReplaced) == []
    scenario.run_at(ny(10, 35))
    (replaced,) = of_type(scenario.records(), OrderReplaced)
    position = scenario.deps.book.state.lots_of(SYMBOL)[0]
    assert replaced.new_client_order_id == stop_client_id(position, 1)
    assert_one_working_stop(scenario, 10, Decimal("99.70"))


def test_order_revisions_count_every_stop_id_of_the_position(tmp_path: Path) -> None:
    scenario = working(tmp_path / "home", until=ny(10, 25))
    position = scenario.deps.book.state.lots_of(SYMBOL)[0]
    assert order_revision(scenario.deps, position) == 1
    assert stop_client_id(position, 0).endswith("-stop") and stop_client_id(position, 2).endswith("-stop-r2")
    scenario.broker.faults["replace_order"] = [BrokerRejectedError("no", status=422, code="HTTP_422")]  # type: ignore[attr-defined]
    scenario.run_at(ny(10, 30))  # cancel-then-new: r1
    scenario.run_at(ny(11, 10))  # the next ratchet: replace to r2
    assert [item[0].rsplit("-", 1)[-1] for item in stop_orders(scenario.records())] == ["stop", "r1", "r2"]
    assert order_revision(scenario.deps, scenario.deps.book.state.lots_of(SYMBOL)[0]) == 3
    assert_never_loosens(scenario.records())


def test_a_partial_manual_sell_leaves_the_stop_on_the_rest(tmp_path: Path) -> None:
    scenario = working(tmp_path / "home")
    sim = scenario.sim
    assert sim is not None
    (ours,) = sim.open_orders()
    scenario.clock.set(ny(10, 12))
    sim.cancel_order(ours.client_order_id)
    manual = OrderRequest(
        SYMBOL, OrderSide.SELL, OrderType.LIMIT, 4, "manual-4", TimeInForce.GTC, limit_price=Decimal("120")
    )
    sim.submit_order(manual)
    scenario.run_at(ny(10, 15))
    stops = [order for order in sim.open_orders() if order.order_type == OrderType.STOP]
    assert [(order.remaining_quantity, order.stop_price) for order in stops] == [(6, Decimal("98.30"))]
    assert [item[2] for item in stop_orders(scenario.records())] == [10, 6]


def test_a_stop_whose_position_is_gone_is_canceled(tmp_path: Path) -> None:
    scenario = working(tmp_path / "home")
    position = scenario.deps.book.state.lots_of(SYMBOL)[0]
    order_id = record_ids.order_id(book_id=scenario.book_id, client_order_id="manual-sale")
    scenario.deps.book.record(  # the ledger learns of a sale that closed the position some other way
        Fill(
            book_id=scenario.book_id,
            date_ny=DAY,
            ts=ny(10, 12),
            strategy_id=position.strategy_id,
            fill_id=record_ids.fill_id(order_id=order_id, broker_fill_id="x1"),
            order_id=order_id,
            client_order_id="manual-sale",
            position_id=position.position_id,
            symbol=SYMBOL,
            side=Side.SELL,
            quantity=10,
            price=Decimal("100.50"),
            broker_fill_id="x1",
        )
    )
    scenario.run_at(ny(10, 15))
    (canceled,) = of_type(scenario.records(), OrderCanceled)
    assert canceled.reason == "position closed" and scenario.broker.open_orders() == []
    assert not scenario.deps.book.state.open_orders


def test_bad_bars_keep_the_known_stop(tmp_path: Path) -> None:
    scenario = working(tmp_path / "home")

    class BrokenBars:
        def __getattr__(self, name: str) -> Any:
            return getattr(scenario.market, name)

        def session_bars(self, *args: Any) -> Any:
            raise DataError("corrupt partition")

        def session_arrays(self, *args: Any) -> Any:  # the array fast path reads the same partition
            raise DataError("corrupt partition")

    scenario.deps.market = BrokenBars()
    count = len(scenario.records())
    scenario.run_at(ny(10, 30))  # would have ratcheted to 99.70
    assert events(scenario, "stop_policy_failed") and len(scenario.records()) == count
    assert_one_working_stop(scenario, 10, Decimal("98.30"))


def test_no_broker_or_dry_run_means_nothing_to_do(tmp_path: Path) -> None:
    scenario = working(tmp_path / "home")
    facts = establish_facts(scenario.deps)
    count = len(scenario.records())
    scenario.deps.broker = None
    maintain_stops(scenario.deps, facts)
    scenario.deps.broker = scenario.broker
    dry = establish_facts(scenario.deps)
    dry.mode = dataclasses.replace(dry.mode, effective_mode=ExecutionMode.DRY_RUN)
    maintain_stops(scenario.deps, dry)
    assert len(scenario.records()) == count
    assert not [e for e in of_type(scenario.records(), ExitEvent) if e.ts > ny(10, 10)]


def test_execution_events_repeat_the_basis_and_pivot_so_the_fold_keeps_them(tmp_path: Path) -> None:
    scenario = working(tmp_path / "home", until=ny(10, 30))
    replaced = [e for e in of_type(scenario.records(), ExitEvent) if e.kind == "STOP_REPLACED"]
    (event,) = replaced
    assert (event.basis, event.stop_price) == (StopBasis.INTRADAY_HL, Decimal("99.70"))
    assert event.reason.endswith("pivot_ts=2026-04-01T14:15:00Z pivot_price=99.8")
    position = scenario.deps.book.exit_book().positions[SYMBOL]
    assert (position.stop_basis, position.last_pivot_price, position.stop_revision) == (
        StopBasis.INTRADAY_HL,
        "99.8",
        1,
    )
    scenario.restart()  # the same, from the files
    assert scenario.deps.book.exit_book().positions[SYMBOL] == position


class FramesOnly:
    """Market data without kept arrays: the policy must convert its frames."""

    def __init__(self, inner: FrameMarketData) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def session_bars(self, symbol: str, day: dt.date, now: dt.datetime) -> Any:
        self.calls.append("session_bars")
        return self.inner.session_bars(symbol, day, now)

    def daily_bars(self, symbol: str, before: dt.date) -> Any:
        self.calls.append("daily_bars")
        return self.inner.daily_bars(symbol, before)

    def last_price(self, symbol: str, now: dt.datetime) -> Any:
        return self.inner.last_price(symbol, now)


def test_kept_arrays_are_found_by_type_and_frames_are_converted_otherwise(tmp_path: Path) -> None:
    scenario = working(tmp_path / "home")
    market = scenario.market
    assert isinstance(market, FrameMarketData) and isinstance(market, ArrayMarketData)
    assert isinstance(market, VisibleBarsMarketData) and keeps_arrays(market) and sees_visible_bars(market)
    facts = establish_facts(scenario.deps)
    fast = policy_bars(scenario.deps, facts, SYMBOL)
    frames_only = FramesOnly(market)
    assert not isinstance(frames_only, ArrayMarketData | VisibleBarsMarketData)
    assert not keeps_arrays(frames_only) and not sees_visible_bars(frames_only)
    general = policy_bars(dataclasses.replace(scenario.deps, market=frames_only), facts, SYMBOL)
    assert frames_only.calls == ["session_bars", "daily_bars"]
    for kept, converted in zip(fast, general, strict=True):
        assert np.array_equal(kept.start_ns, converted.start_ns) and np.array_equal(kept.low, converted.low)
