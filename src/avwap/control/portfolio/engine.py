"""The decision engine: (candidates, latest snapshot + history, returns, sectors, limits) -> batch. Pure.

For each strategy (S1, the other enabled routed strategies, the shadow clone), candidates are taken in rank
order against the book of the latest snapshot; every rule of :mod:`.rules` runs on each (and, for routed
strategies, the sleeve rules of :mod:`.sleeves`); an ALLOW is added to the book the next candidate sees (its
notional, sector, position count, and its returns for the correlation rule). Strategies are decided
independently against the same snapshot. No clock, no I/O: the caller passes ``decided_at``.

Fail closed: when the caller found the inputs unusable (``input_reasons``: candidates missing, unreadable
or stale; snapshot missing, unreadable, stale or of another book; not a session), every candidate it could
read is BLOCKed with those reasons, and the batch says ``inputs_ok: false``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

from avwap.control import reasons
from avwap.control.portfolio.correlation import (
    CorrelationTable,
    ReturnsPanel,
    RunningCorrelation,
    correlation_table,
)
from avwap.control.portfolio.records import (
    UNKNOWN_SECTOR,
    BookInput,
    CandidateInput,
    GuardrailLimits,
    PortfolioDecision,
    PortfolioDecisionBatch,
    Verdict,
)
from avwap.control.portfolio.regime import RegimeModulation, entry_quota, gross_cap_pct
from avwap.control.portfolio.rules import HUNDRED, BookSoFar, Proposal, run_rules
from avwap.control.portfolio.sleeves import SleeveBook, SleeveRules, allow, sleeve_books, sleeve_codes
from avwap.control.portfolio.sleeves import snapshot as sleeve_snapshot
from avwap.control.portfolio.sleeves import summaries as sleeve_summaries
from avwap.control.values import ARITHMETIC
from avwap.core.money import round_money


def proposed_notional(equity: Decimal, distance: float, limits: GuardrailLimits) -> Decimal:
    """The sizing rule's allocation (control/sizing.py): equity × base risk % × distance scale, capped."""
    distance_pct = Decimal(repr(distance)) * HUNDRED
    scale = min(Decimal("1"), max(limits.min_scale, 1 - distance_pct / limits.distance_scale_pct))
    allocation = min(equity * limits.base_risk_pct * scale, equity * limits.max_allocation_pct) / HUNDRED
    return round_money(max(allocation, Decimal("0")))


def modulated(notional: Decimal, regime: RegimeModulation) -> Decimal:
    """The proposed notional scaled by the regime's risk multiplier (E2), rounded to cents."""
    return round_money(notional * regime.risk_multiplier)


def drawdown(equity_history: Sequence[Decimal]) -> Decimal:
    """The latest equity's fraction below the peak of the history (0 at a peak; ≤ 0)."""
    if not equity_history:
        return Decimal("0")
    peak = max(equity_history)
    return equity_history[-1] / peak - 1 if peak > 0 else Decimal("0")


def _rounded(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 6)


def _decide_strategy(
    strategy_id: str,
    candidates: Sequence[CandidateInput],
    *,
    book: BookInput,
    notionals: Sequence[Decimal],
    table: CorrelationTable,
    sectors: Mapping[str, str],
    limits: GuardrailLimits,
    regime: RegimeModulation | None,
    baselines: Sequence[Decimal | None],
    sleeves: tuple[SleeveRules, dict[str, SleeveBook]] | None = None,
) -> list[PortfolioDecision]:
    state = BookSoFar(equity=book.equity, gross=book.gross_exposure, drawdown=drawdown(book.equity_history))
    if regime is not None:
        state.regime_entry_quota = entry_quota(limits.max_new_entries, regime)
        state.regime_no_risk = regime.risk_multiplier == 0
        state.regime_gross_pct = gross_cap_pct(limits.max_gross_pct, regime)
    for held in book.positions:
        sector = sectors.get(held.symbol, UNKNOWN_SECTOR)
        state.positions[held.symbol] = state.positions.get(held.symbol, Decimal("0")) + abs(held.market_value)
        state.sectors[sector] = state.sectors.get(sector, Decimal("0")) + abs(held.market_value)
    has_book = bool(book.positions)
    running = RunningCorrelation(table, list(state.positions))
    decisions = []
    for candidate, notional, baseline in zip(candidates, notionals, baselines, strict=True):
        sector = sectors.get(candidate.symbol, UNKNOWN_SECTOR)
        whole = table.book(candidate.symbol) if has_book else None
        proposal = Proposal(
            symbol=candidate.symbol,
            sector=sector,
            notional=notional,
            max_correlation=running.highest(candidate.symbol),
            book_correlation=whole,
        )
        codes = run_rules(state, proposal, limits)
        if sleeves is not None:  # Phase S2: the strategy's own caps (not for shadows)
            extra = sleeve_codes(strategy_id, candidate.symbol, proposal.notional, sleeves[1], sleeves[0])
            codes = reasons.sort_portfolio_reasons((*codes, *extra)) if extra else codes
        if not codes:
            if sleeves is not None:
                allow(sleeves[1], strategy_id, candidate.symbol, proposal.notional)
            state.positions[candidate.symbol] = (
                state.positions.get(candidate.symbol, Decimal("0")) + proposal.notional
            )
            state.sectors[sector] = state.sectors.get(sector, Decimal("0")) + proposal.notional
            state.gross += proposal.notional
            state.new_entries += 1
            running.add(candidate.symbol)
        decisions.append(
            PortfolioDecision(
                strategy_id=strategy_id,
                symbol=candidate.symbol,
                rank=candidate.rank,
                verdict=Verdict.BLOCK if codes else Verdict.ALLOW,
                reason_codes=codes,
                sector=sector,
                proposed_notional=proposal.notional,
                max_correlation=_rounded(proposal.max_correlation),
                book_correlation=_rounded(proposal.book_correlation),
                baseline_notional=baseline,
            )
        )
    return decisions


def _blocked(
    strategy_id: str, candidates: Sequence[CandidateInput], codes: tuple[str, ...]
) -> list[PortfolioDecision]:
    return [
        PortfolioDecision(
            strategy_id=strategy_id,
            symbol=item.symbol,
            rank=item.rank,
            verdict=Verdict.BLOCK,
            reason_codes=codes,
        )
        for item in candidates
    ]


def decide(
    *,
    book_id: str,
    date_ny: dt.date,
    decided_at: dt.datetime,
    strategies: Sequence[str],
    shadow_strategies: Sequence[str] = (),
    candidates: Sequence[CandidateInput],
    book: BookInput | None,
    returns: ReturnsPanel,
    sectors: Mapping[str, str],
    limits: GuardrailLimits,
    input_reasons: Sequence[str] = (),
    candidates_sha256: str | None = None,
    snapshot_sha256: str | None = None,
    regime: RegimeModulation | None = None,
    sleeve_rules: SleeveRules | None = None,
) -> PortfolioDecisionBatch:
    """Decide every candidate for every strategy; see the module docstring for the rules. ``regime``
    (E2_REGIME_MODULATION=1 only) scales each proposed notional and throttles new entries."""
    problems = list(input_reasons)
    if book is None and not problems:
        problems.append(reasons.PORTFOLIO_SNAPSHOT_MISSING)
    if book is not None and book.book_id != book_id:
        problems.append(reasons.PORTFOLIO_SNAPSHOT_BOOK_MISMATCH)
    if book is not None and not (book.equity.is_finite() and book.equity > 0):
        problems.append(reasons.PORTFOLIO_SNAPSHOT_INVALID)
    codes = reasons.sort_portfolio_reasons(problems)
    ordered = sorted(candidates, key=lambda item: (item.rank, item.symbol))
    decisions: list[PortfolioDecision] = []
    with decimal.localcontext(ARITHMETIC):
        if codes or book is None:
            for strategy_id in strategies:
                decisions += _blocked(strategy_id, ordered, codes)
        else:
            total = sum((abs(item.market_value) for item in book.positions), Decimal("0"))
            weights = (
                {item.symbol: float(abs(item.market_value) / total) for item in book.positions}
                if total
                else {}
            )
            table = correlation_table(returns, weights)
            baselines = [proposed_notional(book.equity, item.distance, limits) for item in ordered]
            notionals = baselines if regime is None else [modulated(value, regime) for value in baselines]
            recorded: list[Decimal | None] = [None] * len(ordered) if regime is None else list(baselines)
            rules = sleeve_rules or SleeveRules()
            books = sleeve_books(book, [item for item in strategies if item not in shadow_strategies])
            for strategy_id in strategies:
                routed = strategy_id not in shadow_strategies
                decisions += _decide_strategy(
                    strategy_id,
                    ordered,
                    book=book,
                    notionals=notionals,
                    table=table,
                    sectors=sectors,
                    limits=limits,
                    regime=regime,
                    baselines=recorded,
                    sleeves=(rules, books) if routed else None,
                )
    decisions.sort(key=lambda item: (item.strategy_id, item.rank, item.symbol))
    allowed = sum(item.verdict is Verdict.ALLOW for item in decisions)
    return PortfolioDecisionBatch(
        book_id=book_id,
        date_ny=date_ny,
        decided_at=decided_at.astimezone(dt.UTC),
        strategies=tuple(sorted(strategies)),
        shadow_strategies=tuple(sorted(shadow_strategies)),
        inputs_ok=not codes,
        input_reasons=codes,
        candidates_sha256=candidates_sha256,
        snapshot_sha256=snapshot_sha256,
        snapshot_date=None if book is None else book.snapshot_date,
        limits=limits,
        decisions=tuple(decisions),
        allowed=allowed,
        blocked=len(decisions) - allowed,
        regime=regime,
        sleeves=sleeve_snapshot(sleeve_rules or SleeveRules()),
        s2_enforcement=sleeve_summaries(
            [item for item in strategies if item not in shadow_strategies],
            decisions,
            book,
            sleeve_rules or SleeveRules(),
        ),
    )
