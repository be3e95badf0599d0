"""Trade reconstruction from book ledgers only (Phase D1): entry fills ↔ position ↔ exit fills.

One :class:`Trade` per ``position_id``. The side of the position's first fill is the entry side; fills of
that side are entries, fills of the other side exits. Partial fills aggregate into volume-weighted prices
(6 decimal places, half-even); a ``fill_id`` seen twice counts once. Commissions are summed over both sides;
``gross_pnl`` is ``direction × (exit value − entry price × exit quantity)`` and ``net_pnl`` subtracts every
commission. The exit reason comes from the purpose of the order that filled last (``STOP`` for the broker
stop, ``EXIT`` for a market/limit exit). Stops come from ``PositionOpened.initial_stop_price`` and
stop-setting ``ExitEvent`` s (ratcheted: the tightest recorded stop is the final one). Trades are ordered
by (entry time, position id), so the same ledger always gives the same list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

import msgspec

from avwap.core.calendar import ny_date
from avwap.core.money import round_money
from avwap.ledger.record_enums import STOP_SETTING_KINDS, OrderPurpose, Side, StopBasis
from avwap.ledger.records import (
    ExitEvent,
    Fill,
    OrderReplaced,
    OrderSubmitted,
    PositionClosed,
    PositionOpened,
    Record,
)

PRICE_PLACES: Final = Decimal("0.000001")
LONG: Final = "LONG"
SHORT: Final = "SHORT"
OPEN: Final = "OPEN"
CLOSED: Final = "CLOSED"


class Trade(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One position's round trip as the ledger records it."""

    position_id: str
    book_id: str
    symbol: str
    strategy_id: str
    direction: str
    status: str
    entry_time: dt.datetime
    entry_date_ny: dt.date
    entry_quantity: int
    entry_price: Decimal
    exit_time: dt.datetime | None
    exit_date_ny: dt.date | None
    exit_quantity: int
    exit_price: Decimal | None
    exit_reason: str | None
    commissions: Decimal
    gross_pnl: Decimal
    net_pnl: Decimal
    initial_stop: Decimal | None
    final_stop: Decimal | None
    stop_basis: StopBasis | None
    stop_revisions: int
    entry_fill_ids: tuple[str, ...]
    exit_fill_ids: tuple[str, ...]


@dataclass
class _Parts:
    opened: PositionOpened | None = None
    closed: bool = False
    fills: dict[str, Fill] = field(default_factory=dict)
    stops: dict[str, ExitEvent] = field(default_factory=dict)


def reconstruct_trades(records: Iterable[Record]) -> list[Trade]:
    """Every position with at least one fill, as a :class:`Trade` (see the module docstring)."""
    parts: dict[str, _Parts] = {}
    purposes: dict[str, OrderPurpose] = {}  # order id -> purpose
    for record in records:
        if isinstance(record, OrderSubmitted):
            purposes.setdefault(record.order_id, record.purpose)
        elif isinstance(record, OrderReplaced) and record.order_id in purposes:
            purposes.setdefault(record.new_order_id, purposes[record.order_id])
        elif isinstance(record, Fill):
            parts.setdefault(record.position_id, _Parts()).fills.setdefault(record.fill_id, record)
        elif isinstance(record, PositionOpened):
            part = parts.setdefault(record.position_id, _Parts())
            part.opened = part.opened or record
        elif isinstance(record, PositionClosed):
            parts.setdefault(record.position_id, _Parts()).closed = True
        elif isinstance(record, ExitEvent) and record.kind in STOP_SETTING_KINDS and record.stop_price:
            parts.setdefault(record.position_id, _Parts()).stops.setdefault(record.exit_id, record)
    trades = [_trade(key, part, purposes) for key, part in parts.items() if part.fills]
    return sorted(trades, key=lambda trade: (trade.entry_time, trade.position_id))


def volume_weighted_price(fills: list[Fill]) -> Decimal:
    """Σ price × quantity / Σ quantity, to 6 places (half-even)."""
    quantity = sum(item.quantity for item in fills)
    value = sum((item.price * item.quantity for item in fills), Decimal(0))
    return (value / quantity).quantize(PRICE_PLACES, rounding=ROUND_HALF_EVEN)


def _trade(position_id: str, part: _Parts, purposes: dict[str, OrderPurpose]) -> Trade:
    fills = sorted(part.fills.values(), key=lambda item: (item.ts, item.fill_id))
    entry_side = fills[0].side
    entries = [item for item in fills if item.side == entry_side]
    exits = [item for item in fills if item.side != entry_side]
    direction = 1 if entry_side == Side.BUY else -1
    entry_quantity = sum(item.quantity for item in entries)
    exit_quantity = sum(item.quantity for item in exits)
    entry_value = sum((item.price * item.quantity for item in entries), Decimal(0))
    exit_value = sum((item.price * item.quantity for item in exits), Decimal(0))
    gross = round_money(direction * (exit_value - entry_value * exit_quantity / entry_quantity))
    commissions = sum((item.commission for item in fills), Decimal(0))
    last_exit = exits[-1] if exits else None
    initial, final, basis, revisions = _stops(part, direction)
    return Trade(
        position_id=position_id,
        book_id=fills[0].book_id,
        symbol=fills[0].symbol,
        strategy_id=fills[0].strategy_id,
        direction=LONG if direction > 0 else SHORT,
        status=CLOSED if part.closed or (exit_quantity >= entry_quantity) else OPEN,
        entry_time=entries[0].ts,
        entry_date_ny=ny_date(entries[0].ts),
        entry_quantity=entry_quantity,
        entry_price=volume_weighted_price(entries),
        exit_time=last_exit.ts if last_exit else None,
        exit_date_ny=ny_date(last_exit.ts) if last_exit else None,
        exit_quantity=exit_quantity,
        exit_price=volume_weighted_price(exits) if exits else None,
        exit_reason=_exit_reason(last_exit, purposes),
        commissions=commissions,
        gross_pnl=gross,
        net_pnl=round_money(gross - commissions),
        initial_stop=initial,
        final_stop=final,
        stop_basis=basis,
        stop_revisions=revisions,
        entry_fill_ids=tuple(item.fill_id for item in entries),
        exit_fill_ids=tuple(item.fill_id for item in exits),
    )


def _exit_reason(fill: Fill | None, purposes: dict[str, OrderPurpose]) -> str | None:
    if fill is None:
        return None
    purpose = purposes.get(fill.order_id)
    return str(purpose) if purpose is not None else "UNKNOWN"


def _stops(part: _Parts, direction: int) -> tuple[Decimal | None, Decimal | None, StopBasis | None, int]:
    """(initial stop, final stop, its basis, highest revision); the final stop is the tightest recorded."""
    initial = part.opened.initial_stop_price if part.opened else None
    final, basis = initial, (StopBasis.INITIAL if initial is not None else None)
    events = sorted(part.stops.values(), key=lambda item: (item.ts, item.stop_revision, item.exit_id))
    for event in events:
        assert event.stop_price is not None
        tighter = final is None or (event.stop_price - final) * direction > 0
        if tighter:
            final, basis = event.stop_price, event.basis or basis
    if initial is None and events:
        initial = events[0].stop_price
    return initial, final, basis, max((item.stop_revision for item in events), default=0)
