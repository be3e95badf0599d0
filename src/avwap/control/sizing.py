"""Position sizing (pure, Decimal): how many shares an entry may buy, and its initial stop.

::

    scale      = min(1, max(0.25, 1 − distance% / 6))
    allocation = min(equity × 2 % × scale, equity × 10 %)      rounded down to the cent
    shares     = floor(allocation / entry price)
    stop       = the plan's initial stop (the stop rules' daily swing low − buffer), rounded down to a tick
    reject when the stop is ≤ 0, or risk/share = entry − stop is ≤ 0 or > $3.00

The scale is capped at 1 so a (rare) negative distance never sizes above the base risk. All arithmetic runs
in one fixed Decimal context, so the result does not depend on the caller's ``decimal.getcontext()``.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Final

from avwap.control import reasons
from avwap.control.values import ARITHMETIC, finite_decimal, non_negative_amount, positive_amount, shown
from avwap.core.config import Config
from avwap.core.money import CENT, round_price

DEFAULT_BASE_RISK_PCT: Final = Decimal("2")
DEFAULT_MAX_ALLOCATION_PCT: Final = Decimal("10")
DEFAULT_MAX_RISK_PER_SHARE: Final = Decimal("3.00")
DEFAULT_MIN_SCALE: Final = Decimal("0.25")
DEFAULT_DISTANCE_SCALE_PCT: Final = Decimal("6")

HUNDRED: Final = Decimal("100")


@dataclass(frozen=True)
class SizingRules:
    """Sizing parameters (percent units). Build from a Config with :meth:`from_config`."""

    base_risk_pct: Decimal = DEFAULT_BASE_RISK_PCT
    max_allocation_pct: Decimal = DEFAULT_MAX_ALLOCATION_PCT
    max_risk_per_share: Decimal = DEFAULT_MAX_RISK_PER_SHARE
    min_scale: Decimal = DEFAULT_MIN_SCALE
    distance_scale_pct: Decimal = DEFAULT_DISTANCE_SCALE_PCT

    @classmethod
    def from_config(cls, config: Config) -> SizingRules:
        """The SIZING_* settings, MAX_RISK_PER_SHARE and STOP_BUFFER of ``config``."""
        return cls(
            base_risk_pct=config.sizing_base_risk_pct,
            max_allocation_pct=config.sizing_max_allocation_pct,
            max_risk_per_share=config.max_risk_per_share,
            min_scale=config.sizing_min_scale,
            distance_scale_pct=config.sizing_distance_scale_pct,
        )


@dataclass(frozen=True)
class SizedEntry:
    """An accepted size: shares > 0, stop below entry, risk/share within the limit."""

    shares: int
    entry_price: Decimal
    stop_price: Decimal
    scale: Decimal
    allocation: Decimal
    allocation_capped: bool

    @property
    def risk_per_share(self) -> Decimal:
        return self.entry_price - self.stop_price

    @property
    def risk(self) -> Decimal:
        return self.shares * self.risk_per_share

    @property
    def notional(self) -> Decimal:
        return self.shares * self.entry_price


@dataclass(frozen=True)
class SizingRejection:
    """Why no size: a reason code of :mod:`avwap.control.reasons` and the figures behind it."""

    reason: str
    detail: dict[str, Any] = field(default_factory=dict)


def size_entry(
    equity: object,
    entry_price: object,
    distance_pct: object,
    initial_stop: object,
    rules: SizingRules | None = None,
) -> SizedEntry | SizingRejection:
    """Size a long entry at ``entry_price`` whose distance above its AVWAP is ``distance_pct`` percent and
    whose stop is ``initial_stop`` (computed by :func:`avwap.exits.candidates.daily_stop` under the stop
    rules, the same computation as every later stop: sizing never adds a buffer of its own)."""
    rules = rules or SizingRules()
    equity_value, price, distance, low = (
        finite_decimal(item) for item in (equity, entry_price, distance_pct, initial_stop)
    )
    if not _rules_valid(rules):
        return SizingRejection(
            reasons.CAP_MISSING, {"problem": "sizing rules", "invalid": _invalid_rules(rules)}
        )
    if equity_value is None or equity_value <= 0:
        return SizingRejection(reasons.EQUITY_UNKNOWN, {"equity": shown(equity)})
    if price is None or price <= 0:
        return SizingRejection(
            reasons.INVALID_INTENT, {"problem": "entry price", "entry_price": shown(entry_price)}
        )
    if distance is None:
        return SizingRejection(
            reasons.INVALID_INTENT, {"problem": "distance", "distance_pct": shown(distance_pct)}
        )
    if low is None or low <= 0:
        return SizingRejection(
            reasons.INVALID_INTENT, {"problem": "no initial stop", "initial_stop": shown(initial_stop)}
        )
    with decimal.localcontext(ARITHMETIC):
        stop = round_price(low, "down")
        risk_per_share = price - stop
        if stop <= 0 or risk_per_share <= 0 or risk_per_share > rules.max_risk_per_share:
            detail = {"problem": "risk per share", "risk_per_share": risk_per_share, "stop_price": stop}
            return SizingRejection(
                reasons.INVALID_INTENT, {**detail, "max_risk_per_share": rules.max_risk_per_share}
            )
        scale = min(Decimal(1), max(rules.min_scale, 1 - distance / rules.distance_scale_pct))
        wanted = equity_value * rules.base_risk_pct / HUNDRED * scale
        ceiling = equity_value * rules.max_allocation_pct / HUNDRED
        allocation = min(wanted, ceiling).quantize(CENT, rounding=ROUND_FLOOR)
        shares = whole_shares(allocation, price)
    if shares < 1:
        return SizingRejection(reasons.SIZED_TO_ZERO, {"allocation": allocation, "entry_price": price})
    return SizedEntry(shares, price, stop, scale, allocation, allocation_capped=wanted > ceiling)


def whole_shares(notional: Decimal, price: Decimal) -> int:
    """The whole shares ``notional`` buys at ``price``, rounded down: the one share-count rule of sizing,
    the E2 order cap and the E3 attribution events (0 when either is not a positive finite number)."""
    if not (notional.is_finite() and price.is_finite() and notional > 0 and price > 0):
        return 0
    with decimal.localcontext(ARITHMETIC):
        return int((notional / price).to_integral_value(rounding=ROUND_FLOOR))


def scale_down(quantity: int, multiplier: object) -> int:
    """``quantity`` × ``multiplier`` rounded down, kept between 1 share and ``quantity``: a size input that
    can only reduce (``ML_ADVISORY_SIZE_DOWN``). A multiplier above 1 counts as 1; one that is not a finite
    number is ignored (the quantity is unchanged: an unreadable advice is no advice). A quantity < 1 (no
    entry) stays as it is: scaling never creates an entry."""
    factor = finite_decimal(multiplier)
    if quantity < 1 or factor is None or factor >= 1:
        return quantity
    with decimal.localcontext(ARITHMETIC):
        scaled = int((quantity * max(Decimal(0), factor)).to_integral_value(rounding=ROUND_FLOOR))
    return min(quantity, max(1, scaled))


def _invalid_rules(rules: SizingRules) -> str:
    """Names of the sizing limits that are not usable, comma-separated (a scalar for a record's detail)."""
    positive = {
        "base_risk_pct": rules.base_risk_pct,
        "max_allocation_pct": rules.max_allocation_pct,
        "max_risk_per_share": rules.max_risk_per_share,
        "distance_scale_pct": rules.distance_scale_pct,
    }
    bad = [name for name, value in positive.items() if positive_amount(value) is None]
    if non_negative_amount(rules.min_scale) is None:
        bad.append("min_scale")
    return ",".join(bad)


def _rules_valid(rules: SizingRules) -> bool:
    """Every limit a finite Decimal; percents and the distance scale positive; the floor ≥ 0."""
    return not _invalid_rules(rules)
