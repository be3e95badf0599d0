"""Stops through the real cycle on the Alpaca adapter (alpaca-py) against the fake Alpaca server on 127.0.0.1:
a replace racing the stop's fill, a refused replace, a replace whose answer is lost, an INSUFFICIENT_QUANTITY
refusal. The fake does not fill by itself: a test fills an order (``fill_order``) at a chosen instant."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from tests.fakes.alpaca_server import (
    API_KEY,
    SECRET_KEY,
    FakeAlpaca,
    Fault,
    adapter_settings,
    running_fake_alpaca,
)
from tests.integration.test_stops_harness import (
    DAY,
    SYMBOL,
    ScriptedBroker,
    StopScenario,
    assert_never_loosens,
    exit_kinds,
    intraday_frame,
    ny,
    of_type,
    session_lows,
    stop_orders,
)

from avwap.core.clock import SimulatedClock
from avwap.core.config import load_config
from avwap.core.execution_mode import ExecutionMode
from avwap.execution.alpaca_broker import AlpacaBroker
from avwap.ledger.paths import ALPACA_PAPER
from avwap.ledger.projection import fold_book
from avwap.ledger.records import ExitEvent, Fill, OrderRejected, PositionClosed
from avwap.ledger.verify import verify_path


class AlpacaStops:
    """A :class:`StopScenario` on the Alpaca adapter, plus the fake it talks to."""

    def __init__(
        self, home: Path, fake: FakeAlpaca, clock: SimulatedClock, intraday: pd.DataFrame | None = None
    ) -> None:
        self.fake = fake
        self.adapter = AlpacaBroker(adapter_settings(fake))
        self.broker = ScriptedBroker(self.adapter)
        config = load_config(
            {},
            home=home,
            execution_mode=ExecutionMode.ALPACA_PAPER,
            alpaca_api_key=API_KEY,
            alpaca_secret_key=SECRET_KEY,
            alpaca_trading_url=fake.url,
        )
        self.scenario = StopScenario(
            home,
            intraday=intraday if intraday is not None else intraday_frame({DAY: session_lows()}),
            broker=self.broker,
            book_id=ALPACA_PAPER,
            config=config,
            clock=clock,
        )

    def client_id(self, suffix: str) -> str:
        ids = [order[0] for order in stop_orders(self.scenario.records())]
        entry = [id_ for id_ in self.scenario.deps.book.state.client_order_ids if id_.endswith("-entry")]
        return ids[-1] if suffix == "stop" else entry[0]

    def open_with_stop(self) -> None:
        """Buy 10 at 100.10 (09:55 order, filled at 10:00); cycles to 10:25: the entry stop 98.30 works."""
        scenario = self.scenario
        scenario.run_at(ny(9, 55))
        scenario.enter(10)
        scenario.clock.set(ny(10, 0))
        self.fake.fill_order(self.client_id("entry"), 10, "100.10")
        scenario.run_every(ny(10, 0), ny(10, 25))
        assert [order.stop_price for order in self.adapter.open_orders()] == [Decimal("98.30")]

    def ledger_consistent(self) -> None:
        records = self.scenario.records()
        assert fold_book(records, ALPACA_PAPER) == self.scenario.deps.book.state
        assert all(item.ok for item in verify_path(self.scenario.config.ledger_dir))
        assert_never_loosens(records)


@pytest.fixture
def alpaca(tmp_path: Path) -> Iterator[AlpacaStops]:
    clock = SimulatedClock(ny(9, 0))
    with running_fake_alpaca(clock) as fake:
        fake.set_price(SYMBOL, "100.00")
        stops = AlpacaStops(tmp_path / "home", fake, clock)
        try:
            yield stops
        finally:
            stops.adapter.close()


def test_a_replace_racing_the_stops_fill_makes_no_second_exit(alpaca: AlpacaStops) -> None:
    alpaca.open_with_stop()
    first_stop = alpaca.client_id("stop")
    # The 10:30 ratchet (99.70) reaches the broker just after the old stop filled at 98.30.
    alpaca.broker.before["replace_order"] = lambda: alpaca.fake.fill_order(first_stop, 10, "98.30")
    report = alpaca.scenario.run_at(ny(10, 30))
    assert any(event.kind == "stop_replace_raced" for event in report.events)
    alpaca.scenario.run_every(ny(10, 35), ny(11, 0))
    records = alpaca.scenario.records()
    sells = [item for item in of_type(records, Fill) if item.side == "SELL"]
    assert [(item.client_order_id, item.quantity, item.price) for item in sells] == [
        (first_stop, 10, Decimal("98.30"))
    ]
    (closed,) = of_type(records, PositionClosed)
    assert closed.realized_pnl == Decimal("-18.00")
    assert [order[0] for order in stop_orders(records)] == [first_stop]  # no second stop, no replacement
    assert exit_kinds(records)[-1] == "EXIT_FILLED"
    assert alpaca.adapter.open_orders() == [] and alpaca.adapter.positions() == []
    assert alpaca.fake.request_count("PATCH /v2/orders/{id}") == 1
    alpaca.ledger_consistent()


def test_a_replace_after_a_partial_fill_records_the_fill_and_protects_the_rest(alpaca: AlpacaStops) -> None:
    alpaca.open_with_stop()
    first_stop = alpaca.client_id("stop")
    alpaca.broker.before["replace_order"] = lambda: alpaca.fake.fill_order(first_stop, 4, "98.30")
    alpaca.scenario.run_at(ny(10, 30))
    state = alpaca.scenario.deps.book.state
    assert state.lots_of(SYMBOL)[0].quantity == 6
    (working,) = alpaca.adapter.open_orders()
    assert (working.stop_price, working.remaining_quantity) == (Decimal("99.70"), 6)
    (ledger_stop,) = state.open_orders.values()
    assert (ledger_stop.client_order_id, ledger_stop.quantity) == (working.client_order_id, 6)
    alpaca.scenario.run_every(ny(10, 35), ny(10, 45))  # nothing drifts, nothing is re-sent
    assert not any(report.drift for report in alpaca.scenario.reports)
    assert len(stop_orders(alpaca.scenario.records())) == 2
    alpaca.ledger_consistent()


def test_a_refused_replace_falls_back_to_cancel_then_new(alpaca: AlpacaStops) -> None:
    alpaca.open_with_stop()
    first_stop = alpaca.client_id("stop")
    refusal = Fault(422, {"code": 42210000, "message": "order parameters are not acceptable"})
    alpaca.fake.queue_fault("PATCH /v2/orders/{id}", refusal)
    alpaca.scenario.run_at(ny(10, 30))
    records = alpaca.scenario.records()
    (working,) = alpaca.adapter.open_orders()
    assert (working.stop_price, working.remaining_quantity) == (Decimal("99.70"), 10)
    assert working.client_order_id == first_stop + "-r1"
    assert alpaca.fake.orders_for(first_stop)[0].status == "canceled"
    assert exit_kinds(records)[-2:] == ["STOP_RATCHET", "STOP_SUBMITTED"]
    (submitted,) = [
        e for e in of_type(records, ExitEvent) if e.kind == "STOP_SUBMITTED" and e.stop_revision == 1
    ]
    assert submitted.reason.startswith("replace refused (HTTP_422)")
    alpaca.ledger_consistent()


def test_a_replace_whose_answer_is_lost_is_found_by_its_new_id(alpaca: AlpacaStops) -> None:
    alpaca.open_with_stop()
    first_stop = alpaca.client_id("stop")
    # The PATCH is processed, then the gateway times out (alpaca-py retries the 504 once: the old order is
    # already replaced by then); replace_idempotent finds the replacement under the new id.
    alpaca.fake.queue_fault(
        "PATCH /v2/orders/{id}",
        Fault.gateway_timeout_after_processing(),
        Fault.gateway_timeout_after_processing(),
    )
    alpaca.scenario.run_at(ny(10, 30))
    (working,) = alpaca.adapter.open_orders()
    assert (working.client_order_id, working.stop_price) == (first_stop + "-r1", Decimal("99.70"))
    records = alpaca.scenario.records()
    assert exit_kinds(records)[-2:] == ["STOP_RATCHET", "STOP_REPLACED"]
    alpaca.scenario.run_every(ny(10, 35), ny(10, 45))
    assert not any(report.drift for report in alpaca.scenario.reports)
    assert len(stop_orders(alpaca.scenario.records())) == 2
    alpaca.ledger_consistent()


def test_an_insufficient_quantity_refusal_is_recorded_once_and_retried_later(alpaca: AlpacaStops) -> None:
    scenario = alpaca.scenario
    scenario.run_at(ny(9, 55))
    scenario.enter(10)
    scenario.clock.set(ny(10, 0))
    alpaca.fake.fill_order(alpaca.client_id("entry"), 10, "100.10")
    refusal = Fault(403, {"code": 40310000, "message": "insufficient qty available for order"})
    alpaca.fake.queue_fault("POST /v2/orders", refusal)
    scenario.run_every(ny(10, 0), ny(10, 20))  # 10:10: refused; 10:15, 10:20: not re-sent
    records = scenario.records()
    blocked = [item for item in of_type(records, ExitEvent) if item.kind == "STOP_SUBMIT_BLOCKED"]
    assert [item.reason for item in blocked] == ["INSUFFICIENT_QUANTITY stop=98.30"]
    (rejected,) = of_type(records, OrderRejected)
    assert rejected.reason_code == "INSUFFICIENT_QUANTITY"
    assert alpaca.fake.request_count("POST /v2/orders") == 2  # the entry, the refused stop
    assert scenario.alerts().count("STOP_MISSING") == 3  # 10:10, 10:15, 10:20: the position is unprotected
    scenario.run_at(ny(10, 25))  # 15 minutes after the refusal: tried again, accepted
    (working,) = alpaca.adapter.open_orders()
    assert (working.client_order_id, working.stop_price) == (alpaca.client_id("stop"), Decimal("98.30"))
    assert working.client_order_id.endswith("-stop-r1")
    alpaca.ledger_consistent()
