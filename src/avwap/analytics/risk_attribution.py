"""Risk attribution events (Phase E3.1): why each portfolio decision is sized as it is. Pure.

One :class:`~avwap.ledger.records.RiskAttributionEvent` per decision of a batch whose inputs were usable
(a batch that failed on its inputs sized nothing: there is nothing to attribute). Per decision:

* baseline = the sizing rule's notional (``baseline_notional``; the proposed notional when E2 is off),
  modulated = after the regime's risk multiplier (``proposed_notional``); quantities are
  floor(notional / the candidate's entry level), the sizing rule's share count (``control/sizing.py``);
* allowed = the modulated notional on ALLOW, 0 on BLOCK; ``exposure_delta`` = allowed − baseline, split into
  ordered components: ``RISK_ATTRIBUTION_REGIME_SCALED`` (modulated − baseline), then the whole remaining
  notional of a BLOCK charged to the category of the decision's primary (first, rule-order) reason:
  ``..._REGIME_BLOCKED`` (the regime's no-risk or entry throttle), ``..._DRAWDOWN_GUARD``, or
  ``..._HARD_CAP`` (every other guardrail). The drawdown rule runs first, so when it and the regime both
  block (the stricter wins), the block is the drawdown guard's: the regime removed nothing extra;
* reason codes: every category that applied, in documented order; ``..._UNMODIFIED`` when none did.

Nothing here is read back by any decision: attribution is measurement only.

Public API::

    build_events(batch, batch_sha256, entry_prices, policy) -> tuple[RiskAttributionEvent, ...]
    policy_hash(policy) -> str
    is_modulated(event) -> bool       E2 changed it (scaled or blocked by the regime)
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from avwap.control import reasons
from avwap.control.portfolio.records import PortfolioDecision, PortfolioDecisionBatch, Verdict
from avwap.control.portfolio.regime import RegimeModulation, RegimePolicy
from avwap.control.sizing import whole_shares
from avwap.control.values import ARITHMETIC
from avwap.core.canonical import content_hash
from avwap.core.ids import stable_id
from avwap.ledger.paths import PORTFOLIO_RISK_ATTRIBUTION
from avwap.ledger.records import (
    RISK_ATTRIBUTION_CODES,
    RISK_ATTRIBUTION_DRAWDOWN_GUARD,
    RISK_ATTRIBUTION_HARD_CAP,
    RISK_ATTRIBUTION_REGIME_BLOCKED,
    RISK_ATTRIBUTION_REGIME_SCALED,
    RISK_ATTRIBUTION_UNMODIFIED,
    AttributionComponent,
    RiskAttributionEvent,
)

REGIME_CODES: Final = frozenset({reasons.PORTFOLIO_REGIME_NO_RISK, reasons.PORTFOLIO_REGIME_ENTRY_THROTTLE})
E2_OFF: Final = "E2_OFF"
ZERO: Final = Decimal("0")
PERCENT_STEP: Final = Decimal("0.01")
_RANK: Final = {code: rank for rank, code in enumerate(RISK_ATTRIBUTION_CODES)}


def policy_hash(policy: RegimePolicy) -> str:
    """The sha256 of the E2 policy (multipliers per label, confidence threshold) the batch applied."""
    multipliers = {label: list(pair) for label, pair in sorted(policy.multipliers.items())}
    return content_hash({"multipliers": multipliers, "confidence_threshold": policy.confidence_threshold})


def category(code: str) -> str:
    """The attribution category of a portfolio reason code."""
    if code in REGIME_CODES:
        return RISK_ATTRIBUTION_REGIME_BLOCKED
    if code == reasons.PORTFOLIO_DRAWDOWN_THROTTLE:
        return RISK_ATTRIBUTION_DRAWDOWN_GUARD
    return RISK_ATTRIBUTION_HARD_CAP


def is_modulated(event: RiskAttributionEvent) -> bool:
    """Whether E2 changed the decision: its notional scaled, or its entry blocked by the regime."""
    return bool({RISK_ATTRIBUTION_REGIME_SCALED, RISK_ATTRIBUTION_REGIME_BLOCKED} & set(event.reason_codes))


def _percent(delta: Decimal | int, base: Decimal | int) -> Decimal | None:
    return None if not base else (Decimal(delta) * 100 / Decimal(base)).quantize(PERCENT_STEP)


def _shares(notional: Decimal, price: Decimal | None) -> int | None:
    """floor(notional / price): the sizing rule's share count (None when the price is unknown)."""
    return None if price is None or not price.is_finite() or price <= 0 else whole_shares(notional, price)


def _components(item: PortfolioDecision, baseline: Decimal) -> tuple[AttributionComponent, ...]:
    parts: list[AttributionComponent] = []
    if item.proposed_notional != baseline:
        parts.append(
            AttributionComponent(
                code=RISK_ATTRIBUTION_REGIME_SCALED, notional_delta=item.proposed_notional - baseline
            )
        )
    if item.verdict is Verdict.BLOCK and item.proposed_notional:
        primary = category(item.reason_codes[0])
        parts.append(AttributionComponent(code=primary, notional_delta=-item.proposed_notional))
    return tuple(parts)


def _reason_codes(item: PortfolioDecision, baseline: Decimal) -> tuple[str, ...]:
    codes = {category(code) for code in item.reason_codes}
    if item.proposed_notional != baseline:
        codes.add(RISK_ATTRIBUTION_REGIME_SCALED)
    return tuple(sorted(codes, key=_RANK.__getitem__)) or (RISK_ATTRIBUTION_UNMODIFIED,)


def _regime_fields(regime: RegimeModulation | None, digest: str | None) -> dict[str, object]:
    if regime is None:
        return {"policy_reference": E2_OFF}
    return {
        "regime_label": regime.label,
        "regime_code": regime.applied_label,
        "regime_as_of": regime.as_of,
        "regime_confidence": regime.confidence,
        "risk_multiplier": regime.risk_multiplier,
        "new_positions_multiplier": regime.new_positions_multiplier,
        "halved": regime.halved,
        "policy_reference": f"E2_MULTIPLIERS_{regime.applied_label}",
        "policy_hash": digest,
    }


def _event(
    batch: PortfolioDecisionBatch,
    item: PortfolioDecision,
    batch_sha256: str,
    price: Decimal | None,
    regime_fields: Mapping[str, object],
) -> RiskAttributionEvent:
    baseline = item.proposed_notional if item.baseline_notional is None else item.baseline_notional
    modulated = item.proposed_notional
    allowed = modulated if item.verdict is Verdict.ALLOW else ZERO
    components = _components(item, baseline)
    base_shares, shares = _shares(baseline, price), _shares(modulated, price)
    quantity_delta = None if shares is None or base_shares is None else shares - base_shares
    drawdown = sum(
        (part.notional_delta for part in components if part.code == RISK_ATTRIBUTION_DRAWDOWN_GUARD), ZERO
    )
    key = {
        "stream": PORTFOLIO_RISK_ATTRIBUTION,
        "book_id": batch.book_id,
        "date_ny": batch.date_ny,
        "strategy_id": item.strategy_id,
        "symbol": item.symbol,
        "batch_sha256": batch_sha256,
    }
    return RiskAttributionEvent(
        book_id=batch.book_id,
        date_ny=batch.date_ny,
        ts=batch.decided_at,
        strategy_id=item.strategy_id,
        symbol=item.symbol,
        decision_id=stable_id("dec", key),
        rank=item.rank,
        shadow=item.strategy_id in batch.shadow_strategies,
        verdict=item.verdict.value,
        batch_sha256=batch_sha256,
        entry_price=price,
        baseline_quantity=base_shares,
        modulated_quantity=shares,
        quantity_delta=quantity_delta,
        quantity_delta_pct=None if quantity_delta is None else _percent(quantity_delta, base_shares or 0),
        baseline_notional=baseline,
        modulated_notional=modulated,
        notional_delta=modulated - baseline,
        notional_delta_pct=_percent(modulated - baseline, baseline),
        allowed_notional=allowed,
        exposure_delta=allowed - baseline,
        drawdown_guard=reasons.PORTFOLIO_DRAWDOWN_THROTTLE in item.reason_codes,
        drawdown_contribution=drawdown,
        hard_caps=tuple(code for code in item.reason_codes if category(code) == RISK_ATTRIBUTION_HARD_CAP),
        components=components,
        reason_codes=_reason_codes(item, baseline),
        decision_reason_codes=item.reason_codes,
        **regime_fields,  # type: ignore[arg-type]
    )


def build_events(
    batch: PortfolioDecisionBatch,
    batch_sha256: str,
    entry_prices: Mapping[str, Decimal],
    policy: RegimePolicy | None,
) -> tuple[RiskAttributionEvent, ...]:
    """One event per decision of ``batch`` (in the batch's order); none when its inputs failed.
    ``entry_prices``: each candidate's entry level by symbol (a missing one leaves quantities None)."""
    if not batch.inputs_ok:
        return ()
    digest = None if policy is None or batch.regime is None else policy_hash(policy)
    regime_fields = _regime_fields(batch.regime, digest)
    with decimal.localcontext(ARITHMETIC):
        return tuple(
            _event(batch, item, batch_sha256, entry_prices.get(item.symbol), regime_fields)
            for item in batch.decisions
        )
