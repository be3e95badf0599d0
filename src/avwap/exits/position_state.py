"""Per-symbol exit state of open positions, folded from book ledger records only (it survives restarts).

What is folded, per ``position_id``:

* ``PositionOpened``: symbol, strategy, intent, initial stop (basis ``initial``), and entry price/quantity
  until fills say otherwise;
* ``Fill``: entry fills (the side of the position's first fill; BUY when the position opened first) add,
  fills of the other side reduce; a ``fill_id`` seen twice counts once. Entry price = volume-weighted price
  of the entry fills, entry time = the first entry fill;
* ``ExitEvent`` of a stop-setting kind: the stop only ratchets up (a lower recorded stop is ignored), the
  revision is the highest recorded, the basis and pivot are those of the event that set the stop in force;
* ``OrderSubmitted`` of purpose STOP / ``OrderReplaced`` / ``OrderCanceled`` / ``OrderRejected``: the working
  stop's client order id;
* ``PositionClosed`` (or the exit fills reaching the entry quantity): the position is closed.

The fold is order-insensitive for stops (a max) and idempotent per id, so a rebuilt state is the same state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

import msgspec

from avwap.exits.reasons import parse_pivot
from avwap.ledger.record_enums import STOP_SETTING_KINDS, OrderPurpose, Side, StopBasis
from avwap.ledger.records import (
    ExitEvent,
    Fill,
    OrderCanceled,
    OrderRejected,
    OrderReplaced,
    OrderSubmitted,
    PositionClosed,
    PositionOpened,
    Record,
)

PRICE_PLACES: Final = Decimal("0.000001")


class ExitPosition(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What the stop policy knows about one open position."""

    position_id: str
    symbol: str
    strategy_id: str
    entry_time: dt.datetime
    entry_price: Decimal
    quantity: int
    initial_stop: Decimal | None = None
    stop_price: Decimal | None = None
    stop_basis: StopBasis | None = None
    stop_revision: int = 0
    resolved: bool = False  # a stop-setting exit event has been recorded
    last_pivot_ts: str | None = None
    last_pivot_price: str | None = None
    working_stop_client_order_id: str | None = None
    intent_id: str | None = None
    fill_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExitBook:
    """Open positions by symbol (and by id), plus the ids of closed positions."""

    positions: dict[str, ExitPosition]
    by_id: dict[str, ExitPosition]
    closed_position_ids: tuple[str, ...]


@dataclass
class _Folding:
    """Mutable per-position working copy (private to the fold)."""

    opened: PositionOpened | None = None
    fills: dict[str, Fill] = field(default_factory=dict)
    stop_events: dict[str, ExitEvent] = field(default_factory=dict)
    working_stop: str | None = None
    closed: bool = False


def fold_exit_positions(records: Iterable[Record]) -> ExitBook:
    """The exit state of every position in ``records`` (one book, canonical order)."""
    fold = ExitFold()
    for record in records:
        fold.add(record)
    return fold.book()


class ExitFold:
    """:func:`fold_exit_positions` kept current record by record (the cycle's book): each record is applied
    once and only the positions it touched are frozen again, so a long run does not refold its history."""

    def __init__(self) -> None:
        self._folding: dict[str, _Folding] = {}
        self._stop_orders: dict[str, str] = {}  # stop client order id -> position id
        self._frozen: dict[str, ExitPosition | None] = {}  # None: closed
        self._touched: set[str] = set()
        self._book: ExitBook | None = None

    def add(self, record: Record) -> None:
        position_id = _position_of(record, self._stop_orders)
        if position_id is None:
            return
        _apply(self._folding.setdefault(position_id, _Folding()), record, self._stop_orders)
        self._touched.add(position_id)
        self._book = None

    def book(self) -> ExitBook:
        if self._book is None:
            for key in self._touched:
                self._frozen[key] = _freeze(key, self._folding[key])
            self._touched.clear()
            by_id = {key: state for key in sorted(self._frozen) if (state := self._frozen[key]) is not None}
            closed = tuple(sorted(key for key in self._frozen if key not in by_id))
            positions: dict[str, ExitPosition] = {}
            for position in sorted(by_id.values(), key=lambda item: (item.entry_time, item.position_id)):
                positions[position.symbol] = position  # by symbol: its latest lot (the cycle reads by_id)
            self._book = ExitBook({key: positions[key] for key in sorted(positions)}, by_id, closed)
        return self._book


def _position_of(record: Record, stop_orders: dict[str, str]) -> str | None:
    if isinstance(record, PositionOpened | PositionClosed | ExitEvent | Fill):
        return record.position_id
    if isinstance(record, OrderSubmitted) and record.purpose == OrderPurpose.STOP:
        return record.position_id
    if isinstance(record, OrderReplaced | OrderCanceled | OrderRejected):
        return stop_orders.get(record.client_order_id)
    return None


def _apply(state: _Folding, record: Record, stop_orders: dict[str, str]) -> None:
    if isinstance(record, PositionOpened):
        state.opened = state.opened or record
    elif isinstance(record, Fill):
        state.fills.setdefault(record.fill_id, record)
    elif isinstance(record, ExitEvent):
        if record.kind in STOP_SETTING_KINDS and record.stop_price is not None:
            state.stop_events.setdefault(record.exit_id, record)
    elif isinstance(record, PositionClosed):
        state.closed = True
    elif isinstance(record, OrderSubmitted) and record.position_id is not None:
        stop_orders[record.client_order_id] = record.position_id
        state.working_stop = record.client_order_id
    elif isinstance(record, OrderReplaced):
        stop_orders[record.new_client_order_id] = stop_orders[record.client_order_id]
        if state.working_stop == record.client_order_id:
            state.working_stop = record.new_client_order_id
    elif isinstance(record, OrderCanceled | OrderRejected) and state.working_stop == record.client_order_id:
        state.working_stop = None


def _freeze(position_id: str, state: _Folding) -> ExitPosition | None:
    fills = sorted(state.fills.values(), key=lambda item: (item.ts, item.fill_id))
    opened = state.opened
    if state.closed or (opened is None and not fills):
        return None
    entry_side = fills[0].side if fills else Side.BUY
    entries = [item for item in fills if item.side == entry_side]
    entered = sum(item.quantity for item in entries)
    exited = sum(item.quantity for item in fills if item.side != entry_side)
    if entries:
        value = sum((item.price * item.quantity for item in entries), Decimal(0))
        entry_price = (value / entered).quantize(PRICE_PLACES, rounding=ROUND_HALF_EVEN)
        quantity = entered - exited
    else:
        assert opened is not None
        entry_price, quantity = opened.average_price, opened.quantity - exited
    if quantity <= 0:
        return None
    source = entries[0] if entries else opened
    assert source is not None
    return _with_stops(
        ExitPosition(
            position_id=position_id,
            symbol=source.symbol,
            strategy_id=source.strategy_id,
            entry_time=entries[0].ts if entries else source.ts,
            entry_price=entry_price,
            quantity=quantity,
            initial_stop=opened.initial_stop_price if opened else None,
            stop_price=opened.initial_stop_price if opened else None,
            stop_basis=StopBasis.INITIAL if opened and opened.initial_stop_price is not None else None,
            working_stop_client_order_id=state.working_stop,
            intent_id=opened.intent_id if opened else None,
            fill_ids=tuple(sorted(item.fill_id for item in fills)),
        ),
        state.stop_events.values(),
    )


def _with_stops(position: ExitPosition, events: Iterable[ExitEvent]) -> ExitPosition:
    ordered = sorted(events, key=lambda item: (item.stop_price, item.stop_revision, item.ts, item.exit_id))
    if not ordered:
        return position
    best = ordered[-1]
    assert best.stop_price is not None
    revision = max(item.stop_revision for item in ordered)
    pivot = parse_pivot(best.reason)
    if position.stop_price is not None and best.stop_price < position.stop_price:
        return msgspec.structs.replace(position, stop_revision=revision, resolved=True)
    return msgspec.structs.replace(
        position,
        stop_price=best.stop_price,
        stop_basis=best.basis or position.stop_basis,
        stop_revision=revision,
        resolved=True,
        last_pivot_ts=pivot[0] if pivot else None,
        last_pivot_price=pivot[1] if pivot else None,
    )
