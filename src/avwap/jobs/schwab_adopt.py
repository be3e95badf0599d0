"""Adopt a Schwab account's existing holdings as the manual book's opening state (issue 13).

A 401(k) window already holds funds when the system starts. Tickets, confirmations and fills only book
what the system asked for, so without an opening state the book's fold (cash, positions) and everything
that reads it (portfolio snapshots, sleeves, strategy attribution) would disagree with the broker from the
first day. Adoption books the latest read-only snapshot (``BrokerSnapshotRecorded``, CSV or API) with the
record types the fold already reads:

* one ``Fill`` per symbol whose share count differs from the book's, at the snapshot's price, owned by
  ``S_401K_ALLOCATION`` (the strategy that manages the whole window: the positions it will rebalance);
  ``broker_fill_id`` ``adopt-<snapshot id>`` says where it came from;
* a ``CashMovement`` transferring the value of those shares in (DEPOSIT; WITHDRAWAL when shares leave),
  so the fills move no cash of the book, and one moving the book's cash to the snapshot's cash; both with
  ``reason`` "adopted from snapshot <id>" and no strategy (funding is the book's).

Afterwards the fold holds the snapshot's positions at cost = the snapshot's price and its cash, so the
book's equity at the snapshot's prices is the broker's total. The plan is the difference between the
snapshot and the book, so adopting the same snapshot again books nothing. A book that already has fills
or positions is refused unless ``force``: then the difference is booked as above (a true-up to the
broker; shares that leave realize PnL against the book's cost, as a sale at the snapshot's price would).

Fractional shares (the fold and the tickets count whole shares) and positions without a price are
refused with a ``DataError`` naming the symbol: nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Final

from avwap.core.calendar import ny_date
from avwap.core.clock import Clock
from avwap.core.errors import DataError
from avwap.core.ids import client_order_id
from avwap.integrations.schwab.snapshot_facts import read_snapshots
from avwap.ledger import record_ids
from avwap.ledger.projection import fold_book
from avwap.ledger.projection_state import BookState, average_price
from avwap.ledger.record_enums import CashMovementKind, Side
from avwap.ledger.records import BrokerSnapshotRecorded, CashMovement, Fill, Record
from avwap.ledger.router import Ledger
from avwap.strategies.registry import S_401K_ALLOCATION

ADOPTION_OWNER: Final = S_401K_ALLOCATION
ADOPTION_SETUP: Final = "adopted"
PURPOSE: Final = "adopt"
ZERO: Final = Decimal(0)


class AdoptionRefused(DataError):
    """The book already has fills or positions and ``--force`` was not given."""


@dataclass(frozen=True)
class Adoption:
    """What adoption books (or would book) from one snapshot."""

    snapshot: BrokerSnapshotRecorded
    records: tuple[Record, ...]
    book_value: Decimal  # the snapshot's cash + shares x prices: the book's equity after adoption
    recorded: bool = False

    @property
    def fills(self) -> tuple[Fill, ...]:
        return tuple(record for record in self.records if isinstance(record, Fill))

    @property
    def movements(self) -> tuple[CashMovement, ...]:
        return tuple(record for record in self.records if isinstance(record, CashMovement))


def _whole_shares(snapshot: BrokerSnapshotRecorded) -> dict[str, tuple[int, Decimal]]:
    """symbol -> (shares, price); fractional shares and missing prices are refused, naming the symbol."""
    held: dict[str, tuple[int, Decimal]] = {}
    for position in snapshot.positions:
        if position.quantity != position.quantity.to_integral_value():
            raise DataError(
                f"snapshot {snapshot.snapshot_id}: {position.symbol} holds {position.quantity} shares; "
                "the book counts whole shares, so fractional holdings cannot be adopted"
            )
        if position.price is None or position.price <= 0:
            raise DataError(f"snapshot {snapshot.snapshot_id}: {position.symbol} has no price to adopt it at")
        held[position.symbol] = (int(position.quantity), position.price)
    return held


def _fill(
    snapshot: BrokerSnapshotRecorded, now: dt.datetime, symbol: str, moved: int, price: Decimal
) -> Fill:
    intent = record_ids.intent_id(
        book_id=snapshot.book_id,
        strategy_id=ADOPTION_OWNER,
        date_ny=snapshot.date_ny,
        symbol=symbol,
        side=str(Side.BUY if moved > 0 else Side.SELL),
        setup=f"{ADOPTION_SETUP}:{snapshot.snapshot_id}",
    )
    client = client_order_id(intent, PURPOSE)
    order = record_ids.order_id(book_id=snapshot.book_id, client_order_id=client)
    source = f"adopt-{snapshot.snapshot_id}"
    return Fill(
        book_id=snapshot.book_id,
        date_ny=ny_date(now),
        ts=now,
        strategy_id=ADOPTION_OWNER,
        fill_id=record_ids.fill_id(order_id=order, broker_fill_id=source),
        order_id=order,
        client_order_id=client,
        position_id=record_ids.position_id(
            book_id=snapshot.book_id, strategy_id=ADOPTION_OWNER, symbol=symbol, intent_id=intent
        ),
        symbol=symbol,
        side=Side.BUY if moved > 0 else Side.SELL,
        quantity=abs(moved),
        price=price,
        broker_fill_id=source,
    )


def _movement(snapshot: BrokerSnapshotRecorded, now: dt.datetime, amount: Decimal, what: str) -> CashMovement:
    kind = CashMovementKind.DEPOSIT if amount > 0 else CashMovementKind.WITHDRAWAL
    reference = f"adopt-{snapshot.snapshot_id}-{what}"
    return CashMovement(
        book_id=snapshot.book_id,
        date_ny=ny_date(now),
        ts=now,
        movement_id=record_ids.cash_movement_id(
            book_id=snapshot.book_id,
            date_ny=snapshot.date_ny,
            kind=kind,
            amount=abs(amount),
            reference=reference,
        ),
        kind=kind,
        amount=abs(amount),
        reason=f"adopted from snapshot {snapshot.snapshot_id}: {what}",
    )


def _book_cost(state: BookState, symbol: str) -> Decimal:
    """The average cost of the book's lots of ``symbol`` (one lot, unless two strategies share it)."""
    lots = state.lots_of(symbol)
    if len(lots) == 1:
        return lots[0].average_price
    return average_price(sum((lot.cost_basis for lot in lots), ZERO), sum(lot.quantity for lot in lots))


def plan_adoption(
    snapshot: BrokerSnapshotRecorded, state: BookState, *, now: dt.datetime, force: bool = False
) -> Adoption:
    """The records that bring the book ``state`` to the snapshot (pure; see the module docstring)."""
    if snapshot.cash is None:
        raise DataError(f"snapshot {snapshot.snapshot_id} states no cash balance: it cannot be adopted")
    held = _whole_shares(snapshot)
    book_value = snapshot.cash + sum((shares * price for shares, price in held.values()), ZERO)
    booked = state.symbol_quantities()  # the sum of the symbol's lots: what the broker holds
    moves = {
        symbol: held.get(symbol, (0, ZERO))[0] - booked.get(symbol, 0)
        for symbol in sorted(set(held) | set(booked))
    }
    moves = {symbol: moved for symbol, moved in moves.items() if moved}
    # A symbol the broker no longer shows has no snapshot price: it leaves at the book's cost.
    fills = [
        _fill(
            snapshot,
            now,
            symbol,
            moved,
            held[symbol][1] if symbol in held else _book_cost(state, symbol),
        )
        for symbol, moved in moves.items()
    ]
    records: list[Record] = []
    transferred = sum(
        (fill.price * fill.quantity * (1 if fill.side == Side.BUY else -1) for fill in fills), ZERO
    )
    if transferred:
        records.append(
            _movement(snapshot, now, transferred, "holdings transferred in at the snapshot's prices")
        )
    records += fills
    if snapshot.cash != state.cash:
        records.append(
            _movement(snapshot, now, snapshot.cash - state.cash, "cash brought to the snapshot's balance")
        )
    if records and (state.positions or state.fill_ids) and not force:
        raise AdoptionRefused(
            f"{snapshot.book_id} already has fills or positions ({len(state.fill_ids)} fills, "
            f"{len(state.positions)} positions) that differ from snapshot {snapshot.snapshot_id}: adoption "
            "is for a book's opening state; pass --force to book the difference (a true-up to the broker)"
        )
    return Adoption(snapshot, tuple(records), book_value)


def latest_snapshot(
    snapshots: Sequence[BrokerSnapshotRecorded], snapshot_id: str | None
) -> BrokerSnapshotRecorded:
    if snapshot_id is not None:
        named = [snapshot for snapshot in snapshots if snapshot.snapshot_id == snapshot_id]
        if not named:
            raise DataError(f"no snapshot {snapshot_id} of this book: run `avwap schwab snapshot` first")
        return named[-1]
    if not snapshots:
        raise DataError("no snapshot of this book: run `avwap schwab snapshot --csv FILE` (or the API) first")
    return max(snapshots, key=lambda snapshot: (snapshot.as_of, snapshot.ts, snapshot.snapshot_id))


def adopt_job(
    ledger_dir: Path,
    clock: Clock,
    book_id: str,
    *,
    snapshot_id: str | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> Adoption:
    """Plan the adoption of the book's latest (or the named) snapshot and, unless ``dry_run``, append it."""
    ledger = Ledger(Path(ledger_dir))
    snapshot = latest_snapshot(read_snapshots(ledger.root, book_id), snapshot_id)
    state = fold_book(ledger.read_book(book_id), book_id)
    adoption = plan_adoption(snapshot, state, now=clock.now(), force=force)
    if dry_run or not adoption.records:
        return adoption
    ledger.append_together(list(adoption.records))
    return Adoption(snapshot, adoption.records, adoption.book_value, recorded=True)
