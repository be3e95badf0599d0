"""What the sleeve gates and the conflict rules see of the book, per strategy (Phases S2 and S3).

Folded from the book's ledger projection at decision time: each strategy's holdings (open positions at cost
plus entry orders still working, at their intent's price: an entry decided a minute ago counts before it
fills), its entries submitted today, and its PnL today.

PnL today of a strategy (docs/STRATEGIES.md, "Sleeves"): for each position it closed today, the realized
PnL (net of commissions) less what the position had already gained or lost by the previous close; for each
open position, ``quantity × (price now − reference)``, the reference being the previous session's close
(or the average price, less the entry commissions, for a position opened today). ``S2_DAILY_PNL_JSON``
overrides the figure per strategy. Unknown (None) when a price it needs is missing: a sleeve that caps the
daily loss then blocks the strategy's entries (SLEEVE_DAILY_PNL_UNKNOWN).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from avwap.control.context import NO_SLEEVES, SleeveView
from avwap.execution.context import CycleDependencies, CycleFacts
from avwap.ledger.record_enums import OrderPurpose, Side

ZERO: Final = Decimal("0")


def holdings(deps: CycleDependencies, facts: CycleFacts) -> dict[str, dict[str, Decimal]]:
    """strategy id -> symbol -> notional held (positions at cost, working entry orders at intent price)."""
    state = deps.book.state
    table: dict[str, dict[str, Decimal]] = {}
    for position in state.positions.values():  # one lot per (strategy, symbol)
        table.setdefault(position.strategy_id, {})[position.symbol] = position.cost_basis
    for order in state.working_orders(facts.today).values():
        if order.purpose == OrderPurpose.ENTRY and order.side == Side.BUY:
            intent = deps.book.intents.get(order.intent_id)
            price = intent.entry_price if intent is not None else ZERO
            mine = table.setdefault(order.strategy_id, {})
            mine[order.symbol] = (
                mine.get(order.symbol, ZERO) + (order.quantity - order.filled_quantity) * price
            )
    return table


def entries_today(deps: CycleDependencies, facts: CycleFacts, strategy_id: str) -> int:
    """Entry orders this strategy submitted today (the sleeve's max_new_entries_per_day counts these)."""
    return deps.book.entries_by_day.get((facts.today, strategy_id), 0)


def previous_close(deps: CycleDependencies, symbol: str, today: dt.date) -> Decimal | None:
    fast = getattr(deps.market, "daily_arrays", None)
    if fast is not None:
        closes = fast(symbol, today).close
        return Decimal(repr(float(closes[-1]))) if len(closes) else None
    frame = deps.market.daily_bars(symbol, today)
    return None if frame.empty else Decimal(repr(float(frame["close"].iloc[-1])))


def derived_pnl(deps: CycleDependencies, facts: CycleFacts, strategy_id: str) -> Decimal | None:
    """The strategy's PnL today from the ledger and the cycle's prices (module docstring)."""
    total = ZERO
    book = deps.book
    for closed in book.closed_on.get(facts.today, ()):
        if closed.strategy_id != strategy_id:
            continue
        total += closed.realized_pnl
        opened = book.opened_on.get(closed.position_id, facts.today)
        if opened < facts.today:  # the part earned before today belongs to earlier days
            reference = previous_close(deps, closed.symbol, facts.today)
            if reference is None:
                return None
            total -= closed.quantity * (reference - closed.average_price)
    for position in book.state.positions.values():  # by symbol (its lots)
        if position.strategy_id != strategy_id or position.quantity <= 0:
            continue
        symbol = position.symbol
        price = deps.market.last_price(symbol, facts.now)
        if position.opened_date_ny < facts.today:
            reference = previous_close(deps, symbol, facts.today)
        else:
            reference = position.average_price
            total -= book.position_commissions.get(position.position_id, ZERO)
        if price is None or reference is None:
            return None
        total += position.quantity * (price - reference)
    return total


def daily_pnl(deps: CycleDependencies, facts: CycleFacts, strategy_id: str) -> Decimal | None:
    """The operator's S2_DAILY_PNL_JSON figure when given, else :func:`derived_pnl` (once per cycle)."""
    override: Mapping[str, Decimal] = dict(deps.config.s2_daily_pnl or ())
    if strategy_id in override:
        return override[strategy_id]
    if strategy_id not in facts.strategy_pnl:
        facts.strategy_pnl[strategy_id] = derived_pnl(deps, facts, strategy_id)
    return facts.strategy_pnl[strategy_id]


def sleeve_view(deps: CycleDependencies, facts: CycleFacts, strategy_id: str, symbol: str) -> SleeveView:
    """The intent's strategy in its sleeve, and who else holds ``symbol``."""
    config = deps.config
    table = holdings(deps, facts)
    others = tuple(sorted(owner for owner, held in table.items() if owner != strategy_id and symbol in held))
    sleeves = config.sleeves
    if sleeves is None and not others:
        return NO_SLEEVES
    mine = table.get(strategy_id, {})
    sleeve = None if sleeves is None else sleeves.get(strategy_id)
    capped = sleeve is not None and sleeve.max_daily_loss is not None
    return SleeveView(
        configured=sleeves is not None,
        sleeve=sleeve,
        allow_unsleeved=config.s2_allow_unsleeved,
        allow_symbol_overlap=config.s2_allow_symbol_overlap,
        open_positions=len(mine),
        gross_exposure=sum(mine.values(), ZERO),
        entries_today=entries_today(deps, facts, strategy_id),
        daily_pnl=daily_pnl(deps, facts, strategy_id) if capped else ZERO,
        held_by_others=others,
        holds_symbol=symbol in mine,
    )
