"""Bring the ledger up to date with the broker, and find where they disagree.

Run at the start of every cycle (and so at start-up), before any decision:

1. Recovery: an order recorded as submitted but never acknowledged (a crash between the ledger write and the
   broker's answer) is looked up by its ``client_order_id``; found, it is acknowledged; not found, it is
   submitted now under the *same* id. Never a new id, so never a duplicate.
2. Fills: every broker fill of an order the ledger knows and has not recorded becomes a ``Fill`` (plus
   ``PositionOpened`` / ``PositionClosed`` / ``EXIT_FILLED`` as it opens or closes a position).
3. Order states: orders the broker canceled, expired or rejected after acceptance are closed in the ledger.
4. Reconciliation: broker positions against the ledger projection; any difference, or a broker order the
   ledger does not know, is drift: recorded as an alert, and new entries are blocked until it is resolved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from avwap.core.calendar import nyse
from avwap.core.errors import BrokerError, BrokerRejectedError, BrokerUnavailableError, CalendarError
from avwap.core.ids import CLIENT_ORDER_ID_PREFIX, stable_id
from avwap.execution.broker import (
    Broker,
    BrokerFill,
    BrokerOrder,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    submit_idempotent,
)
from avwap.execution.context import CycleDependencies, CycleFacts, Stamp
from avwap.execution.events import (
    FillRecorded,
    OrderAdopted,
    OrderRecovered,
    OrderUnresolved,
    SubmissionRejected,
)
from avwap.execution.hooks import (
    AFTER_ACK_WRITE,
    AFTER_ORDER_RECORD_BEFORE_SUBMIT,
    AFTER_SUBMIT_BEFORE_ACK_WRITE,
    DURING_STOP_SUBMISSION,
)
from avwap.ledger import record_ids
from avwap.ledger.projection import OpenOrder
from avwap.ledger.projection_state import PositionState, holds_id
from avwap.ledger.record_enums import AlertLevel, ExitEventKind, OrderPurpose, Side
from avwap.ledger.record_enums import OrderType as LedgerOrderType
from avwap.ledger.record_enums import TimeInForce as LedgerTimeInForce
from avwap.ledger.records import (
    Alert,
    ExitEvent,
    Fill,
    OrderAcknowledged,
    OrderCanceled,
    OrderRejected,
    OrderSubmitted,
    PositionClosed,
    PositionOpened,
    Record,
)

BROKER_REJECTED: Final = "BROKER_REJECTED"
REJECTED_AFTER_ACCEPTANCE: Final = "REJECTED_AFTER_ACCEPTANCE"
# Codes this module writes into ledger records (besides the broker's own RejectCode in OrderRejected).
DECOMMISSION_CLOSE: Final = "DECOMMISSION_CLOSE"  # avwap.execution.exit_orders.close_positions
LEDGER_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        BROKER_REJECTED: "OrderRejected: the broker refused the order without a code we classify",
        REJECTED_AFTER_ACCEPTANCE: "OrderRejected: the broker accepted the order, then rejected it",
        "RECONCILIATION_DRIFT": "Alert: broker and ledger positions/orders disagree (entries blocked)",
        DECOMMISSION_CLOSE: "Note: the operator closed the position through the control plane (`avwap "
        "decommission close-positions`): its stop canceled, a MARKET exit order sent",
    }
)


def request_for(order: OpenOrder) -> OrderRequest:
    """The broker request that a recorded submission stands for (same id, same terms)."""
    return OrderRequest(
        symbol=order.symbol,
        side=OrderSide(order.side),
        order_type=OrderType(order.order_type),
        quantity=order.quantity,
        client_order_id=order.client_order_id,
        time_in_force=TimeInForce(order.time_in_force),
        limit_price=order.limit_price,
        stop_price=order.stop_price,
    )


def acknowledgement(
    deps: CycleDependencies, facts: CycleFacts, order: OpenOrder, placed: BrokerOrder
) -> OrderAcknowledged:
    return OrderAcknowledged(
        **facts.stamp(deps.book.book_id),
        strategy_id=order.strategy_id,
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        broker_order_id=placed.broker_order_id,
        status=str(placed.status),
    )


def rejection(
    deps: CycleDependencies, facts: CycleFacts, order: OpenOrder, code: str, message: str
) -> OrderRejected:
    return OrderRejected(
        **facts.stamp(deps.book.book_id),
        strategy_id=order.strategy_id,
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        reason_code=code,
        broker_message=message[:500],
    )


def send(deps: CycleDependencies, facts: CycleFacts, order: OpenOrder, broker: Broker) -> BrokerOrder | None:
    """Submit a recorded order idempotently and record the broker's answer; None when it is unknown."""
    detail = {"purpose": order.purpose, "client_order_id": order.client_order_id, "symbol": order.symbol}
    if order.purpose == OrderPurpose.STOP:
        deps.hooks.reach(DURING_STOP_SUBMISSION, **detail)
    deps.hooks.reach(AFTER_ORDER_RECORD_BEFORE_SUBMIT, **detail)
    try:
        placed = submit_idempotent(broker, request_for(order))
    except BrokerRejectedError as error:
        deps.book.record(rejection(deps, facts, order, error.code or BROKER_REJECTED, str(error)))
        facts.note(SubmissionRejected(order.symbol, order.client_order_id, error.code))
        return None
    except BrokerUnavailableError as error:  # outcome unknown: the next cycle looks it up again
        facts.unresolved_orders += (order.client_order_id,)
        facts.note(OrderUnresolved(order.client_order_id, str(error)))
        return None
    deps.hooks.reach(AFTER_SUBMIT_BEFORE_ACK_WRITE, **detail)
    deps.book.record(acknowledgement(deps, facts, order, placed))
    deps.hooks.reach(AFTER_ACK_WRITE, **detail)
    return placed


def recover_submissions(deps: CycleDependencies, facts: CycleFacts, broker: Broker) -> None:
    """Resolve every submission the ledger recorded without the broker's answer."""
    for order in list(deps.book.state.open_orders.values()):
        if order.status != "SUBMITTED":
            continue
        try:
            existing = broker.get_order(order.client_order_id)
        except BrokerError as error:
            facts.unresolved_orders += (order.client_order_id,)
            facts.note(OrderUnresolved(order.client_order_id, str(error)))
            continue
        if existing is not None:
            deps.book.record(acknowledgement(deps, facts, order, existing))
            facts.note(OrderRecovered(order.client_order_id, found=True))
        else:
            send(deps, facts, order, broker)
            facts.note(OrderRecovered(order.client_order_id, found=False))


def _position_id(deps: CycleDependencies, order: OpenOrder) -> str:
    if order.position_id is not None:
        return order.position_id
    return record_ids.position_id(
        book_id=deps.book.book_id,
        strategy_id=order.strategy_id,
        symbol=order.symbol,
        intent_id=order.intent_id,
    )


def lot_of_order(deps: CycleDependencies, order: OpenOrder) -> PositionState | None:
    """The open lot an order's fills move: the lot it names (a stop or an exit names its lot); else its
    strategy's lot of the symbol; else none for an entry while S2_ALLOW_SYMBOL_OVERLAP=1 (it opens its
    strategy's own lot beside another strategy's); else the symbol's first lot (the fill nets into the
    position held, as it always did). With one lot per symbol every rule names that lot.
    :meth:`avwap.ledger.projection_fold.FoldAccumulator.lot_for` folds the fills the same way."""
    state = deps.book.state
    named = state.positions.get(order.position_id) if order.position_id is not None else None
    if named is not None and named.symbol == order.symbol:
        return named
    own = state.lot_of(order.symbol, order.strategy_id)
    if own is not None:
        return own
    opens_lot = order.purpose == OrderPurpose.ENTRY and order.side == Side.BUY
    if opens_lot and deps.config.s2_allow_symbol_overlap:
        return None
    lots = state.lots_of(order.symbol)
    return lots[0] if lots else None


def _fill_records(
    deps: CycleDependencies, facts: CycleFacts, fill: BrokerFill, order: OpenOrder
) -> list[Record]:
    book = deps.book.book_id
    position_id = _position_id(deps, order)
    before = lot_of_order(deps, order)
    stamp = Stamp(book_id=book, date_ny=facts.today, ts=fill.timestamp)
    record = Fill(
        **stamp,
        strategy_id=order.strategy_id,
        fill_id=record_ids.fill_id(order_id=order.order_id, broker_fill_id=fill.fill_id),
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        position_id=position_id if before is None else before.position_id,
        symbol=fill.symbol,
        side=Side(str(fill.side)),
        quantity=fill.quantity,
        price=fill.price,
        commission=fill.commission,
        broker_fill_id=fill.fill_id,
    )
    records: list[Record] = [record]
    if before is None and fill.side == OrderSide.BUY:
        intent = deps.book.intents.get(order.intent_id)
        records.append(
            PositionOpened(
                **stamp,
                strategy_id=order.strategy_id,
                position_id=position_id,
                intent_id=order.intent_id,
                symbol=fill.symbol,
                quantity=fill.quantity,
                average_price=fill.price,
                initial_stop_price=intent.stop_price if intent is not None else None,
                fill_ids=(record.fill_id,),
            )
        )
    elif before is not None and fill.side == OrderSide.SELL and fill.quantity >= before.quantity:
        commissions = deps.book.position_commissions.get(before.position_id, Decimal("0")) + fill.commission
        gross = before.realized_pnl + (fill.price - before.average_price) * before.quantity
        records.append(
            PositionClosed(
                **stamp,
                strategy_id=before.strategy_id,
                position_id=before.position_id,
                symbol=fill.symbol,
                quantity=before.quantity,
                average_price=before.average_price,
                exit_price=fill.price,
                realized_pnl=(gross - commissions).quantize(Decimal("0.01")),
                fill_ids=(*before.fill_ids, record.fill_id),
            )
        )
        records.append(
            _exit_filled(
                deps,
                stamp=stamp,
                position_id=before.position_id,
                strategy_id=before.strategy_id,
                fill=fill,
                order=order,
            )
        )
    return records


def _exit_filled(
    deps: CycleDependencies,
    *,
    stamp: Stamp,
    position_id: str,
    strategy_id: str,
    fill: BrokerFill,
    order: OpenOrder,
) -> ExitEvent:
    return ExitEvent(
        **stamp,
        strategy_id=strategy_id,
        exit_id=record_ids.exit_id(
            position_id=position_id, kind=ExitEventKind.EXIT_FILLED, stop_revision=0, ts=fill.timestamp
        ),
        position_id=position_id,
        symbol=fill.symbol,
        kind=ExitEventKind.EXIT_FILLED,
        stop_price=order.stop_price,
        reason=f"{order.purpose} order {order.client_order_id} filled at {fill.price}",
    )


FILL_LOOKBACK_SESSIONS = 5


def fills_since(deps: CycleDependencies, facts: CycleFacts) -> dt.datetime:
    """How far back to ask the broker for fills: the open of the session of the oldest order the ledger
    still considers working, or of a few sessions ago when none is (enough to see a fill of an order the
    ledger does not know, without reading the account's whole history every cycle)."""
    calendar = nyse()
    oldest = min((order.date_ny for order in deps.book.state.open_orders.values()), default=facts.today)
    try:
        start = calendar.sessions_back(min(oldest, facts.today), FILL_LOOKBACK_SESSIONS)
        return calendar.session_open(start)
    except CalendarError:
        return dt.datetime.combine(oldest, dt.time(0), tzinfo=dt.UTC) - dt.timedelta(days=7)


def ingest_fills(deps: CycleDependencies, facts: CycleFacts, broker: Broker) -> list[str]:
    """Record every broker fill the ledger has not seen; returns the client ids the ledger does not know."""
    unknown: set[str] = set()
    for fill in sorted(
        broker.fills(fills_since(deps, facts)), key=lambda item: (item.timestamp, item.fill_id)
    ):
        state = deps.book.state
        order = state.open_orders.get(fill.client_order_id)
        if order is None:
            if not holds_id(state.client_order_ids, fill.client_order_id):
                unknown.add(fill.client_order_id)
            continue  # a fill of a fully recorded order: already in the ledger
        fill_key = record_ids.fill_id(order_id=order.order_id, broker_fill_id=fill.fill_id)
        if holds_id(state.fill_ids, fill_key):
            continue
        deps.book.record(*_fill_records(deps, facts, fill, order))
        facts.note(FillRecorded(fill.symbol, str(fill.side), fill.quantity, fill.price))
    return sorted(unknown)


def sync_order_states(deps: CycleDependencies, facts: CycleFacts, broker: Broker) -> list[str]:
    """Close ledger orders the broker no longer works; returns broker open orders the ledger does not know."""
    broker_open = {order.client_order_id: order for order in broker.open_orders()}
    for order in list(deps.book.state.open_orders.values()):
        if order.status == "SUBMITTED" or order.client_order_id in broker_open:
            continue
        current = broker.get_order(order.client_order_id)
        if current is None or current.status in (OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED):
            continue
        if current.status == OrderStatus.REJECTED:
            deps.book.record(rejection(deps, facts, order, REJECTED_AFTER_ACCEPTANCE, current.broker_status))
        elif current.status in (OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REPLACED):
            deps.book.record(
                OrderCanceled(
                    **facts.stamp(deps.book.book_id),
                    strategy_id=order.strategy_id,
                    order_id=order.order_id,
                    client_order_id=order.client_order_id,
                    symbol=order.symbol,
                    reason=f"broker status {current.status}",
                )
            )
    known = set(deps.book.state.client_order_ids)
    return sorted(client_id for client_id in broker_open if client_id not in known)


ADOPTED_STRATEGY = "ADOPTED"
ADOPTABLE_TYPES = {
    OrderType.MARKET: LedgerOrderType.MARKET,
    OrderType.LIMIT: LedgerOrderType.LIMIT,
    OrderType.STOP: LedgerOrderType.STOP,
}


def adopt_orders(deps: CycleDependencies, facts: CycleFacts, broker: Broker, client_ids: list[str]) -> int:
    """Record broker orders the ledger does not know, so that their fills are tracked (and flag them).

    An adopted order gets a derived intent id and the strategy ``ADOPTED``; a buy is an ENTRY (its fills
    open a position, which the stop policy then protects), a sell an EXIT of the position held. An order that
    cannot be represented (a sell with no position, an order type avwap never places) stays unknown: drift.
    Orders with avwap's own id prefix are never adopted: they are ours, and the submission and stop
    recovery re-record them under the id the broker already has. Returns how many were adopted.
    """
    adopted = 0
    for client_id in client_ids:
        if client_id.startswith(CLIENT_ORDER_ID_PREFIX):
            continue
        order = broker.get_order(client_id)
        if order is None or order.order_type not in ADOPTABLE_TYPES:
            continue
        lots = deps.book.state.lots_of(order.symbol)
        held = lots[0] if lots else None  # an adopted order moves the symbol's first lot (one, usually)
        if order.side == OrderSide.SELL and held is None:
            continue
        intent = stable_id("int", {"adopted_client_order_id": client_id, "book_id": deps.book.book_id})
        submitted = OrderSubmitted(
            **facts.stamp(deps.book.book_id),
            strategy_id=ADOPTED_STRATEGY,
            order_id=record_ids.order_id(book_id=deps.book.book_id, client_order_id=client_id),
            client_order_id=client_id,
            symbol=order.symbol,
            intent_id=intent,
            position_id=held.position_id if held is not None else None,
            side=Side(str(order.side)),
            order_type=ADOPTABLE_TYPES[order.order_type],
            quantity=order.quantity,
            limit_price=order.limit_price if order.order_type == OrderType.LIMIT else None,
            stop_price=order.stop_price if order.order_type == OrderType.STOP else None,
            purpose=OrderPurpose.ENTRY if order.side == OrderSide.BUY else OrderPurpose.EXIT,
            time_in_force=LedgerTimeInForce.GTC if order.time_in_force == "GTC" else LedgerTimeInForce.DAY,
        )
        message = f"adopted broker order {client_id} ({order.side} {order.quantity} {order.symbol})"
        deps.book.record(
            submitted,
            Alert(
                **facts.stamp(deps.book.book_id),
                level=AlertLevel.WARNING,
                code="ORDER_ADOPTED",
                message=message,
                symbol=order.symbol,
            ),
        )
        deps.book.record(acknowledgement(deps, facts, deps.book.state.open_orders[client_id], order))
        facts.note(OrderAdopted(order.symbol, client_id))
        adopted += 1
    return adopted


def reconcile_positions(deps: CycleDependencies, broker: Broker) -> tuple[list[str], bool]:
    """Differences between broker and ledger positions, and whether the broker holds unknown symbols."""
    ledger = deps.book.state.symbol_quantities()  # the sum of each symbol's lots: what the broker nets
    held = {position.symbol: position.quantity for position in broker.positions() if position.quantity}
    differences = [
        f"{symbol}: ledger {ledger.get(symbol, 0)} broker {held.get(symbol, 0)}"
        for symbol in sorted(set(ledger) | set(held))
        if ledger.get(symbol, 0) != held.get(symbol, 0)
    ]
    unknown = any(symbol not in ledger for symbol in held)
    return differences, unknown


def synchronize(deps: CycleDependencies, facts: CycleFacts, broker: Broker) -> None:
    """Steps 1-4 of the module docstring; drift is left in ``facts`` and recorded as an alert."""
    recover_submissions(deps, facts, broker)
    unknown_fills = ingest_fills(deps, facts, broker)
    unknown_orders = sync_order_states(deps, facts, broker)
    if adopt_orders(deps, facts, broker, unknown_orders):
        unknown_fills += ingest_fills(deps, facts, broker)  # fills of the orders adopted just now
    differences, unknown_positions = reconcile_positions(deps, broker)
    drift = [*differences, *(f"unknown broker order {client_id}" for client_id in unknown_orders)]
    drift += [f"fill of unknown order {client_id}" for client_id in unknown_fills]
    facts.drift = tuple(drift)
    facts.unknown_positions = unknown_positions
    if drift:
        deps.book.record(
            Alert(
                **facts.stamp(deps.book.book_id),
                level=AlertLevel.CRITICAL,
                code="RECONCILIATION_DRIFT",
                message="; ".join(drift)[:2000],
            )
        )
