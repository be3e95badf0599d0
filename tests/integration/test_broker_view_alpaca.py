"""The read-only Alpaca view against the fake Alpaca server: it only ever sends GET, it cannot be made to
send anything else, it reads account, positions, open orders (stops included) and fills exactly as the
trading adapter does, and broker faults become an incomplete reconciliation report."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from decimal import Decimal as D
from typing import Any

import pytest
import requests
from tests.fakes.alpaca_server import (
    DEFAULT_NOW,
    FakeAlpaca,
    Fault,
    adapter_settings,
    alpaca_server_fixture,  # noqa: F401 - registers the ``alpaca_server`` fixture
)

from avwap.core.clock import FixedClock
from avwap.core.errors import BrokerRejectedError, BrokerUnavailableError
from avwap.execution.alpaca_broker import AlpacaBroker
from avwap.execution.broker import OrderRequest, OrderSide, OrderType, TimeInForce
from avwap.execution.broker_view import AlpacaBrokerView, BrokerView, ReadOnlyViolationError
from avwap.execution.reconcile import reconcile
from avwap.execution.reconcile_inputs import capture_snapshot
from avwap.execution.reconcile_schema import IncompleteCode, LedgerExpectation, SnapshotFailure

SINCE = DEFAULT_NOW - dt.timedelta(hours=1)
WRITE_METHODS = ("submit_order", "replace_order", "cancel_order", "get_order", "post", "patch", "delete")


def _request(
    symbol: str, side: OrderSide, kind: OrderType, quantity: int, key: str, **prices: D
) -> OrderRequest:
    return OrderRequest(
        symbol=symbol,
        side=side,
        order_type=kind,
        quantity=quantity,
        client_order_id=key,
        time_in_force=TimeInForce.GTC,
        **prices,
    )


@pytest.fixture
def account(alpaca_server: FakeAlpaca) -> Iterator[FakeAlpaca]:
    """Holds 10 AAPL (bought at 100.25) with a working stop at 95, and an open MSFT limit buy; filled
    through the trading adapter, after which the request log is cleared."""
    fake = alpaca_server
    fake.set_price("AAPL", "100.25")
    fake.set_price("MSFT", "300")
    with AlpacaBroker(adapter_settings(fake)) as trader:
        trader.submit_order(_request("AAPL", OrderSide.BUY, OrderType.MARKET, 10, "entry-aapl"))
        fake.fill_order("entry-aapl", 4, "100.00")
        fake.fill_order("entry-aapl", 6, "100.4166")
        stop_price = {"stop_price": D("95.00")}
        trader.submit_order(_request("AAPL", OrderSide.SELL, OrderType.STOP, 10, "stop-aapl", **stop_price))
        limit = {"limit_price": D("290.50")}
        trader.submit_order(_request("MSFT", OrderSide.BUY, OrderType.LIMIT, 5, "entry-msft", **limit))
    with fake._lock:
        fake.requests.clear()
    yield fake


@pytest.fixture
def view(account: FakeAlpaca) -> Iterator[AlpacaBrokerView]:
    with AlpacaBrokerView(adapter_settings(account)) as opened:
        yield opened


def _read_everything(view: AlpacaBrokerView) -> None:
    view.account()
    view.positions()
    view.open_orders()
    view.fills(SINCE)
    view.fills(None)


def test_the_view_only_ever_sends_get(account: FakeAlpaca, view: AlpacaBrokerView) -> None:
    _read_everything(view)
    assert account.request_methods() == {"GET"}
    paths = {path for _, path in account.requests}
    assert {"/v2/account", "/v2/positions", "/v2/orders", "/v2/account/activities/FILL"} <= paths


def _reachable(root: object) -> Iterator[object]:
    """Every object reachable from ``root`` through instance attributes and containers."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, str | bytes | int | float | type):
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif hasattr(item, "__dict__") and item.__class__.__module__.split(".")[0] in (
            "avwap",
            "requests",
            "alpaca",
        ):
            stack.extend(vars(item).values())


def test_the_view_has_no_write_operation_and_cannot_be_made_to_send_one(
    account: FakeAlpaca, view: AlpacaBrokerView
) -> None:
    assert isinstance(view, BrokerView)
    assert not [name for name in WRITE_METHODS if hasattr(view, name)]
    reachable = list(_reachable(view))
    holders = [type(item).__name__ for item in reachable if hasattr(item, "submit_order")]
    assert holders == []  # no TradingClient (nor anything else that can submit) behind the view
    sessions = [item for item in reachable if isinstance(item, requests.Session)]
    assert sessions, "the view's HTTP session should be reachable for this test to mean something"
    for session in sessions:  # even reached directly, the transport refuses every non-GET request
        for method in ("POST", "PATCH", "DELETE", "PUT"):
            with pytest.raises(ReadOnlyViolationError, match=method):
                session.request(method, f"{account.url}/v2/orders", json={"symbol": "AAPL"})
    assert account.requests == []  # nothing reached the server
    assert not any(isinstance(item, AlpacaBroker) for item in gc.get_referents(view))


def test_the_view_reads_what_the_trading_adapter_reads(account: FakeAlpaca, view: AlpacaBrokerView) -> None:
    with AlpacaBroker(adapter_settings(account)) as trader:
        assert view.account() == trader.account()
        assert view.positions() == trader.positions()
        assert view.open_orders() == trader.open_orders()
        assert view.fills(SINCE) == trader.fills(SINCE)


def test_the_view_maps_account_positions_stops_and_fills(view: AlpacaBrokerView) -> None:
    money = view.account()
    cost = D("400.00") + D("602.4996")
    assert (money.cash, money.equity, money.currency) == (
        D(100000) - cost,
        D(100000) - cost + 10 * D("100.4166"),
        "USD",
    )
    assert money.buying_power == money.cash - 5 * D("290.50")  # the open limit buy reserves its cost
    ((symbol, quantity, average),) = [(p.symbol, p.quantity, p.average_entry_price) for p in view.positions()]
    assert (symbol, quantity) == ("AAPL", 10) and average.quantize(D("0.0001")) == D("100.2500")
    orders = {order.client_order_id: order for order in view.open_orders()}
    assert set(orders) == {"stop-aapl", "entry-msft"}
    stop = orders["stop-aapl"]
    assert (stop.side, stop.order_type, stop.quantity, stop.stop_price) == (
        OrderSide.SELL,
        OrderType.STOP,
        10,
        D("95.00"),
    )
    assert orders["entry-msft"].limit_price == D("290.50")
    fills = view.fills(SINCE)
    assert [(fill.client_order_id, fill.quantity, fill.price) for fill in fills] == [
        ("entry-aapl", 4, D("100.00")),
        ("entry-aapl", 6, D("100.4166")),
    ]
    assert view.fills(DEFAULT_NOW + dt.timedelta(seconds=1)) == []


def test_a_fill_of_an_order_no_longer_open_is_resolved_by_a_get(
    account: FakeAlpaca, view: AlpacaBrokerView
) -> None:
    (fill, _) = view.fills(None)  # entry-aapl is filled: not in the open list, looked up by its id
    assert fill.client_order_id == "entry-aapl"
    assert ("GET", f"/v2/orders/{fill.broker_order_id}") in account.requests
    assert account.request_methods() == {"GET"}


def test_rate_limited_reads_are_retried(account: FakeAlpaca, view: AlpacaBrokerView) -> None:
    account.queue_fault("GET /v2/positions", Fault.rate_limited())
    assert [position.symbol for position in view.positions()] == ["AAPL"]
    assert account.request_count("GET /v2/positions") == 2


UNAVAILABLE = (BrokerUnavailableError, IncompleteCode.BROKER_UNAVAILABLE)
REJECTED = (BrokerRejectedError, IncompleteCode.BROKER_REJECTED)


def _empty_expectation() -> LedgerExpectation:
    return LedgerExpectation(book_id="ALPACA_PAPER", date_ny=DEFAULT_NOW.date(), cash=None, fills_since=SINCE)


@pytest.mark.parametrize(
    ("route", "fault", "error", "code"),
    [
        ("GET /v2/account", Fault.server_error(), *UNAVAILABLE),
        ("GET /v2/orders", Fault.slow_after_processing(1.0), *UNAVAILABLE),  # past the 0.3 s timeout
        (
            "GET /v2/account/activities/FILL",
            Fault(403, {"code": 40310000, "message": "forbidden"}),
            *REJECTED,
        ),
        ("GET /v2/positions", Fault(200, {"not": "a list"}), *UNAVAILABLE),
    ],
)
def test_broker_faults_make_the_report_incomplete_never_a_crash(
    account: FakeAlpaca, route: str, fault: Fault, error: type[Exception], code: IncompleteCode
) -> None:
    settings = adapter_settings(account, timeout_seconds=0.3, retry_attempts=0)
    with AlpacaBrokerView(settings) as view:
        account.queue_fault(route, fault)
        with pytest.raises(error):
            _read_everything(view)
        account.queue_fault(route, fault)
        taken = capture_snapshot(
            view, book_id="ALPACA_PAPER", clock=FixedClock(DEFAULT_NOW), fills_since=SINCE
        )
    assert isinstance(taken, SnapshotFailure) and taken.code == code
    report = reconcile(_empty_expectation(), taken)
    assert not report.complete and report.incomplete_code == code and report.items == ()
    assert account.request_methods() == {"GET"}


def test_wrong_keys_are_a_rejection(account: FakeAlpaca) -> None:
    settings: dict[str, Any] = {"api_key": "wrong"}
    with (
        AlpacaBrokerView(adapter_settings(account, **settings)) as view,
        pytest.raises(BrokerRejectedError) as raised,
    ):
        view.account()
    assert raised.value.status == 401
