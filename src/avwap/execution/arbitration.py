"""Cross-strategy conflicts in the cycle (Phase S3): claims from the book, rules from the config, records.

The rules themselves are pure (:mod:`avwap.control.conflicts`); this module states their inputs from the
book (who holds what) and the config (priorities, overlap, caps), and persists every resolution that applied
a rule as a :class:`~avwap.ledger.records.ConflictResolved` record, once per (intent, outcome, quantity).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from avwap.control.conflicts import BLOCK, BUY, Claim, ConflictRules, Resolution
from avwap.execution.context import CycleDependencies, CycleFacts
from avwap.execution.sleeves import holdings
from avwap.ledger import record_ids
from avwap.ledger.record_enums import Side
from avwap.ledger.records import ConflictResolved

HUNDRED: Final = Decimal("100")


def held_claims(deps: CycleDependencies, facts: CycleFacts) -> list[Claim]:
    """Every strategy's holdings as claims (long positions and working entries: side buy)."""
    claims = []
    for strategy_id, symbols in sorted(holdings(deps, facts).items()):
        for symbol, notional in sorted(symbols.items()):
            if notional > 0:
                claims.append(Claim(strategy_id, symbol, BUY, 1, notional, key=f"{strategy_id}:{symbol}"))
    return claims


def gross_budget(deps: CycleDependencies, facts: CycleFacts, held: list[Claim]) -> Decimal | None:
    """The book's remaining gross headroom (the tighter cap, less what is held); None when equity is unknown
    (the control plane then blocks every entry on its own)."""
    if facts.equity is None or facts.equity <= 0:
        return None
    config = deps.config
    cap = min(config.max_gross_exposure, facts.equity * config.max_gross_exposure_pct / HUNDRED)
    return cap - sum((claim.notional for claim in held), Decimal(0))


def conflict_rules(deps: CycleDependencies, facts: CycleFacts, held: list[Claim]) -> ConflictRules:
    config = deps.config
    return ConflictRules(
        priorities=config.strategy_priorities(),
        allow_symbol_overlap=config.s2_allow_symbol_overlap,
        max_notional_per_symbol=config.max_notional_per_symbol,
        gross_budget=gross_budget(deps, facts, held),
    )


def record_resolution(deps: CycleDependencies, facts: CycleFacts, resolution: Resolution) -> None:
    """Persist a resolution that applied a rule (once: the same verdict on a re-planned intent is known)."""
    claim = resolution.claim
    key = ("resolution", claim.key, resolution.outcome, resolution.quantity, resolution.reasons)
    identifier = deps.cache.probes.get(key)  # hashing is not free: a re-arbitrated intent reuses its id
    if identifier is None:
        identifier = record_ids.resolution_id(
            intent_id=claim.key,
            outcome=resolution.outcome,
            quantity=resolution.quantity,
            reason_codes=resolution.reasons,
        )
        deps.cache.probes[key] = identifier
    if identifier in deps.book.resolutions:
        return
    deps.book.record(
        ConflictResolved(
            **facts.stamp(deps.book.book_id),
            strategy_id=claim.strategy_id,
            resolution_id=identifier,
            intent_id=claim.key,
            symbol=claim.symbol,
            side=Side.BUY if claim.side == BUY else Side.SELL,
            outcome=resolution.outcome,
            requested_quantity=claim.quantity,
            resolved_quantity=resolution.quantity,
            counterparty_strategy_ids=resolution.counterparties,
            reason_codes=resolution.reasons,
        )
    )


def is_blocked(resolution: Resolution) -> bool:
    return resolution.outcome == BLOCK
