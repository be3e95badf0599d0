"""E2 caps: the per-regime gross exposure cap in the decision layer (PORTFOLIO_REGIME_EXPOSURE_CAP), and the
pure order cap an ALLOW's regime-scaled notional puts on the order's quantity (control.portfolio.order_cap).
Figures are worked by hand in the comments."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
from tests.unit.control.test_portfolio_decisions import book, candidate, independent_returns, panel, run

from avwap.control import reasons as r
from avwap.control.portfolio.order_cap import cap_entry, cap_shares, decision_cap
from avwap.control.portfolio.records import GuardrailLimits, PortfolioDecision, Verdict
from avwap.control.portfolio.regime import RegimePolicy, gross_cap_pct, modulation
from avwap.control.sizing import SizedEntry, SizingRejection, SizingRules, size_entry
from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError

POLICY = RegimePolicy.from_config(load_config({}))
HIGH, LOW = Decimal("0.9"), Decimal("0.5")
# Book: equity 100,000, AAPL 5,000 held (gross 5 %); XOM at distance 0 proposes 2 % of equity = 2,000.
TEN_PERCENT = GuardrailLimits(max_gross_pct=Decimal("10"))


@pytest.mark.parametrize(
    ("label", "confidence", "multiplier"),
    [
        ("RISK_ON", HIGH, "1"),
        ("NEUTRAL", HIGH, "0.6"),
        ("RISK_OFF", HIGH, "0.2"),
        ("STRESSED", HIGH, "0"),
        ("UNKNOWN", Decimal(0), "0"),  # as STRESSED, halved
        ("NEUTRAL", LOW, "0.30"),  # below E2_CONFIDENCE_THRESHOLD: halved like the other two
    ],
)
def test_gross_exposure_multiplier_per_regime(label: str, confidence: Decimal, multiplier: str) -> None:
    regime = modulation(label, confidence, None, POLICY)
    assert regime.gross_exposure_multiplier == Decimal(multiplier)
    assert gross_cap_pct(Decimal("100"), regime) == Decimal("100") * Decimal(multiplier)


def test_the_regime_exposure_cap_blocks_an_entry_the_plain_gross_cap_allows() -> None:
    plain = run(limits=TEN_PERCENT)  # 5,000 + 2,000 = 7 % <= 10 %
    assert plain.decisions[0].verdict is Verdict.ALLOW
    # NEUTRAL: notional 2,000 x 0.6 = 1,200; gross after 6,200 = 6.2 % > 10 % x 0.6 = 6 %.
    neutral = run(limits=TEN_PERCENT, regime=modulation("NEUTRAL", HIGH, None, POLICY))
    (decision,) = neutral.decisions
    assert decision.proposed_notional == Decimal("1200.00")
    assert decision.reason_codes == (r.PORTFOLIO_REGIME_EXPOSURE_CAP,)
    # RISK_ON: cap 10 %, gross after 7 %: allowed. Halved (confidence 0.5): notional 1,000, cap 5 % < 6 %.
    calm = run(limits=TEN_PERCENT, regime=modulation("RISK_ON", HIGH, None, POLICY))
    assert calm.decisions[0].verdict is Verdict.ALLOW
    unsure = run(limits=TEN_PERCENT, regime=modulation("RISK_ON", LOW, None, POLICY))
    assert unsure.decisions[0].reason_codes == (r.PORTFOLIO_REGIME_EXPOSURE_CAP,)


def test_the_exposure_cap_counts_the_entries_allowed_before_in_the_batch() -> None:
    # Empty book, max gross 10 %, NEUTRAL (cap 6 %): each entry adds 1,200 (1.2 %): 5 fit (6.0 %), the 6th
    # not. The new-entry throttle is lifted (multiplier 1) so that only the exposure cap can bind.
    limits = GuardrailLimits(max_gross_pct=Decimal("10"), max_new_entries=10, max_sector_pct=Decimal("100"))
    names = ("XOM", "JPM", "MSFT", "AAPL", "AMZN", "GOOG")
    neutral = msgspec.structs.replace(
        modulation("NEUTRAL", HIGH, None, POLICY), new_positions_multiplier=Decimal(1)
    )
    batch = run(
        candidates=tuple(candidate(name, rank) for rank, name in enumerate(names, 1)),
        book=book(),
        limits=limits,
        regime=neutral,
        returns=panel(**independent_returns(*names)),
    )
    verdicts = [(item.symbol, item.reason_codes) for item in batch.decisions]
    assert verdicts == [*((name, ()) for name in names[:5]), ("GOOG", (r.PORTFOLIO_REGIME_EXPOSURE_CAP,))]


def test_a_stressed_regime_reports_no_risk_not_the_exposure_cap() -> None:
    (decision,) = run(regime=modulation("STRESSED", HIGH, None, POLICY)).decisions
    assert decision.reason_codes == (r.PORTFOLIO_REGIME_NO_RISK,)


@pytest.mark.parametrize("value", ["1.5", "-0.1", "x", "nan"])
@pytest.mark.parametrize(
    "variable",
    ["E2_GROSS_EXPOSURE_RISK_ON", "E2_GROSS_EXPOSURE_NEUTRAL", "E2_GROSS_EXPOSURE_RISK_OFF",
     "E2_GROSS_EXPOSURE_STRESSED"],
)  # fmt: skip
def test_garbage_gross_exposure_settings_name_their_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_config({variable: value})
    assert raised.value.variable == variable


def test_gross_exposure_settings_reach_the_policy() -> None:
    policy = RegimePolicy.from_config(load_config({"E2_GROSS_EXPOSURE_NEUTRAL": "0.8"}))
    assert modulation("NEUTRAL", HIGH, None, policy).gross_exposure_multiplier == Decimal("0.8")


# ----------------------------------------------------------------- the order cap (pure)

# Sizing at equity 100,000, entry 50.50, distance 1 %, stop 48.40: scale 1 - 1/6 = 0.8333..,
# allocation floor(2,000 x 0.8333..) = 1,666.66, shares floor(1,666.66 / 50.50) = 33.
SIZED = size_entry(Decimal("100000"), Decimal("50.50"), Decimal("1"), Decimal("48.40"), SizingRules())


def test_the_baseline_size_is_the_hand_worked_one() -> None:
    assert isinstance(SIZED, SizedEntry)
    assert (SIZED.allocation, SIZED.shares) == (Decimal("1666.66"), 33)


def test_a_neutral_cap_reduces_the_quantity_by_the_multiplier() -> None:
    assert isinstance(SIZED, SizedEntry)
    # NEUTRAL: 1,666.66 x 0.6 = 999.996 -> 1,000.00 (cents); floor(1,000.00 / 50.50) = 19 (33 x 0.6 = 19.8).
    capped = cap_entry(SIZED, Decimal("1000.00"))
    assert (capped.baseline.shares, capped.shares, capped.cap_shares, capped.capped) == (33, 19, 19, True)
    assert capped.notional == Decimal("959.50") and capped.baseline.notional == Decimal("1666.50")
    assert isinstance(capped.result, SizedEntry) and capped.result.stop_price == SIZED.stop_price


def test_a_cap_above_the_size_changes_nothing() -> None:
    assert isinstance(SIZED, SizedEntry)
    capped = cap_entry(SIZED, Decimal("5000"))
    assert capped.result is SIZED and not capped.capped


@pytest.mark.parametrize("notional", ["50.49", "0", "-1", "NaN"])
def test_a_cap_below_one_share_blocks_with_its_code(notional: str) -> None:
    assert isinstance(SIZED, SizedEntry)
    capped = cap_entry(SIZED, Decimal(notional))
    assert isinstance(capped.result, SizingRejection)
    assert capped.result.reason == r.PORTFOLIO_DECISION_SIZED_TO_ZERO and capped.shares == 0
    assert capped.result.detail["baseline_shares"] == 33


def test_cap_shares_floors() -> None:
    assert [cap_shares(Decimal(v), Decimal("50.50")) for v in ("50.50", "101.00", "100.99")] == [1, 2, 1]


def test_only_an_allow_of_a_batch_decided_under_e2_caps_its_order() -> None:
    plain = run()
    on = run(regime=modulation("NEUTRAL", HIGH, None, POLICY))
    assert decision_cap(plain, plain.decisions[0]) is None  # E2 off: no cap, the order as before
    assert decision_cap(on, on.decisions[0]) == on.decisions[0].proposed_notional == Decimal("1200.00")
    blocked = PortfolioDecision(
        strategy_id="S1_AVWAP_CORE", symbol="XOM", rank=1, verdict=Verdict.BLOCK,
        reason_codes=(r.PORTFOLIO_REGIME_ENTRY_THROTTLE,),
    )  # fmt: skip
    assert decision_cap(on, blocked) is None
