"""What every ledger record shares: the base Struct (schema version, book, NY date, UTC instant), the
contract checks that depend only on a field's name and value, and the validation error. The record types
are in the ``record_*`` modules; :mod:`avwap.ledger.records` is their one public face (union and codec)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Final

import msgspec

from avwap.core.errors import DataError

SCHEMA_VERSION: Final = 1

UPPER_SNAKE: Final = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
SYMBOL: Final = re.compile(r"^[A-Z][A-Z0-9.\-]{0,14}$")
_ID_PREFIXES: Final = {
    "intent_id": "int_",
    "decision_id": "dec_",
    "order_id": "ord_",
    "new_order_id": "ord_",
    "fill_id": "fil_",
    "position_id": "pos_",
    "exit_id": "exi_",
    "resolution_id": "cfl_",
    "movement_id": "evt_",
    "confirmation_id": "cnf_",
    "corrects": "cnf_",
    "snapshot_id": "snp_",
}
SHA256: Final = re.compile(r"^[0-9a-f]{64}$")
_POSITIVE_PRICES: Final = frozenset(
    {
        "entry_price",
        "limit_price",
        "stop_price",
        "price",
        "new_price",
        "average_price",
        "exit_price",
        "amount",
    }
)


class RecordValidationError(DataError, ValueError):
    """A record does not satisfy its contract (message names the type and field)."""


def fail(record: object, message: str) -> None:
    raise RecordValidationError(f"{type(record).__name__}: {message}")


def check_field(record: object, name: str, value: Any) -> None:
    """Contract checks that depend only on a field's name and value (shared by every record type)."""
    if value is None:
        return
    if isinstance(value, Decimal):
        if not value.is_finite():
            fail(record, f"{name} must be a finite decimal, got {value}")
        if name in _POSITIVE_PRICES and value <= 0:
            fail(record, f"{name} must be positive, got {value}")
        if name == "commission" and value < 0:
            fail(record, f"commission must not be negative, got {value}")
    elif name in ("book_id", "strategy_id", "code", "reason_code") and not UPPER_SNAKE.fullmatch(value):
        fail(record, f"{name} must be UPPER_SNAKE, got {value!r}")
    elif name == "symbol" and not SYMBOL.fullmatch(value):
        fail(record, f"symbol must be an upper-case ticker, got {value!r}")
    elif name in _ID_PREFIXES and not value.startswith(_ID_PREFIXES[name]):
        fail(record, f"{name} must start with {_ID_PREFIXES[name]!r}, got {value!r}")
    elif name == "quantity" and value <= 0:
        fail(record, f"quantity must be a positive number of shares, got {value}")
    elif name in ("approved_quantity", "stop_revision") and value < 0:
        fail(record, f"{name} must not be negative, got {value}")
    elif name == "reason_codes" and not all(UPPER_SNAKE.fullmatch(code) for code in value):
        fail(record, f"reason_codes must be UPPER_SNAKE, got {value!r}")
    elif name == "fill_ids" and not all(item.startswith("fil_") for item in value):
        fail(record, f"fill_ids must start with 'fil_', got {value!r}")


class RecordBase(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, tag_field="type"):
    """Fields and checks shared by every record."""

    schema_version: int = SCHEMA_VERSION
    book_id: str
    date_ny: dt.date
    ts: dt.datetime

    def __post_init__(self) -> None:
        if self.schema_version != SCHEMA_VERSION:
            fail(self, f"unsupported schema_version {self.schema_version} (this code reads {SCHEMA_VERSION})")
        if isinstance(self.date_ny, dt.datetime):
            fail(self, "date_ny must be a date, not a datetime")
        if self.ts.utcoffset() != dt.timedelta(0):
            fail(self, f"ts must be a timezone-aware UTC instant, got {self.ts.isoformat()}")
        for name in self.__struct_fields__:
            check_field(self, name, getattr(self, name))
        self.check()

    def check(self) -> None:
        """Type-specific rules; subclasses override."""
