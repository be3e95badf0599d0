"""Properties of the 401(k) rebalancer: never overspends, whole shares only, within the band when feasible."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from avwap.ledger.record_enums import Side
from avwap.strategies.allocation_401k import Holdings, current_weights, max_drift, rebalance_orders
from avwap.strategies.allocation_menu import AllocationPlan

SYMBOLS = ("AAA", "BBB", "CCC", "DDD")
prices_strategy = st.tuples(
    *[st.decimals(min_value="0.5", max_value="900", places=2, allow_nan=False) for _ in SYMBOLS]
)
quantities = st.tuples(*[st.integers(min_value=0, max_value=5_000) for _ in SYMBOLS])
cash_strategy = st.decimals(min_value="0", max_value="500000", places=2, allow_nan=False)
raw_weights = st.tuples(*[st.integers(min_value=0, max_value=100) for _ in SYMBOLS]).filter(any)


def plan_from(raw: tuple[int, ...], band: Decimal = Decimal("0.05")) -> AllocationPlan:
    total = sum(raw)
    weights = {symbol: Decimal(part) / Decimal(total) for symbol, part in zip(SYMBOLS, raw, strict=True)}
    weights[SYMBOLS[-1]] = Decimal(1) - sum(list(weights.values())[:-1], Decimal(0))  # exact sum of 1
    return AllocationPlan(SYMBOLS, weights, band, "monthly")


def apply(holdings: Holdings, orders: tuple) -> Holdings:  # type: ignore[type-arg]
    positions = dict(holdings.positions)
    cash = holdings.cash
    for order in orders:
        signed = order.quantity if order.side is Side.BUY else -order.quantity
        positions[order.symbol] = positions.get(order.symbol, 0) + signed
        cash -= signed * order.price
    return Holdings(positions, cash)


@settings(max_examples=300, deadline=None)
@given(raw_weights, prices_strategy, quantities, cash_strategy)
def test_never_overspends_never_fractional_never_short(raw, prices, held, cash) -> None:  # type: ignore[no-untyped-def]
    price_of = dict(zip(SYMBOLS, prices, strict=True))
    holdings = Holdings(dict(zip(SYMBOLS, held, strict=True)), cash)
    orders = rebalance_orders(plan_from(raw), holdings, price_of)
    assert all(isinstance(order.quantity, int) and order.quantity > 0 for order in orders)
    # Sells come first, so running the orders in sequence never dips below zero cash.
    running = holdings
    for order in orders:
        running = apply(running, (order,))
        assert running.cash >= 0
        assert all(quantity >= 0 for quantity in running.positions.values())


@settings(max_examples=300, deadline=None)
@given(raw_weights, prices_strategy, quantities, cash_strategy)
def test_within_the_band_after_rebalance_when_feasible(raw, prices, held, cash) -> None:  # type: ignore[no-untyped-def]
    price_of = dict(zip(SYMBOLS, prices, strict=True))
    holdings = Holdings(dict(zip(SYMBOLS, held, strict=True)), cash)
    plan = plan_from(raw)
    after = apply(holdings, rebalance_orders(plan, holdings, price_of))
    value = holdings.cash + sum(q * price_of[s] for s, q in holdings.positions.items())
    if value > 0 and max(prices) <= plan.drift_band * value:  # one share of anything fits in the band
        assert max_drift(plan, after, price_of) <= plan.drift_band
        assert sum(current_weights(after, price_of).values()) <= 1
