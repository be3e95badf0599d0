"""The Alpaca boundary's translation tables: errors, statuses and requests (no server needed for most)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
import requests
from tests.fakes.alpaca_server import (
    FakeAlpaca,
    FakeOrder,
    adapter_settings,
    alpaca_server_fixture,  # noqa: F401 - registers the ``alpaca_server`` fixture
)

from avwap.core.config import Config
from avwap.core.errors import BrokerError, BrokerRejectedError, BrokerUnavailableError, ConfigurationError
from avwap.execution import alpaca_broker as boundary
from avwap.execution.alpaca_broker import (
    AlpacaBroker,
    AlpacaSettings,
    classify_rejection,
    map_alpaca_error,
    to_alpaca_request,
    to_broker_order,
)
from avwap.execution.broker import OrderRequest, OrderSide, OrderStatus, OrderType, RejectCode, TimeInForce

# alpaca-py's classes come through our boundary module, which imports them with its deprecation filter.
APIError = boundary.APIError
Order = boundary.alpaca_models.Order
GetCalendarRequest = boundary.alpaca_requests.GetCalendarRequest
NOW = dt.datetime(2026, 4, 1, 14, 0, tzinfo=dt.UTC)


def api_error(status: int, body: str) -> APIError:
    response = requests.Response()
    response.status_code = status
    return APIError(body, requests.HTTPError(response=response))


def alpaca_order(**changes: Any) -> Order:
    fake = FakeOrder("00000001-0000-0000-0000-000000000001", "c-1", "AAPL", "buy", "limit", "gtc", 10,
                     Decimal("100.25"), None, NOW)  # fmt: skip
    return Order(**{**fake.to_json(), **changes})


@pytest.mark.parametrize(
    ("status", "message", "code"),
    [
        (422, "client_order_id must be unique", RejectCode.DUPLICATE_CLIENT_ORDER_ID),
        (403, "insufficient buying power", RejectCode.INSUFFICIENT_BUYING_POWER),
        (
            403,
            "insufficient qty available for order (requested: 5, available: 0)",
            RejectCode.INSUFFICIENT_QUANTITY,
        ),
        (422, "invalid limit_price 1.005. sub-penny increment does not fulfill", RejectCode.SUB_PENNY_PRICE),
        (422, 'asset "ZZZZ" not found', RejectCode.UNKNOWN_SYMBOL),
        (422, "qty must be > 0", RejectCode.INVALID_QUANTITY),
        (422, 'order is not cancelable: already in "filled" state', RejectCode.ORDER_NOT_OPEN),
        (404, "order not found", RejectCode.ORDER_NOT_FOUND),
        (401, "request is not authorized", "HTTP_401"),
    ],
)
def test_refusal_messages_classify_to_stable_codes(status: int, message: str, code: str) -> None:
    assert classify_rejection(status, message) == code


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (api_error(504, '{"code": 50400000, "message": "gateway timeout"}'), BrokerUnavailableError),
        (api_error(429, '{"code": 42910000, "message": "rate limit exceeded"}'), BrokerUnavailableError),
        (api_error(500, "<html>oops</html>"), BrokerUnavailableError),
        (api_error(408, ""), BrokerUnavailableError),
        (api_error(403, '{"code": 40310000, "message": "insufficient buying power"}'), BrokerRejectedError),
        (api_error(422, "not json at all"), BrokerRejectedError),
        (requests.ConnectTimeout("connect"), BrokerUnavailableError),
        (requests.ReadTimeout("read"), BrokerUnavailableError),
        (requests.ConnectionError("refused"), BrokerUnavailableError),
    ],
)
def test_errors_map_once_to_our_tree(error: Exception, expected: type[BrokerError]) -> None:
    mapped = map_alpaca_error(error)
    assert type(mapped) is expected


def test_rejection_keeps_status_code_and_alpaca_code_in_the_message() -> None:
    mapped = map_alpaca_error(
        api_error(403, json.dumps({"code": 40310000, "message": "insufficient buying power"}))
    )
    assert isinstance(mapped, BrokerRejectedError)
    assert (mapped.status, mapped.code) == (403, RejectCode.INSUFFICIENT_BUYING_POWER)
    assert "40310000" in str(mapped)


def test_errors_outside_the_boundary_are_not_swallowed() -> None:
    with pytest.raises(TypeError):
        map_alpaca_error(KeyError("bug"))


@pytest.mark.parametrize(
    ("alpaca_status", "filled", "expected"),
    [
        ("new", "0", OrderStatus.NEW),
        ("accepted", "0", OrderStatus.ACCEPTED),
        ("pending_new", "0", OrderStatus.ACCEPTED),
        ("held", "0", OrderStatus.ACCEPTED),
        ("pending_cancel", "0", OrderStatus.ACCEPTED),
        ("pending_replace", "3", OrderStatus.PARTIALLY_FILLED),
        ("done_for_day", "3", OrderStatus.PARTIALLY_FILLED),
        ("calculated", "10", OrderStatus.FILLED),
        ("partially_filled", "3", OrderStatus.PARTIALLY_FILLED),
        ("filled", "10", OrderStatus.FILLED),
        ("canceled", "0", OrderStatus.CANCELED),
        ("expired", "2", OrderStatus.EXPIRED),
        ("replaced", "0", OrderStatus.REPLACED),
        ("rejected", "0", OrderStatus.REJECTED),
    ],
)
def test_alpaca_statuses_map_conservatively(alpaca_status: str, filled: str, expected: OrderStatus) -> None:
    order = to_broker_order(alpaca_order(status=alpaca_status, filled_qty=filled, filled_avg_price="100.25"))
    assert (order.status, order.broker_status, order.filled_quantity) == (
        expected,
        alpaca_status,
        int(filled),
    )


def test_order_fields_translate_to_decimals_and_utc() -> None:
    order = to_broker_order(alpaca_order(submitted_at="2026-04-01T10:00:00.5-04:00", stop_price="99.1"))
    assert order.submitted_at == dt.datetime(2026, 4, 1, 14, 0, 0, 500000, tzinfo=dt.UTC)
    assert (order.limit_price, order.stop_price, order.average_fill_price) == (
        Decimal("100.25"),
        Decimal("99.1"),
        None,
    )
    assert (order.side, order.order_type, order.time_in_force) == (
        OrderSide.BUY,
        OrderType.LIMIT,
        TimeInForce.GTC,
    )


def test_fractional_quantities_fail_closed() -> None:
    with pytest.raises(BrokerError, match="fractional"):
        to_broker_order(alpaca_order(qty="1.5"))


@pytest.mark.parametrize(
    ("order_type", "limit", "stop", "sdk_class"),
    [
        (OrderType.MARKET, None, None, "MarketOrderRequest"),
        (OrderType.LIMIT, "10.05", None, "LimitOrderRequest"),
        (OrderType.STOP, None, "9.95", "StopOrderRequest"),
        (OrderType.STOP_LIMIT, "9.90", "9.95", "StopLimitOrderRequest"),
    ],
)
def test_requests_translate_to_the_sdk_models(
    order_type: OrderType, limit: str | None, stop: str | None, sdk_class: str
) -> None:
    request = OrderRequest(
        symbol="AAPL", side=OrderSide.SELL, order_type=order_type, quantity=7, client_order_id="c-7",
        time_in_force=TimeInForce.GTC, limit_price=None if limit is None else Decimal(limit),
        stop_price=None if stop is None else Decimal(stop),
    )  # fmt: skip
    translated = to_alpaca_request(request)
    fields = translated.to_request_fields()
    assert type(translated).__name__ == sdk_class
    assert (fields["symbol"], fields["qty"], fields["side"], fields["time_in_force"]) == (
        "AAPL",
        7,
        "sell",
        "gtc",
    )
    assert fields["client_order_id"] == "c-7"
    assert [fields.get("limit_price"), fields.get("stop_price")] == [
        None if limit is None else float(limit),
        None if stop is None else float(stop),
    ]


@pytest.mark.integration
def test_fake_calendar_and_clock_parse_with_the_sdk_models(alpaca_server: FakeAlpaca) -> None:
    with AlpacaBroker(adapter_settings(alpaca_server)) as broker:
        days = broker._client.get_calendar(
            GetCalendarRequest(start=dt.date(2026, 11, 25), end=dt.date(2026, 11, 30))
        )
        clock = broker.clock()
    assert isinstance(days, list)
    closes = {day.date.isoformat(): day.close.strftime("%H:%M") for day in days}
    assert closes == {
        "2026-11-25": "16:00",
        "2026-11-27": "13:00",
        "2026-11-30": "16:00",
    }  # Thanksgiving, early close
    assert clock.timestamp == NOW and clock.is_open


def test_settings_come_from_the_one_config(config: Config) -> None:
    with pytest.raises(ConfigurationError, match="ALPACA_API_KEY"):
        AlpacaSettings.from_config(config, paper=True)
    filled = dataclasses.replace(config, alpaca_api_key="key", alpaca_secret_key="secret")
    settings = AlpacaSettings.from_config(filled, paper=False)
    assert (settings.api_key, settings.secret_key, settings.paper, settings.url_override) == (
        "key",
        "secret",
        False,
        None,
    )
    assert "secret" not in repr(settings) and "key=" not in repr(settings)
