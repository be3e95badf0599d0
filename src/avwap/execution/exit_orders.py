"""Closing a position on purpose: the one MARKET exit path (purpose ``EXIT``) outside the stop policy.

Used by the backtest when a held symbol's data ends (``BACKTEST_DATA_ENDED``) and by ``avwap decommission
close-positions`` (``DECOMMISSION_CLOSE``). In ledger order: a ``Note`` naming the reason (first, so the
trade's exit reason is known before any order), the working stop canceled (at the broker, then
recorded), the MARKET sell of the whole position recorded, then sent through the cycle's idempotent
:func:`~avwap.execution.broker_sync.send` (a lost answer is looked up by the next cycle, never re-sent
blind). The fill, the ``PositionClosed`` and the stop bookkeeping are the normal cycle's. Exits are never
blocked: no entry gate, kill switch or cap is consulted.

Public API::

    exit_client_id(deps, position) -> str        the next exit revision of the position
    submit_market_exit(deps, facts, broker, position, *, code, message, detail=None, cancel_reason)
        -> str                                   the exit order's client order id
    close_positions(deps, facts, broker, *, reason) -> list[str]   every open position, DECOMMISSION_CLOSE
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from avwap.core.ids import client_order_id
from avwap.execution.broker import Broker
from avwap.execution.broker_sync import DECOMMISSION_CLOSE, send
from avwap.execution.context import CycleDependencies, CycleFacts
from avwap.execution.protective import working_stop
from avwap.ledger import record_ids
from avwap.ledger.projection import PositionState
from avwap.ledger.projection_state import lot_order
from avwap.ledger.record_enums import OrderPurpose, OrderType, Side, TimeInForce
from avwap.ledger.records import Note, OrderCanceled, OrderSubmitted

__all__ = ["DECOMMISSION_CLOSE", "close_positions", "exit_client_id", "submit_market_exit"]

EXIT_SUFFIX: Final = "exit"


def exit_client_id(deps: CycleDependencies, position: PositionState) -> str:
    """The client order id of the position's next exit: a later attempt (the first filled only partly,
    or refused) gets the next revision, never a reused id."""
    owner = position.intent_id or position.position_id
    base = client_order_id(owner, EXIT_SUFFIX, 0)
    attempts = sum(1 for known in deps.book.state.client_order_ids if known.startswith(base))
    return client_order_id(owner, EXIT_SUFFIX, attempts)


def submit_market_exit(
    deps: CycleDependencies,
    facts: CycleFacts,
    broker: Broker,
    position: PositionState,
    *,
    code: str,
    message: str,
    cancel_reason: str,
    detail: Mapping[str, str | int | bool | None] | None = None,
) -> str:
    """The reason note, the stop's cancellation and the MARKET exit order (recorded, then sent)."""
    stamp = facts.stamp(deps.book.book_id)
    client_id = exit_client_id(deps, position)
    deps.book.record(
        Note(
            **stamp,
            strategy_id=position.strategy_id,
            code=code,
            message=message,
            symbol=position.symbol,
            detail={**(detail or {}), "position_id": position.position_id, "client_order_id": client_id},
        )
    )
    stop = working_stop(deps, position)
    if stop is not None:
        broker.cancel_order(stop.client_order_id)
        deps.book.record(
            OrderCanceled(
                **stamp,
                strategy_id=stop.strategy_id,
                order_id=stop.order_id,
                client_order_id=stop.client_order_id,
                symbol=position.symbol,
                reason=cancel_reason,
            )
        )
    deps.book.record(
        OrderSubmitted(
            **stamp,
            strategy_id=position.strategy_id,
            order_id=record_ids.order_id(book_id=deps.book.book_id, client_order_id=client_id),
            client_order_id=client_id,
            symbol=position.symbol,
            intent_id=position.intent_id or "int_adopted",
            position_id=position.position_id,
            side=Side.SELL,
            order_type=OrderType.MARKET,
            quantity=position.quantity,
            purpose=OrderPurpose.EXIT,
            time_in_force=TimeInForce.DAY,
        )
    )
    send(deps, facts, deps.book.state.open_orders[client_id], broker)
    return client_id


def close_positions(deps: CycleDependencies, facts: CycleFacts, broker: Broker, *, reason: str) -> list[str]:
    """Close every open lot of the book (symbol, then strategy order) as a MARKET exit,
    ``DECOMMISSION_CLOSE``; a lot whose exit is already working (an earlier run, not filled yet) is left to
    it."""
    working_exits = {
        order.position_id
        for order in deps.book.state.open_orders.values()
        if order.purpose == OrderPurpose.EXIT and order.side == Side.SELL
    }
    client_ids = []
    for position in sorted(deps.book.state.positions.values(), key=lot_order):  # each lot its own exit
        if position.position_id in working_exits:
            continue
        client_ids.append(
            submit_market_exit(
                deps,
                facts,
                broker,
                position,
                code=DECOMMISSION_CLOSE,
                message=f"{position.symbol}: {position.quantity} shares closed by the operator ({reason})",
                cancel_reason=f"{DECOMMISSION_CLOSE}: closing the position",
                detail={"reason": reason},
            )
        )
    return client_ids
