"""The fold step of :mod:`avwap.ledger.projection`: one mutable accumulator, one small method per record type.

Mutation stays inside :class:`FoldAccumulator`; callers only ever see frozen :class:`BookState` values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec

from avwap.core.errors import LedgerIntegrityError
from avwap.ledger.projection_state import (
    BookState,
    DayCounters,
    OpenOrder,
    PositionState,
    average_price,
    holds_id,
    lot_order,
    release_basis,
)
from avwap.ledger.record_enums import STOP_SETTING_KINDS, CashMovementKind, OrderPurpose, OrderType, Side
from avwap.ledger.records import (
    AllocationTradeIntent,
    CashMovement,
    ExitEvent,
    Fill,
    OrderAcknowledged,
    OrderCanceled,
    OrderRejected,
    OrderReplaced,
    OrderSubmitted,
    PositionOpened,
    Record,
    TradeIntent,
)

replace = msgspec.structs.replace


class SortedIds:
    """The set of ids a :class:`BookState` holds as a sorted tuple, while a fold adds to it: membership by
    binary search, additions kept apart, the tuple rebuilt only when something was added. (Copying every
    id set into a ``set`` and re-sorting it for each record made a long book's record-by-record fold
    quadratic.) :meth:`frozen` is ``tuple(sorted(ids))``, as before."""

    def __init__(self, ids: tuple[str, ...]) -> None:
        self._ids = ids
        self._added: set[str] = set()

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        return key in self._added or holds_id(self._ids, key)

    def add(self, key: str) -> None:
        if key not in self:
            self._added.add(key)

    def frozen(self) -> tuple[str, ...]:
        return tuple(sorted((*self._ids, *self._added))) if self._added else self._ids


class FoldAccumulator:
    """Mutable working copy of a :class:`BookState` while records are folded in."""

    def __init__(self, state: BookState) -> None:
        self.book_id = state.book_id
        self.records = state.records
        self.cash = state.cash
        self.realized_pnl = state.realized_pnl
        self.commissions = state.commissions
        self.positions = dict(state.positions)
        self.pending_stops = dict(state.pending_stops)
        self.open_orders = dict(state.open_orders)
        self.day_counters = dict(state.day_counters)
        self.closed_position_ids = SortedIds(state.closed_position_ids)
        self.intent_ids = SortedIds(state.intent_ids)
        self.client_order_ids = SortedIds(state.client_order_ids)
        self.fill_ids = SortedIds(state.fill_ids)
        self.movement_ids = SortedIds(state.movement_ids)

    def freeze(self) -> BookState:
        return BookState(
            book_id=self.book_id,
            records=self.records,
            cash=self.cash,
            realized_pnl=self.realized_pnl,
            commissions=self.commissions,
            positions={item.position_id: item for item in sorted(self.positions.values(), key=lot_order)},
            pending_stops={key: self.pending_stops[key] for key in sorted(self.pending_stops)},
            open_orders={key: self.open_orders[key] for key in sorted(self.open_orders)},
            day_counters={day: self.day_counters[day] for day in sorted(self.day_counters)},
            closed_position_ids=self.closed_position_ids.frozen(),
            intent_ids=self.intent_ids.frozen(),
            client_order_ids=self.client_order_ids.frozen(),
            fill_ids=self.fill_ids.frozen(),
            movement_ids=self.movement_ids.frozen(),
        )

    def apply(self, record: Record) -> None:
        if record.book_id != self.book_id:
            raise ValueError(f"a {record.book_id} record cannot fold into the {self.book_id} book")
        self.records += 1
        handler = _HANDLERS.get(type(record))
        if handler is not None:  # decisions, closes, alerts and notes carry no state of their own
            handler(self, record)

    def count(self, date_ny: dt.date, **increments: int) -> None:
        key = date_ny.isoformat()
        counters = self.day_counters.get(key, DayCounters())
        values = {name: getattr(counters, name) + step for name, step in increments.items()}
        self.day_counters[key] = replace(counters, **values)

    def on_intent(self, record: TradeIntent | AllocationTradeIntent) -> None:
        if record.intent_id not in self.intent_ids:
            self.intent_ids.add(record.intent_id)
            self.count(record.date_ny, intents=1)

    def on_submitted(self, record: OrderSubmitted) -> None:
        if record.client_order_id in self.client_order_ids:
            # A second order under one client id is never a retry (recovery checks the ledger first): a
            # copied line, even correctly re-chained, must not double the orders, so the fold fails closed.
            message = (
                f"duplicate OrderSubmitted: client_order_id {record.client_order_id} was already submitted "
                f"(this one: order_id {record.order_id}, {record.symbol}, ts {record.ts.isoformat()})"
            )
            raise LedgerIntegrityError(f"<{self.book_id} book>", 0, message)
        self.client_order_ids.add(record.client_order_id)
        self.count(
            record.date_ny, orders_submitted=1, entries_submitted=int(record.purpose == OrderPurpose.ENTRY)
        )
        self.open_orders[record.client_order_id] = OpenOrder(
            order_id=record.order_id,
            client_order_id=record.client_order_id,
            intent_id=record.intent_id,
            strategy_id=record.strategy_id,
            symbol=record.symbol,
            side=str(record.side),
            order_type=str(record.order_type),
            purpose=str(record.purpose),
            quantity=record.quantity,
            filled_quantity=0,
            limit_price=record.limit_price,
            stop_price=record.stop_price,
            position_id=record.position_id,
            status="SUBMITTED",
            date_ny=record.date_ny,
            time_in_force=str(record.time_in_force),
        )

    def on_acknowledged(self, record: OrderAcknowledged) -> None:
        order = self.open_orders.get(record.client_order_id)
        if order is not None:
            self.open_orders[record.client_order_id] = replace(
                order, status=record.status, broker_order_id=record.broker_order_id
            )

    def on_rejected(self, record: OrderRejected) -> None:
        if self.open_orders.pop(record.client_order_id, None) is not None:
            self.count(record.date_ny, orders_rejected=1)

    def on_canceled(self, record: OrderCanceled) -> None:
        self.open_orders.pop(record.client_order_id, None)

    def on_replaced(self, record: OrderReplaced) -> None:
        order = self.open_orders.pop(record.client_order_id, None)
        self.client_order_ids.add(record.new_client_order_id)
        if order is None:
            return
        is_stop = order.order_type == OrderType.STOP
        self.open_orders[record.new_client_order_id] = replace(
            order,
            order_id=record.new_order_id,
            client_order_id=record.new_client_order_id,
            quantity=order.quantity - order.filled_quantity,
            filled_quantity=0,
            limit_price=order.limit_price if is_stop else record.new_price,
            stop_price=record.new_price if is_stop else order.stop_price,
            status="REPLACED",
            date_ny=record.date_ny,
        )

    def on_cash(self, record: CashMovement) -> None:
        if record.movement_id in self.movement_ids:
            return
        self.movement_ids.add(record.movement_id)
        self.cash += record.amount if record.kind == CashMovementKind.DEPOSIT else -record.amount

    def on_position_opened(self, record: PositionOpened) -> None:
        if record.initial_stop_price is not None:
            self.set_stop(record.symbol, record.position_id, record.initial_stop_price, only_if_unset=True)

    def on_exit_event(self, record: ExitEvent) -> None:
        if record.kind in STOP_SETTING_KINDS and record.stop_price is not None:
            self.set_stop(record.symbol, record.position_id, record.stop_price)

    def set_stop(self, symbol: str, position_id: str, stop: Decimal, only_if_unset: bool = False) -> None:
        position = self.positions.get(position_id)
        if position is not None and position.symbol == symbol:
            if not (only_if_unset and position.stop_price is not None):
                self.positions[position_id] = replace(position, stop_price=stop)
        elif position_id not in self.closed_position_ids and not (
            only_if_unset and position_id in self.pending_stops
        ):
            self.pending_stops[position_id] = stop  # the position's first fill is still to come

    def on_fill(self, record: Fill) -> None:
        if record.fill_id in self.fill_ids:
            return
        self.fill_ids.add(record.fill_id)
        self.count(record.date_ny, fills=1)
        value = record.price * record.quantity
        self.cash += -value if record.side == Side.BUY else value
        self.cash -= record.commission
        self.commissions += record.commission
        order = self.open_orders.get(record.client_order_id)
        self.advance_order(record)
        signed = record.quantity if record.side == Side.BUY else -record.quantity
        self.apply_to_position(record, signed, order.intent_id if order is not None else "")

    def advance_order(self, record: Fill) -> None:
        order = self.open_orders.get(record.client_order_id)
        if order is None:
            return
        filled = order.filled_quantity + record.quantity
        if filled >= order.quantity:
            del self.open_orders[record.client_order_id]
        else:
            self.open_orders[record.client_order_id] = replace(
                order, filled_quantity=filled, status="PARTIAL"
            )

    def lot_for(self, record: Fill) -> PositionState | None:
        """The open lot a fill moves: the one it names; else its strategy's lot of the symbol; else, for a
        sell, the symbol's first lot (a fill of another strategy nets into the position held, as it always
        did). A buy naming a position no lot has, of a strategy holding no lot of the symbol, opens a lot of
        its own: only an entry allowed by S2_ALLOW_SYMBOL_OVERLAP=1 is stamped so (broker_sync)."""
        named = self.positions.get(record.position_id)
        if named is not None and named.symbol == record.symbol:
            return named
        lots = [position for position in self.positions.values() if position.symbol == record.symbol]
        for position in lots:
            if position.strategy_id == record.strategy_id:
                return position
        if not lots or record.side == Side.BUY:
            return None
        return min(lots, key=lot_order)

    def apply_to_position(self, record: Fill, signed: int, intent_id: str = "") -> None:
        position = self.lot_for(record)
        if position is None:
            self.open_position(record, signed, intent_id)
            return
        fill_ids = (*position.fill_ids, record.fill_id)
        if (position.quantity > 0) == (signed > 0):  # adding to the position
            basis = position.cost_basis + record.price * record.quantity
            quantity = position.quantity + signed
            self.positions[position.position_id] = replace(
                position,
                quantity=quantity,
                cost_basis=basis,
                average_price=average_price(basis, quantity),
                fill_ids=fill_ids,
            )
            return
        open_quantity = abs(position.quantity)
        closed = min(open_quantity, record.quantity)
        released = release_basis(position.cost_basis, closed, open_quantity)
        proceeds = record.price * closed
        realized = proceeds - released if position.quantity > 0 else released - proceeds
        self.realized_pnl += realized
        remaining = position.quantity + (closed if position.quantity < 0 else -closed)
        if remaining == 0:
            del self.positions[position.position_id]
            self.closed_position_ids.add(position.position_id)
        else:
            basis = position.cost_basis - released
            self.positions[position.position_id] = replace(
                position,
                quantity=remaining,
                cost_basis=basis,
                average_price=average_price(basis, remaining),
                realized_pnl=position.realized_pnl + realized,
                fill_ids=fill_ids,
            )
        excess = record.quantity - closed
        if excess:  # the fill crossed zero: the rest opens the opposite side
            self.open_position(record, excess if signed > 0 else -excess, intent_id)

    def open_position(self, record: Fill, signed: int, intent_id: str = "") -> None:
        basis = record.price * abs(signed)
        self.positions[record.position_id] = PositionState(
            symbol=record.symbol,
            position_id=record.position_id,
            strategy_id=record.strategy_id,
            quantity=signed,
            cost_basis=basis,
            average_price=average_price(basis, signed),
            stop_price=self.pending_stops.pop(record.position_id, None),
            opened_date_ny=record.date_ny,
            realized_pnl=Decimal("0"),
            fill_ids=(record.fill_id,),
            intent_id=intent_id,
        )


_HANDLERS: dict[type[Any], Any] = {
    TradeIntent: FoldAccumulator.on_intent,
    AllocationTradeIntent: FoldAccumulator.on_intent,
    OrderSubmitted: FoldAccumulator.on_submitted,
    OrderAcknowledged: FoldAccumulator.on_acknowledged,
    OrderRejected: FoldAccumulator.on_rejected,
    OrderCanceled: FoldAccumulator.on_canceled,
    OrderReplaced: FoldAccumulator.on_replaced,
    CashMovement: FoldAccumulator.on_cash,
    PositionOpened: FoldAccumulator.on_position_opened,
    ExitEvent: FoldAccumulator.on_exit_event,
    Fill: FoldAccumulator.on_fill,
}
