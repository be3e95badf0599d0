"""The control plane's decisions on an allocation strategy's intents (issue 13: the manual 401(k) book).

An allocation intent (:class:`~avwap.strategies.allocation_401k.AllocationIntent`) has no stop, so it goes
through the plane as the stop-free intent kind (``EntryIntent.kind = "allocation"``, docs/STRATEGIES.md):

* a **BUY** runs every entry gate (:func:`~avwap.control.plane.evaluate_entry`) with risk per share = the
  reference price, i.e. the whole notional at risk: MAX_RISK_PER_TRADE(_PCT), MAX_NOTIONAL_PER_SYMBOL,
  MAX_GROSS_EXPOSURE(_PCT) and the sleeve caps all measure it that way, and fail closed. The plane approves
  the stop-free kind only when the registry says the strategy declares the allocation policy and the book
  is a manual one (ALLOCATION_NOT_ALLOWED otherwise);
* a **SELL** is a reduction: exits are never blocked (:func:`~avwap.control.plane.evaluate_exit`), it is
  recorded as approved in full.

The view the plane decides from is the operator's holdings file (the broker's truth as stated: positions at
the reference prices, equity = the book's value), updated intent by intent as the plan's sells and approved
buys would leave it; the session is the ticket's NY date (a person places the order during that session).
The book's M1-D reconciliation is measurement only (it never blocks), so the view states no drift.

Decisions already in the book's ledger are reused, never re-decided: a re-run posts what was approved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from avwap.control import reasons
from avwap.control.context import (
    ALLOCATION_KIND,
    EntryIntent,
    GateContext,
    GateRules,
    PortfolioView,
    SessionView,
    SleeveView,
)
from avwap.control.decision_records import decision_record
from avwap.control.live_gate import ModeResolution
from avwap.control.plane import Action, evaluate_entry, evaluate_exit
from avwap.control.plane import Decision as PlaneDecision
from avwap.core.calendar import TradingCalendar
from avwap.core.config import Config
from avwap.core.execution_mode import ExecutionMode
from avwap.integrations.schwab.tickets import allocation_intent_id
from avwap.ledger.record_enums import Side
from avwap.ledger.records import AllocationTradeIntent, Decision, Record
from avwap.strategies.allocation_401k import AllocationIntent, Holdings, book_value
from avwap.strategies.registry import (
    allocation_allowed,
    is_registered,
    is_routable,
    load_strategy,
    may_route_to,
)

ZERO: Final = Decimal(0)
# The manual book is its own mode: no broker clock, no Alpaca endpoint (the live gate is Alpaca's).
MANUAL_MODE: Final = ModeResolution(
    requested_mode=ExecutionMode.SCHWAB_401K_MANUAL, effective_mode=ExecutionMode.SCHWAB_401K_MANUAL
)


@dataclass(frozen=True)
class AllocationVerdict:
    """One intent, its ledger records and the quantity a ticket may ask for (0: blocked, no ticket)."""

    plan: AllocationIntent
    intent: AllocationTradeIntent
    decision: Decision
    recorded: bool  # the decision was already in the ledger (reused, not re-decided)

    @property
    def approved_quantity(self) -> int:
        return self.decision.approved_quantity


@dataclass(frozen=True)
class AllocationFacts:
    """What the decisions are made from, stated by the caller (the CLI reads files and the clock)."""

    config: Config
    holdings: Holdings
    prices: Mapping[str, Decimal]
    now: dt.datetime
    today: dt.date
    kill_switch: bool
    calendar: TradingCalendar
    data_version: str


def intent_record(
    plan: AllocationIntent, now: dt.datetime, today: dt.date, data_version: str, ruleset_version: str = ""
) -> AllocationTradeIntent:
    return AllocationTradeIntent(
        book_id=plan.book_id,
        date_ny=today,
        ts=now,
        strategy_id=plan.strategy_id,
        intent_id=allocation_intent_id(plan),
        symbol=plan.symbol,
        side=plan.side,
        quantity=plan.quantity,
        order_type=plan.order_type,
        limit_price=plan.limit_price,
        reference_price=plan.reference_price,
        notional=plan.quantity * plan.reference_price,
        setup=plan.setup,
        reason=plan.reason,
        model_version=plan.model_version,
        data_version=data_version,
        ruleset_version=ruleset_version or None,  # as TradeIntent: omitted when no ruleset is active
    )


class _Book:
    """The holdings as the plan's decisions so far would leave them (positions at the reference prices)."""

    def __init__(self, facts: AllocationFacts) -> None:
        self.prices = facts.prices
        self.shares = {symbol: qty for symbol, qty in facts.holdings.positions.items() if qty}
        self.equity = book_value(facts.holdings, facts.prices)
        self.entries = 0

    def notionals(self) -> dict[str, Decimal]:
        return {symbol: qty * self.prices[symbol] for symbol, qty in sorted(self.shares.items())}

    def apply(self, plan: AllocationIntent, quantity: int) -> None:
        signed = quantity if plan.side == Side.BUY else -quantity
        remaining = self.shares.get(plan.symbol, 0) + signed
        if remaining > 0:
            self.shares[plan.symbol] = remaining
        else:
            self.shares.pop(plan.symbol, None)
        self.entries += int(plan.side == Side.BUY and quantity > 0)


def _context(plan: AllocationIntent, facts: AllocationFacts, book: _Book) -> GateContext:
    config = facts.config
    strategy = plan.strategy_id
    notionals = book.notionals()
    gross = sum(notionals.values(), ZERO)
    start, end = (
        load_strategy(strategy).entry_window(plan.date_ny) if is_registered(strategy) else (None, None)
    )
    sleeves = config.sleeves
    sleeve = None if sleeves is None else sleeves.get(strategy)
    capped = sleeve is not None and sleeve.max_daily_loss is not None
    stated_pnl = dict(config.s2_daily_pnl or ()).get(strategy)
    return GateContext(
        intent=EntryIntent(
            plan.symbol,
            plan.quantity,
            plan.reference_price,
            None,
            strategy_id=strategy,
            registered=is_registered(strategy),
            book_allowed=may_route_to(strategy, plan.book_id),
            routable=is_routable(strategy),
            in_universe=True,  # the plan's symbols are its menu's (validated with the targets file)
            kind=ALLOCATION_KIND,
            allocation_allowed=allocation_allowed(strategy, plan.book_id),
        ),
        mode=MANUAL_MODE,
        today_ny=facts.today,
        kill_switch=facts.kill_switch,
        portfolio=PortfolioView(
            positions=notionals, gross_exposure=gross, entries_today=book.entries, equity=book.equity
        ),
        session=SessionView(
            market_open=facts.calendar.is_session(plan.date_ny),
            in_entry_window=start is not None and end is not None and start <= facts.now <= end,
        ),
        rules=GateRules.from_config(config),
        # The book holds this strategy only (the holdings file knows no other), so all of it is its sleeve's;
        # its PnL today is the operator's S2_DAILY_PNL_JSON figure, unknown (blocks) when a loss cap needs it.
        sleeve=SleeveView(
            configured=sleeves is not None,
            sleeve=sleeve,
            allow_unsleeved=config.s2_allow_unsleeved,
            allow_symbol_overlap=config.s2_allow_symbol_overlap,
            open_positions=len(notionals),
            gross_exposure=gross,
            entries_today=book.entries,
            daily_pnl=stated_pnl if capped else ZERO,
        ),
    )


def _verdict(plan: AllocationIntent, facts: AllocationFacts, book: _Book) -> PlaneDecision:
    context = _context(plan, facts, book)
    if plan.side == Side.BUY:
        return evaluate_entry(context)
    # A sell reduces the book: the plane's exit path, which never blocks.
    exit_decision = evaluate_exit(context, kind="ALLOCATION_SELL")
    if exit_decision.allowed:
        state = exit_decision.trading_state
        return PlaneDecision(Action.APPROVE, plan.symbol, plan.quantity, plan.quantity, (), state, ())
    state = exit_decision.trading_state  # unreachable by the plane's rule; a REJECT must still say why
    return PlaneDecision(Action.REJECT, plan.symbol, plan.quantity, 0, (reasons.GATE_ERROR,), state, ())


def decide_allocation(
    plans: Sequence[AllocationIntent], facts: AllocationFacts, recorded: Sequence[Record] = ()
) -> tuple[AllocationVerdict, ...]:
    """One verdict per plan, in plan order (sells first); ``recorded``: the book's ledger records, whose
    intents and decisions are reused for the same intent id."""
    intents = {r.intent_id: r for r in recorded if isinstance(r, AllocationTradeIntent)}
    decisions = {r.intent_id: r for r in recorded if isinstance(r, Decision)}
    book = _Book(facts)
    planned = {allocation_intent_id(plan) for plan in plans}
    # Buys approved earlier today under intents this plan no longer has still count against the day's caps.
    book.entries = sum(
        1
        for identity, decision in decisions.items()
        if identity not in planned
        and decision.date_ny == facts.today
        and decision.approved_quantity > 0
        and identity in intents
        and intents[identity].side == Side.BUY
    )
    verdicts = []
    for plan in plans:
        identity = allocation_intent_id(plan)
        known = decisions.get(identity)
        if known is not None and identity in intents:
            verdicts.append(AllocationVerdict(plan, intents[identity], known, recorded=True))
        else:
            decision = decision_record(
                book_id=plan.book_id,
                date_ny=facts.today,
                ts=facts.now,
                strategy_id=plan.strategy_id,
                intent_id=identity,
                symbol=plan.symbol,
                verdict=_verdict(plan, facts, book),
                ruleset_version=facts.config.ruleset_version or None,
            )
            record = intent_record(
                plan, facts.now, facts.today, facts.data_version, facts.config.ruleset_version
            )
            verdicts.append(AllocationVerdict(plan, record, decision, recorded=False))
        book.apply(plan, verdicts[-1].approved_quantity)
    return tuple(verdicts)
