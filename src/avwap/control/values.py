"""Defensive readers for the values a gate decides from.

The control plane never assumes a value has the type its annotation claims: a context is assembled at the
edge from ledgers, the broker and the environment, and a wrong type there must block an entry, not raise
deep inside a comparison. Each reader returns the value when it is well-formed and None otherwise, so gates
can say "missing or malformed" in one place.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

# One fixed arithmetic context for every control-plane computation: results never depend on the caller's
# ``decimal.getcontext()``, and an impossible operation raises instead of producing NaN.
ARITHMETIC: Final = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def finite_decimal(value: object) -> Decimal | None:
    """``value`` as a finite Decimal when it is a Decimal or an int (never bool, float or text), else None."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return None
    number = Decimal(value)
    return number if number.is_finite() else None


def non_negative_amount(value: object) -> Decimal | None:
    """A finite Decimal ≥ 0, else None."""
    number = finite_decimal(value)
    return number if number is not None and number >= 0 else None


def positive_amount(value: object) -> Decimal | None:
    """A finite Decimal > 0, else None."""
    number = finite_decimal(value)
    return number if number is not None and number > 0 else None


def count(value: object) -> int | None:
    """A non-negative int (never bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def is_plain_date(value: object) -> bool:
    """True for a ``date`` that is not a ``datetime`` (a datetime never equals a date)."""
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def symbol_set(value: object) -> frozenset[str] | None:
    """An allowlist as a set of symbols, or None when it is not a tuple/list/set of text."""
    if not isinstance(value, tuple | list | frozenset | set):
        return None
    if not all(isinstance(item, str) for item in value):
        return None
    return frozenset(value)


def position_notionals(value: object) -> dict[str, Decimal] | None:
    """Open positions ``{symbol: notional ≥ 0}``, or None when the mapping is malformed."""
    if not isinstance(value, Mapping):
        return None
    positions: dict[str, Decimal] = {}
    for symbol, notional in value.items():
        amount = non_negative_amount(notional)
        if not isinstance(symbol, str) or not symbol or amount is None:
            return None
        positions[symbol] = amount
    return positions


def shown(value: object) -> object:
    """A value safe for a record's detail: plain scalars as they are, anything else by its repr."""
    if isinstance(value, Decimal) and not value.is_finite():
        return repr(value)  # canonical JSON refuses NaN and infinities
    if value is None or isinstance(value, bool | int | str | Decimal) or is_plain_date(value):
        return value
    return repr(value)
