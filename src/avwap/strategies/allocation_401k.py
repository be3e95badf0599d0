"""S_401K_ALLOCATION: keep a 401(k) window on its target weights (allocation, not alpha; issue 13).

The book ``SCHWAB_401K_MANUAL`` is traded by a person from Slack tickets, so this strategy plans no
cycle entries (:meth:`Allocation401k.entries` is empty: the S1 cycle's entries are long breakouts with
stops, which an allocation has none of). Its plans come from :func:`allocation_intents`, a pure function of
holdings, prices and cash that ``avwap tickets send`` calls:

* **when**: on the first session of a month (``schedule = "monthly"``), or when any weight is off its target
  by more than ``drift_band`` (:func:`rebalance_trigger`);
* **what**: whole-share orders toward ``floor(target weight x book value / price)`` shares of each symbol,
  sells first; a held symbol without a target is sold. Buys are bounded by the cash available after the
  sells, so the plan never spends more than the book has (:func:`rebalance_orders`). After a rebalance each
  weight is within one share's value of its target, hence within the band whenever one share of every
  symbol is worth at most ``drift_band`` of the book.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Final

from avwap.core.calendar import NEW_YORK
from avwap.core.errors import DataError
from avwap.ledger.paths import SCHWAB_401K_MANUAL
from avwap.ledger.record_enums import OrderType, Side
from avwap.strategies.allocation_menu import AllocationPlan
from avwap.strategies.protocol import EntryPlan, StrategyInputs, model_version
from avwap.strategies.registry import ALLOCATION, S_401K_ALLOCATION, RiskProfile, StrategyMetadata

METADATA: Final = StrategyMetadata(
    strategy_id=S_401K_ALLOCATION,
    description="Target-weight allocation of a 401(k) fund/ETF menu, rebalanced monthly or on drift",
    asset_universe="the funds and ETFs of the ALLOCATION_401K_FILE menu",
    holding_horizon="long term (monthly rebalance)",
    execution_style="whole-share orders placed by a person from Slack tickets",
    risk_profile=RiskProfile.DIRECTIONAL,
    version="1",
    books=(SCHWAB_401K_MANUAL,),
    stop_policy=ALLOCATION,  # target weights, no stop: the control plane sizes its intents on notional
)
SCHEDULE: Final = "SCHEDULE"
DRIFT: Final = "DRIFT"


@dataclass(frozen=True)
class Holdings:
    """What the book holds: whole shares by symbol, and cash."""

    positions: Mapping[str, int]
    cash: Decimal


@dataclass(frozen=True)
class AllocationOrder:
    """One whole-share order of a rebalance, at the reference ``price`` it was sized with."""

    symbol: str
    side: Side
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class AllocationIntent:
    """An order with what identifies it (book, strategy, day, symbol, side, ``setup``): a ticket is made
    from it, under the stable ``intent_id`` of :func:`avwap.ledger.record_ids.intent_id`."""

    book_id: str
    strategy_id: str
    date_ny: dt.date
    symbol: str
    side: Side
    quantity: int
    order_type: OrderType
    limit_price: Decimal | None
    reference_price: Decimal
    reason: str
    model_version: str
    setup: str = "rebalance"


def book_value(holdings: Holdings, prices: Mapping[str, Decimal]) -> Decimal:
    """Cash plus every position at its price (a held symbol without a price is a DataError)."""
    return holdings.cash + sum(
        (quantity * _price(prices, symbol) for symbol, quantity in holdings.positions.items()), Decimal(0)
    )


def current_weights(holdings: Holdings, prices: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Each held or targeted symbol's share of the book value (empty when the book is worth nothing)."""
    value = book_value(holdings, prices)
    if value <= 0:
        return {}
    return {
        symbol: quantity * _price(prices, symbol) / value for symbol, quantity in holdings.positions.items()
    }


def max_drift(plan: AllocationPlan, holdings: Holdings, prices: Mapping[str, Decimal]) -> Decimal:
    """The largest distance between a symbol's weight and its target (untargeted holdings target 0)."""
    weights = current_weights(holdings, prices)
    symbols = set(plan.targets) | set(weights)
    return max(
        (abs(weights.get(symbol, Decimal(0)) - plan.targets.get(symbol, Decimal(0))) for symbol in symbols),
        default=Decimal(0),
    )


def rebalance_trigger(
    plan: AllocationPlan,
    holdings: Holdings,
    prices: Mapping[str, Decimal],
    today: dt.date,
    previous_session: dt.date,
) -> str | None:
    """``SCHEDULE`` on the first session of a month (``previous_session`` is the session before ``today``),
    ``DRIFT`` when a weight is off target by more than the band, else None."""
    if plan.schedule == "monthly" and (today.year, today.month) != (
        previous_session.year,
        previous_session.month,
    ):
        return SCHEDULE
    if max_drift(plan, holdings, prices) > plan.drift_band:
        return DRIFT
    return None


def rebalance_orders(
    plan: AllocationPlan, holdings: Holdings, prices: Mapping[str, Decimal]
) -> tuple[AllocationOrder, ...]:
    """Whole-share orders to the target weights: sells (by symbol), then buys bounded by the cash."""
    value = book_value(holdings, prices)
    if value <= 0:
        return ()
    symbols = sorted(set(plan.targets) | {s for s, q in holdings.positions.items() if q})
    wanted = {
        symbol: int(
            (plan.targets.get(symbol, Decimal(0)) * value / _price(prices, symbol)).to_integral_value(
                ROUND_FLOOR
            )
        )
        for symbol in symbols
    }
    sells = [
        AllocationOrder(symbol, Side.SELL, held - wanted[symbol], _price(prices, symbol))
        for symbol in symbols
        if (held := holdings.positions.get(symbol, 0)) > wanted[symbol]
    ]
    cash = holdings.cash + sum((order.quantity * order.price for order in sells), Decimal(0))
    buys = []
    for symbol in symbols:
        price = _price(prices, symbol)
        # Bounded by the cash left, so the plan never overspends (the targets alone already fit).
        quantity = min(wanted[symbol] - holdings.positions.get(symbol, 0), _shares_for(cash, price))
        if quantity > 0:
            buys.append(AllocationOrder(symbol, Side.BUY, quantity, price))
            cash -= quantity * price
    return (*sells, *buys)


def allocation_intents(
    plan: AllocationPlan,
    holdings: Holdings,
    prices: Mapping[str, Decimal],
    today: dt.date,
    previous_session: dt.date,
    *,
    book_id: str = SCHWAB_401K_MANUAL,
) -> tuple[AllocationIntent, ...]:
    """Today's intents (empty when no rebalance is due): market orders, ids stable for the day."""
    trigger = rebalance_trigger(plan, holdings, prices, today, previous_session)
    if trigger is None:
        return ()
    drift = max_drift(plan, holdings, prices)
    reason = f"rebalance ({trigger.lower()}): max drift {drift:.4f}, band {plan.drift_band}"
    version = model_version(METADATA)
    return tuple(
        AllocationIntent(
            book_id=book_id,
            strategy_id=S_401K_ALLOCATION,
            date_ny=today,
            symbol=order.symbol,
            side=order.side,
            quantity=order.quantity,
            order_type=OrderType.MARKET,
            limit_price=None,
            reference_price=order.price,
            reason=reason,
            model_version=version,
        )
        for order in rebalance_orders(plan, holdings, prices)
    )


def _price(prices: Mapping[str, Decimal], symbol: str) -> Decimal:
    price = prices.get(symbol)
    if price is None or not price.is_finite() or price <= 0:
        raise DataError(f"S_401K_ALLOCATION: no positive price for {symbol} (got {price!r})")
    return price


def _shares_for(cash: Decimal, price: Decimal) -> int:
    return max(0, int((cash / price).to_integral_value(ROUND_FLOOR)))


class Allocation401k:
    """The registered strategy object; see the module docstring for why it plans no cycle entries."""

    metadata: Final = METADATA

    def entry_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        # Tickets are placed by a person: no intraday window applies, the whole New York date is open
        # (the control plane's entry-window gate reads it when the book's tickets are decided).
        start = dt.datetime.combine(day, dt.time(0), tzinfo=NEW_YORK)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=NEW_YORK)
        return start.astimezone(dt.UTC), (end - dt.timedelta(microseconds=1)).astimezone(dt.UTC)

    def entries(self, inputs: StrategyInputs) -> tuple[EntryPlan, ...]:
        return ()


STRATEGY: Final = Allocation401k()
