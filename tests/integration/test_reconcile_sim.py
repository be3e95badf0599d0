"""Reconciliation end to end on the simulated book: the real execution cycle writes the ledger, the
simulated broker is read through its read-only view, and the two agree until someone changes the broker
behind the ledger's back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from tests.integration.crash_driver import DAY, SimScenario, write_watchlist
from tests.unit.ledger import factories as ledger

from avwap.core.calendar import NEW_YORK, nyse
from avwap.execution.broker import OrderRequest, OrderSide, OrderType, TimeInForce
from avwap.execution.broker_view import BrokerView, SimBrokerView
from avwap.execution.reconcile import reconcile
from avwap.execution.reconcile_inputs import capture_snapshot, expectation_from_book
from avwap.execution.reconcile_schema import DriftCode, ReconciliationReport

WRITE_METHODS = ("submit_order", "replace_order", "cancel_order", "get_order", "on_bar", "on_bar_frame")


def ny(hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), NEW_YORK).astimezone(dt.UTC)


@pytest.fixture
def scenario(home: Path) -> SimScenario:
    """Positions (AAA among them) with their protective stops working, in a funded ledger."""
    write_watchlist(home / "artifacts")
    scenario = SimScenario(home)
    scenario.deps.book.record(ledger.deposit(str(scenario.config.starting_cash), day=DAY))
    for moment in (ny(10, 30), ny(10, 35), ny(11, 0)):
        scenario.run_at(moment)
    assert "AAA" in scenario.deps.book.state.held_symbols()
    return scenario


def _reconcile(scenario: SimScenario) -> ReconciliationReport:
    since = nyse().session_open(DAY)
    view = SimBrokerView(scenario.broker)
    snapshot = capture_snapshot(
        view, book_id=scenario.deps.book.book_id, clock=scenario.clock, fills_since=since
    )
    mine = expectation_from_book(scenario.deps.book.state, scenario.records(), date_ny=DAY, fills_since=since)
    return reconcile(mine, snapshot)


def test_the_simulated_view_is_a_read_only_broker_view(scenario: SimScenario) -> None:
    view = SimBrokerView(scenario.broker)
    assert isinstance(view, BrokerView)
    assert not [name for name in WRITE_METHODS if hasattr(view, name)]
    assert [name for name in vars(view) if not name.startswith("_SimBrokerView__")] == []
    assert view.positions() == scenario.broker.positions()
    assert view.open_orders() == scenario.broker.open_orders()
    assert view.account() == scenario.broker.account()
    assert view.fills(None) == scenario.broker.fills(None)


def test_ledger_and_simulated_broker_agree_after_real_cycles(scenario: SimScenario) -> None:
    report = _reconcile(scenario)
    assert report.complete and report.cash_checked
    assert report.items == (), [item.detail for item in report.items]
    compared = report.compared
    assert compared["ledger_positions"] == compared["broker_positions"] >= 1
    assert compared["ledger_orders"] == compared["broker_orders"] >= 1  # the protective stop
    assert compared["ledger_fills"] == compared["broker_fills"] >= 1


def test_changes_made_at_the_broker_behind_the_ledger_are_drift(scenario: SimScenario) -> None:
    broker = scenario.broker
    guard = next(order for order in broker.open_orders() if order.order_type == OrderType.STOP)
    broker.cancel_order(guard.client_order_id)  # an operator cancels the stop in the broker's UI
    request = OrderRequest(
        symbol="AAA",
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        quantity=1,
        client_order_id="manual-1",
        time_in_force=TimeInForce.GTC,
        limit_price=D("40.00"),
    )
    broker.submit_order(request)  # and places an order by hand
    report = _reconcile(scenario)
    assert [(item.code, item.reference) for item in report.items] == [
        (DriftCode.STOP_MISSING, guard.client_order_id),
        (DriftCode.ORDER_UNKNOWN_AT_BROKER, "manual-1"),
    ]
