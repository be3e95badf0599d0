"""The exit half of a cycle: every open position's stop follows the stop policy, and its broker stop follows.

Exits are never blocked: this step runs whatever the kill switch, caps or watchlist say. Each cycle, for each
open long position:

1. The pure policy (:func:`avwap.exits.policy.resolve_stop`) decides the stop in force from bars closed by
   now; it only ever tightens. Its events (``STOP_RESOLVED``, ``STOP_RATCHET``, ``STOP_SKIPPED_*``) are
   recorded before any broker call; a skip only when its reason or proposed level changes.
2. Once the stop is resolved, the broker stop is reconciled with it (docs/STOPS.md, "Execution"):

   * a working stop whose quantity and price match is kept (nothing recorded);
   * a higher stop price: replace (``replace_idempotent``, new ``client_order_id`` per order revision),
     cancel-then-new when the broker refuses the replace; a lower one is never sent (no loosening);
   * a different quantity (partial entry fills, a partial manual exit): cancel-then-new;
   * other sell orders (e.g. a manual exit order) hold some shares: the stop covers the rest; when they
     hold all of them nothing is submitted and ``STOP_SUBMIT_BLOCKED`` says why (once per change), as it
     does for a broker ``INSUFFICIENT_QUANTITY`` refusal;
   * a replace that finds the old stop no longer open (it filled, or was canceled, while we decided) does
     nothing more: the next synchronization records its fate; never a second exit order.

   A resolved position left without a working stop (it vanished, or could not be placed) is noted as
   ``stop_missing`` (an operator alert). Working stops of positions that no longer exist are canceled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from avwap.core.errors import BrokerError, BrokerRejectedError, DataError
from avwap.core.execution_mode import ExecutionMode
from avwap.core.ids import client_order_id
from avwap.execution.broker import Broker, BrokerOrder, RejectCode, replace_idempotent
from avwap.execution.broker_sync import ingest_fills, send
from avwap.execution.context import CycleDependencies, CycleFacts
from avwap.execution.events import (
    StopCanceled,
    StopCancelFailed,
    StopMissing,
    StopPolicy,
    StopPolicyFailed,
    StopReplaced,
    StopReplaceFailed,
    StopReplaceRaced,
    StopSubmitted,
    SubmissionRejected,
)
from avwap.execution.market_views import keeps_arrays
from avwap.exits.position_state import ExitPosition
from avwap.ledger import record_ids
from avwap.ledger.projection import OpenOrder, PositionState
from avwap.ledger.projection_state import count_with_prefix
from avwap.ledger.record_enums import ExitEventKind, OrderPurpose, OrderType, Side, StopBasis, TimeInForce
from avwap.ledger.records import ExitEvent, OrderCanceled, OrderReplaced, OrderSubmitted
from avwap.strategies.registry import uses_daily_stops

if TYPE_CHECKING:
    import pandas as pd

    from avwap.exits.bar_arrays import BarArrays
    from avwap.exits.policy import StopDecision

# The stop policy and its bar arrays (numpy) are imported by the functions that run them, when a position
# exists: an idle cycle (DRY_RUN, or no positions) must not pay for numpy (integration/test_cli_startup.py).

# Why a stop could not be placed (the first word of a STOP_SUBMIT_BLOCKED reason).
SELL_ORDER_HOLDS_QUANTITY: Final = "SELL_ORDER_HOLDS_QUANTITY"
INSUFFICIENT_QUANTITY: Final = str(RejectCode.INSUFFICIENT_QUANTITY)
# A replace or cancel found the order no longer open: it filled or was canceled meanwhile.
_GONE: Final = frozenset({RejectCode.ORDER_NOT_OPEN, RejectCode.ORDER_NOT_FOUND})
# Suffixes of BookRecorder.last_skip keys (in-memory memos next to the policy's skip memo, by position id).
_BLOCK_MEMO: Final = ":stop-blocked"  # the last STOP_SUBMIT_BLOCKED recorded
_REFUSED_MEMO: Final = ":stop-refused"  # the last stop the broker refused, and when
RETRY_REFUSED_AFTER: Final = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Target:
    """The broker stop a position should have, and what the execution events repeat of the policy's
    decision: its revision, basis and pivot (so any stop-setting event says where the stop came from)."""

    stop: Decimal
    revision: int
    resolved: bool
    basis: StopBasis | None = None
    pivot: tuple[str, str] | None = None  # (pivot_ts, pivot_price)

    def reason(self, text: str) -> str:
        """``text`` plus the pivot as ``key=value`` pairs (what ``parse_pivot`` reads back)."""
        if self.pivot is None:
            return text
        return f"{text} pivot_ts={self.pivot[0]} pivot_price={self.pivot[1]}"


def stop_prefix(position: PositionState) -> str:
    return client_order_id(position.intent_id or position.position_id, "stop")


def stop_client_id(position: PositionState, revision: int) -> str:
    """``avw-<intent>-stop`` for order revision 0, ``avw-<intent>-stop-r<n>`` after."""
    return client_order_id(position.intent_id or position.position_id, "stop", revision)


def order_revision(deps: CycleDependencies, position: PositionState) -> int:
    """The next order revision: how many stop client ids of this position the ledger already holds."""
    prefix = stop_prefix(position)
    return count_with_prefix(deps.book.state.client_order_ids, prefix)


def working_stop(deps: CycleDependencies, position: PositionState) -> OpenOrder | None:
    for order in deps.book.state.open_orders.values():
        if order.position_id == position.position_id and order.purpose == OrderPurpose.STOP:
            return order
    return None


def frame_arrays(frame: pd.DataFrame) -> BarArrays:
    """:class:`BarArrays` of one symbol's time-ordered frame (what MarketData returns), without sorting:
    this runs for every position every cycle (the order is still checked by ``bar_arrays_from_values``)."""
    from avwap.exits.bar_arrays import bar_arrays_from_values, empty_arrays

    if frame.empty:
        return empty_arrays()
    starts = frame["timestamp"].to_numpy(dtype="datetime64[ns]").view("int64")  # UTC instants
    prices = (frame[name].to_numpy(dtype="float64") for name in ("open", "high", "low", "close"))
    return bar_arrays_from_values(starts, *prices)


# ------------------------------------------------------------------------------------------- records


def exit_event(
    deps: CycleDependencies,
    facts: CycleFacts,
    position: PositionState,
    target: Target,
    *,
    kind: ExitEventKind,
    reason: str,
) -> ExitEvent:
    """An execution-side exit event; ``stop_revision`` is the policy's (the order revision is in the id)."""
    return ExitEvent(
        **facts.stamp(deps.book.book_id),
        strategy_id=position.strategy_id,
        exit_id=record_ids.exit_id(
            position_id=position.position_id, kind=kind, stop_revision=target.revision, ts=facts.now
        ),
        position_id=position.position_id,
        symbol=position.symbol,
        kind=kind,
        stop_price=target.stop,
        basis=target.basis,
        reason=target.reason(reason) if kind != ExitEventKind.STOP_SUBMIT_BLOCKED else reason,
        stop_revision=target.revision,
    )


def _canceled(deps: CycleDependencies, facts: CycleFacts, order: OpenOrder, reason: str) -> OrderCanceled:
    return OrderCanceled(
        **facts.stamp(deps.book.book_id),
        strategy_id=order.strategy_id,
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        reason=reason,
    )


def _record_blocked(
    deps: CycleDependencies, facts: CycleFacts, position: PositionState, target: Target, reason: str
) -> None:
    """One STOP_SUBMIT_BLOCKED per change of (reason, stop): a standing block is not re-recorded."""
    memo = position.position_id + _BLOCK_MEMO
    key = (reason, str(target.stop))
    if deps.book.last_skip.get(memo) == key:
        return
    deps.book.last_skip[memo] = key
    deps.book.record(
        exit_event(
            deps,
            facts,
            position,
            target,
            kind=ExitEventKind.STOP_SUBMIT_BLOCKED,
            reason=f"{reason} stop={target.stop}",
        )
    )


# ------------------------------------------------------------------------------------ broker actions


def submit_stop(
    deps: CycleDependencies,
    facts: CycleFacts,
    position: PositionState,
    target: Target,
    *,
    quantity: int,
    why: str,
) -> str | None:
    """Record a new stop order (and its STOP_SUBMITTED event), then send it; returns the broker's refusal
    code when it refused (None when accepted or still unresolved)."""
    revision = order_revision(deps, position)
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
        quantity=quantity,
        stop_price=target.stop,
        purpose=OrderPurpose.STOP,
        time_in_force=TimeInForce.GTC,
    )
    reason = f"{why} client_order_id={client_id} quantity={quantity} order_revision={revision}"
    deps.book.record(
        order, exit_event(deps, facts, position, target, kind=ExitEventKind.STOP_SUBMITTED, reason=reason)
    )
    facts.note(StopSubmitted(position.symbol, target.stop, quantity))
    assert deps.broker is not None
    send(deps, facts, deps.book.state.open_orders[client_id], deps.broker)
    refusal = _refusal(facts, client_id)
    if refusal == INSUFFICIENT_QUANTITY:
        _record_blocked(deps, facts, position, target, INSUFFICIENT_QUANTITY)
    return refusal


def _refusal(facts: CycleFacts, client_id: str) -> str | None:
    """The broker's refusal code for ``client_id`` in this cycle (``send`` notes it), if any."""
    for event in reversed(facts.events):
        if isinstance(event, SubmissionRejected) and event.client_order_id == client_id:
            return str(event.code)
    return None


def replace_stop(
    deps: CycleDependencies, facts: CycleFacts, position: PositionState, current: OpenOrder, target: Target
) -> None:
    """Raise the working stop's price by replace; cancel-then-new when the broker refuses the replace."""
    broker = deps.broker
    assert broker is not None
    revision = order_revision(deps, position)
    new_id = stop_client_id(position, revision)
    try:
        replacement = replace_idempotent(broker, current.client_order_id, new_id, stop_price=target.stop)
    except BrokerRejectedError as error:
        if error.code in _GONE:
            facts.note(StopReplaceRaced(position.symbol, current.client_order_id))
            return  # it filled or was canceled meanwhile: the next synchronization records what happened
        if error.code == RejectCode.CLIENT_ORDER_ID_CONFLICT:
            facts.note(StopReplaceFailed(position.symbol, str(error)))
            return
        cancel_then_new(deps, facts, position, current, target, why=f"replace refused ({error.code})")
        return
    except BrokerError as error:  # outcome unknown: the next cycle retries under the same new id
        facts.note(StopReplaceFailed(position.symbol, str(error)))
        return
    if replacement.quantity != current.quantity - current.filled_quantity:
        # The old stop sold shares the ledger has not seen: record those fills against it while the ledger
        # still knows it as working, so the replacement takes over exactly the shares left.
        ingest_fills(deps, facts, broker)
    reason = (
        f"client_order_id={new_id} replaces={current.client_order_id} "
        f"stop {current.stop_price} -> {target.stop} order_revision={revision}"
    )
    deps.book.record(
        OrderReplaced(
            **facts.stamp(deps.book.book_id),
            strategy_id=position.strategy_id,
            order_id=current.order_id,
            client_order_id=current.client_order_id,
            symbol=position.symbol,
            new_order_id=record_ids.order_id(book_id=deps.book.book_id, client_order_id=new_id),
            new_client_order_id=new_id,
            new_price=target.stop,
        ),
        exit_event(deps, facts, position, target, kind=ExitEventKind.STOP_REPLACED, reason=reason),
    )
    facts.note(StopReplaced(position.symbol, target.stop))


def cancel_then_new(
    deps: CycleDependencies,
    facts: CycleFacts,
    position: PositionState,
    current: OpenOrder,
    target: Target,
    *,
    why: str,
) -> None:
    """Cancel the working stop, bring fills up to date if it filled partly, then protect what is left."""
    broker = deps.broker
    assert broker is not None
    try:
        canceled = broker.cancel_order(current.client_order_id)
    except BrokerRejectedError as error:
        if error.code in _GONE:
            facts.note(StopReplaceRaced(position.symbol, current.client_order_id))
            return
        facts.note(StopCancelFailed(position.symbol, str(error)))
        return
    except BrokerError as error:
        facts.note(StopCancelFailed(position.symbol, str(error)))
        return
    if canceled.filled_quantity > current.filled_quantity:
        # It sold shares before the cancel: record those fills while the ledger still knows the order as
        # working (fills of a closed order are not ingested), so the new stop covers exactly the rest.
        ingest_fills(deps, facts, broker)
    if current.client_order_id in deps.book.state.open_orders:
        deps.book.record(_canceled(deps, facts, current, f"{why}; cancel then new"))
    remaining = deps.book.state.positions.get(position.position_id)
    if remaining is None or remaining.quantity <= 0:
        return
    quantity = remaining.quantity - sum(_other_sells(deps, remaining, None).values())
    if quantity > 0:
        submit_stop(deps, facts, remaining, target, quantity=quantity, why=why)


def _other_sells(
    deps: CycleDependencies, position: PositionState, broker_orders: list[BrokerOrder] | None
) -> dict[str, int]:
    """Open sell orders of the symbol that are not this position's stops: client id -> shares they hold.
    Sells of another strategy's lot of the symbol (its stop, its exit) hold that lot's shares, not this
    lot's: they are left out, so each lot's stop covers the lot's own quantity."""
    prefix = stop_prefix(position)
    state = deps.book.state
    ledger = state.open_orders
    other_lots = {lot.position_id for lot in state.lots_of(position.symbol)} - {position.position_id}
    held = {
        order.client_order_id: order.quantity - order.filled_quantity
        for order in ledger.values()
        if order.symbol == position.symbol
        and order.side == Side.SELL
        and not (order.purpose == OrderPurpose.STOP and order.position_id == position.position_id)
        and order.position_id not in other_lots
    }
    for order in broker_orders or ():
        known = order.client_order_id in ledger or order.client_order_id.startswith(prefix)
        is_sell = str(order.side) == Side.SELL
        if order.symbol == position.symbol and is_sell and order.is_open and not known:
            held[order.client_order_id] = order.remaining_quantity
    return held


# ------------------------------------------------------------------------------------ reconciliation


def reconcile_stop(
    deps: CycleDependencies, facts: CycleFacts, position: PositionState, target: Target
) -> None:
    """Make the position's working broker stop match ``target`` (see the module docstring)."""
    current = working_stop(deps, position)
    if current is not None and current.status == "SUBMITTED":
        return  # its broker answer is still being resolved (broker_sync)
    if current is not None:
        quantity = position.quantity - sum(_other_sells(deps, position, None).values())
        if current.quantity - current.filled_quantity != quantity and quantity > 0:
            cancel_then_new(deps, facts, position, current, target, why="quantity changed")
        elif current.stop_price is not None and target.stop > current.stop_price:
            replace_stop(deps, facts, position, current, target)
        _note_if_unprotected(deps, facts, position, target)
        return
    had_stop = order_revision(deps, position) > 0
    if had_stop:
        facts.note(StopMissing(position.symbol, "no working stop at the start of the cycle"))
    assert deps.broker is not None
    try:
        broker_orders: list[BrokerOrder] | None = deps.broker.open_orders()
    except BrokerError:
        broker_orders = None  # the ledger's view only; a broker refusal will tell the rest
    holders = _other_sells(deps, position, broker_orders)
    quantity = position.quantity - sum(holders.values())
    if quantity <= 0:
        held = ",".join(sorted(holders))
        _record_blocked(deps, facts, position, target, f"{SELL_ORDER_HOLDS_QUANTITY} by={held}")
    else:
        attempt = f"{quantity}|{target.stop}|{','.join(sorted(holders))}"
        if not _refused_recently(deps, facts, position, attempt):
            why = "re-protect" if had_stop else "protect"
            if submit_stop(deps, facts, position, target, quantity=quantity, why=why) is not None:
                deps.book.last_skip[position.position_id + _REFUSED_MEMO] = (attempt, facts.now.isoformat())
    _note_if_unprotected(deps, facts, position, target)


def _refused_recently(
    deps: CycleDependencies, facts: CycleFacts, position: PositionState, attempt: str
) -> bool:
    """True when the broker refused this very stop (quantity, price, other sells) less than
    :data:`RETRY_REFUSED_AFTER` ago: a refusal is not re-sent every cycle, but retried once things change."""
    memo = deps.book.last_skip.get(position.position_id + _REFUSED_MEMO)
    if memo is None or memo[0] != attempt:
        return False
    return facts.now - dt.datetime.fromisoformat(memo[1]) < RETRY_REFUSED_AFTER


def _note_if_unprotected(
    deps: CycleDependencies, facts: CycleFacts, position: PositionState, target: Target
) -> None:
    still_open = deps.book.state.positions.get(position.position_id) is not None
    noted = any(isinstance(event, StopMissing) and event.symbol == position.symbol for event in facts.events)
    # (one StopMissing note per symbol and cycle: the alert names the symbol, whichever lot it is)
    if target.resolved and still_open and not noted and working_stop(deps, position) is None:
        facts.note(StopMissing(position.symbol, "no working stop", target.stop))


def cancel_orphan_stops(deps: CycleDependencies, facts: CycleFacts, broker: Broker) -> None:
    """Cancel working stops whose position is gone (closed by another order): they could only sell short."""
    open_positions = {position.position_id for position in deps.book.state.positions.values()}
    for order in list(deps.book.state.open_orders.values()):
        if order.purpose != OrderPurpose.STOP or order.position_id in open_positions:
            continue
        if order.status == "SUBMITTED":
            continue  # its answer is still being resolved
        try:
            broker.cancel_order(order.client_order_id)
        except BrokerRejectedError as error:
            if error.code not in _GONE:
                facts.note(StopCancelFailed(order.symbol, str(error)))
            continue  # gone already: the next synchronization records its fate
        except BrokerError as error:
            facts.note(StopCancelFailed(order.symbol, str(error)))
            continue
        deps.book.record(_canceled(deps, facts, order, "position closed"))
        facts.note(StopCanceled(order.symbol, order.client_order_id))


# ------------------------------------------------------------------------------------------ policy


def _record_policy_events(
    deps: CycleDependencies, facts: CycleFacts, position: PositionState, decision: StopDecision
) -> None:
    from avwap.exits.events import exit_events

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
    facts.note(StopPolicy(position.symbol, str(decision.reason), decision.stop_price))


def policy_bars(deps: CycleDependencies, facts: CycleFacts, symbol: str) -> tuple[BarArrays, BarArrays]:
    """Today's closed intraday bars and the daily history as arrays (kept arrays when the data has them)."""
    market = deps.market
    if keeps_arrays(market):
        return market.session_arrays(symbol, facts.today, facts.now), market.daily_arrays(symbol, facts.today)
    intraday = frame_arrays(deps.market.session_bars(symbol, facts.today, facts.now))
    return intraday, frame_arrays(deps.market.daily_bars(symbol, facts.today))


def decide_target(
    deps: CycleDependencies, facts: CycleFacts, position: PositionState, exit_position: ExitPosition | None
) -> Target | None:
    """Run the policy (recording its events) and return the stop the broker should hold, if resolved."""
    from avwap.exits.candidates import pivot_fields
    from avwap.exits.policy import resolve_stop
    from avwap.exits.policy_daily import resolve_daily_stop

    if exit_position is None:  # not folded (no exit records): keep whatever stop the ledger names
        stop = position.stop_price
        return None if stop is None else Target(stop, 0, resolved=False)
    held_pivot = None
    if exit_position.last_pivot_ts is not None and exit_position.last_pivot_price is not None:
        held_pivot = (exit_position.last_pivot_ts, exit_position.last_pivot_price)
    try:
        intraday, daily = policy_bars(deps, facts, position.symbol)
        if deps.daily_resolution or uses_daily_stops(position.strategy_id):
            decision = resolve_daily_stop(exit_position, daily, facts.now, rules=deps.stop_rules)
        else:
            decision = resolve_stop(exit_position, intraday, daily, facts.now, rules=deps.stop_rules)
    except (DataError, ValueError) as error:  # bad bars never leave a position without its known stop
        facts.note(StopPolicyFailed(position.symbol, str(error)))
        decision = None
    if decision is not None:
        _record_policy_events(deps, facts, position, decision)
        if decision.submit and decision.stop_price is not None:
            pivot = pivot_fields(decision.candidate) if decision.candidate else held_pivot
            return Target(decision.stop_price, decision.stop_revision, True, decision.basis, pivot)
    if not exit_position.resolved or exit_position.stop_price is None:
        return None  # not yet resolved: the policy's time gates are holding the first stop back
    return Target(
        exit_position.stop_price, exit_position.stop_revision, True, exit_position.stop_basis, held_pivot
    )


def maintain_stops(deps: CycleDependencies, facts: CycleFacts) -> None:
    """Run the stop policy for every long lot (by symbol, then strategy) and make its broker stop match;
    cancel orphan stops. Each lot has its own stop from its own strategy's policy, and its own stop order."""
    broker = deps.broker
    if broker is None or facts.mode.effective_mode == ExecutionMode.DRY_RUN:
        return  # a DRY_RUN book holds no positions
    exit_book = deps.book.exit_book()
    for position_id in list(deps.book.state.positions):
        position = deps.book.state.positions[position_id]
        if position.quantity <= 0:
            continue
        target = decide_target(deps, facts, position, exit_book.by_id.get(position.position_id))
        if target is not None:
            reconcile_stop(deps, facts, deps.book.state.positions[position_id], target)
    cancel_orphan_stops(deps, facts, broker)
