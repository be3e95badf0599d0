"""The ratchet: a working stop only ever tightens (for a long position, only ever rises).

``ratchet(old, candidate)`` is ``max(old, candidate)`` for valid inputs. Anything that is not a usable stop
level (None, NaN, infinities, zero or negative prices, values that are not numbers) leaves the old stop in
place; with no old stop, a valid candidate becomes the stop. No input can make the result lower than ``old``.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation


def valid_stop(value: object) -> Decimal | None:
    """``value`` as a positive finite Decimal, or None when it cannot be a stop level."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, float):
            if not math.isfinite(value):
                return None
            amount = Decimal(repr(value))
        elif isinstance(value, Decimal | int | str):
            amount = Decimal(value)
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount <= 0:
        return None
    return amount


def ratchet(old: Decimal | None, candidate: object) -> Decimal | None:
    """The stop after offering ``candidate`` to a working stop ``old``: never lower than ``old``."""
    proposed = valid_stop(candidate)
    current = valid_stop(old)
    if proposed is None:
        return current
    if current is None:
        return proposed
    return max(current, proposed)


def tightens(old: Decimal | None, candidate: object) -> bool:
    """True when offering ``candidate`` would raise the stop above ``old``."""
    current = valid_stop(old)
    result = ratchet(current, candidate)
    return result is not None and (current is None or result > current)
