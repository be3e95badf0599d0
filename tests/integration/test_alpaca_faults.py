"""Alpaca adapter under injected faults: the real alpaca-py client against the fake server on 127.0.0.1.

The property under test is the operator's: whatever the network does, one client_order_id is at most one
order on the server, and an unknown outcome is resolved by looking the order up, never by re-sending.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from tests.fakes.alpaca_server import (
    FakeAlpaca,
    Fault,
    adapter_settings,
    alpaca_server_fixture,  # noqa: F401 - registers the ``alpaca_server`` fixture
)

from avwap.core.errors import BrokerRejectedError, BrokerUnavailableError
from avwap.execution.alpaca_broker import AlpacaBroker
from avwap.execution.broker import (
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    RejectCode,
    replace_idempotent,
    submit_idempotent,
)

pytestmark = pytest.mark.integration

POST = "POST /v2/orders"
LOOKUP = "GET /v2/orders:by_client_order_id"
PATCH = "PATCH /v2/orders/{id}"
ENTRY = OrderRequest(
    symbol="AAPL", side=OrderSide.BUY, order_type=OrderType.LIMIT, quantity=10, client_order_id="avw-entry-1",
    limit_price=Decimal("100.25"),
)  # fmt: skip


@pytest.fixture
def market(alpaca_server: FakeAlpaca) -> FakeAlpaca:
    alpaca_server.set_price("AAPL", Decimal("100"))
    return alpaca_server


@pytest.fixture
def make_broker(market: FakeAlpaca) -> Iterator[Any]:
    brokers: list[AlpacaBroker] = []

    def build(**overrides: Any) -> AlpacaBroker:
        brokers.append(AlpacaBroker(adapter_settings(market, **overrides)))
        return brokers[-1]

    yield build
    for broker in brokers:
        broker.close()


def test_504_after_processing_then_422_leaves_one_order_and_is_resolved_by_lookup(
    market: FakeAlpaca, make_broker: Any
) -> None:
    market.queue_fault(POST, Fault.gateway_timeout_after_processing())
    placed = submit_idempotent(make_broker(), ENTRY)
    (on_server,) = market.orders_for(ENTRY.client_order_id)
    assert placed.broker_order_id == on_server.id
    assert (market.request_count(POST), market.request_count(LOOKUP)) == (2, 1)  # SDK retry, then our lookup


def test_504_then_422_surfaces_as_a_duplicate_without_the_helper(
    market: FakeAlpaca, make_broker: Any
) -> None:
    market.queue_fault(POST, Fault.gateway_timeout_after_processing())
    with pytest.raises(BrokerRejectedError) as refused:
        make_broker().submit_order(ENTRY)
    assert (refused.value.status, refused.value.code) == (422, RejectCode.DUPLICATE_CLIENT_ORDER_ID)
    assert len(market.orders_for(ENTRY.client_order_id)) == 1


def test_timeout_after_acceptance_is_looked_up_not_resent(market: FakeAlpaca, make_broker: Any) -> None:
    broker = make_broker(timeout_seconds=0.2)
    market.queue_fault(POST, Fault.slow_after_processing(0.5))
    with pytest.raises(BrokerUnavailableError):
        broker.submit_order(ENTRY)
    market.queue_fault(POST, Fault.slow_after_processing(0.5))
    placed = submit_idempotent(broker, msgspec.structs.replace(ENTRY, client_order_id="avw-entry-2"))
    assert placed.client_order_id == "avw-entry-2" and placed.is_open
    assert market.request_count(POST) == 2  # one per submission: a timeout is never re-sent
    assert market.request_count(LOOKUP) == 1
    assert [len(market.orders_for(name)) for name in ("avw-entry-1", "avw-entry-2")] == [1, 1]


def test_rate_limit_is_retried_by_the_sdk(market: FakeAlpaca, make_broker: Any) -> None:
    market.queue_fault(POST, Fault.rate_limited(retry_after=0), Fault.rate_limited(retry_after=0))
    placed = make_broker().submit_order(ENTRY)
    assert placed.status is OrderStatus.NEW
    assert market.request_count(POST) == 3 and len(market.orders_for(ENTRY.client_order_id)) == 1


def test_exhausted_rate_limit_is_unavailable_and_creates_nothing(
    market: FakeAlpaca, make_broker: Any
) -> None:
    broker = make_broker(retry_attempts=2)
    market.queue_fault(POST, *[Fault.rate_limited()] * 3)
    with pytest.raises(BrokerUnavailableError):
        submit_idempotent(broker, ENTRY)
    assert (market.request_count(POST), market.request_count(LOOKUP)) == (3, 1)
    assert market.orders_for(ENTRY.client_order_id) == []


def test_server_error_after_processing_is_resolved_by_lookup(market: FakeAlpaca, make_broker: Any) -> None:
    market.queue_fault(POST, Fault.server_error(process_first=True))
    placed = submit_idempotent(make_broker(), ENTRY)
    assert placed.client_order_id == ENTRY.client_order_id
    assert market.request_count(POST) == 1  # 500 is not in the SDK's retry codes


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (Fault.insufficient_buying_power(), 403, RejectCode.INSUFFICIENT_BUYING_POWER),
        (Fault.sub_penny(), 422, RejectCode.SUB_PENNY_PRICE),
    ],
    ids=["403-buying-power", "422-sub-penny"],
)
def test_scripted_refusals_map_once_and_are_not_looked_up(
    market: FakeAlpaca, make_broker: Any, fault: Fault, status: int, code: RejectCode
) -> None:
    market.queue_fault(POST, fault)
    with pytest.raises(BrokerRejectedError) as refused:
        submit_idempotent(make_broker(), ENTRY)
    assert (refused.value.status, refused.value.code) == (status, code)
    assert (market.request_count(POST), market.request_count(LOOKUP)) == (1, 0)


def test_order_rejected_after_acceptance_is_reported_rejected(market: FakeAlpaca, make_broker: Any) -> None:
    broker = make_broker()
    market.queue_fault(POST, Fault.rejected_after_acceptance())
    accepted = broker.submit_order(ENTRY)
    assert accepted.status is OrderStatus.ACCEPTED and accepted.is_open
    later = broker.get_order(ENTRY.client_order_id)
    assert later is not None
    assert (later.status, later.broker_status, later.is_open) == (OrderStatus.REJECTED, "rejected", False)
    assert broker.open_orders() == []


def test_replace_answered_504_after_processing_resolves_to_the_one_replacement(
    market: FakeAlpaca, make_broker: Any
) -> None:
    broker = make_broker()
    broker.submit_order(ENTRY)
    market.fill_order(ENTRY.client_order_id, 10, "100.25")
    stop = msgspec.structs.replace(
        ENTRY, side=OrderSide.SELL, order_type=OrderType.STOP, client_order_id="avw-stop", limit_price=None,
        stop_price=Decimal("95"),
    )  # fmt: skip
    broker.submit_order(stop)
    market.queue_fault(PATCH, Fault.gateway_timeout_after_processing())
    new = replace_idempotent(broker, "avw-stop", "avw-stop-r1", stop_price=Decimal("96"))
    assert (new.client_order_id, new.stop_price) == ("avw-stop-r1", Decimal(96))
    assert market.request_count(PATCH) == 2  # the SDK re-sent the PATCH; the second found the order replaced
    assert len(market.orders_for("avw-stop-r1")) == 1
    assert [order.client_order_id for order in broker.open_orders()] == ["avw-stop-r1"]


def test_fills_page_through_activities_and_resolve_client_ids(market: FakeAlpaca, make_broker: Any) -> None:
    broker = make_broker()
    broker.submit_order(ENTRY)
    for _ in range(5):
        market.fill_order(ENTRY.client_order_id, 2, "100.25")
    reader = make_broker(fills_page_size=2)  # a fresh adapter: no cached order ids
    fills = reader.fills(None)
    assert [(fill.quantity, fill.client_order_id) for fill in fills] == [(2, ENTRY.client_order_id)] * 5
    assert market.request_count("GET /v2/account/activities/FILL") == 3  # pages of 2, 2, 1
    assert market.request_count("GET /v2/orders/{id}") == 1  # the order id is resolved once, then cached


def test_unreachable_server_is_unavailable(make_broker: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    broker = make_broker(url_override=f"http://127.0.0.1:{port}")
    with pytest.raises(BrokerUnavailableError, match="unreachable"):
        broker.account()


def test_wrong_keys_are_a_refusal(make_broker: Any) -> None:
    with pytest.raises(BrokerRejectedError) as refused:
        make_broker(api_key="wrong").account()
    assert (refused.value.status, refused.value.code) == (401, "HTTP_401")
