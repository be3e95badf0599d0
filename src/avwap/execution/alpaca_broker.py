"""The broker protocol on alpaca-py's ``TradingClient`` (books ``ALPACA_PAPER`` and ``ALPACA_LIVE``).

The boundary: every SDK call goes through :meth:`AlpacaBroker._call`, which maps alpaca-py's ``APIError``,
``requests`` exceptions and unparsable responses to our errors exactly once:

* HTTP 408, 429, 5xx, timeouts, connection errors, unparsable responses → ``BrokerUnavailableError``
  (the outcome is unknown: a POST may have been processed).
* other 4xx → ``BrokerRejectedError(status, code)``; ``code`` classifies Alpaca's message into
  :class:`~avwap.execution.broker.RejectCode` (``HTTP_<status>`` when unrecognised).

Two SDK behaviours matter for never duplicating an order:

* ``RESTClient`` re-sends ANY request that gets 429 or 504 (``_retry`` times, ``_retry_wait`` seconds apart).
  A POST answered 504 after the order was created is therefore sent twice; the second gets 422
  "client_order_id must be unique". :func:`~avwap.execution.broker.submit_idempotent` turns that into a
  lookup by client id. Attempts, wait and codes are configurable (:class:`AlpacaSettings`).
* ``requests`` has no default timeout; we mount an adapter that applies ``timeout_seconds`` to every call.
  The transport itself never retries (urllib3 ``max_retries=0``).

Prices go to the SDK as floats (its request models are float-typed; a 2- or 4-decimal price round-trips
exactly through ``repr``) and come back as strings that we read as ``Decimal``. FILL activities are read raw
(``/account/activities/FILL``) because the SDK's ``TradeActivity`` model holds prices as floats.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import pydantic
import requests

with warnings.catch_warnings():
    # alpaca.trading/__init__ imports its websocket stream, which imports the deprecated websockets.legacy;
    # we never stream, and the test runner turns warnings into errors.
    warnings.filterwarnings("ignore", message="websockets.legacy is deprecated", category=DeprecationWarning)
    from alpaca.common.enums import Sort
    from alpaca.common.exceptions import APIError
    from alpaca.trading import enums as alpaca_enums
    from alpaca.trading import models as alpaca_models
    from alpaca.trading import requests as alpaca_requests
    from alpaca.trading.client import TradingClient

from avwap.core.config import Config
from avwap.core.errors import BrokerError, BrokerRejectedError, BrokerUnavailableError, ConfigurationError
from avwap.core.http import mount_timeout
from avwap.execution.broker import (
    BrokerAccount,
    BrokerClock,
    BrokerFill,
    BrokerOrder,
    BrokerPosition,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    RejectCode,
    TimeInForce,
)

Result = TypeVar("Result")

UNAVAILABLE_STATUSES = frozenset({408, 429})

_STATUS_MAP = {
    "new": OrderStatus.NEW,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "replaced": OrderStatus.REPLACED,
    "rejected": OrderStatus.REJECTED,
}


def _working_status(filled: int, quantity: int) -> OrderStatus:
    """Statuses we do not map one to one (accepted, pending_new, pending_cancel, pending_replace, held,
    done_for_day, calculated, ...) describe an order that may still fill, unless every share has filled."""
    if filled and filled >= quantity:
        return OrderStatus.FILLED
    return OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.ACCEPTED


_MESSAGE_CODES = (
    ("client_order_id must be unique", RejectCode.DUPLICATE_CLIENT_ORDER_ID),
    ("insufficient buying power", RejectCode.INSUFFICIENT_BUYING_POWER),
    ("insufficient qty", RejectCode.INSUFFICIENT_QUANTITY),
    ("sub-penny", RejectCode.SUB_PENNY_PRICE),
    ("qty must be", RejectCode.INVALID_QUANTITY),
    ("not cancelable", RejectCode.ORDER_NOT_OPEN),
    ("not replaceable", RejectCode.ORDER_NOT_OPEN),
    ("already in", RejectCode.ORDER_NOT_OPEN),
)


@dataclass(frozen=True)
class AlpacaSettings:
    """Connection settings; the keys never appear in ``repr``. ``retry_attempts`` counts re-sends after the
    first attempt (the SDK's ``_retry``); ``url_override`` points the client elsewhere (tests, proxies)."""

    api_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    paper: bool = True
    url_override: str | None = None
    timeout_seconds: float = 10.0
    retry_attempts: int = 3
    retry_wait_seconds: float = 3.0
    retry_codes: tuple[int, ...] = (429, 504)
    fills_page_size: int = 100
    open_orders_limit: int = 500

    @classmethod
    def from_config(cls, config: Config, *, paper: bool) -> AlpacaSettings:
        """Settings from the one Config; missing keys are a :class:`ConfigurationError`."""
        for variable, value in (
            ("ALPACA_API_KEY", config.alpaca_api_key),
            ("ALPACA_SECRET_KEY", config.alpaca_secret_key),
        ):
            if not value:
                raise ConfigurationError(variable, "required for the Alpaca books")
        url = config.alpaca_trading_url or None
        return cls(config.alpaca_api_key, config.alpaca_secret_key, paper=paper, url_override=url)


def classify_rejection(status: int, message: str) -> str:
    """Our stable ``code`` for an Alpaca 4xx refusal."""
    text = message.lower()
    if "asset" in text and ("not found" in text or "could not find" in text):
        return RejectCode.UNKNOWN_SYMBOL
    for fragment, code in _MESSAGE_CODES:
        if fragment in text:
            return code
    return RejectCode.ORDER_NOT_FOUND if status == 404 else f"HTTP_{status}"


def map_alpaca_error(error: Exception) -> BrokerError:
    """Map an exception raised inside alpaca-py / requests to our error tree."""
    if isinstance(error, APIError):
        status = error.status_code
        try:
            body = json.loads(str(error))
            message, alpaca_code = str(body.get("message", error)), body.get("code")
        except (ValueError, AttributeError):
            message, alpaca_code = str(error)[:200], None
        if status is None or status in UNAVAILABLE_STATUSES or status >= 500:
            return BrokerUnavailableError(f"Alpaca HTTP {status} (outcome unknown): {message}")
        return BrokerRejectedError(
            f"Alpaca refused (HTTP {status}, code {alpaca_code}): {message}",
            status=status,
            code=classify_rejection(status, message),
        )
    if isinstance(error, requests.RequestException):
        return BrokerUnavailableError(
            f"Alpaca unreachable (outcome unknown): {type(error).__name__}: {error}"
        )
    if isinstance(error, pydantic.ValidationError):
        return BrokerUnavailableError(f"Alpaca response did not parse (outcome unknown): {error}")
    raise TypeError(f"not an Alpaca boundary error: {error!r}") from error


def _decimal(value: object, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise BrokerUnavailableError(f"Alpaca sent a non-numeric {name}: {value!r}") from None


def _optional_decimal(value: object, name: str) -> Decimal | None:
    return None if value is None or value == "" else _decimal(value, name)


def _shares(value: object, name: str) -> int:
    amount = _decimal(value, name)
    if amount != amount.to_integral_value():
        raise BrokerError(f"Alpaca reports a fractional {name} ({amount}); avwap trades whole shares only")
    return int(amount)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def to_broker_order(order: alpaca_models.Order) -> BrokerOrder:
    """Translate alpaca-py's ``Order`` into our record."""
    filled = _shares(order.filled_qty or 0, "filled_qty")
    raw_status = order.status.value
    status = _STATUS_MAP.get(raw_status)
    quantity = _shares(order.qty or 0, "qty")
    if status is None:
        status = _working_status(filled, quantity)
    order_type = order.type or order.order_type
    if order_type is None or order.side is None or order.symbol is None:
        raise BrokerError(f"Alpaca order {order.id} is a multi-leg order; avwap does not handle those")
    return BrokerOrder(
        broker_order_id=str(order.id),
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=OrderSide(order.side.value.upper()),
        order_type=OrderType(order_type.value.upper()),
        time_in_force=TimeInForce(order.time_in_force.value.upper()),
        quantity=quantity,
        status=status,
        broker_status=raw_status,
        filled_quantity=filled,
        average_fill_price=_optional_decimal(order.filled_avg_price, "filled_avg_price") if filled else None,
        limit_price=_optional_decimal(order.limit_price, "limit_price"),
        stop_price=_optional_decimal(order.stop_price, "stop_price"),
        submitted_at=_utc(order.submitted_at),
        updated_at=_utc(order.updated_at),
        replaced_by=None if order.replaced_by is None else str(order.replaced_by),
        replaces=None if order.replaces is None else str(order.replaces),
    )


def to_broker_account(raw: object) -> BrokerAccount:
    """Translate the answer of ``GET /v2/account`` (parsed as alpaca-py's ``TradeAccount``)."""
    if not isinstance(raw, alpaca_models.TradeAccount):
        raise BrokerUnavailableError("Alpaca returned no account")
    return BrokerAccount(
        equity=_decimal(raw.equity, "equity"),
        cash=_decimal(raw.cash, "cash"),
        buying_power=_decimal(raw.buying_power, "buying_power"),
        status=raw.status.value,
        currency=raw.currency or "USD",
    )


def to_broker_positions(raw: object) -> list[BrokerPosition]:
    """Translate the answer of ``GET /v2/positions``: non-zero positions, sorted by symbol."""
    if not isinstance(raw, list):
        raise BrokerUnavailableError("Alpaca returned no position list")
    result = []
    for item in raw:
        shares = _shares(item.qty, "position qty")
        sign = -1 if item.side == alpaca_enums.PositionSide.SHORT and shares > 0 else 1
        result.append(
            BrokerPosition(
                symbol=item.symbol,
                quantity=sign * shares,
                average_entry_price=_decimal(item.avg_entry_price, "avg_entry_price"),
                cost_basis=_decimal(item.cost_basis, "cost_basis"),
                market_value=_optional_decimal(item.market_value, "market_value"),
                current_price=_optional_decimal(item.current_price, "current_price"),
            )
        )
    return sorted((position for position in result if position.quantity), key=lambda item: item.symbol)


def open_orders_query(limit: int) -> alpaca_requests.GetOrdersRequest:
    """The query for every open order, oldest first, at most ``limit`` of them."""
    return alpaca_requests.GetOrdersRequest(
        status=alpaca_enums.QueryOrderStatus.OPEN, limit=limit, direction=Sort.ASC
    )


def checked_open_orders(raw: object, limit: int) -> list[alpaca_models.Order]:
    """The open-order list, refused when Alpaca may have cut it at ``limit``."""
    if not isinstance(raw, list):
        raise BrokerUnavailableError("Alpaca returned no order list")
    if len(raw) >= limit:
        # Fail closed: a truncated list would hide working orders from reconciliation and caps.
        raise BrokerUnavailableError(f"Alpaca reports {len(raw)}+ open orders; cannot list them all")
    return raw


def read_fill_activities(
    get: Callable[[str, dict[str, Any]], object], since: dt.datetime | None, page_size: int
) -> list[dict[str, Any]]:
    """Every FILL activity at or after ``since`` (a second early; filter exactly afterwards), page by page.

    ``get(path, query)`` performs one GET under the trading API's version prefix."""
    query: dict[str, Any] = {"direction": "asc", "page_size": page_size}
    if since is not None:
        # Alpaca's ``after`` is exclusive; step back a second and filter exactly afterwards.
        query["after"] = _utc(since - dt.timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    collected: list[dict[str, Any]] = []
    while True:
        page = get("/account/activities/FILL", dict(query))
        if not isinstance(page, list):
            raise BrokerUnavailableError("Alpaca returned no activity list")
        collected.extend(page)
        if len(page) < page_size:
            return collected
        query["page_token"] = page[-1]["id"]


def to_broker_fill(activity: dict[str, Any], client_order_id_of: Callable[[str], str]) -> BrokerFill:
    """Translate one raw FILL activity; ``client_order_id_of`` resolves Alpaca's order id to ours."""
    try:
        broker_order_id = str(activity["order_id"])
        timestamp = dt.datetime.fromisoformat(str(activity["transaction_time"]).replace("Z", "+00:00"))
        return BrokerFill(
            fill_id=str(activity["id"]),
            client_order_id=client_order_id_of(broker_order_id),
            broker_order_id=broker_order_id,
            symbol=str(activity["symbol"]),
            side=OrderSide(str(activity["side"]).upper()),
            quantity=_shares(activity["qty"], "fill qty"),
            price=_decimal(activity["price"], "fill price"),
            timestamp=_utc(timestamp),
        )
    except (KeyError, ValueError) as error:
        raise BrokerUnavailableError(f"Alpaca sent an unreadable FILL activity: {error}") from error


def to_alpaca_request(request: OrderRequest) -> alpaca_requests.OrderRequest:
    """Translate our request into alpaca-py's typed request model."""
    common: dict[str, Any] = {
        "symbol": request.symbol,
        "qty": request.quantity,
        "side": alpaca_enums.OrderSide(request.side.value.lower()),
        "time_in_force": alpaca_enums.TimeInForce(request.time_in_force.value.lower()),
        "client_order_id": request.client_order_id,
    }
    if request.limit_price is not None:
        common["limit_price"] = float(request.limit_price)
    if request.stop_price is not None:
        common["stop_price"] = float(request.stop_price)
    builders: dict[OrderType, type[alpaca_requests.OrderRequest]] = {
        OrderType.MARKET: alpaca_requests.MarketOrderRequest,
        OrderType.LIMIT: alpaca_requests.LimitOrderRequest,
        OrderType.STOP: alpaca_requests.StopOrderRequest,
        OrderType.STOP_LIMIT: alpaca_requests.StopLimitOrderRequest,
    }
    return builders[request.order_type](**common)


class AlpacaBroker:
    """:class:`~avwap.execution.broker.Broker` on Alpaca's trading API. Close it (or use ``with``)."""

    def __init__(self, settings: AlpacaSettings) -> None:
        self._settings = settings
        client = TradingClient(
            settings.api_key, settings.secret_key, paper=settings.paper, url_override=settings.url_override
        )
        # The SDK's retry knobs are constructor arguments of RESTClient that TradingClient does not forward.
        client._retry = settings.retry_attempts
        client._retry_wait = settings.retry_wait_seconds  # type: ignore[assignment]
        client._retry_codes = list(settings.retry_codes)
        mount_timeout(client._session, settings.timeout_seconds)
        self._client = client
        self._client_ids: dict[str, str] = {}  # broker order id -> client order id (for fills)

    def close(self) -> None:
        self._client._session.close()

    def __enter__(self) -> AlpacaBroker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, action: Callable[[], Result]) -> Result:
        try:
            return action()
        except (APIError, requests.RequestException, pydantic.ValidationError) as error:
            raise map_alpaca_error(error) from error

    def _order(self, raw: object) -> BrokerOrder:
        if not isinstance(raw, alpaca_models.Order):
            raise BrokerUnavailableError(f"Alpaca returned {type(raw).__name__}, expected an order")
        order = to_broker_order(raw)
        self._client_ids[order.broker_order_id] = order.client_order_id
        return order

    def _require(self, client_order_id: str) -> BrokerOrder:
        order = self.get_order(client_order_id)
        if order is None:
            message = f"order {client_order_id!r} not found"
            raise BrokerRejectedError(message, status=404, code=RejectCode.ORDER_NOT_FOUND)
        return order

    # ----------------------------------------------------------------- orders

    def submit_order(self, request: OrderRequest) -> BrokerOrder:
        alpaca_request = to_alpaca_request(request)
        return self._order(self._call(lambda: self._client.submit_order(alpaca_request)))

    def replace_order(
        self,
        client_order_id: str,
        new_client_order_id: str,
        *,
        stop_price: Decimal | None = None,
        limit_price: Decimal | None = None,
        quantity: int | None = None,
    ) -> BrokerOrder:
        if stop_price is None and limit_price is None and quantity is None:
            raise BrokerRejectedError(
                "replace needs a new stop, limit or quantity", 422, RejectCode.INVALID_REQUEST
            )
        old = self._require(client_order_id)
        changes = alpaca_requests.ReplaceOrderRequest(
            qty=quantity,
            stop_price=None if stop_price is None else float(stop_price),
            limit_price=None if limit_price is None else float(limit_price),
            client_order_id=new_client_order_id,
        )
        return self._order(self._call(lambda: self._client.replace_order_by_id(old.broker_order_id, changes)))

    def cancel_order(self, client_order_id: str) -> BrokerOrder:
        order = self._require(client_order_id)
        self._call(lambda: self._client.cancel_order_by_id(order.broker_order_id))
        return self._order(self._call(lambda: self._client.get_order_by_id(order.broker_order_id)))

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        try:
            return self._order(self._call(lambda: self._client.get_order_by_client_id(client_order_id)))
        except BrokerRejectedError as error:
            if error.status == 404:
                return None
            raise

    def open_orders(self) -> list[BrokerOrder]:
        limit = self._settings.open_orders_limit
        query = open_orders_query(limit)
        raw = checked_open_orders(self._call(lambda: self._client.get_orders(query)), limit)
        orders = [self._order(item) for item in raw]
        return sorted(orders, key=lambda order: (order.submitted_at, order.client_order_id))

    # --------------------------------------------------------------- account

    def positions(self) -> list[BrokerPosition]:
        return to_broker_positions(self._call(self._client.get_all_positions))

    def account(self) -> BrokerAccount:
        return to_broker_account(self._call(self._client.get_account))

    def clock(self) -> BrokerClock:
        raw = self._call(self._client.get_clock)
        if not isinstance(raw, alpaca_models.Clock):
            raise BrokerUnavailableError("Alpaca returned no clock")
        return BrokerClock(
            timestamp=_utc(raw.timestamp),
            is_open=raw.is_open,
            next_open=_utc(raw.next_open),
            next_close=_utc(raw.next_close),
        )

    def fills(self, since: dt.datetime | None) -> list[BrokerFill]:
        activities = self._fill_activities(since)
        result = [self._to_fill(activity) for activity in activities]
        selected = [fill for fill in result if since is None or fill.timestamp >= since]
        return sorted(selected, key=lambda fill: (fill.timestamp, fill.fill_id))

    def _fill_activities(self, since: dt.datetime | None) -> list[dict[str, Any]]:
        def get(path: str, query: dict[str, Any]) -> object:
            return self._call(lambda: self._client.get(path, query))

        return read_fill_activities(get, since, self._settings.fills_page_size)

    def _to_fill(self, activity: dict[str, Any]) -> BrokerFill:
        return to_broker_fill(activity, self._client_order_id)

    def _client_order_id(self, broker_order_id: str) -> str:
        known = self._client_ids.get(broker_order_id)
        if known is None:
            self._order(self._call(lambda: self._client.get_order_by_id(broker_order_id)))
            known = self._client_ids[broker_order_id]
        return known


def paper_broker(config: Config) -> AlpacaBroker:
    """The ``ALPACA_PAPER`` book's adapter (avwap.execution.adapters): the paper endpoint."""
    return AlpacaBroker(AlpacaSettings.from_config(config, paper=True))


def live_broker(config: Config) -> AlpacaBroker:
    """The ``ALPACA_LIVE`` book's adapter; only reached after the live gate confirmed LIVE."""
    return AlpacaBroker(AlpacaSettings.from_config(config, paper=False))
