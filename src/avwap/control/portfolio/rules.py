"""The guardrails: small pure functions ``(BookSoFar, Proposal, GuardrailLimits) -> reason codes``.

Like the control plane's gates, every rule runs on every candidate (the audit trail is complete), in the
order of :data:`RULES`, which is also the order of :data:`avwap.control.reasons.PORTFOLIO_REASONS`. A new
guardrail (a strategy sleeve, a regime multiplier) is one more function and one more line in :data:`RULES`.
Each rule passes only when its figure is known and within its limit: an unknown figure blocks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from avwap.control import reasons
from avwap.control.portfolio.records import GuardrailLimits

HUNDRED: Final = Decimal("100")


@dataclass
class BookSoFar:
    """The book after the candidates allowed so far in this batch (the latest snapshot, then each ALLOW).

    ``drawdown`` is the fraction below the equity peak (≤ 0)."""

    equity: Decimal
    gross: Decimal
    drawdown: Decimal
    positions: dict[str, Decimal] = field(default_factory=dict)
    sectors: dict[str, Decimal] = field(default_factory=dict)
    new_entries: int = 0
    regime_entry_quota: int | None = None  # E2: the regime's share of the new-entry limit (None: off)
    regime_no_risk: bool = False  # E2: the regime's risk multiplier is 0
    regime_gross_pct: Decimal | None = None  # E2: the regime's gross exposure cap, % of equity (None: off)


@dataclass(frozen=True)
class Proposal:
    """One candidate as the rules see it: its sector, proposed notional and measured correlations.

    ``max_correlation`` is the highest correlation with a held or allowed position (None: nothing held);
    ``book_correlation`` with the held book (None: nothing held). NaN means unknown."""

    symbol: str
    sector: str
    notional: Decimal
    max_correlation: float | None
    book_correlation: float | None


Rule = Callable[[BookSoFar, Proposal, GuardrailLimits], tuple[str, ...]]
PASS: Final[tuple[str, ...]] = ()


def _above(value: Decimal, limit_pct: Decimal, equity: Decimal) -> bool:
    """value > limit_pct % of equity (multiplied out: no division)."""
    return value * HUNDRED > limit_pct * equity


def drawdown_rule(book: BookSoFar, proposal: Proposal, limits: GuardrailLimits) -> tuple[str, ...]:
    """PORTFOLIO_DRAWDOWN_THROTTLE when the book is at or beyond the throttle below its equity peak."""
    if -book.drawdown * HUNDRED >= limits.drawdown_throttle_pct:
        return (reasons.PORTFOLIO_DRAWDOWN_THROTTLE,)
    return PASS


def regime_rule(book: BookSoFar, proposal: Proposal, limits: GuardrailLimits) -> tuple[str, ...]:
    """E2 (off unless the batch carries a regime): no entries at a zero risk multiplier; otherwise no more
    than the regime's share of the day's new-entry quota, and gross exposure after entry within the
    regime's share of PORTFOLIO_MAX_GROSS_PCT (each its own code)."""
    if book.regime_no_risk:
        return (reasons.PORTFOLIO_REGIME_NO_RISK,)
    codes: list[str] = []
    if book.regime_entry_quota is not None and book.new_entries >= book.regime_entry_quota:
        codes.append(reasons.PORTFOLIO_REGIME_ENTRY_THROTTLE)
    if book.regime_gross_pct is not None and _above(
        book.gross + proposal.notional, book.regime_gross_pct, book.equity
    ):
        codes.append(reasons.PORTFOLIO_REGIME_EXPOSURE_CAP)
    return tuple(codes)


def new_entries_rule(book: BookSoFar, proposal: Proposal, limits: GuardrailLimits) -> tuple[str, ...]:
    """PORTFOLIO_MAX_NEW_ENTRIES once the batch has allowed the day's quota."""
    return (reasons.PORTFOLIO_MAX_NEW_ENTRIES,) if book.new_entries >= limits.max_new_entries else PASS


def max_positions_rule(book: BookSoFar, proposal: Proposal, limits: GuardrailLimits) -> tuple[str, ...]:
    """PORTFOLIO_MAX_POSITIONS when a new symbol would exceed the open-position limit."""
    adds_one = proposal.symbol not in book.positions
    if len(book.positions) + adds_one > limits.max_positions:
        return (reasons.PORTFOLIO_MAX_POSITIONS,)
    return PASS


def symbol_concentration_rule(
    book: BookSoFar, proposal: Proposal, limits: GuardrailLimits
) -> tuple[str, ...]:
    """PORTFOLIO_SYMBOL_CONCENTRATION when the symbol's value after entry exceeds its share of equity."""
    after = book.positions.get(proposal.symbol, Decimal("0")) + proposal.notional
    return (
        (reasons.PORTFOLIO_SYMBOL_CONCENTRATION,)
        if _above(after, limits.max_symbol_pct, book.equity)
        else PASS
    )


def sector_concentration_rule(
    book: BookSoFar, proposal: Proposal, limits: GuardrailLimits
) -> tuple[str, ...]:
    """PORTFOLIO_SECTOR_CONCENTRATION when the sector's value after entry exceeds its share of equity
    (an unknown sector is one bucket of its own)."""
    after = book.sectors.get(proposal.sector, Decimal("0")) + proposal.notional
    return (
        (reasons.PORTFOLIO_SECTOR_CONCENTRATION,)
        if _above(after, limits.max_sector_pct, book.equity)
        else PASS
    )


def correlation_rule(book: BookSoFar, proposal: Proposal, limits: GuardrailLimits) -> tuple[str, ...]:
    """Against each held/allowed position and against the held book: UNKNOWN (too few returns), else HIGH."""
    codes: list[str] = []
    pair, whole = proposal.max_correlation, proposal.book_correlation
    if (pair is not None and math.isnan(pair)) or (whole is not None and math.isnan(whole)):
        return (reasons.PORTFOLIO_CORRELATION_UNKNOWN,)
    if pair is not None and pair > float(limits.max_correlation):
        codes.append(reasons.PORTFOLIO_CORRELATION_HIGH)
    if whole is not None and whole > float(limits.max_book_correlation):
        codes.append(reasons.PORTFOLIO_BOOK_CORRELATION_HIGH)
    return tuple(codes)


def gross_exposure_rule(book: BookSoFar, proposal: Proposal, limits: GuardrailLimits) -> tuple[str, ...]:
    """PORTFOLIO_GROSS_EXPOSURE when gross exposure after entry exceeds its share of equity."""
    after = book.gross + proposal.notional
    return (reasons.PORTFOLIO_GROSS_EXPOSURE,) if _above(after, limits.max_gross_pct, book.equity) else PASS


RULES: Final[tuple[tuple[str, Rule], ...]] = (
    ("drawdown", drawdown_rule),
    ("regime", regime_rule),
    ("new_entries", new_entries_rule),
    ("max_positions", max_positions_rule),
    ("symbol_concentration", symbol_concentration_rule),
    ("sector_concentration", sector_concentration_rule),
    ("correlation", correlation_rule),
    ("gross_exposure", gross_exposure_rule),
)


def run_rules(book: BookSoFar, proposal: Proposal, limits: GuardrailLimits) -> tuple[str, ...]:
    """Every rule's codes, in rule order; a rule that raises blocks with PORTFOLIO_RULE_ERROR (a bug)."""
    codes: list[str] = []
    for _, rule in RULES:
        try:
            codes.extend(rule(book, proposal, limits))
        except Exception:  # a crashing guardrail must block, never allow
            codes.append(reasons.PORTFOLIO_RULE_ERROR)
    return reasons.sort_portfolio_reasons(codes) if codes else PASS
