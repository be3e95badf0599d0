"""The narrow broker protocol every book adapter implements, its frozen records, and idempotent submission.

Records carry ``Decimal`` prices, ``int`` share quantities and UTC datetimes. Errors, mapped once at each
adapter's boundary:

* :class:`~avwap.core.errors.BrokerRejectedError` (``status``, ``code``): the broker refused; ``code`` is one
  of :class:`RejectCode` (or ``HTTP_<status>`` for refusals we do not classify). Never retried blindly.
* :class:`~avwap.core.errors.BrokerUnavailableError`: timeout, 5xx, connection error. The outcome is
  UNKNOWN: the order may exist. :func:`submit_idempotent` resolves it by looking the order up by its
  ``client_order_id``; it never re-sends the request, and never under a new id.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Final, Protocol, runtime_checkable

import msgspec

from avwap.core.errors import BrokerRejectedError, BrokerUnavailableError

CLIENT_ORDER_ID_MAX_LENGTH: Final = 128


class OrderSide(enum.StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(enum.StrEnum):
    """Order types; avwap submits the first four, ``TRAILING_STOP`` only describes orders placed elsewhere."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"
    TRAILING_STOP = "TRAILING_STOP"


class TimeInForce(enum.StrEnum):
    """Time in force; avwap submits ``DAY`` and ``GTC``, the others only describe orders placed elsewhere."""

    DAY = "DAY"
    GTC = "GTC"
    OPG = "OPG"
    CLS = "CLS"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(enum.StrEnum):
    NEW = "NEW"
    ACCEPTED = "ACCEPTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    REPLACED = "REPLACED"
    EXPIRED = "EXPIRED"


OPEN_STATUSES: Final = frozenset({OrderStatus.NEW, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED})
SUBMITTABLE_TYPES: Final = frozenset(
    {OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT}
)
SUBMITTABLE_TIME_IN_FORCE: Final = frozenset({TimeInForce.DAY, TimeInForce.GTC})


class RejectCode(enum.StrEnum):
    """Stable ``code`` values of :class:`BrokerRejectedError` raised by broker adapters."""

    INSUFFICIENT_BUYING_POWER = "INSUFFICIENT_BUYING_POWER"
    INSUFFICIENT_QUANTITY = "INSUFFICIENT_QUANTITY"
    SUB_PENNY_PRICE = "SUB_PENNY_PRICE"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    NO_REFERENCE_PRICE = "NO_REFERENCE_PRICE"
    INVALID_REQUEST = "INVALID_REQUEST"
    DUPLICATE_CLIENT_ORDER_ID = "DUPLICATE_CLIENT_ORDER_ID"
    CLIENT_ORDER_ID_CONFLICT = "CLIENT_ORDER_ID_CONFLICT"
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
    ORDER_NOT_OPEN = "ORDER_NOT_OPEN"


def _require_utc(name: str, moment: dt.datetime | None) -> None:
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() != dt.timedelta(0)):
        raise ValueError(f"{name} must be a UTC datetime, got {moment!r}")


class OrderRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What avwap asks a broker to do. Only structure is checked here; economic validity (quantity > 0,
    price ticks, buying power) is the broker's call, so both adapters reject the same way."""

    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: int
    client_order_id: str
    time_in_force: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    schema_version: int = 1

    def __post_init__(self) -> None:
        if not self.symbol or self.symbol != self.symbol.strip().upper():
            raise ValueError(f"symbol must be upper-case and non-empty, got {self.symbol!r}")
        if not 0 < len(self.client_order_id) <= CLIENT_ORDER_ID_MAX_LENGTH:
            raise ValueError(f"client_order_id must have 1..{CLIENT_ORDER_ID_MAX_LENGTH} characters")
        if self.order_type not in SUBMITTABLE_TYPES:
            raise ValueError(f"avwap does not submit {self.order_type} orders")
        if self.time_in_force not in SUBMITTABLE_TIME_IN_FORCE:
            raise ValueError(f"avwap does not submit {self.time_in_force} orders")
        needs_limit = self.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        needs_stop = self.order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
        if needs_limit != (self.limit_price is not None):
            raise ValueError(f"{self.order_type} order {'needs' if needs_limit else 'takes no'} limit_price")
        if needs_stop != (self.stop_price is not None):
            raise ValueError(f"{self.order_type} order {'needs' if needs_stop else 'takes no'} stop_price")


class BrokerOrder(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An order as the broker reports it. ``broker_status`` keeps the broker's own word for the status."""

    broker_order_id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: int
    status: OrderStatus
    broker_status: str
    filled_quantity: int
    average_fill_price: Decimal | None
    limit_price: Decimal | None
    stop_price: Decimal | None
    submitted_at: dt.datetime
    updated_at: dt.datetime
    replaced_by: str | None = None
    replaces: str | None = None
    schema_version: int = 1

    def __post_init__(self) -> None:
        _require_utc("submitted_at", self.submitted_at)
        _require_utc("updated_at", self.updated_at)

    @property
    def is_open(self) -> bool:
        """True while the order can still fill."""
        return self.status in OPEN_STATUSES

    @property
    def remaining_quantity(self) -> int:
        return self.quantity - self.filled_quantity


class BrokerPosition(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A position; ``quantity`` is negative for a short."""

    symbol: str
    quantity: int
    average_entry_price: Decimal
    cost_basis: Decimal
    market_value: Decimal | None
    current_price: Decimal | None
    schema_version: int = 1


class BrokerAccount(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    equity: Decimal
    cash: Decimal
    buying_power: Decimal
    status: str
    currency: str
    schema_version: int = 1


class BrokerClock(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    timestamp: dt.datetime
    is_open: bool
    next_open: dt.datetime
    next_close: dt.datetime
    schema_version: int = 1

    def __post_init__(self) -> None:
        for name in ("timestamp", "next_open", "next_close"):
            _require_utc(name, getattr(self, name))


class BrokerFill(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One execution (a partial or the final fill of an order)."""

    fill_id: str
    client_order_id: str
    broker_order_id: str
    symbol: str
    side: OrderSide
    quantity: int
    price: Decimal
    timestamp: dt.datetime
    commission: Decimal = Decimal(0)
    schema_version: int = 1

    def __post_init__(self) -> None:
        _require_utc("timestamp", self.timestamp)


@runtime_checkable
class Broker(Protocol):
    """What the execution plane needs from a book. Orders are addressed by OUR ``client_order_id``."""

    def submit_order(self, request: OrderRequest) -> BrokerOrder: ...

    def replace_order(
        self,
        client_order_id: str,
        new_client_order_id: str,
        *,
        stop_price: Decimal | None = None,
        limit_price: Decimal | None = None,
        quantity: int | None = None,
    ) -> BrokerOrder:
        """Replace an open order; the old one becomes ``REPLACED`` and the returned new one carries
        ``new_client_order_id`` (``quantity`` defaults to the old order's unfilled quantity)."""
        ...

    def cancel_order(self, client_order_id: str) -> BrokerOrder: ...

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        """The order, whatever its status, or ``None`` when the broker never saw this id."""
        ...

    def open_orders(self) -> list[BrokerOrder]:
        """Orders that can still fill, sorted by (submitted_at, client_order_id)."""
        ...

    def positions(self) -> list[BrokerPosition]:
        """Non-zero positions, sorted by symbol."""
        ...

    def account(self) -> BrokerAccount: ...

    def clock(self) -> BrokerClock: ...

    def fills(self, since: dt.datetime | None) -> list[BrokerFill]:
        """Executions at or after ``since`` (all when ``None``), sorted by (timestamp, fill_id)."""
        ...


def _matches(order: BrokerOrder, request: OrderRequest) -> bool:
    return (
        order.symbol,
        order.side,
        order.order_type,
        order.quantity,
        order.limit_price,
        order.stop_price,
    ) == (
        request.symbol,
        request.side,
        request.order_type,
        request.quantity,
        request.limit_price,
        request.stop_price,
    )


def _existing_or_raise(broker: Broker, request: OrderRequest, error: Exception) -> BrokerOrder:
    existing = broker.get_order(request.client_order_id)
    if existing is None:
        # Unknown outcome, nothing at the broker (yet): re-raise; the caller retries later with the SAME id.
        raise error
    if not _matches(existing, request):
        raise BrokerRejectedError(
            f"client_order_id {request.client_order_id!r} already names a different order "
            f"({existing.side} {existing.quantity} {existing.symbol} {existing.order_type})",
            status=422,
            code=RejectCode.CLIENT_ORDER_ID_CONFLICT,
        ) from error
    return existing


def submit_idempotent(broker: Broker, request: OrderRequest) -> BrokerOrder:
    """Submit ``request`` at most once per ``client_order_id``.

    On :class:`BrokerUnavailableError` (outcome unknown) or a duplicate-id refusal (an SDK retry or an earlier
    run already placed it) the order is looked up by ``client_order_id`` and returned; it is never re-sent.
    If the lookup finds nothing, the original error is re-raised. If the id names a different order,
    :class:`BrokerRejectedError` with ``CLIENT_ORDER_ID_CONFLICT`` is raised.
    """
    try:
        return broker.submit_order(request)
    except BrokerUnavailableError as error:
        return _existing_or_raise(broker, request, error)
    except BrokerRejectedError as error:
        if error.code != RejectCode.DUPLICATE_CLIENT_ORDER_ID:
            raise
        return _existing_or_raise(broker, request, error)


_MAYBE_REPLACED: Final = frozenset({RejectCode.DUPLICATE_CLIENT_ORDER_ID, RejectCode.ORDER_NOT_OPEN})


def replace_idempotent(
    broker: Broker,
    client_order_id: str,
    new_client_order_id: str,
    *,
    stop_price: Decimal | None = None,
    limit_price: Decimal | None = None,
    quantity: int | None = None,
) -> BrokerOrder:
    """:meth:`Broker.replace_order`, resolving an unknown outcome by looking up ``new_client_order_id``.

    The order found must be the one that replaced ``client_order_id``; otherwise the new id is taken by
    something else and :class:`BrokerRejectedError` with ``CLIENT_ORDER_ID_CONFLICT`` is raised.
    """
    try:
        return broker.replace_order(
            client_order_id,
            new_client_order_id,
            stop_price=stop_price,
            limit_price=limit_price,
            quantity=quantity,
        )
    except (BrokerUnavailableError, BrokerRejectedError) as error:
        # A PATCH the SDK re-sent after a 504 finds the old order already REPLACED (ORDER_NOT_OPEN) or the
        # new id taken (DUPLICATE): both mean "look for the replacement", as does an unknown outcome.
        maybe_done = isinstance(error, BrokerUnavailableError) or error.code in _MAYBE_REPLACED
        if not maybe_done:
            raise
        replacement = broker.get_order(new_client_order_id)
        if replacement is None:
            raise
        original = broker.get_order(client_order_id)
        if original is not None and original.replaced_by != replacement.broker_order_id:
            message = f"{new_client_order_id!r} names an order that did not replace {client_order_id!r}"
            raise BrokerRejectedError(
                message, status=422, code=RejectCode.CLIENT_ORDER_ID_CONFLICT
            ) from error
        return replacement
