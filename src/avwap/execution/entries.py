"""The entry half of a cycle: candidates → S1 trigger → sizing → intent → control plane → order.

Order of writes, each durable before the next step (what makes a crash anywhere recoverable):
``TradeIntent`` → ``Decision`` → ``OrderSubmitted`` → broker → ``OrderAcknowledged`` / ``OrderRejected``.
An intent left without a decision, or an approved decision left without a submission, is completed by the
next cycle (:func:`complete_pending`); a submission without an answer is resolved by
:mod:`avwap.execution.broker_sync`. One entry intent per (book, strategy, day, symbol, setup): a symbol that
was decided today is not decided again.

A deterministic per-intent delay (a hash of the intent id, bounded by ``ENTRY_DELAY_MAX_SECONDS``) spreads
submissions after a bar close without any randomness.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import numpy as np

from avwap.control import reasons
from avwap.control.context import EntryIntent, GateContext, GateRules, PortfolioView, SessionView
from avwap.control.plane import Action, evaluate_entry
from avwap.control.sizing import SizedEntry, SizingRules, size_entry
from avwap.core.config import ExecutionMode
from avwap.core.ids import client_order_id
from avwap.core.money import round_price
from avwap.execution.book import BOOK_FOR_MODE
from avwap.execution.broker_sync import send
from avwap.execution.context import CycleDependencies, CycleFacts
from avwap.execution.hooks import AFTER_DECISION_WRITE, AFTER_INTENT_WRITE
from avwap.ledger import record_ids
from avwap.ledger.record_enums import DecisionOutcome, OrderPurpose, OrderType, Side, TimeInForce
from avwap.ledger.records import Decision, Note, OrderSubmitted, TradeIntent, note_detail
from avwap.signals.pivots import latest_confirmed_swing_low
from avwap.signals.scan_records import Candidate
from avwap.strategies.s1_trigger import (
    TRIGGER_MINUTES,
    WINDOW_START_AFTER_OPEN,
    EntrySignal,
    entry_window,
    find_entry,
)

MODEL_VERSION = "S1_AVWAP_CORE/1"
TRIGGER_STEP = dt.timedelta(minutes=TRIGGER_MINUTES)
OUTCOME = {Action.APPROVE: DecisionOutcome.APPROVE, Action.RESIZE: DecisionOutcome.RESIZE}


def entry_delay(intent_id: str, maximum_seconds: int) -> dt.timedelta:
    """A delay in ``[0, maximum_seconds]`` derived from the intent id: stable across processes and runs."""
    if maximum_seconds <= 0:
        return dt.timedelta(0)
    digest = int.from_bytes(hashlib.sha256(intent_id.encode()).digest()[:8], "big")
    return dt.timedelta(seconds=digest % (maximum_seconds + 1))


def setup_key(candidate: Candidate) -> str:
    return f"{candidate.anchor_type}:{candidate.anchor_date.isoformat()}"


def portfolio_view(deps: CycleDependencies, facts: CycleFacts) -> PortfolioView:
    """Positions and exposure as the caps must see them: held positions plus entry orders still working
    (an entry decided a minute ago counts against the caps before it fills)."""
    state = deps.book.state
    exposure = {symbol: position.cost_basis for symbol, position in state.positions.items()}
    for order in state.working_orders(facts.today).values():
        if order.purpose == OrderPurpose.ENTRY and order.side == Side.BUY:
            intent = deps.book.intents.get(order.intent_id)
            price = intent.entry_price if intent is not None else Decimal("0")
            pending = (order.quantity - order.filled_quantity) * price
            exposure[order.symbol] = exposure.get(order.symbol, Decimal("0")) + pending
    return PortfolioView(
        positions=exposure,
        gross_exposure=sum(exposure.values(), Decimal("0")),
        entries_today=state.counters(facts.today).entries_submitted,
        equity=facts.equity,
        unknown_positions=facts.unknown_positions,
        ledger_readable=deps.book.readable and not deps.ledger_problem,
        reconciliation_drift=bool(facts.drift),
        watchlist_fresh=bool(facts.freshness and facts.freshness.fresh),
    )


def session_view(facts: CycleFacts) -> SessionView:
    in_window = False
    if facts.is_session:
        start, end = entry_window(facts.today)
        in_window = start <= facts.now <= end
    return SessionView(
        market_open=facts.market_open, in_entry_window=in_window, broker_market_open=facts.broker_market_open
    )


def swing_low(deps: CycleDependencies, symbol: str, today: dt.date) -> Decimal | None:
    """The latest daily swing low confirmed before today (the initial stop's anchor), on a valid tick."""
    daily = deps.market.daily_bars(symbol, today)
    if daily.empty:
        return None
    lows = daily["low"].to_numpy(dtype=np.float64)
    pivot = latest_confirmed_swing_low(lows, len(lows) - 1)
    return None if pivot is None else round_price(float(pivot.price), "down")


def build_intent(
    deps: CycleDependencies, facts: CycleFacts, candidate: Candidate, signal: EntrySignal, sized: SizedEntry
) -> TradeIntent:
    identifier = record_ids.intent_id(
        book_id=deps.book.book_id,
        strategy_id=deps.strategy_id,
        date_ny=facts.today,
        symbol=candidate.symbol,
        side=Side.BUY,
        setup=setup_key(candidate),
    )
    return TradeIntent(
        **facts.stamp(deps.book.book_id),
        strategy_id=deps.strategy_id,
        intent_id=identifier,
        symbol=candidate.symbol,
        side=Side.BUY,
        quantity=sized.shares,
        entry_price=sized.entry_price,
        stop_price=sized.stop_price,
        risk_per_share=sized.risk_per_share,
        notional=sized.notional,
        setup=setup_key(candidate),
        reason=f"breakout-and-hold above {candidate.avwap} confirmed {signal.decided_at.isoformat()}",
        thesis=f"rank {candidate.rank} score {candidate.score} tier {candidate.trend_tier}",
        tags=tuple(sorted({*candidate.tags, candidate.anchor_type})),
        model_version=MODEL_VERSION,
        data_version=str(deps.artifacts_dir.name),
    )


def decide(deps: CycleDependencies, facts: CycleFacts, intent: TradeIntent) -> Decision:
    """Run the control plane on ``intent`` and record its decision."""
    context = GateContext(
        intent=EntryIntent(intent.symbol, intent.quantity, intent.entry_price, intent.stop_price),
        mode=facts.mode,
        today_ny=facts.today,
        kill_switch=facts.kill_switch,
        portfolio=portfolio_view(deps, facts),
        session=session_view(facts),
        rules=GateRules.from_config(deps.config),
    )
    verdict = evaluate_entry(context)
    outcome = OUTCOME.get(verdict.action, DecisionOutcome.REJECT)
    record = Decision(
        **facts.stamp(deps.book.book_id),
        strategy_id=intent.strategy_id,
        decision_id=record_ids.decision_id(
            intent_id=intent.intent_id,
            outcome=outcome,
            approved_quantity=verdict.quantity,
            reason_codes=verdict.reasons,
        ),
        intent_id=intent.intent_id,
        symbol=intent.symbol,
        outcome=outcome,
        approved_quantity=verdict.quantity if outcome != DecisionOutcome.REJECT else 0,
        reason_codes=verdict.reasons,
    )
    deps.book.record(record)
    deps.hooks.reach(AFTER_DECISION_WRITE, symbol=intent.symbol, intent_id=intent.intent_id)
    facts.note("decision", symbol=intent.symbol, outcome=str(outcome), reasons=list(verdict.reasons))
    return record


def submit_entry(deps: CycleDependencies, facts: CycleFacts, intent: TradeIntent, decision: Decision) -> None:
    """Record the entry order, then (outside DRY_RUN) send it; DRY_RUN records what it would have sent."""
    client_id = client_order_id(intent.intent_id, "entry")
    order = OrderSubmitted(
        **facts.stamp(deps.book.book_id),
        strategy_id=intent.strategy_id,
        order_id=record_ids.order_id(book_id=deps.book.book_id, client_order_id=client_id),
        client_order_id=client_id,
        symbol=intent.symbol,
        intent_id=intent.intent_id,
        position_id=record_ids.position_id(
            book_id=deps.book.book_id,
            strategy_id=intent.strategy_id,
            symbol=intent.symbol,
            intent_id=intent.intent_id,
        ),
        side=Side.BUY,
        order_type=OrderType.MARKET,
        quantity=decision.approved_quantity,
        purpose=OrderPurpose.ENTRY,
        time_in_force=TimeInForce.DAY,
    )
    deps.book.record(order)
    facts.note("entry_submitted", symbol=intent.symbol, quantity=decision.approved_quantity)
    if deps.broker is not None and facts.mode.effective_mode != ExecutionMode.DRY_RUN:
        send(deps, facts, deps.book.state.open_orders[client_id], deps.broker)


def complete_pending(deps: CycleDependencies, facts: CycleFacts) -> None:
    """Finish intents of today that a crash left between two records."""
    for intent_id, intent in sorted(deps.book.intents.items()):
        if intent.date_ny != facts.today or intent_id in deps.book.submitted:
            continue
        decision = deps.book.decisions.get(intent_id) or decide(deps, facts, intent)
        if decision.outcome != DecisionOutcome.REJECT:
            submit_entry(deps, facts, intent, decision)


def trigger_key(deps: CycleDependencies, candidate: Candidate, facts: CycleFacts) -> tuple[Any, ...] | None:
    """Everything :func:`find_entry` depends on, when the market data can say it cheaply (else None).

    The trigger reads the bars that ended by ``now`` and which 10-minute buckets have closed; buckets close
    on a fixed grid from the session open (capped at the close). So (day, level, visible bars, grid slots
    passed) determines its answer, and a candidate that found no entry under the same key need not be
    rescanned. The key is only valid for the same market data object (the cache is cleared when it changes).
    """
    count_visible = getattr(deps.market, "visible_count", None)
    if count_visible is None or not facts.is_session:
        return None
    start, _ = entry_window(facts.today)
    session_open = start - WINDOW_START_AFTER_OPEN
    slots = (facts.now - session_open) // TRIGGER_STEP if facts.now >= session_open else -1
    return (facts.today, candidate.avwap, count_visible(candidate.symbol, facts.today, facts.now), slots)


def could_break_out(deps: CycleDependencies, candidate: Candidate, facts: CycleFacts) -> bool:
    """False only when S1 cannot fire: no bar that ended by now closed above the entry level (a breakout
    needs a 10-minute close above it, which is some 5-minute bar's close). A necessary condition, not a
    second trigger: when it holds (or the market data cannot say), :func:`find_entry` decides."""
    highest = getattr(deps.market, "visible_highest_close", None)
    if highest is None:
        return True
    value = highest(candidate.symbol, facts.today, facts.now)
    return value is not None and not value <= float(candidate.avwap)  # NaN: let find_entry decide


def intent_probe(deps: CycleDependencies, facts: CycleFacts, candidate: Candidate) -> str:
    """The id an entry intent for ``candidate`` would have today (memoized: hashing is not free)."""
    key = (deps.book.book_id, deps.strategy_id, facts.today, candidate.symbol, setup_key(candidate))
    probe = deps.cache.probes.get(key)
    if probe is None:
        probe = record_ids.intent_id(
            book_id=deps.book.book_id,
            strategy_id=deps.strategy_id,
            date_ny=facts.today,
            symbol=candidate.symbol,
            side=Side.BUY,
            setup=setup_key(candidate),
        )
        deps.cache.probes[key] = probe
    return probe


def consider(deps: CycleDependencies, facts: CycleFacts, candidate: Candidate) -> None:
    """One candidate: trigger, delay, sizing, intent, decision, order."""
    probe = intent_probe(deps, facts, candidate)
    if probe in deps.book.intents or probe in deps.book.unsized:
        return  # decided (or noted as unsizable) earlier today
    key = trigger_key(deps, candidate, facts)
    if key is not None and deps.cache.no_signal.get(candidate.symbol) == key:
        return  # nothing changed since S1 last found no entry
    signal = None
    if could_break_out(deps, candidate, facts):
        bars = deps.market.session_bars(candidate.symbol, facts.today, facts.now)
        signal = find_entry(candidate.symbol, bars, float(candidate.avwap), facts.now)
    if signal is None:
        if key is not None:
            deps.cache.no_signal[candidate.symbol] = key
        return
    if facts.now < signal.decided_at + entry_delay(probe, deps.config.entry_delay_max_seconds):
        return
    entry_price = round_price(signal.hold_close)
    distance_pct = (entry_price - candidate.avwap) / candidate.avwap * 100
    rules = SizingRules.from_config(deps.config)
    sized = size_entry(
        facts.equity, entry_price, distance_pct, swing_low(deps, candidate.symbol, facts.today), rules
    )
    if not isinstance(sized, SizedEntry):
        # Not an intent (no valid size): a note naming the would-be intent id, so the book knows (also
        # after a restart) that this setup was already considered today.
        problem = sized.detail.get("problem", sized.reason)
        deps.book.record(
            Note(
                **facts.stamp(deps.book.book_id),
                strategy_id=deps.strategy_id,
                code=sized.reason,
                message=f"{probe} {candidate.symbol}: no size ({problem})",
                symbol=candidate.symbol,
                intent_id=probe,
                detail=note_detail(sized.detail),
            )
        )
        return
    intent = build_intent(deps, facts, candidate, signal, sized)
    deps.book.record(intent)
    deps.hooks.reach(AFTER_INTENT_WRITE, symbol=intent.symbol, intent_id=intent.intent_id)
    decision = decide(deps, facts, intent)
    if decision.outcome != DecisionOutcome.REJECT:
        submit_entry(deps, facts, intent, decision)


def entry_blockers(deps: CycleDependencies, facts: CycleFacts) -> tuple[str, ...]:
    """Reasons the entry half must not run at all (not even to record a REJECT).

    A ledger the runner found corrupt is not written to for entries. A book of another mode than the one in
    force (the live gate changed its mind since the runner built this book, e.g. LIVE fell back to DRY_RUN)
    must not record orders: a recorded but unsent order would be sent by the next cycle in that mode. A
    broker that did not answer this cycle (clock or equity unknown) defers entries instead of rejecting
    them: a REJECT is final for the day, an outage of a few minutes should not be.
    """
    blockers = []
    if deps.ledger_problem:
        blockers.append(reasons.LEDGER_UNREADABLE)
    if BOOK_FOR_MODE.get(facts.mode.effective_mode) != deps.book.book_id:
        blockers.append(reasons.MODE_UNRESOLVED)
    if deps.broker is not None and facts.broker_market_open is None:
        blockers.append(reasons.BROKER_CLOCK_UNKNOWN)
    if deps.broker is not None and facts.equity is None:
        blockers.append(reasons.EQUITY_UNKNOWN)
    return reasons.sort_reasons(blockers)


def run_entries(deps: CycleDependencies, facts: CycleFacts) -> None:
    """Complete pending intents, then consider every fresh candidate in rank order."""
    facts.entries_blocked = entry_blockers(deps, facts)
    if facts.entries_blocked:
        facts.note("entries_blocked", reasons=list(facts.entries_blocked))
        return
    if deps.market is not deps.cache.market:  # trigger memos are only valid for the data they were made on
        deps.cache.market, deps.cache.no_signal = deps.market, {}
    complete_pending(deps, facts)
    freshness = facts.freshness
    if freshness is None or freshness.watchlist is None or not facts.is_session:
        return
    if not (facts.market_open and session_view(facts).in_entry_window):
        return
    held = set(deps.book.state.positions)
    for candidate in sorted(freshness.watchlist.candidates, key=lambda item: item.rank):
        if candidate.symbol not in held:
            consider(deps, facts, candidate)
