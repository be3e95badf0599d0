"""The broker contract: every adapter (simulator, Alpaca via the fake server) must pass these same tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from avwap.core.errors import BrokerRejectedError
from avwap.execution.broker import (
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    RejectCode,
    TimeInForce,
    replace_idempotent,
    submit_idempotent,
)

if TYPE_CHECKING:
    from tests.contract.conftest import BrokerHarness

AAPL = "AAPL"


def order(
    client_order_id: str,
    *,
    side: OrderSide = OrderSide.BUY,
    order_type: OrderType = OrderType.MARKET,
    quantity: int = 10,
    limit: str | None = None,
    stop: str | None = None,
    symbol: str = AAPL,
) -> OrderRequest:
    return OrderRequest(
        symbol=symbol,
        side=side,
        order_type=order_type,
        quantity=quantity,
        client_order_id=client_order_id,
        time_in_force=TimeInForce.DAY if order_type is OrderType.MARKET else TimeInForce.GTC,
        limit_price=None if limit is None else Decimal(limit),
        stop_price=None if stop is None else Decimal(stop),
    )


def hold_shares(harness: BrokerHarness, quantity: int = 10, price: str = "100") -> None:
    """Buy and fully fill ``quantity`` AAPL at ``price`` (the setup for sell orders)."""
    harness.set_price(AAPL, Decimal(price))
    harness.broker.submit_order(order("entry", quantity=quantity))
    harness.fill("entry", quantity, Decimal(price))


@pytest.mark.parametrize(
    ("request_", "limit", "stop"),
    [
        (order("m-1"), None, None),
        (order("l-1", order_type=OrderType.LIMIT, limit="99.50"), Decimal("99.5"), None),
        (
            order("sl-1", order_type=OrderType.STOP_LIMIT, limit="101.10", stop="101"),
            Decimal("101.1"),
            Decimal(101),
        ),
    ],
    ids=["market", "limit", "stop-limit"],
)
def test_submitted_buy_is_working_and_echoes_the_request(
    harness: BrokerHarness, request_: OrderRequest, limit: Decimal | None, stop: Decimal | None
) -> None:
    harness.set_price(AAPL, Decimal("100"))
    placed = harness.broker.submit_order(request_)
    assert (placed.client_order_id, placed.symbol, placed.side, placed.order_type) == (
        request_.client_order_id,
        AAPL,
        OrderSide.BUY,
        request_.order_type,
    )
    assert (placed.quantity, placed.filled_quantity, placed.average_fill_price) == (10, 0, None)
    assert (placed.limit_price, placed.stop_price, placed.time_in_force) == (
        limit,
        stop,
        request_.time_in_force,
    )
    assert placed.status in {OrderStatus.NEW, OrderStatus.ACCEPTED} and placed.is_open
    assert placed.submitted_at.utcoffset() == dt.timedelta(0)
    found = harness.broker.get_order(request_.client_order_id)
    assert found is not None and found.broker_order_id == placed.broker_order_id
    assert [item.client_order_id for item in harness.broker.open_orders()] == [request_.client_order_id]


def test_stop_sell_protects_a_held_position(harness: BrokerHarness) -> None:
    hold_shares(harness)
    stop = harness.broker.submit_order(
        order("stop", side=OrderSide.SELL, order_type=OrderType.STOP, stop="95")
    )
    assert (stop.side, stop.order_type, stop.stop_price, stop.quantity) == (
        OrderSide.SELL,
        OrderType.STOP,
        Decimal(95),
        10,
    )
    assert stop.is_open


def test_get_order_returns_none_for_an_unknown_client_order_id(harness: BrokerHarness) -> None:
    assert harness.broker.get_order("never-sent") is None


def test_resubmitting_a_client_order_id_never_creates_a_second_order(harness: BrokerHarness) -> None:
    harness.set_price(AAPL, Decimal("100"))
    request = order("entry-1", order_type=OrderType.LIMIT, limit="99")
    first = harness.broker.submit_order(request)
    with pytest.raises(BrokerRejectedError) as refused:
        harness.broker.submit_order(request)
    assert (refused.value.status, refused.value.code) == (422, RejectCode.DUPLICATE_CLIENT_ORDER_ID)
    again = submit_idempotent(harness.broker, request)
    assert again.broker_order_id == first.broker_order_id
    assert [item.broker_order_id for item in harness.broker.open_orders()] == [first.broker_order_id]


def test_a_reused_client_order_id_with_other_terms_is_a_conflict(harness: BrokerHarness) -> None:
    harness.set_price(AAPL, Decimal("100"))
    harness.broker.submit_order(order("entry-1", order_type=OrderType.LIMIT, limit="99"))
    with pytest.raises(BrokerRejectedError) as refused:
        submit_idempotent(harness.broker, order("entry-1", order_type=OrderType.LIMIT, limit="98"))
    assert refused.value.code == RejectCode.CLIENT_ORDER_ID_CONFLICT
    assert len(harness.broker.open_orders()) == 1


def test_replacing_a_stop_creates_a_new_order_and_reports_the_old_one_replaced(
    harness: BrokerHarness,
) -> None:
    hold_shares(harness)
    old = harness.broker.submit_order(
        order("stop-r0", side=OrderSide.SELL, order_type=OrderType.STOP, stop="95")
    )
    new = harness.broker.replace_order("stop-r0", "stop-r1", stop_price=Decimal("97.50"))
    assert (new.client_order_id, new.stop_price, new.quantity, new.replaces) == (
        "stop-r1",
        Decimal("97.5"),
        10,
        old.broker_order_id,
    )
    assert new.is_open and new.broker_order_id != old.broker_order_id
    previous = harness.broker.get_order("stop-r0")
    assert previous is not None
    assert (previous.status, previous.replaced_by) == (OrderStatus.REPLACED, new.broker_order_id)
    assert [item.client_order_id for item in harness.broker.open_orders()] == ["stop-r1"]
    with pytest.raises(BrokerRejectedError) as refused:
        harness.broker.replace_order("stop-r0", "stop-r2", stop_price=Decimal(98))
    assert refused.value.code == RejectCode.ORDER_NOT_OPEN
    # A replacement id already taken by an unrelated order is a conflict, and the stop keeps working.
    harness.broker.submit_order(order("bid", order_type=OrderType.LIMIT, limit="50", quantity=1))
    with pytest.raises(BrokerRejectedError) as conflict:
        replace_idempotent(harness.broker, "stop-r1", "bid", stop_price=Decimal(98))
    assert conflict.value.code == RejectCode.CLIENT_ORDER_ID_CONFLICT
    assert [item.client_order_id for item in harness.broker.open_orders()] == ["bid", "stop-r1"]  # by id
    # The same replace re-sent (e.g. after an unknown outcome) resolves to the replacement already made.
    assert replace_idempotent(harness.broker, "stop-r0", "stop-r1", stop_price=Decimal("97.50")) == (
        harness.broker.get_order("stop-r1")
    )


def test_replacing_or_cancelling_an_unknown_order_is_not_found(harness: BrokerHarness) -> None:
    for action in (
        lambda: harness.broker.replace_order("ghost", "ghost-r1", stop_price=Decimal(1)),
        lambda: harness.broker.cancel_order("ghost"),
    ):
        with pytest.raises(BrokerRejectedError) as refused:
            action()
        assert (refused.value.status, refused.value.code) == (404, RejectCode.ORDER_NOT_FOUND)


def test_cancel_ends_an_order_once(harness: BrokerHarness) -> None:
    harness.set_price(AAPL, Decimal("100"))
    harness.broker.submit_order(order("keep", order_type=OrderType.LIMIT, limit="90"))
    harness.broker.submit_order(order("drop", order_type=OrderType.LIMIT, limit="91"))
    canceled = harness.broker.cancel_order("drop")
    assert canceled.status is OrderStatus.CANCELED and not canceled.is_open
    assert [item.client_order_id for item in harness.broker.open_orders()] == ["keep"]
    with pytest.raises(BrokerRejectedError) as refused:
        harness.broker.cancel_order("drop")
    assert (refused.value.status, refused.value.code) == (422, RejectCode.ORDER_NOT_OPEN)


def test_open_orders_reserve_buying_power(harness: BrokerHarness) -> None:
    harness.set_price(AAPL, Decimal("100"))
    harness.broker.submit_order(order("bid", order_type=OrderType.LIMIT, limit="50", quantity=100))
    account = harness.broker.account()
    assert (account.cash, account.buying_power, account.equity) == (
        Decimal(100000),
        Decimal(95000),
        Decimal(100000),
    )
    with pytest.raises(BrokerRejectedError) as refused:
        harness.broker.submit_order(order("too-much", order_type=OrderType.LIMIT, limit="100", quantity=951))
    assert (refused.value.status, refused.value.code) == (403, RejectCode.INSUFFICIENT_BUYING_POWER)


def test_positions_and_account_follow_a_fill_and_the_mark(harness: BrokerHarness) -> None:
    before = harness.broker.account()
    assert (before.cash, before.equity, before.status, before.currency) == (
        Decimal(100000),
        Decimal(100000),
        "ACTIVE",
        "USD",
    )
    assert harness.broker.positions() == []
    hold_shares(harness, quantity=10, price="100")
    (position,) = harness.broker.positions()
    assert (position.symbol, position.quantity, position.average_entry_price, position.cost_basis) == (
        AAPL,
        10,
        Decimal(100),
        Decimal(1000),
    )
    after = harness.broker.account()
    assert (after.cash, after.equity, after.buying_power) == (Decimal(99000), Decimal(100000), Decimal(99000))
    harness.set_price(AAPL, Decimal("110"))
    (marked,) = harness.broker.positions()
    assert (marked.market_value, marked.current_price) == (Decimal(1100), Decimal(110))
    assert harness.broker.account().equity == Decimal(100100)


def test_partial_fill_then_completion(harness: BrokerHarness) -> None:
    harness.set_price(AAPL, Decimal("100"))
    placed = harness.broker.submit_order(order("entry"))
    harness.fill("entry", 4, Decimal("100"))
    partial = harness.broker.get_order("entry")
    assert partial is not None
    assert (partial.status, partial.filled_quantity, partial.remaining_quantity) == (
        OrderStatus.PARTIALLY_FILLED,
        4,
        6,
    )
    assert partial.average_fill_price == Decimal(100) and partial.is_open
    assert [item.client_order_id for item in harness.broker.open_orders()] == ["entry"]
    harness.fill("entry", 6, Decimal("101"))
    done = harness.broker.get_order("entry")
    assert done is not None
    assert (done.status, done.filled_quantity, done.average_fill_price) == (
        OrderStatus.FILLED,
        10,
        Decimal("100.6"),
    )
    assert harness.broker.open_orders() == []
    fills = harness.broker.fills(None)
    assert [(fill.quantity, fill.price) for fill in fills] == [(4, Decimal(100)), (6, Decimal(101))]
    assert {(fill.client_order_id, fill.broker_order_id, fill.symbol, fill.side) for fill in fills} == {
        ("entry", placed.broker_order_id, AAPL, OrderSide.BUY)
    }
    assert len({fill.fill_id for fill in fills}) == 2
    assert [fill.quantity for fill in harness.broker.fills(fills[1].timestamp)] == [6]
    (position,) = harness.broker.positions()
    assert (position.quantity, position.average_entry_price) == (10, Decimal("100.6"))


@pytest.mark.parametrize(
    ("request_", "status", "code"),
    [
        (order("big", quantity=1001), 403, RejectCode.INSUFFICIENT_BUYING_POWER),
        (order("penny", order_type=OrderType.LIMIT, limit="99.995"), 422, RejectCode.SUB_PENNY_PRICE),
        (order("short", side=OrderSide.SELL), 403, RejectCode.INSUFFICIENT_QUANTITY),
        (order("zero", quantity=0), 422, RejectCode.INVALID_QUANTITY),
        (order("ghost", symbol="ZZZZ"), 422, RejectCode.UNKNOWN_SYMBOL),
    ],
    ids=["buying-power", "sub-penny", "no-shorting", "zero-quantity", "unknown-symbol"],
)
def test_refusals_map_to_stable_status_and_code(
    harness: BrokerHarness, request_: OrderRequest, status: int, code: RejectCode
) -> None:
    harness.set_price(AAPL, Decimal("100"))
    with pytest.raises(BrokerRejectedError) as refused:
        harness.broker.submit_order(request_)
    assert (refused.value.status, refused.value.code) == (status, code)
    assert harness.broker.get_order(request_.client_order_id) is None


def test_clock_reports_the_session(harness: BrokerHarness) -> None:
    clock = harness.broker.clock()
    assert clock.is_open
    assert clock.next_close == dt.datetime(2026, 4, 1, 20, 0, tzinfo=dt.UTC)
    assert clock.next_open == dt.datetime(2026, 4, 2, 13, 30, tzinfo=dt.UTC)
    assert dt.datetime(2026, 4, 1, 14, 0, tzinfo=dt.UTC) <= clock.timestamp < clock.next_close
