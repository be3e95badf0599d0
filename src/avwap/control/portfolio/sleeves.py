"""Sleeve rules of the pre-open portfolio decisions (Phase S2): pure, per strategy.

The control plane enforces the sleeves on every intent (avwap.control.sleeves); the morning's batch applies
the same caps to its proposals so that its ALLOWs do not promise what a sleeve will refuse, and records the
sleeve configuration and a bounded summary of what the rules did (``sleeves`` and ``s2_enforcement`` in the
batch and its ledger record). Against the latest snapshot: held positions by strategy (each snapshot line
names its strategy), the day's ALLOWs so far, the proposal's notional. The daily loss cap needs the day's
prices and is enforced intraday only (before the open the day's PnL is zero). Shadow strategies are
recorded without sleeve rules (they are never routed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from avwap.control import reasons
from avwap.control.portfolio.records import BookInput, PortfolioDecision, Verdict
from avwap.core.config import Config
from avwap.core.config_parsers import Sleeve
from avwap.ledger.records import SLEEVE_SAMPLE, SleeveEnforcement, SleeveLine

SLEEVE_CODES = frozenset(
    {
        reasons.PORTFOLIO_SYMBOL_HELD_BY_OTHER_STRATEGY,
        reasons.PORTFOLIO_SLEEVE_MISSING,
        reasons.PORTFOLIO_SLEEVE_MAX_NEW_ENTRIES,
        reasons.PORTFOLIO_SLEEVE_MAX_POSITIONS,
        reasons.PORTFOLIO_SLEEVE_GROSS_EXPOSURE,
    }
)


@dataclass(frozen=True)
class SleeveRules:
    sleeves: Mapping[str, Sleeve] | None = None  # None: sleeves not configured
    allow_unsleeved: bool = False
    allow_symbol_overlap: bool = False

    @classmethod
    def from_config(cls, config: Config) -> SleeveRules:
        return cls(config.sleeves, config.s2_allow_unsleeved, config.s2_allow_symbol_overlap)


@dataclass
class SleeveBook:
    """One strategy during a batch: its held symbols and gross at the snapshot, plus its ALLOWs so far
    (``symbols``: held and allowed; ``held``: at the snapshot only, what another strategy may not enter)."""

    symbols: set[str] = field(default_factory=set)
    held: set[str] = field(default_factory=set)
    gross: Decimal = Decimal("0")
    allowed: int = 0


def sleeve_books(book: BookInput, strategies: Sequence[str]) -> dict[str, SleeveBook]:
    books = {strategy_id: SleeveBook() for strategy_id in strategies}
    for held in book.positions:
        mine = books.setdefault(held.strategy_id, SleeveBook())
        mine.symbols.add(held.symbol)
        mine.held.add(held.symbol)
        mine.gross += abs(held.market_value)
    return books


def sleeve_codes(
    strategy_id: str,
    symbol: str,
    notional: Decimal,
    books: Mapping[str, SleeveBook],
    rules: SleeveRules,
) -> tuple[str, ...]:
    """The sleeve codes that block ``symbol`` for ``strategy_id`` now (empty: none)."""
    codes = []
    others = [owner for owner, other in books.items() if owner != strategy_id and symbol in other.held]
    if others and not rules.allow_symbol_overlap:
        codes.append(reasons.PORTFOLIO_SYMBOL_HELD_BY_OTHER_STRATEGY)
    if rules.sleeves is None:
        return tuple(codes)
    sleeve = rules.sleeves.get(strategy_id)
    if sleeve is None:
        return (*codes, reasons.PORTFOLIO_SLEEVE_MISSING) if not rules.allow_unsleeved else tuple(codes)
    mine = books.get(strategy_id, SleeveBook())
    if sleeve.max_new_entries_per_day is not None and mine.allowed >= sleeve.max_new_entries_per_day:
        codes.append(reasons.PORTFOLIO_SLEEVE_MAX_NEW_ENTRIES)
    if sleeve.max_positions is not None and len(mine.symbols) >= sleeve.max_positions:
        codes.append(reasons.PORTFOLIO_SLEEVE_MAX_POSITIONS)
    if sleeve.max_gross_exposure is not None and mine.gross + notional > sleeve.max_gross_exposure:
        codes.append(reasons.PORTFOLIO_SLEEVE_GROSS_EXPOSURE)
    return tuple(codes)


def allow(books: dict[str, SleeveBook], strategy_id: str, symbol: str, notional: Decimal) -> None:
    mine = books.setdefault(strategy_id, SleeveBook())
    mine.symbols.add(symbol)
    mine.gross += notional
    mine.allowed += 1


def snapshot(rules: SleeveRules) -> tuple[SleeveLine, ...]:
    """The sleeve configuration as the batch records it (empty when sleeves are not configured)."""
    return tuple(
        SleeveLine(
            strategy_id=strategy_id,
            max_daily_loss=sleeve.max_daily_loss,
            max_gross_exposure=sleeve.max_gross_exposure,
            max_positions=sleeve.max_positions,
            max_new_entries_per_day=sleeve.max_new_entries_per_day,
        )
        for strategy_id, sleeve in sorted((rules.sleeves or {}).items())
    )


def summaries(
    strategies: Sequence[str],
    decisions: Sequence[PortfolioDecision],
    book: BookInput | None,
    rules: SleeveRules,
) -> tuple[SleeveEnforcement, ...]:
    """Per strategy: held at the snapshot, ALLOWs, BLOCKs with a sleeve code, the codes, a few symbols."""
    held = sleeve_books(book, strategies) if book is not None else {}
    result = []
    for strategy_id in sorted(strategies):
        mine = [item for item in decisions if item.strategy_id == strategy_id]
        blocked = [item for item in mine if SLEEVE_CODES.intersection(item.reason_codes)]
        codes = sorted({code for item in blocked for code in item.reason_codes if code in SLEEVE_CODES})
        position = held.get(strategy_id, SleeveBook())
        result.append(
            SleeveEnforcement(
                strategy_id=strategy_id,
                sleeved=rules.sleeves is not None and strategy_id in rules.sleeves,
                open_positions=len(position.symbols),
                gross_exposure=position.gross,
                allowed=sum(item.verdict is Verdict.ALLOW for item in mine),
                blocked_by_sleeve=len(blocked),
                codes=reasons.sort_portfolio_reasons(codes),
                blocked_sample=tuple(item.symbol for item in blocked[:SLEEVE_SAMPLE]),
            )
        )
    return tuple(result)
