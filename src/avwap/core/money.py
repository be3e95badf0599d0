"""Money and price rounding. Ledgers hold ``Decimal``; vector code holds float64 and converts here.

Price ticks (Reg NMS sub-penny rule): $0.01 at or above $1.00, $0.0001 below.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Final

CENT: Final = Decimal("0.01")
SUB_PENNY: Final = Decimal("0.0001")
ONE_DOLLAR: Final = Decimal("1")


def to_decimal(value: Decimal | float | int | str) -> Decimal:
    """Exact conversion; floats go through their shortest repr (``0.1`` -> ``Decimal('0.1')``)."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return result


def round_money(value: Decimal | float | int | str) -> Decimal:
    """Round a cash amount to cents, banker's rounding (unbiased over many sums)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


def tick_size(price: Decimal | float | int | str) -> Decimal:
    """The minimum price increment for ``price``."""
    return CENT if to_decimal(price) >= ONE_DOLLAR else SUB_PENNY


ROUNDING_MODES: Final = {"down": ROUND_FLOOR, "up": ROUND_CEILING, "nearest": ROUND_HALF_EVEN}


def round_price(value: Decimal | float | int | str, direction: str = "nearest") -> Decimal:
    """Round ``value`` to a valid tick: ``down`` (stops: never above the level), ``up``, or ``nearest``."""
    amount = to_decimal(value)
    mode = ROUNDING_MODES.get(direction)
    if mode is None:
        raise ValueError(f"direction must be one of {sorted(ROUNDING_MODES)}, not {direction!r}")
    # tick_size inlined (amount and rounded are finite Decimals already): a scan rounds ~7 prices a record
    rounded = amount.quantize(CENT if amount >= ONE_DOLLAR else SUB_PENNY, rounding=mode)
    # Rounding down across $1 can land on a price whose own tick is finer; re-quantize once.
    return rounded.quantize(CENT if rounded >= ONE_DOLLAR else SUB_PENNY, rounding=mode)


def is_valid_tick(price: Decimal | float | int | str) -> bool:
    """True when ``price`` is an exact multiple of its tick."""
    amount = to_decimal(price)
    return amount == amount.quantize(tick_size(amount))
