"""E2 in execution: an ALLOW's regime-scaled notional caps the order's quantity. Pure.

With ``E2_REGIME_MODULATION=1`` each decision of the morning's batch records the notional the sizing rule
proposes (``baseline_notional``) and that notional × the regime's risk multiplier (``proposed_notional``).
With ``PORTFOLIO_DECISION_ENFORCE=1`` the cycle lets an entry through only on an ALLOW
(:mod:`.enforcement`), and then sizes it as always (:mod:`avwap.control.sizing`, at the cycle's equity and
the plan's entry price): that size is the *baseline*. The regime's cap is

    cap shares = floor(proposed_notional / entry price)        (whole shares, rounded down)
    shares     = min(baseline shares, cap shares)

so the order never buys more than the decision's scaled notional. Risk per trade is shares × (entry −
stop), so capping the shares scales the risk by the same factor. A cap below one share blocks the entry
(``PORTFOLIO_DECISION_SIZED_TO_ZERO``). The drawdown guard and every other guardrail act in the decision
itself (a BLOCK never reaches sizing), so the stricter of them and the regime always wins. With E2 off the
batch carries no regime, :func:`decision_cap` is None and nothing here runs: orders keep their bytes.

Both sizes are kept in :class:`CappedEntry` (baseline and modulated shares and notionals) for whoever
records what the regime changed. Exits never come here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from avwap.control import reasons
from avwap.control.portfolio.records import PortfolioDecision, PortfolioDecisionBatch, Verdict
from avwap.control.sizing import SizedEntry, SizingRejection, whole_shares


def decision_cap(batch: PortfolioDecisionBatch, decision: PortfolioDecision) -> Decimal | None:
    """The notional cap an ALLOW puts on its order: its scaled notional when the batch was decided under
    E2 (the batch carries a regime), else None (no cap: exactly the behaviour before E2)."""
    if batch.regime is None or decision.verdict is not Verdict.ALLOW:
        return None
    return decision.proposed_notional


@dataclass(frozen=True)
class CappedEntry:
    """The entry as sized (``baseline``) and after the regime's cap (``result``: a smaller or equal
    :class:`SizedEntry`, or a :class:`SizingRejection` when the cap is below one share)."""

    baseline: SizedEntry
    result: SizedEntry | SizingRejection
    max_notional: Decimal
    cap_shares: int

    @property
    def shares(self) -> int:
        return self.result.shares if isinstance(self.result, SizedEntry) else 0

    @property
    def notional(self) -> Decimal:
        return self.result.notional if isinstance(self.result, SizedEntry) else Decimal("0")

    @property
    def capped(self) -> bool:
        return self.shares < self.baseline.shares


def cap_shares(max_notional: Decimal, entry_price: Decimal) -> int:
    """Whole shares ``max_notional`` buys at ``entry_price`` (floor; 0 for a non-positive notional)."""
    return whole_shares(max_notional, entry_price)


def cap_entry(sized: SizedEntry, max_notional: Decimal) -> CappedEntry:
    """``sized`` limited to ``max_notional`` (see the module docstring)."""
    limit = cap_shares(max_notional, sized.entry_price)
    if limit < 1:
        detail = {
            "problem": "regime cap below one share",
            "max_notional": max_notional,
            "entry_price": sized.entry_price,
            "baseline_shares": sized.shares,
        }
        rejection = SizingRejection(reasons.PORTFOLIO_DECISION_SIZED_TO_ZERO, detail)
        return CappedEntry(sized, rejection, max_notional, limit)
    result = dataclasses.replace(sized, shares=limit) if limit < sized.shares else sized
    return CappedEntry(sized, result, max_notional, limit)
