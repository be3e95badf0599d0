"""The canonical reconciliation schema (roadmap D3.2): what the broker shows, what the ledger expects, drift.

Every record is a frozen msgspec struct with ``schema_version`` (a reader refuses any other version),
unknown fields rejected, money and prices as ``Decimal``, share quantities as ``int`` and instants in UTC.
Collections are tuples kept sorted by their key and free of duplicates (checked on construction and on
decode), so equal inputs are equal records and serialize to equal bytes.

Records::

    BrokerSnapshot        the broker's side: account, positions, open orders, fills since an instant
    SnapshotFailure       the broker could not be read (the report is then incomplete)
    LedgerExpectation     the ledger's side: positions, working orders (stops included), fills, cash
    DriftItem             one difference, with a stable DriftCode
    ReconciliationReport  one book and NY date: complete flag, items in a fixed order, counts by code

Drift codes and incomplete codes are stable UPPER_SNAKE strings (never renamed or reused); their meanings
live in :data:`DRIFT_MEANINGS` and :data:`INCOMPLETE_MEANINGS`, from which ``docs/`` is written.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Final

import msgspec

from avwap.execution.broker import OrderSide, OrderType

SCHEMA_VERSION: Final = 1


class DriftCode(enum.StrEnum):
    """What kind of difference; the declaration order is the report's sort order."""

    QTY_MISMATCH = "QTY_MISMATCH"
    AVG_PRICE_MISMATCH = "AVG_PRICE_MISMATCH"
    MISSING_AT_BROKER = "MISSING_AT_BROKER"
    UNKNOWN_AT_BROKER = "UNKNOWN_AT_BROKER"
    STOP_MISSING = "STOP_MISSING"
    STOP_QTY_MISMATCH = "STOP_QTY_MISMATCH"
    STOP_PRICE_MISMATCH = "STOP_PRICE_MISMATCH"
    ORDER_MISSING_AT_BROKER = "ORDER_MISSING_AT_BROKER"
    ORDER_UNKNOWN_AT_BROKER = "ORDER_UNKNOWN_AT_BROKER"
    FILL_UNRECORDED = "FILL_UNRECORDED"
    FILL_MISSING_AT_BROKER = "FILL_MISSING_AT_BROKER"
    CASH_MISMATCH = "CASH_MISMATCH"


DRIFT_MEANINGS: Final[Mapping[DriftCode, str]] = MappingProxyType(
    {
        DriftCode.QTY_MISMATCH: "both hold the symbol, with different share quantities",
        DriftCode.AVG_PRICE_MISMATCH: "same quantity, average entry prices differ by more than the tolerance",
        DriftCode.MISSING_AT_BROKER: "the ledger holds a position the broker does not",
        DriftCode.UNKNOWN_AT_BROKER: "the broker holds a position the ledger does not know",
        DriftCode.STOP_MISSING: "a protective stop the ledger has working is not open at the broker",
        DriftCode.STOP_QTY_MISMATCH: "the working stop's remaining quantity differs from the ledger's",
        DriftCode.STOP_PRICE_MISMATCH: "the working stop's stop price differs from the ledger's",
        DriftCode.ORDER_MISSING_AT_BROKER: "a ledger working order (not a stop) is not open at the broker",
        DriftCode.ORDER_UNKNOWN_AT_BROKER: "an order is open at the broker that the ledger has not working",
        DriftCode.FILL_UNRECORDED: "a broker fill inside the window that no ledger Fill records",
        DriftCode.FILL_MISSING_AT_BROKER: "a ledger Fill inside the window that the broker does not report",
        DriftCode.CASH_MISMATCH: "ledger and broker cash differ by more than the tolerance",
    }
)
DRIFT_RANK: Final[Mapping[str, int]] = MappingProxyType({code: rank for rank, code in enumerate(DriftCode)})


class IncompleteCode(enum.StrEnum):
    """Why a report could not compare anything."""

    BROKER_UNAVAILABLE = "BROKER_UNAVAILABLE"
    BROKER_REJECTED = "BROKER_REJECTED"
    BROKER_ERROR = "BROKER_ERROR"
    SNAPSHOT_BOOK_MISMATCH = "SNAPSHOT_BOOK_MISMATCH"


INCOMPLETE_MEANINGS: Final[Mapping[IncompleteCode, str]] = MappingProxyType(
    {
        IncompleteCode.BROKER_UNAVAILABLE: "timeout, 5xx or unreadable answer while snapshotting the broker",
        IncompleteCode.BROKER_REJECTED: "the broker refused a read (4xx: keys, permissions)",
        IncompleteCode.BROKER_ERROR: "any other broker error while snapshotting",
        IncompleteCode.SNAPSHOT_BOOK_MISMATCH: "the broker snapshot belongs to another book",
    }
)


def _require_utc(owner: str, name: str, moment: dt.datetime | None) -> None:
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() != dt.timedelta(0)):
        raise ValueError(f"{owner}.{name} must be a UTC datetime, got {moment!r}")


def _require_sorted_unique(owner: str, name: str, keys: Iterable[object]) -> None:
    listed = list(keys)
    for before, after in itertools.pairwise(listed):
        if before == after:
            raise ValueError(f"{owner}.{name} holds {before!r} twice")
        if not before < after:  # type: ignore[operator]
            raise ValueError(f"{owner}.{name} is not sorted ({before!r} before {after!r})")


class _Record(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.schema_version != SCHEMA_VERSION:
            raise ValueError(
                f"{type(self).__name__}: unsupported schema_version {self.schema_version} "
                f"(this code reads {SCHEMA_VERSION})"
            )
        self.check()

    def check(self) -> None:
        """Type-specific rules; subclasses override."""


class SnapshotAccount(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    equity: Decimal
    cash: Decimal
    buying_power: Decimal
    currency: str


class SnapshotPosition(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A broker position; ``quantity`` is negative for a short."""

    symbol: str
    quantity: int
    average_price: Decimal


class SnapshotOrder(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """An order open at the broker (a protective stop is a SELL ``STOP`` order)."""

    client_order_id: str
    broker_order_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    time_in_force: str
    quantity: int
    filled_quantity: int
    limit_price: Decimal | None
    stop_price: Decimal | None
    status: str

    @property
    def remaining_quantity(self) -> int:
        return self.quantity - self.filled_quantity


class SnapshotFill(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One execution as the broker reports it; ``fill_id`` is the broker's id."""

    fill_id: str
    client_order_id: str
    broker_order_id: str
    symbol: str
    side: OrderSide
    quantity: int
    price: Decimal
    timestamp: dt.datetime

    def check(self) -> None:
        _require_utc("SnapshotFill", "timestamp", self.timestamp)


class BrokerSnapshot(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The broker's side of one book at ``taken_at``; ``fills`` are those at or after ``fills_since``."""

    book_id: str
    taken_at: dt.datetime
    fills_since: dt.datetime | None
    account: SnapshotAccount
    positions: tuple[SnapshotPosition, ...] = ()
    open_orders: tuple[SnapshotOrder, ...] = ()
    fills: tuple[SnapshotFill, ...] = ()

    def check(self) -> None:
        _require_utc("BrokerSnapshot", "taken_at", self.taken_at)
        _require_utc("BrokerSnapshot", "fills_since", self.fills_since)
        _require_sorted_unique("BrokerSnapshot", "positions", (item.symbol for item in self.positions))
        orders = (item.client_order_id for item in self.open_orders)
        _require_sorted_unique("BrokerSnapshot", "open_orders", orders)
        _require_sorted_unique("BrokerSnapshot", "fills", (item.fill_id for item in self.fills))


class SnapshotFailure(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The broker could not be read at ``at``; ``reason`` is the error's message."""

    book_id: str
    at: dt.datetime
    code: IncompleteCode
    reason: str

    def check(self) -> None:
        _require_utc("SnapshotFailure", "at", self.at)


class ExpectedPosition(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    symbol: str
    position_id: str
    quantity: int
    average_price: Decimal


class ExpectedOrder(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """An order the ledger has working; ``purpose`` ``STOP`` marks a protective stop."""

    client_order_id: str
    broker_order_id: str | None
    symbol: str
    side: OrderSide
    order_type: OrderType
    purpose: str
    remaining_quantity: int
    limit_price: Decimal | None
    stop_price: Decimal | None
    position_id: str | None
    status: str

    @property
    def is_protective_stop(self) -> bool:
        return self.purpose == "STOP"


class ExpectedFill(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A ledger ``Fill``; ``broker_fill_id`` is the id the broker gave it (the matching key)."""

    fill_id: str
    broker_fill_id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: int
    price: Decimal
    timestamp: dt.datetime

    def check(self) -> None:
        _require_utc("ExpectedFill", "timestamp", self.timestamp)


class LedgerExpectation(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The ledger's side of one book on ``date_ny``. ``cash`` is ``None`` when the ledger cannot know it
    (no funding recorded: the account was funded outside avwap), and then it is not compared."""

    book_id: str
    date_ny: dt.date
    cash: Decimal | None
    fills_since: dt.datetime | None
    positions: tuple[ExpectedPosition, ...] = ()
    open_orders: tuple[ExpectedOrder, ...] = ()
    fills: tuple[ExpectedFill, ...] = ()

    def check(self) -> None:
        _require_utc("LedgerExpectation", "fills_since", self.fills_since)
        _require_sorted_unique("LedgerExpectation", "positions", (item.symbol for item in self.positions))
        orders = (item.client_order_id for item in self.open_orders)
        _require_sorted_unique("LedgerExpectation", "open_orders", orders)
        fills = (item.broker_fill_id for item in self.fills)
        _require_sorted_unique("LedgerExpectation", "fills", fills)


class ReconciliationTolerances(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """How far apart ledger and broker may be before it is drift (absolute amounts, never negative)."""

    cash: Decimal = Decimal("0.01")
    average_price: Decimal = Decimal("0.0001")

    def check(self) -> None:
        for name in ("cash", "average_price"):
            value = getattr(self, name)
            if not value.is_finite() or value < 0:
                raise ValueError(f"ReconciliationTolerances.{name} must be a finite amount >= 0, got {value}")


class DriftItem(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One difference. ``reference`` names what differs (a symbol, a client order id, a broker fill id,
    ``cash``); the values are the compared quantity or amount on each side (``None``: absent there)."""

    code: DriftCode
    symbol: str
    reference: str
    ledger_value: Decimal | None
    broker_value: Decimal | None
    detail: str

    @property
    def sort_key(self) -> tuple[int, str, str]:
        return DRIFT_RANK[self.code], self.symbol, self.reference


def drift_counts(items: Iterable[DriftItem]) -> dict[str, int]:
    """Items per drift code, every code present (zeros included), in declaration order."""
    counts = dict.fromkeys((str(code) for code in DriftCode), 0)
    for item in items:
        counts[item.code] += 1
    return counts


class ReconciliationReport(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Ledger against broker for one book and NY date. ``complete`` is False when the broker could not be
    read (``incomplete_code`` and ``incomplete_reason`` say why); an incomplete report has no items."""

    book_id: str
    date_ny: dt.date
    as_of: dt.datetime
    complete: bool
    incomplete_code: IncompleteCode | None = None
    incomplete_reason: str = ""
    tolerances: ReconciliationTolerances = ReconciliationTolerances()
    cash_checked: bool = False
    ledger_cash: Decimal | None = None
    broker_account: SnapshotAccount | None = None
    compared: dict[str, int] = {}
    items: tuple[DriftItem, ...] = ()
    counts: dict[str, int] = {}

    @property
    def has_drift(self) -> bool:
        return bool(self.items)

    def check(self) -> None:
        _require_utc("ReconciliationReport", "as_of", self.as_of)
        if self.complete == (self.incomplete_code is not None):
            raise ValueError("ReconciliationReport: an incomplete report needs a code, a complete one none")
        if not self.complete and self.items:
            raise ValueError("ReconciliationReport: an incomplete report cannot list drift")
        keys = [item.sort_key for item in self.items]
        if keys != sorted(keys) or len(set(keys)) != len(keys):
            raise ValueError(
                "ReconciliationReport: items must be unique and in (code, symbol, reference) order"
            )
        if self.counts != drift_counts(self.items):
            raise ValueError("ReconciliationReport: counts do not match the items")
