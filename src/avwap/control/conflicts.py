"""Cross-strategy conflict resolution (Phase S3): static rules, no alpha judgment, no signal ranking.

The cycle collects, for one book, what each strategy holds (positions and working entry orders) and what
each intends this cycle (sized plans), and asks :func:`resolve` what to do with every intent. Rules, applied
in this order (docs/STRATEGIES.md, "Conflicts"):

1. **Held by another strategy.** An intent on a symbol another strategy holds is blocked:
   CONFLICT_OPPOSES_HOLDING on the opposite side (a strategy never trades against another's position),
   CONFLICT_HELD_BY_OTHER on the same side unless S2_ALLOW_SYMBOL_OVERLAP=1.
2. **Netting.** Offsetting intents of different strategies on one symbol are netted: the smaller side is
   cancelled and the larger side reduced by it, lowest priority first (CONFLICT_NETTED): the book trades the
   net, never a buy and a sell that cancel.
3. **Priority.** Same-side intents of several strategies on one symbol: the highest priority
   (S3_STRATEGY_PRIORITIES, else ENABLED_STRATEGIES order) keeps its intent (CONFLICT_PRIORITY_KEPT), the
   others are blocked (CONFLICT_LOWER_PRIORITY), unless S2_ALLOW_SYMBOL_OVERLAP=1: then all are kept and
   resized in priority order so the symbol's combined notional (held included) stays within
   MAX_NOTIONAL_PER_SYMBOL (CONFLICT_SYMBOL_CAP_RESIZED).
4. **Portfolio.** When intents of several strategies survive, they share the book's remaining gross budget
   (the tighter of MAX_GROSS_EXPOSURE and MAX_GROSS_EXPOSURE_PCT of equity, less the gross held) in
   priority order (CONFLICT_PORTFOLIO_CAP_RESIZED), each counted at what the symbol cap lets it buy, so a
   lower-priority strategy cannot crowd out a higher one by asking first.

Every intent gets a :class:`Resolution`; those with reason codes are the conflicts the cycle persists. The
control plane still decides every surviving intent with every gate (a resolution never approves anything).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Final

from avwap.control.reasons import (
    CONFLICT_HELD_BY_OTHER,
    CONFLICT_LOWER_PRIORITY,
    CONFLICT_NETTED,
    CONFLICT_OPPOSES_HOLDING,
    CONFLICT_PORTFOLIO_CAP_RESIZED,
    CONFLICT_PRIORITY_KEPT,
    CONFLICT_SYMBOL_CAP_RESIZED,
)

KEEP: Final = "KEEP"
RESIZE: Final = "RESIZE"
BLOCK: Final = "BLOCK"
BUY: Final = "buy"
SELL: Final = "sell"


@dataclass(frozen=True, slots=True)
class Claim:
    """A strategy's stake in a symbol: held (a position or working entry order) or intended (this cycle)."""

    strategy_id: str
    symbol: str
    side: str
    quantity: int
    price: Decimal
    key: str  # the intent id (intended) or position/order id (held)

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.price


@dataclass(frozen=True)
class ConflictRules:
    priorities: Mapping[str, int]
    allow_symbol_overlap: bool = False
    max_notional_per_symbol: Decimal | None = None
    gross_budget: Decimal | None = None  # the book's remaining gross headroom; None: not applied

    def rank(self, strategy_id: str) -> tuple[int, str]:
        return (self.priorities.get(strategy_id, 1 << 30), strategy_id)  # unprioritized last, by id


@dataclass(frozen=True, slots=True)
class Resolution:
    """What happens to one intended claim: KEEP (``quantity`` = requested), RESIZE or BLOCK (0)."""

    claim: Claim
    outcome: str
    quantity: int
    reasons: tuple[str, ...] = ()
    counterparties: tuple[str, ...] = ()

    @property
    def conflicted(self) -> bool:
        return bool(self.reasons)


def _set(resolution: Resolution, quantity: int, code: str, others: set[str]) -> Resolution:
    quantity = max(0, min(quantity, resolution.quantity))
    outcome = BLOCK if quantity == 0 else (RESIZE if quantity < resolution.claim.quantity else KEEP)
    return replace(
        resolution,
        outcome=outcome,
        quantity=quantity,
        reasons=(*resolution.reasons, code) if code not in resolution.reasons else resolution.reasons,
        counterparties=tuple(sorted({*resolution.counterparties, *others})),
    )


def _held_rule(item: Resolution, held: Sequence[Claim], rules: ConflictRules) -> Resolution:
    others = [claim for claim in held if claim.strategy_id != item.claim.strategy_id and claim.quantity]
    names = {claim.strategy_id for claim in others}
    if any(claim.side != item.claim.side for claim in others):
        return _set(item, 0, CONFLICT_OPPOSES_HOLDING, names)
    if others and not rules.allow_symbol_overlap:
        return _set(item, 0, CONFLICT_HELD_BY_OTHER, names)
    return item


def _net(items: list[Resolution], rules: ConflictRules) -> list[Resolution]:
    """Cancel the smaller side against the larger, lowest priority first (rule 2)."""
    if len({item.claim.side for item in items}) < 2:
        return items  # one side only: nothing offsets
    live = [item for item in items if item.quantity]
    sides = {side: [item for item in live if item.claim.side == side] for side in (BUY, SELL)}
    buys, sells = (sum(item.quantity for item in sides[side]) for side in (BUY, SELL))
    if not buys or not sells or len({item.claim.strategy_id for item in live}) < 2:
        return items
    offset = min(buys, sells)
    names = {item.claim.strategy_id for item in live}
    result = {id(item): item for item in items}
    for side in (BUY, SELL):
        remaining = offset
        for item in sorted(sides[side], key=lambda one: rules.rank(one.claim.strategy_id), reverse=True):
            taken = min(remaining, item.quantity)
            remaining -= taken
            others = names - {item.claim.strategy_id}
            result[id(item)] = _set(item, item.quantity - taken, CONFLICT_NETTED, others) if taken else item
    return [result[id(item)] for item in items]


def _priority(items: list[Resolution], held: Sequence[Claim], rules: ConflictRules) -> list[Resolution]:
    """Same-side intents of several strategies on one symbol (rule 3)."""
    live = sorted(
        (item for item in items if item.quantity), key=lambda one: rules.rank(one.claim.strategy_id)
    )
    if len({item.claim.strategy_id for item in live}) < 2:
        return items
    names = {item.claim.strategy_id for item in live}
    result = {id(item): item for item in items}
    if not rules.allow_symbol_overlap:
        winner = live[0]
        for item in live:
            others = names - {item.claim.strategy_id}
            code = CONFLICT_PRIORITY_KEPT if item is winner else CONFLICT_LOWER_PRIORITY
            result[id(item)] = _set(item, item.quantity if item is winner else 0, code, others)
        return [result[id(item)] for item in items]
    if rules.max_notional_per_symbol is None:
        return items
    headroom = rules.max_notional_per_symbol - sum((claim.notional for claim in held), Decimal(0))
    for item in live:
        fits = max(0, int(headroom // item.claim.price)) if headroom > 0 else 0
        quantity = min(item.quantity, fits)
        headroom -= quantity * item.claim.price
        if quantity < item.quantity:
            others = names - {item.claim.strategy_id}
            result[id(item)] = _set(item, quantity, CONFLICT_SYMBOL_CAP_RESIZED, others)
    return [result[id(item)] for item in items]


def _within_symbol_cap(
    items: list[Resolution], held: Mapping[str, Decimal], rules: ConflictRules
) -> list[int]:
    """Each buy's quantity as far as the symbol cap lets it go (the plane resizes to it anyway): the budget
    is shared by what can be bought, not by what was asked."""
    cap = rules.max_notional_per_symbol
    quantities = []
    for item in items:
        if cap is None:
            quantities.append(item.quantity)
            continue
        headroom = cap - held.get(item.claim.symbol, Decimal(0))
        fits = max(0, int(headroom // item.claim.price)) if headroom > 0 else 0
        quantities.append(min(item.quantity, fits))
    return quantities


def _portfolio(
    items: list[Resolution], held: Mapping[str, Decimal], rules: ConflictRules
) -> list[Resolution]:
    """Surviving buys of several strategies share the remaining gross budget in priority order (rule 4)."""
    buys = sorted(
        (item for item in items if item.quantity and item.claim.side == BUY),
        key=lambda one: rules.rank(one.claim.strategy_id),
    )
    names = {item.claim.strategy_id for item in buys}
    if rules.gross_budget is None or len(names) < 2:
        return items
    wanted = _within_symbol_cap(buys, held, rules)
    if (
        sum(quantity * item.claim.price for quantity, item in zip(wanted, buys, strict=True))
        <= rules.gross_budget
    ):
        return items  # everything the caps let through fits: nothing to resize
    remaining = rules.gross_budget
    result = {id(item): item for item in items}
    for item, quantity in zip(buys, wanted, strict=True):
        fits = max(0, int(remaining // item.claim.price)) if remaining > 0 else 0
        taken = min(quantity, fits)
        remaining -= taken * item.claim.price
        if taken < quantity:
            others = names - {item.claim.strategy_id}
            result[id(item)] = _set(item, taken, CONFLICT_PORTFOLIO_CAP_RESIZED, others)
    return [result[id(item)] for item in items]


def resolve(held: Sequence[Claim], intended: Sequence[Claim], rules: ConflictRules) -> tuple[Resolution, ...]:
    """One resolution per intended claim, in the order given (deterministic: no input order but the
    claims' own decides anything except ties among one strategy's claims)."""
    held_by_symbol: dict[str, list[Claim]] = {}
    for claim in held:
        held_by_symbol.setdefault(claim.symbol, []).append(claim)
    items = []
    for claim in intended:
        item = Resolution(claim, KEEP, claim.quantity)
        holders = held_by_symbol.get(claim.symbol)
        items.append(_held_rule(item, holders, rules) if holders else item)
    by_symbol: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        by_symbol.setdefault(item.claim.symbol, []).append(index)
    for symbol, indices in sorted(by_symbol.items()):
        if len(indices) < 2:
            continue  # one intent on the symbol: nothing to net or prioritize
        group = _net([items[index] for index in indices], rules)
        group = _priority(group, held_by_symbol.get(symbol, ()), rules)
        for index, item in zip(indices, group, strict=True):
            items[index] = item
    held_notional: dict[str, Decimal] = {}
    for claim in held:
        held_notional[claim.symbol] = held_notional.get(claim.symbol, Decimal(0)) + claim.notional
    return tuple(_portfolio(items, held_notional, rules))
