"""Deterministic fill rules of the simulated broker, as pure functions of (order terms, bar).

``s`` is the slippage in basis points / 10,000, always applied in the ADVERSE direction (buys pay more,
sells receive less). Fill prices are rounded to a valid tick adversely (buys up, sells down), never through
a limit price.

==========  ====  =========================  ===============================================================
type        side  triggers / fills when      fill price
==========  ====  =========================  ===============================================================
MARKET      buy   every eligible bar         open × (1 + s)
MARKET      sell  every eligible bar         open × (1 − s)
LIMIT       buy   low ≤ limit                min(open, limit)                  (no slippage: a limit caps it)
LIMIT       sell  high ≥ limit               max(open, limit)
STOP        sell  low ≤ stop                 min(open, stop) × (1 − s)         (a gap through the stop fills
STOP        buy   high ≥ stop                max(open, stop) × (1 + s)          at the open)
STOP_LIMIT  sell  low ≤ stop, then a LIMIT   t = min(open, stop); t ≥ limit: max(t × (1 − s), limit);
                  sell at limit              t < limit (gapped past the limit): no fill on that bar
STOP_LIMIT  buy   high ≥ stop, then a LIMIT  t = max(open, stop); t ≤ limit: min(t × (1 + s), limit)
==========  ====  =========================  ===============================================================

Once triggered, a STOP stays triggered and behaves as a MARKET order on later bars (relevant after a partial
fill); a triggered STOP_LIMIT behaves as a LIMIT order. Quantity: the whole remaining quantity, or with a
participation cap at most ``floor(cap × bar volume)`` shares per bar, shared by all orders on that symbol in
submission order. Commission per order: ``max(minimum, per_share × filled shares)``, charged incrementally so
partial fills of one order pay the minimum once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from avwap.core.errors import DataError
from avwap.core.money import round_money, round_price
from avwap.execution.broker import OrderSide, OrderType
from avwap.exits.stop_fill import stop_trigger

BASIS_POINTS = Decimal(10_000)


@dataclass(frozen=True)
class SimBar:
    """One completed bar: labelled by its start, usable only once ``end`` has passed."""

    symbol: str
    start: dt.datetime
    end: dt.datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise DataError(f"{self.symbol} bar times must be timezone-aware")
        if self.end <= self.start:
            raise DataError(f"{self.symbol} bar at {self.start} ends at or before its start")
        if not 0 < self.low <= min(self.open, self.close) <= max(self.open, self.close) <= self.high:
            raise DataError(f"{self.symbol} bar at {self.start} has inconsistent prices")
        if self.volume < 0:
            raise DataError(f"{self.symbol} bar at {self.start} has negative volume")


@dataclass(frozen=True)
class OrderTerms:
    """The part of a working order the fill rules look at."""

    side: OrderSide
    order_type: OrderType
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    triggered: bool = False


@dataclass(frozen=True)
class FillDecision:
    """``triggered``: the stop condition is (now or already) met; ``price``: fill price, None for no fill."""

    triggered: bool
    price: Decimal | None


@dataclass(frozen=True)
class FillModel:
    """Slippage, participation cap and commission settings (all default to zero / off)."""

    slippage_bps: Decimal = Decimal(0)
    participation_cap: Decimal | None = None
    commission_per_share: Decimal = Decimal(0)
    commission_minimum: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if self.slippage_bps < 0 or self.commission_per_share < 0 or self.commission_minimum < 0:
            raise ValueError("slippage and commissions must not be negative")
        if self.participation_cap is not None and not 0 < self.participation_cap <= 1:
            raise ValueError("participation_cap must be in (0, 1]")

    def decide(self, terms: OrderTerms, bar: SimBar) -> FillDecision:
        """Whether and at what price ``terms`` fills on ``bar`` (the bar is assumed eligible)."""
        side = terms.side
        if terms.order_type is OrderType.MARKET or (terms.order_type is OrderType.STOP and terms.triggered):
            return FillDecision(terms.triggered, self._adverse(self._slipped(bar.open, side), side))
        if terms.order_type is OrderType.LIMIT or (
            terms.order_type is OrderType.STOP_LIMIT and terms.triggered
        ):
            return FillDecision(terms.triggered, _limit_price(side, _required(terms.limit_price), bar))
        if terms.order_type not in (OrderType.STOP, OrderType.STOP_LIMIT):
            raise ValueError(f"the simulator does not fill {terms.order_type} orders")
        trigger = _stop_trigger(side, _required(terms.stop_price), bar)
        if trigger is None:
            return FillDecision(False, None)
        slipped = self._slipped(trigger, side)
        if terms.order_type is OrderType.STOP:
            return FillDecision(True, self._adverse(slipped, side))
        limit = _required(terms.limit_price)
        marketable = trigger >= limit if side is OrderSide.SELL else trigger <= limit
        if not marketable:
            return FillDecision(True, None)
        bounded = max(slipped, limit) if side is OrderSide.SELL else min(slipped, limit)
        return FillDecision(True, self._adverse(bounded, side))

    def fill_quantity(self, remaining: int, bar: SimBar) -> int:
        """Shares one bar can give an order: all of ``remaining``, or the participation cap's share."""
        if bar.volume <= 0:
            return 0  # no trades, no fills
        if self.participation_cap is None:
            return remaining
        capacity = int((self.participation_cap * bar.volume).to_integral_value(rounding=ROUND_FLOOR))
        return max(0, min(remaining, capacity))

    def commission(self, cumulative_quantity: int, already_charged: Decimal) -> Decimal:
        """Commission due now so that an order's total is ``max(minimum, per_share × filled)``."""
        if cumulative_quantity <= 0:
            return Decimal(0)
        total = max(self.commission_minimum, round_money(self.commission_per_share * cumulative_quantity))
        return max(Decimal(0), round_money(total - already_charged))

    def _slipped(self, price: Decimal, side: OrderSide) -> Decimal:
        fraction = self.slippage_bps / BASIS_POINTS
        return price * (1 + fraction) if side is OrderSide.BUY else price * (1 - fraction)

    @staticmethod
    def _adverse(price: Decimal, side: OrderSide) -> Decimal:
        return round_price(price, "up" if side is OrderSide.BUY else "down")


def _required(price: Decimal | None) -> Decimal:
    if price is None:
        raise ValueError("order terms lack a price their type needs")
    return price


def _limit_price(side: OrderSide, limit: Decimal, bar: SimBar) -> Decimal | None:
    if side is OrderSide.BUY:
        return round_price(min(bar.open, limit), "up") if bar.low <= limit else None
    return round_price(max(bar.open, limit), "down") if bar.high >= limit else None


def _stop_trigger(side: OrderSide, stop: Decimal, bar: SimBar) -> Decimal | None:
    """The price at which the stop became a market order on ``bar`` (the shared rule), or None."""
    selling = side is OrderSide.SELL
    return stop_trigger(stop, bar.open, bar.low if selling else bar.high, selling=selling)
