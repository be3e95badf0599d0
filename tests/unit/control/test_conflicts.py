"""Cross-strategy conflict rules (Phase S3): held by another strategy, netting, priority, symbol and
portfolio resizing; one resolution per intent, deterministic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from avwap.control import reasons
from avwap.control.conflicts import BLOCK, BUY, KEEP, RESIZE, SELL, Claim, ConflictRules, resolve
from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError

PRIORITIES = {"S1_AVWAP_CORE": 1, "S2_AVWAP_SWING": 2}


def claim(strategy: str, symbol: str, quantity: int, price: str = "10", side: str = BUY) -> Claim:
    return Claim(strategy, symbol, side, quantity, Decimal(price), key=f"int_{strategy}_{symbol}_{side}")


def outcomes(resolutions: tuple) -> list[tuple[str, str, int, tuple[str, ...]]]:
    return [(r.claim.strategy_id, r.outcome, r.quantity, r.reasons) for r in resolutions]


def test_no_overlap_keeps_every_intent_without_a_conflict() -> None:
    result = resolve(
        [], [claim("S1_AVWAP_CORE", "AAA", 10), claim("S2_AVWAP_SWING", "BBB", 5)], ConflictRules(PRIORITIES)
    )
    assert outcomes(result) == [("S1_AVWAP_CORE", KEEP, 10, ()), ("S2_AVWAP_SWING", KEEP, 5, ())]
    assert not any(item.conflicted for item in result)


def test_a_symbol_held_by_another_strategy_blocks_same_side_and_opposite_side() -> None:
    held = [claim("S1_AVWAP_CORE", "AAA", 1, "1000")]
    same = resolve(held, [claim("S2_AVWAP_SWING", "AAA", 10)], ConflictRules(PRIORITIES))
    assert outcomes(same) == [("S2_AVWAP_SWING", BLOCK, 0, (reasons.CONFLICT_HELD_BY_OTHER,))]
    assert same[0].counterparties == ("S1_AVWAP_CORE",)
    opposite = resolve(held, [claim("S2_AVWAP_SWING", "AAA", 10, side=SELL)], ConflictRules(PRIORITIES))
    assert outcomes(opposite) == [("S2_AVWAP_SWING", BLOCK, 0, (reasons.CONFLICT_OPPOSES_HOLDING,))]
    # overlap allowed: the same-side intent is kept (and fitted into the symbol cap), the opposite never
    allowed = ConflictRules(PRIORITIES, allow_symbol_overlap=True, max_notional_per_symbol=Decimal("1000"))
    assert outcomes(resolve(held, [claim("S2_AVWAP_SWING", "AAA", 10)], allowed))[0][1] == KEEP
    assert outcomes(resolve(held, [claim("S2_AVWAP_SWING", "AAA", 10, side=SELL)], allowed))[0][1] == BLOCK
    # a strategy's own holding is not a conflict
    assert not resolve(held, [claim("S1_AVWAP_CORE", "AAA", 10)], ConflictRules(PRIORITIES))[0].conflicted


def test_same_side_intents_keep_the_highest_priority_only() -> None:
    intents = [claim("S2_AVWAP_SWING", "AAA", 10), claim("S1_AVWAP_CORE", "AAA", 7)]
    result = resolve([], intents, ConflictRules(PRIORITIES))
    assert outcomes(result) == [
        ("S2_AVWAP_SWING", BLOCK, 0, (reasons.CONFLICT_LOWER_PRIORITY,)),
        ("S1_AVWAP_CORE", KEEP, 7, (reasons.CONFLICT_PRIORITY_KEPT,)),
    ]
    flipped = resolve([], intents, ConflictRules({"S2_AVWAP_SWING": 1, "S1_AVWAP_CORE": 2}))
    assert [item.outcome for item in flipped] == [KEEP, BLOCK]


def test_offsetting_intents_are_netted_lowest_priority_first() -> None:
    intents = [claim("S1_AVWAP_CORE", "AAA", 10), claim("S2_AVWAP_SWING", "AAA", 4, side=SELL)]
    result = resolve([], intents, ConflictRules(PRIORITIES))
    assert outcomes(result) == [
        ("S1_AVWAP_CORE", RESIZE, 6, (reasons.CONFLICT_NETTED,)),
        ("S2_AVWAP_SWING", BLOCK, 0, (reasons.CONFLICT_NETTED,)),
    ]
    even = resolve([], [claim("S1_AVWAP_CORE", "AAA", 4), intents[1]], ConflictRules(PRIORITIES))
    assert [item.outcome for item in even] == [BLOCK, BLOCK]  # equal and opposite: nothing to trade


def test_overlap_allowed_fits_the_symbols_combined_notional_in_priority_order() -> None:
    rules = ConflictRules(PRIORITIES, allow_symbol_overlap=True, max_notional_per_symbol=Decimal("250"))
    held = [claim("S1_AVWAP_CORE", "AAA", 1, "50")]  # $50 held already
    intents = [claim("S2_AVWAP_SWING", "AAA", 10), claim("S1_AVWAP_CORE", "AAA", 15)]
    result = resolve(held, intents, rules)
    # $200 of headroom at $10: S1 (priority 1) takes 15, S2 gets the remaining 5
    assert outcomes(result) == [
        ("S2_AVWAP_SWING", RESIZE, 5, (reasons.CONFLICT_SYMBOL_CAP_RESIZED,)),
        ("S1_AVWAP_CORE", KEEP, 15, ()),
    ]


def test_intents_of_several_strategies_share_the_gross_budget_in_priority_order() -> None:
    rules = ConflictRules(PRIORITIES, gross_budget=Decimal("1000"))
    intents = [claim("S2_AVWAP_SWING", "BBB", 60), claim("S1_AVWAP_CORE", "AAA", 50)]
    result = resolve([], intents, rules)
    assert outcomes(result) == [
        ("S2_AVWAP_SWING", RESIZE, 50, (reasons.CONFLICT_PORTFOLIO_CAP_RESIZED,)),
        ("S1_AVWAP_CORE", KEEP, 50, ()),
    ]
    # one strategy alone is left to the control plane's own gross caps
    alone = resolve([], [claim("S2_AVWAP_SWING", "BBB", 600)], rules)
    assert not alone[0].conflicted


def test_every_conflict_code_is_documented_and_sorted_in_rule_order() -> None:
    for code in reasons.CONFLICT_REASONS:
        assert reasons.describe(code) != "unknown reason code"


def test_duplicate_priorities_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_config({"S3_STRATEGY_PRIORITIES": "S1_AVWAP_CORE=1,S2_AVWAP_SWING=1"})
    assert raised.value.variable == "S3_STRATEGY_PRIORITIES"
    with pytest.raises(ConfigurationError):
        load_config({"S3_STRATEGY_PRIORITIES": "S1_AVWAP_CORE=1,S1_AVWAP_CORE=2"})
    with pytest.raises(ConfigurationError):
        load_config({"S3_STRATEGY_PRIORITIES": "S1_AVWAP_CORE"})
    config = load_config(
        {"S3_STRATEGY_PRIORITIES": "S2_AVWAP_SWING=1", "ENABLED_STRATEGIES": "S1_AVWAP_CORE,S2_AVWAP_SWING"}
    )
    assert config.strategy_priorities() == {"S2_AVWAP_SWING": 1, "S1_AVWAP_CORE": 2}
