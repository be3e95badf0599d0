"""The entry half of a cycle: every enabled strategy's entry plans → sizing → intent → control plane → order.

Strategies (:mod:`avwap.strategies.protocol`) are asked in ``ENABLED_STRATEGIES`` order, each inside its own
entry window; their plans all take the same path, recorded under the plan's ``strategy_id``. A strategy does
not plan a symbol it holds or is entering itself; a symbol another strategy holds is planned and met by the
conflict rules and ``ALREADY_HOLDING`` (one position per symbol and book, unless S2_ALLOW_SYMBOL_OVERLAP=1
lets each strategy hold its own lot: docs/STRATEGIES.md, "Two strategies in one symbol").

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

import dataclasses
import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any, Final

from avwap.control import reasons
from avwap.control.conflicts import BUY, Claim, resolve
from avwap.control.context import EntryIntent, GateContext, GateRules, PortfolioView, SessionView
from avwap.control.decision_records import decision_record
from avwap.control.plane import evaluate_entry
from avwap.control.portfolio.order_cap import CappedEntry, cap_entry
from avwap.control.sizing import SizedEntry, SizingRejection, SizingRules, size_entry
from avwap.core.errors import DataError
from avwap.core.execution_mode import ExecutionMode
from avwap.core.ids import client_order_id
from avwap.execution.advisory_sizing import sized_down
from avwap.execution.arbitration import conflict_rules, held_claims, is_blocked, record_resolution
from avwap.execution.book import BOOK_FOR_MODE
from avwap.execution.broker_sync import send
from avwap.execution.context import CycleDependencies, CycleFacts
from avwap.execution.decision_enforcement import admission, admits
from avwap.execution.events import EntriesBlocked, EntryDecision, EntryEnforcementBlocked, EntrySubmitted
from avwap.execution.hooks import AFTER_DECISION_WRITE, AFTER_INTENT_WRITE
from avwap.execution.sleeves import sleeve_view
from avwap.ledger import record_ids
from avwap.ledger.record_enums import DecisionOutcome, OrderPurpose, OrderType, Side, TimeInForce
from avwap.ledger.records import Decision, Note, OrderSubmitted, TradeIntent, note_detail
from avwap.strategies.protocol import EntryPlan, Strategy, StrategyInputs
from avwap.strategies.registry import REGISTRY, is_registered, is_routable, load_strategy, may_route_to

SIZE_MEMO_LIMIT: Final = 20_000


def entry_delay(intent_id: str, maximum_seconds: int) -> dt.timedelta:
    """A delay in ``[0, maximum_seconds]`` derived from the intent id: stable across processes and runs."""
    if maximum_seconds <= 0:
        return dt.timedelta(0)
    digest = int.from_bytes(hashlib.sha256(intent_id.encode()).digest()[:8], "big")
    return dt.timedelta(seconds=digest % (maximum_seconds + 1))


def portfolio_view(deps: CycleDependencies, facts: CycleFacts) -> PortfolioView:
    """Positions and exposure as the caps must see them: held positions plus entry orders still working
    (an entry decided a minute ago counts against the caps before it fills)."""
    state = deps.book.state
    exposure: dict[str, Decimal] = {}
    for position in state.positions.values():  # a symbol's notional: the sum of its lots
        exposure[position.symbol] = exposure.get(position.symbol, Decimal("0")) + position.cost_basis
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


def session_view(facts: CycleFacts, strategy: Strategy | None, symbol: str | None = None) -> SessionView:
    """The session as the gates see it for an intent of ``strategy`` (its entry window; None: a strategy
    no longer registered, whose window is unknown, so the ENTRY_WINDOW gate fails closed) on ``symbol``
    (whether its intraday data is fresh this cycle)."""
    in_window = False
    if facts.is_session and strategy is not None:
        start, end = strategy.entry_window(facts.today)
        in_window = start <= facts.now <= end
    return SessionView(
        market_open=facts.market_open,
        in_entry_window=in_window,
        broker_market_open=facts.broker_market_open,
        intraday_data_fresh=symbol not in facts.stale_data,
    )


def strategy_of(strategy_id: str) -> Strategy | None:
    """A registered strategy by id, enabled or not (an intent recorded before a restart with other
    ENABLED_STRATEGIES still completes through its own entry window)."""
    return load_strategy(strategy_id) if strategy_id in REGISTRY else None


def in_universe(facts: CycleFacts, symbol: str) -> bool:
    """The scan-driven strategies trade today's candidates only. Without a watchlist the WATCHLIST_STALE
    gate already blocks, so the universe is not a second reason then."""
    watchlist = facts.freshness.watchlist if facts.freshness is not None else None
    if watchlist is None:
        return True
    return symbol in {candidate.symbol for candidate in watchlist.candidates}


def data_version(facts: CycleFacts) -> str:
    """The sha256 of the candidates artifact the plans came from (the cycle only plans from a fresh one)."""
    watchlist = facts.freshness.watchlist if facts.freshness is not None else None
    if watchlist is None or not watchlist.sha256:  # run_entries only plans from a fresh artifact: a bug
        raise DataError("an entry was planned without a candidates artifact: no data_version to record")
    return watchlist.sha256


def build_intent(
    deps: CycleDependencies, facts: CycleFacts, plan: EntryPlan, sized: SizedEntry, identifier: str
) -> TradeIntent:
    return TradeIntent(
        **facts.stamp(deps.book.book_id),
        strategy_id=plan.strategy_id,
        intent_id=identifier,
        symbol=plan.symbol,
        side=plan.side,
        quantity=sized.shares,
        entry_price=sized.entry_price,
        stop_price=sized.stop_price,
        risk_per_share=sized.risk_per_share,
        notional=sized.notional,
        setup=plan.setup,
        reason=plan.reason,
        thesis=plan.thesis,
        tags=plan.tags,
        model_version=plan.model_version,
        data_version=data_version(facts),
        ruleset_version=deps.config.ruleset_version or None,
    )


def decide(deps: CycleDependencies, facts: CycleFacts, intent: TradeIntent) -> Decision:
    """Run the control plane on ``intent`` and record its decision."""
    context = GateContext(
        intent=EntryIntent(
            intent.symbol,
            intent.quantity,
            intent.entry_price,
            intent.stop_price,
            strategy_id=intent.strategy_id,
            registered=is_registered(intent.strategy_id),
            book_allowed=may_route_to(intent.strategy_id, deps.book.book_id),
            routable=is_routable(intent.strategy_id),
            in_universe=in_universe(facts, intent.symbol),
        ),
        mode=facts.mode,
        today_ny=facts.today,
        kill_switch=facts.kill_switch,
        portfolio=portfolio_view(deps, facts),
        session=session_view(facts, strategy_of(intent.strategy_id), intent.symbol),
        rules=GateRules.from_config(deps.config),
        sleeve=sleeve_view(deps, facts, intent.strategy_id, intent.symbol),
    )
    verdict = evaluate_entry(context)
    # ML_ADVISORY_SIZE_DOWN (off by default): after the gates, a smaller quantity only
    verdict = sized_down(deps, facts, verdict)
    record = decision_record(
        **facts.stamp(deps.book.book_id),
        strategy_id=intent.strategy_id,
        intent_id=intent.intent_id,
        symbol=intent.symbol,
        verdict=verdict,
        ruleset_version=intent.ruleset_version,
    )
    outcome = record.outcome
    deps.book.record(record)
    deps.hooks.reach(AFTER_DECISION_WRITE, symbol=intent.symbol, intent_id=intent.intent_id)
    facts.note(EntryDecision(intent.symbol, str(outcome), tuple(verdict.reasons)))
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
        decision_id=decision.decision_id,
        position_id=record_ids.position_id(
            book_id=deps.book.book_id,
            strategy_id=intent.strategy_id,
            symbol=intent.symbol,
            intent_id=intent.intent_id,
        ),
        side=Side.BUY,
        order_type=OrderType.STOP if deps.daily_resolution else OrderType.MARKET,
        stop_price=intent.entry_price if deps.daily_resolution else None,
        quantity=decision.approved_quantity,
        purpose=OrderPurpose.ENTRY,
        time_in_force=TimeInForce.DAY,
    )
    deps.book.record(order)
    facts.note(EntrySubmitted(intent.symbol, decision.approved_quantity))
    if deps.broker is not None and facts.mode.effective_mode != ExecutionMode.DRY_RUN:
        send(deps, facts, deps.book.state.open_orders[client_id], deps.broker)


def complete_pending(deps: CycleDependencies, facts: CycleFacts) -> None:
    """Finish intents of today that a crash left between two records."""
    # Today's unsubmitted intents only, then sorted (sorting the book's every intent each cycle grew with
    # the run's length).
    pending = [
        (intent_id, intent)
        for intent_id, intent in deps.book.intents.items()
        if intent.date_ny == facts.today and intent_id not in deps.book.submitted
    ]
    for intent_id, intent in sorted(pending):
        recorded = deps.book.decisions.get(intent_id)
        if recorded is not None and recorded.outcome == DecisionOutcome.REJECT:
            continue  # rejected: finished
        if not admits(deps, facts, intent.strategy_id, intent.symbol, intent_id):
            continue  # portfolio decision enforcement (2B): asked again next cycle
        decision = recorded or decide(deps, facts, intent)
        if decision.outcome != DecisionOutcome.REJECT:
            submit_entry(deps, facts, intent, decision)


def intent_probe(
    deps: CycleDependencies, facts: CycleFacts, strategy_id: str, symbol: str, setup: str
) -> str:
    """The id an entry intent for this setup would have today (memoized: hashing is not free)."""
    key = (deps.book.book_id, strategy_id, facts.today, symbol, setup)
    probe = deps.cache.probes.get(key)
    if probe is None:
        probe = record_ids.intent_id(
            book_id=deps.book.book_id,
            strategy_id=strategy_id,
            date_ny=facts.today,
            symbol=symbol,
            side=Side.BUY,
            setup=setup,
        )
        deps.cache.probes[key] = probe
    return probe


def already_considered(deps: CycleDependencies, probe: str) -> bool:
    """Decided or noted as unsizable earlier today. A plan a conflict rule blocked is not: it is arbitrated
    again next cycle (its resolution is recorded once), so a plan blocked behind a winner the control plane
    then rejects, or behind a position since closed, gets its own decision."""
    book = deps.book
    return probe in book.intents or probe in book.unsized


def size_plan(
    deps: CycleDependencies, facts: CycleFacts, plan: EntryPlan, rules: SizingRules | None = None
) -> Any:
    """:func:`size_entry` of the plan at this cycle's equity (memoized by every input: a plan re-arbitrated
    by the next cycle at the same equity is not sized again)."""
    rules = rules or SizingRules.from_config(deps.config)
    key = (facts.equity, plan.entry_price, plan.distance_pct, plan.initial_stop, rules)
    sizes = deps.cache.sizes
    if key not in sizes:
        if len(sizes) > SIZE_MEMO_LIMIT:
            sizes.clear()
        sizes[key] = size_entry(facts.equity, plan.entry_price, plan.distance_pct, plan.initial_stop, rules)
    return sizes[key]


def regime_capped(facts: CycleFacts, plan: EntryPlan, capped: CappedEntry) -> SizedEntry | SizingRejection:
    """The entry within its ALLOW's regime-scaled notional (E2); a cap below one share blocks it (the
    rejection is noted like an unsizable plan, and said in the cycle's entry-blocked alert)."""
    if not isinstance(capped.result, SizedEntry):
        code = reasons.PORTFOLIO_DECISION_SIZED_TO_ZERO
        facts.note(EntryEnforcementBlocked(plan.strategy_id, plan.symbol, code))
    return capped.result


def consider(
    deps: CycleDependencies, facts: CycleFacts, plan: EntryPlan, sized: Any = None, cap: int | None = None
) -> bool:
    """One plan: delay, portfolio decision enforcement, sizing (``sized``: already done), at most ``cap``
    shares (a conflict rule's resize) and at most its ALLOW's regime-scaled notional (E2), intent,
    decision, order. True when an entry order was recorded."""
    probe = intent_probe(deps, facts, plan.strategy_id, plan.symbol, plan.setup)
    if already_considered(deps, probe):
        return False
    if facts.now < plan.decided_at + entry_delay(probe, deps.config.entry_delay_max_seconds):
        return False
    admitted = admission(deps, facts, plan.strategy_id, plan.symbol, probe)
    if not admitted.allowed:
        return False  # portfolio decision enforcement (2B): no intent, so the next cycle asks again
    sized = sized if sized is not None else size_plan(deps, facts, plan)
    if isinstance(sized, SizedEntry) and cap is not None and 0 < cap < sized.shares:
        sized = dataclasses.replace(sized, shares=cap)
    if isinstance(sized, SizedEntry) and admitted.max_notional is not None:
        sized = regime_capped(facts, plan, cap_entry(sized, admitted.max_notional))
    if not isinstance(sized, SizedEntry):
        # Not an intent (no valid size): a note naming the would-be intent id, so the book knows (also
        # after a restart) that this setup was already considered today.
        problem = sized.detail.get("problem", sized.reason)
        deps.book.record(
            Note(
                **facts.stamp(deps.book.book_id),
                strategy_id=plan.strategy_id,
                code=sized.reason,
                message=f"{probe} {plan.symbol}: no size ({problem})",
                symbol=plan.symbol,
                intent_id=probe,
                detail=note_detail(sized.detail),
            )
        )
        return False
    intent = build_intent(deps, facts, plan, sized, probe)
    deps.book.record(intent)
    deps.hooks.reach(AFTER_INTENT_WRITE, symbol=intent.symbol, intent_id=intent.intent_id)
    decision = decide(deps, facts, intent)
    if decision.outcome == DecisionOutcome.REJECT:
        return False
    submit_entry(deps, facts, intent, decision)
    return True


def claimed_symbols(deps: CycleDependencies, facts: CycleFacts, strategy_id: str | None = None) -> set[str]:
    """Symbols held, or with a working entry order (each strategy's lots); of ``strategy_id``
    only when given (symbols other strategies hold are planned, and met by the conflict rules)."""
    state = deps.book.state
    mine = {
        position.symbol
        for position in state.positions.values()
        if strategy_id is None or position.strategy_id == strategy_id
    }
    for order in state.working_orders(facts.today).values():
        if order.purpose == OrderPurpose.ENTRY and (strategy_id is None or order.strategy_id == strategy_id):
            mine.add(order.symbol)
    return mine


def strategy_inputs(
    deps: CycleDependencies, facts: CycleFacts, strategy: Strategy, held: set[str]
) -> StrategyInputs:
    strategy_id = strategy.metadata.strategy_id

    def considered(symbol: str, setup: str) -> bool:
        return already_considered(deps, intent_probe(deps, facts, strategy_id, symbol, setup))

    assert facts.freshness is not None and facts.freshness.watchlist is not None
    return StrategyInputs(
        market=deps.market,
        candidates=tuple(sorted(facts.freshness.watchlist.candidates, key=lambda item: item.rank)),
        held=frozenset(held),
        considered=considered,
        now=facts.now,
        today=facts.today,
        stop_rules=deps.stop_rules,
        memo=deps.cache.memo(strategy_id),
    )


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


def arbitrate(
    deps: CycleDependencies, facts: CycleFacts, plans: list[EntryPlan]
) -> list[tuple[EntryPlan, Any, int | None]]:
    """The cross-strategy conflict rules (Phase S3) over this cycle's plans: every routable, sizable plan
    is a claim; resolutions that applied a rule are recorded; blocked plans are dropped. The rest, in
    priority order, with their size and the conflict cap (None: none). Plans of non-routable strategies
    (shadows: the plane rejects them) and unsizable plans (consider notes them) pass through unchanged."""
    rules = conflict_rules(deps, facts, held := held_claims(deps, facts))
    sizing = SizingRules.from_config(deps.config)
    routable = {item: is_routable(item) for item in {plan.strategy_id for plan in plans}}
    passed: list[tuple[EntryPlan, Any, int | None]] = []
    claims, sized_plans = [], []
    for plan in plans:
        probe = intent_probe(deps, facts, plan.strategy_id, plan.symbol, plan.setup)
        if already_considered(deps, probe):
            continue
        sized = size_plan(deps, facts, plan, sizing)
        if not routable[plan.strategy_id] or not isinstance(sized, SizedEntry):
            passed.append((plan, sized, None))
            continue
        claims.append(Claim(plan.strategy_id, plan.symbol, BUY, sized.shares, sized.entry_price, probe))
        sized_plans.append((plan, sized))
    kept: list[tuple[tuple[int, str], int, tuple[EntryPlan, Any, int | None]]] = []
    for (plan, sized), resolution in zip(sized_plans, resolve(held, claims, rules), strict=True):
        if resolution.conflicted:
            record_resolution(deps, facts, resolution)
        if not is_blocked(resolution):
            kept.append((rules.rank(plan.strategy_id), len(kept), (plan, sized, resolution.quantity)))
    return [item for _, _, item in sorted(kept, key=lambda entry: (entry[0], entry[1]))] + passed


def run_entries(deps: CycleDependencies, facts: CycleFacts) -> None:
    """Complete pending intents, ask every enabled strategy (inside its entry window) for its plans, apply
    the cross-strategy conflict rules, then decide each surviving plan."""
    facts.entries_blocked = entry_blockers(deps, facts)
    if facts.entries_blocked:
        facts.note(EntriesBlocked(tuple(facts.entries_blocked)))
        return
    if deps.market is not deps.cache.market:  # strategy memos are only valid for the data they were made on
        deps.cache.market, deps.cache.memos = deps.market, {}
    complete_pending(deps, facts)
    freshness = facts.freshness
    if freshness is None or freshness.watchlist is None or not facts.is_session or not facts.market_open:
        return
    # Each strategy skips what it holds or is entering itself; symbols with stale intraday data are
    # deferred (not rejected): no strategy plans them this cycle, and they are decided once fresh bars
    # arrive. Symbols another strategy holds are planned and met by the conflict rules.
    stale = set(facts.stale_data)
    plans: list[EntryPlan] = []
    for strategy in deps.strategies:
        if not session_view(facts, strategy).in_entry_window:
            continue
        strategy_id = strategy.metadata.strategy_id
        # A strategy that is never routed (a shadow) holds nothing: it skips every claimed symbol, as before.
        owner = strategy_id if is_routable(strategy_id) else None
        own = claimed_symbols(deps, facts, owner) | stale
        plans += strategy.entries(strategy_inputs(deps, facts, strategy, own))
    plans = [plan for plan in plans if plan.symbol not in stale]
    if not plans:
        return
    for plan, sized, cap in arbitrate(deps, facts, plans):
        consider(deps, facts, plan, sized, cap)
