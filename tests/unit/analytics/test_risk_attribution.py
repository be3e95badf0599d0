"""E3.1 risk attribution events (pure): baseline vs modulated figures per decision, components that add up
to the exposure change, ordered codes, the drawdown guard and hard caps, stable ids, strict records."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from tests.unit.control.test_portfolio_decisions import book, candidate, run

from avwap.analytics.risk_attribution import E2_OFF, build_events, is_modulated, policy_hash
from avwap.control import reasons as r
from avwap.control.portfolio.records import GuardrailLimits
from avwap.control.portfolio.regime import RegimePolicy, modulation
from avwap.core.config import load_config
from avwap.ledger.records import (
    RISK_ATTRIBUTION_DRAWDOWN_GUARD,
    RISK_ATTRIBUTION_HARD_CAP,
    RISK_ATTRIBUTION_REGIME_BLOCKED,
    RISK_ATTRIBUTION_REGIME_SCALED,
    RISK_ATTRIBUTION_UNMODIFIED,
    AttributionComponent,
    RecordValidationError,
    decode_record,
    encode_record,
)
from avwap.strategies.registry import S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW

POLICY = RegimePolicy.from_config(load_config({}))
HIGH = Decimal("0.9")
SHA = "a" * 64
PRICES = {"XOM": Decimal("100"), "JPM": Decimal("100"), "MSFT": Decimal("100")}
THREE = (candidate("XOM", 1), candidate("JPM", 2), candidate("MSFT", 3))
LIMITS = GuardrailLimits(max_new_entries=3, max_sector_pct=Decimal("100"))


def neutral_batch():  # type: ignore[no-untyped-def]
    return run(candidates=THREE, limits=LIMITS, regime=modulation("NEUTRAL", HIGH, None, POLICY))


def test_a_neutral_morning_scales_two_entries_and_throttles_the_third() -> None:
    events = build_events(neutral_batch(), SHA, PRICES, POLICY)
    assert [event.symbol for event in events] == ["XOM", "JPM", "MSFT"]
    first, _, third = events
    assert (first.baseline_notional, first.modulated_notional) == (Decimal("2000.00"), Decimal("1200.00"))
    assert (first.baseline_quantity, first.modulated_quantity, first.quantity_delta) == (20, 12, -8)
    assert first.notional_delta == Decimal("-800.00") and first.notional_delta_pct == Decimal("-40.00")
    assert first.quantity_delta_pct == Decimal("-40.00")
    assert first.allowed_notional == Decimal("1200.00") and first.exposure_delta == Decimal("-800.00")
    assert first.reason_codes == (RISK_ATTRIBUTION_REGIME_SCALED,)
    assert first.regime_code == "NEUTRAL" and first.policy_reference == "E2_MULTIPLIERS_NEUTRAL"
    assert first.policy_hash == policy_hash(POLICY) and first.risk_multiplier == Decimal("0.6")
    assert third.verdict == "BLOCK" and third.decision_reason_codes == (r.PORTFOLIO_REGIME_ENTRY_THROTTLE,)
    assert third.components == (
        AttributionComponent(code=RISK_ATTRIBUTION_REGIME_SCALED, notional_delta=Decimal("-800.00")),
        AttributionComponent(code=RISK_ATTRIBUTION_REGIME_BLOCKED, notional_delta=Decimal("-1200.00")),
    )
    assert third.exposure_delta == Decimal("-2000.00") and third.allowed_notional == 0
    assert third.reason_codes == (RISK_ATTRIBUTION_REGIME_SCALED, RISK_ATTRIBUTION_REGIME_BLOCKED)
    assert all(is_modulated(event) for event in events)


def test_the_drawdown_guard_takes_the_block_when_it_and_the_regime_both_apply() -> None:
    drawn = book({"AAPL": "5000"}, history=("100000", "85000"))
    calm = build_events(
        run(book=drawn, regime=modulation("RISK_ON", HIGH, None, POLICY)), SHA, PRICES, POLICY
    )
    (event,) = calm
    assert event.drawdown_guard and event.drawdown_contribution == -event.baseline_notional
    assert event.reason_codes == (RISK_ATTRIBUTION_DRAWDOWN_GUARD,) and not is_modulated(event)
    neutral = build_events(
        run(book=drawn, regime=modulation("NEUTRAL", HIGH, None, POLICY)), SHA, PRICES, POLICY
    )
    (scaled,) = neutral
    assert [part.code for part in scaled.components] == [
        RISK_ATTRIBUTION_REGIME_SCALED,
        RISK_ATTRIBUTION_DRAWDOWN_GUARD,
    ]
    assert scaled.drawdown_contribution == -scaled.modulated_notional
    stressed = build_events(
        run(book=drawn, regime=modulation("UNKNOWN", Decimal(0), None, POLICY)), SHA, PRICES, POLICY
    )
    (blocked,) = stressed
    assert blocked.regime_label == "UNKNOWN" and blocked.regime_code == "STRESSED"
    assert blocked.reason_codes == (
        RISK_ATTRIBUTION_REGIME_SCALED,
        RISK_ATTRIBUTION_REGIME_BLOCKED,
        RISK_ATTRIBUTION_DRAWDOWN_GUARD,
    )
    assert blocked.modulated_notional == 0 and blocked.drawdown_contribution == 0  # the regime took it all


def test_without_e2_decisions_are_unmodified_or_capped() -> None:
    capped = GuardrailLimits(max_new_entries=1)
    events = build_events(run(candidates=THREE[:2], limits=capped), SHA, PRICES, None)
    allowed, blocked = events
    assert allowed.policy_reference == E2_OFF and allowed.regime_code is None and allowed.policy_hash is None
    assert allowed.reason_codes == (RISK_ATTRIBUTION_UNMODIFIED,) and allowed.exposure_delta == 0
    assert blocked.reason_codes == (RISK_ATTRIBUTION_HARD_CAP,)
    assert blocked.hard_caps == (r.PORTFOLIO_MAX_NEW_ENTRIES,) and not is_modulated(blocked)
    assert blocked.components == (
        AttributionComponent(code=RISK_ATTRIBUTION_HARD_CAP, notional_delta=-blocked.baseline_notional),
    )


def test_a_batch_whose_inputs_failed_sized_nothing_and_has_no_events() -> None:
    failed = run(book=None)
    assert not failed.inputs_ok and build_events(failed, SHA, PRICES, POLICY) == ()


def test_unknown_entry_prices_leave_quantities_unknown() -> None:
    (event, *_) = build_events(neutral_batch(), SHA, {}, POLICY)
    assert event.entry_price is None and event.baseline_quantity is None and event.quantity_delta is None


def test_events_are_deterministic_with_stable_ids_and_round_trip_strictly() -> None:
    batch = run(
        candidates=THREE, limits=LIMITS, regime=modulation("NEUTRAL", HIGH, None, POLICY),
        strategies=(S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW), shadow_strategies=(S1_AVWAP_CORE_SHADOW,),
    )  # fmt: skip
    first, second = build_events(batch, SHA, PRICES, POLICY), build_events(batch, SHA, PRICES, POLICY)
    assert first == second
    assert [encode_record(event) for event in first] == [encode_record(event) for event in second]
    assert len({event.decision_id for event in first}) == len(first) == 6
    assert {event.shadow for event in first if event.strategy_id == S1_AVWAP_CORE_SHADOW} == {True}
    assert all(decode_record(encode_record(event)) == event for event in first)
    other = build_events(batch, "b" * 64, PRICES, POLICY)
    assert {event.decision_id for event in other}.isdisjoint(event.decision_id for event in first)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"exposure_delta": "-1.00"}, "exposure_delta"),
        ({"allowed_notional": "0"}, "allowed_notional"),
        ({"reason_codes": ["PORTFOLIO_REGIME_NO_RISK"]}, "RISK_ATTRIBUTION_"),
        ({"reason_codes": [RISK_ATTRIBUTION_UNMODIFIED, RISK_ATTRIBUTION_REGIME_SCALED]}, "order"),
        ({"components": []}, "the components"),
        ({"regime_code": "CALM"}, "unknown regime label"),
        ({"decision_id": "abc"}, "dec_"),
    ],
)
def test_an_inconsistent_event_is_refused(change: dict[str, object], message: str) -> None:
    (event, *_) = build_events(neutral_batch(), SHA, PRICES, POLICY)
    with pytest.raises(RecordValidationError, match=message):
        decode_record({**encode_record(event), **change})


def test_building_events_changes_no_decision() -> None:
    batch = neutral_batch()
    before = batch.plain()
    build_events(batch, SHA, PRICES, POLICY)
    assert batch.plain() == before and isinstance(batch.decisions[0].proposed_notional, Decimal)


def test_the_attribution_modules_import_nothing_of_the_network() -> None:
    code = (
        "import sys, avwap.analytics.risk_attribution, avwap.analytics.risk_attribution_summary, "
        "avwap.analytics.risk_attribution_store; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'slack_sdk','alpaca','requests','httpx','urllib3','schwab','socket'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
