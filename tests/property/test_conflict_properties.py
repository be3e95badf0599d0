"""Conflict rules (Phase S3) over random claims: never more than asked, never a blocked intent with a
quantity, one winner per symbol and side without overlap, the gross budget kept, the same answer twice."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from avwap.control.conflicts import BLOCK, BUY, SELL, Claim, ConflictRules, resolve

STRATEGIES = ("S1_AVWAP_CORE", "S2_AVWAP_SWING", "S9_OTHER")
claims = st.builds(
    lambda strategy, symbol, side, quantity, cents, index: Claim(
        strategy, symbol, side, quantity, Decimal(cents) / 100, f"int_{index}_{strategy}_{symbol}"
    ),
    st.sampled_from(STRATEGIES),
    st.sampled_from(("AAA", "BBB", "CCC")),
    st.sampled_from((BUY, BUY, SELL)),
    st.integers(1, 500),
    st.integers(100, 50_000),
    st.integers(0, 10**6),
)


@settings(max_examples=200, deadline=None)
@given(
    held=st.lists(claims.filter(lambda item: item.side == BUY), max_size=4),
    intended=st.lists(claims, max_size=10),
    overlap=st.booleans(),
    budget=st.one_of(st.none(), st.integers(0, 200_000).map(Decimal)),
)
def test_resolutions_are_bounded_and_deterministic(held, intended, overlap, budget) -> None:
    rules = ConflictRules(
        {"S1_AVWAP_CORE": 1, "S2_AVWAP_SWING": 2},
        allow_symbol_overlap=overlap,
        max_notional_per_symbol=Decimal("20000"),
        gross_budget=budget,
    )
    result = resolve(held, intended, rules)
    assert result == resolve(held, intended, rules)
    assert [item.claim for item in result] == intended
    for item in result:
        assert 0 <= item.quantity <= item.claim.quantity
        assert (item.outcome == BLOCK) == (item.quantity == 0)
        assert item.conflicted or item.quantity == item.claim.quantity
        others = {c.strategy_id for c in held if c.symbol == item.claim.symbol} - {item.claim.strategy_id}
        if others and not overlap:
            assert item.outcome == BLOCK  # held by another strategy
    kept = [item for item in result if item.quantity]
    if not overlap:  # one strategy per symbol and side survives
        for symbol in {item.claim.symbol for item in kept}:
            for side in (BUY, SELL):
                owners = {
                    i.claim.strategy_id for i in kept if i.claim.symbol == symbol and i.claim.side == side
                }
                assert len(owners) <= 1
    buyers = {item.claim.strategy_id for item in kept if item.claim.side == BUY}
    if budget is not None and len(buyers) >= 2:
        # each buy counts at what the symbol cap lets it buy (the plane resizes it there anyway)
        held_on = {c.symbol: sum(h.notional for h in held if h.symbol == c.symbol) for c in held}
        spent = Decimal(0)
        for item in kept:
            if item.claim.side == BUY:
                headroom = Decimal("20000") - held_on.get(item.claim.symbol, Decimal(0))
                fits = max(0, int(headroom // item.claim.price)) if headroom > 0 else 0
                spent += min(item.quantity, fits) * item.claim.price
        assert spent <= max(budget, Decimal(0))
