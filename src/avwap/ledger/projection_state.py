"""Frozen state records of the ledger projection (see :mod:`avwap.ledger.projection`)."""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

import msgspec

BASIS_PLACES: Final = Decimal("0.000001")


class PositionState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An open lot: one strategy's position in one symbol of one book (the broker holds the symbol's lots as
    one netted position: their sum)."""

    symbol: str
    position_id: str
    strategy_id: str
    quantity: int
    cost_basis: Decimal
    average_price: Decimal
    stop_price: Decimal | None
    opened_date_ny: dt.date
    realized_pnl: Decimal
    fill_ids: tuple[str, ...]
    intent_id: str = ""  # the entry intent that opened it ("" when adopted from a broker)


class OpenOrder(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An order that is still working as far as the ledger knows."""

    order_id: str
    client_order_id: str
    intent_id: str
    strategy_id: str
    symbol: str
    side: str
    order_type: str
    purpose: str
    quantity: int
    filled_quantity: int
    limit_price: Decimal | None
    stop_price: Decimal | None
    position_id: str | None
    status: str
    date_ny: dt.date
    time_in_force: str
    broker_order_id: str | None = None


class DayCounters(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Per New York date counts (caps such as max orders per day read these)."""

    intents: int = 0
    entries_submitted: int = 0
    orders_submitted: int = 0
    orders_rejected: int = 0
    fills: int = 0


class BookState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Everything a book's ledger implies; ``*_ids`` are sorted idempotency keys.

    ``positions`` holds the open lots by ``position_id``, ordered by (symbol, strategy, position id): one
    lot per symbol unless ``S2_ALLOW_SYMBOL_OVERLAP=1`` let another strategy open its own lot beside it
    (docs/STRATEGIES.md, "Two strategies in one symbol"). The broker's position of a symbol is their sum.
    """

    book_id: str
    records: int = 0
    cash: Decimal = Decimal("0")
    realized_pnl: Decimal = Decimal("0")
    commissions: Decimal = Decimal("0")
    positions: dict[str, PositionState] = {}
    pending_stops: dict[str, Decimal] = {}
    open_orders: dict[str, OpenOrder] = {}
    day_counters: dict[str, DayCounters] = {}
    closed_position_ids: tuple[str, ...] = ()
    intent_ids: tuple[str, ...] = ()
    client_order_ids: tuple[str, ...] = ()
    fill_ids: tuple[str, ...] = ()
    movement_ids: tuple[str, ...] = ()

    def lots_of(self, symbol: str) -> tuple[PositionState, ...]:
        """The open lots of ``symbol`` (strategy order)."""
        return tuple(position for position in self.positions.values() if position.symbol == symbol)

    def lot_of(self, symbol: str, strategy_id: str) -> PositionState | None:
        """``strategy_id``'s open lot of ``symbol``, if any."""
        for position in self.positions.values():
            if position.symbol == symbol and position.strategy_id == strategy_id:
                return position
        return None

    def symbol_quantities(self) -> dict[str, int]:
        """Symbol -> the signed sum of its lots: what the broker holds (reconciliation compares this)."""
        totals: dict[str, int] = {}
        for position in self.positions.values():
            totals[position.symbol] = totals.get(position.symbol, 0) + position.quantity
        return totals

    def held_symbols(self) -> list[str]:
        """The symbols with an open lot, sorted, each once."""
        return sorted({position.symbol for position in self.positions.values()})

    def counters(self, date_ny: dt.date) -> DayCounters:
        """The counters of ``date_ny`` (zeros when nothing happened that day)."""
        return self.day_counters.get(date_ny.isoformat(), DayCounters())

    def working_orders(self, date_ny: dt.date) -> dict[str, OpenOrder]:
        """Open orders that can still be working on ``date_ny``: DAY orders of earlier dates expired at
        their close even when no cancel was recorded (DRY_RUN books never get one)."""
        return {
            key: order
            for key, order in self.open_orders.items()
            if order.time_in_force != "DAY" or order.date_ny >= date_ny
        }


def holds_id(ids: tuple[str, ...], key: str) -> bool:
    """``key in ids`` for the sorted ``*_ids`` of a :class:`BookState`, by binary search (a book's id
    tuples grow with every order and fill; a linear ``in`` per cycle made long runs quadratic)."""
    index = bisect.bisect_left(ids, key)
    return index < len(ids) and ids[index] == key


def count_with_prefix(ids: tuple[str, ...], prefix: str) -> int:
    """How many of the sorted ``ids`` start with ``prefix`` (they are contiguous in sorted order)."""
    start = end = bisect.bisect_left(ids, prefix)
    while end < len(ids) and ids[end].startswith(prefix):
        end += 1
    return end - start


def release_basis(cost_basis: Decimal, closed: int, open_quantity: int) -> Decimal:
    """The part of ``cost_basis`` that ``closed`` of ``open_quantity`` shares carry (exact on full close)."""
    if closed == open_quantity:
        return cost_basis
    return (cost_basis * closed / open_quantity).quantize(BASIS_PLACES, rounding=ROUND_HALF_EVEN)


def average_price(cost_basis: Decimal, quantity: int) -> Decimal:
    return (cost_basis / abs(quantity)).quantize(BASIS_PLACES, rounding=ROUND_HALF_EVEN)


def lot_order(position: PositionState) -> tuple[str, str, str]:
    """The order of :attr:`BookState.positions`: by symbol, then strategy, then position id."""
    return (position.symbol, position.strategy_id, position.position_id)
