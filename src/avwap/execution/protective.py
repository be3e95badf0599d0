"""The exit half of a cycle: every open position's stop follows the stop policy, and its broker stop follows.

Exits are never blocked: this step runs whatever the kill switch, caps or watchlist say. Each cycle, for each
open position, the pure policy (:func:`avwap.exits.policy.resolve_stop`) decides the stop in force from bars
closed by now; it only ever tightens. Its events (STOP_RESOLVED, STOP_RATCHET, STOP_SKIPPED_*) are recorded,
a skip only when its reason or proposed level changes (one event per change, not one per cycle). Then the
broker stop is made to match: submitted when missing, replaced (a derived ``client_order_id`` per revision)
when its price or quantity differs, cancel-then-new when the broker refuses the replace. A position that had a
stop and lost it is re-protected at once and alerted.
"""

from __future__ import annotations

from decimal import Decimal

from avwap.core.config import ExecutionMode
from avwap.core.errors import BrokerError, BrokerRejectedError
from avwap.core.ids import client_order_id
from avwap.execution.broker_sync import send
from avwap.execution.context import CycleDependencies, CycleFacts
from avwap.exits.bar_arrays import bar_arrays
from avwap.exits.events import exit_events
from avwap.exits.policy import StopDecision, resolve_stop
from avwap.exits.rules import StopRules
from avwap.ledger import record_ids
from avwap.ledger.projection import OpenOrder, PositionState
from avwap.ledger.record_enums import ExitEventKind, OrderPurpose, OrderType, Side, StopBasis, TimeInForce
from avwap.ledger.records import ExitEvent, OrderCanceled, OrderReplaced, OrderSubmitted


def working_stop(deps: CycleDependencies, position: PositionState) -> OpenOrder | None:
    for order in deps.book.state.open_orders.values():
        if order.position_id == position.position_id and order.purpose == OrderPurpose.STOP:
            return order
    return None


def stop_revision(deps: CycleDependencies, position: PositionState) -> int:
    """The next revision number: how many stop ids of this position the ledger already holds."""
    prefix = client_order_id(position.intent_id or position.position_id, "stop")
    return sum(1 for known in deps.book.state.client_order_ids if known.startswith(prefix))


def stop_client_id(position: PositionState, revision: int) -> str:
    return client_order_id(position.intent_id or position.position_id, "stop", revision)


def exit_event(
    deps: CycleDependencies,
    facts: CycleFacts,
    *,
    position: PositionState,
    kind: ExitEventKind,
    stop: Decimal | None,
    revision: int,
    reason: str,
    basis: StopBasis | None = None,
) -> ExitEvent:
    return ExitEvent(
        **facts.stamp(deps.book.book_id),
        strategy_id=position.strategy_id,
        exit_id=record_ids.exit_id(
            position_id=position.position_id, kind=kind, stop_revision=revision, ts=facts.now
        ),
        position_id=position.position_id,
        symbol=position.symbol,
        kind=kind,
        stop_price=stop,
        basis=basis,
        reason=reason,
        stop_revision=revision,
    )


def submit_stop(deps: CycleDependencies, facts: CycleFacts, position: PositionState, stop: Decimal) -> None:
    revision = stop_revision(deps, position)
    client_id = stop_client_id(position, revision)
    order = OrderSubmitted(
        **facts.stamp(deps.book.book_id),
        strategy_id=position.strategy_id,
        order_id=record_ids.order_id(book_id=deps.book.book_id, client_order_id=client_id),
        client_order_id=client_id,
        symbol=position.symbol,
        intent_id=position.intent_id or "int_adopted",
        position_id=position.position_id,
        side=Side.SELL,
        order_type=OrderType.STOP,
        quantity=position.quantity,
        stop_price=stop,
        purpose=OrderPurpose.STOP,
        time_in_force=TimeInForce.GTC,
    )
    reason = f"protective stop for {position.quantity} shares"
    deps.book.record(
        order,
        exit_event(
            deps,
            facts,
            position=position,
            kind=ExitEventKind.STOP_SUBMITTED,
            stop=stop,
            revision=revision,
            reason=reason,
        ),
    )
    facts.note("stop_submitted", symbol=position.symbol, stop=stop, quantity=position.quantity)
    if deps.broker is not None:
        send(deps, facts, deps.book.state.open_orders[client_id], deps.broker)


def replace_stop(
    deps: CycleDependencies, facts: CycleFacts, position: PositionState, current: OpenOrder, stop: Decimal
) -> None:
    """Replace the working stop (new derived id); cancel-then-new when the broker refuses a replace."""
    broker = deps.broker
    revision = stop_revision(deps, position)
    new_id = stop_client_id(position, revision)
    stamp = facts.stamp(deps.book.book_id)
    try:
        if broker is not None:
            broker.replace_order(current.client_order_id, new_id, stop_price=stop, quantity=position.quantity)
    except BrokerRejectedError:
        try:
            broker.cancel_order(current.client_order_id)  # type: ignore[union-attr]
        except BrokerError as error:
            facts.note("stop_cancel_failed", symbol=position.symbol, error=str(error))
            return
        deps.book.record(
            OrderCanceled(
                **stamp,
                strategy_id=position.strategy_id,
                order_id=current.order_id,
                client_order_id=current.client_order_id,
                symbol=position.symbol,
                reason="replace refused; cancel then new",
            )
        )
        submit_stop(deps, facts, position, stop)
        return
    except BrokerError as error:
        facts.note("stop_replace_failed", symbol=position.symbol, error=str(error))
        return
    deps.book.record(
        OrderReplaced(
            **stamp,
            strategy_id=position.strategy_id,
            order_id=current.order_id,
            client_order_id=current.client_order_id,
            symbol=position.symbol,
            new_order_id=record_ids.order_id(book_id=deps.book.book_id, client_order_id=new_id),
            new_client_order_id=new_id,
            new_price=stop,
        ),
        exit_event(
            deps,
            facts,
            position=position,
            kind=ExitEventKind.STOP_REPLACED,
            stop=stop,
            revision=revision,
            reason=f"stop {current.stop_price} x {current.quantity} -> {stop} x {position.quantity}",
        ),
    )


def policy_rules(deps: CycleDependencies) -> StopRules:
    return StopRules(buffer=deps.config.stop_buffer)


def _record_policy_events(
    deps: CycleDependencies, facts: CycleFacts, position: PositionState, decision: StopDecision
) -> None:
    events = exit_events(decision, book_id=deps.book.book_id, strategy_id=position.strategy_id)
    if not events:
        return
    if decision.blocked_by:  # a skip: record it when it says something new
        proposed = decision.candidate.price if decision.candidate else decision.stop_price
        key = (str(decision.reason), str(proposed))
        if deps.book.last_skip.get(position.position_id) == key:
            return
        deps.book.last_skip[position.position_id] = key
    deps.book.record(*events)
    facts.note("stop_policy", symbol=position.symbol, reason=str(decision.reason), stop=decision.stop_price)


def maintain_stops(deps: CycleDependencies, facts: CycleFacts) -> None:
    """Run the stop policy for every long position and make its broker stop match."""
    if deps.broker is None or facts.mode.effective_mode == ExecutionMode.DRY_RUN:
        return  # a DRY_RUN book holds no positions
    exit_book = deps.book.exit_book()
    rules = policy_rules(deps)
    for symbol in sorted(deps.book.state.positions):
        position = deps.book.state.positions[symbol]
        if position.quantity <= 0:
            continue
        exit_position = exit_book.by_id.get(position.position_id)
        stop = position.stop_price
        if exit_position is not None:
            intraday = bar_arrays(deps.market.session_bars(symbol, facts.today, facts.now), symbol)
            daily = bar_arrays(deps.market.daily_bars(symbol, facts.today), symbol)
            decision = resolve_stop(exit_position, intraday, daily, facts.now, rules=rules)
            _record_policy_events(deps, facts, position, decision)
            if decision.submit and decision.stop_price is not None:
                _protect(deps, facts, deps.book.state.positions[symbol], decision.stop_price)
                continue
            stop = exit_position.stop_price if exit_position.resolved else None
        if stop is None:
            continue  # not yet resolved: the policy's time gates are holding the first stop back
        _protect(deps, facts, position, stop)


def _protect(deps: CycleDependencies, facts: CycleFacts, position: PositionState, stop: Decimal) -> None:
    """Make the position's working broker stop be ``stop`` for its full quantity."""
    current = working_stop(deps, position)
    if current is None:
        if stop_revision(deps, position) > 0:
            facts.note("stop_missing", symbol=position.symbol)  # it had one: canceled or expired
        submit_stop(deps, facts, position, stop)
    elif current.status == "SUBMITTED":
        return  # its broker answer is still being resolved (broker_sync)
    elif current.quantity - current.filled_quantity != position.quantity or current.stop_price != stop:
        replace_stop(deps, facts, position, current, stop)
