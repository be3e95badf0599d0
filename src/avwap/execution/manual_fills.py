"""Fills of a manual book from its operator's confirmations (issue 13): how a 401(k) ticket becomes PnL.

A manual book has no broker API: the operator places a ticket's order at Schwab and replies in its Slack
thread (M1-C, ``ConfirmationRecorded`` in the ``SLACK_REPLIES`` stream). This module turns the confirmation
*in force* for each ticket (:meth:`~avwap.ledger.confirmations.ConfirmationLedger.effective`: the latest
understood reply, a correction superseding what it corrects) into the :class:`~avwap.ledger.records.Fill`
records the book's fold, portfolio snapshots, sleeves and strategy attribution already read: no second
fold, no second attribution.

* EXECUTED / PARTIAL ``<qty> @ <price>``: one Fill on the ticket's side, ``broker_fill_id`` = the
  confirmation id; SKIPPED / ERROR: no fill.
* The ledger stays append-only. When the confirmation in force changes after its fill was booked (a
  correction arrived later), the booked fill is reversed by a Fill on the other side at the same quantity
  and price (``broker_fill_id`` = ``<confirmation id>-reversal``), then the corrected fill is booked. Cash
  and shares come out exact; under average cost, a position that held earlier lots can see its
  realized/unrealized split shift by the reversal's basis difference (equity is unchanged).
* Fills name the ticket's derived order (``client_order_id(intent_id, "manual")``); the ``TicketSent``
  record is the manual book's order record. Fills are dated when they are booked (the clock), priced as
  confirmed; re-running books nothing new (idempotent by fill id).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Final

from avwap.core.calendar import ny_date
from avwap.core.clock import Clock
from avwap.core.ids import client_order_id
from avwap.execution.context import Stamp
from avwap.ledger import record_ids
from avwap.ledger.confirmations import ConfirmationLedger
from avwap.ledger.record_enums import ConfirmationKind, Side
from avwap.ledger.records import ConfirmationRecorded, Fill, TicketSent
from avwap.ledger.router import Ledger

MANUAL_PURPOSE: Final = "manual"
REVERSAL: Final = "-reversal"
FILL_KINDS: Final = (ConfirmationKind.EXECUTED, ConfirmationKind.PARTIAL)


def _other(side: Side) -> Side:
    return Side.SELL if side == Side.BUY else Side.BUY


def _fill(
    ticket: TicketSent, stamp: Stamp, side: Side, *, quantity: int, price: Decimal, source: str
) -> Fill:
    client = client_order_id(ticket.intent_id, MANUAL_PURPOSE)
    order = record_ids.order_id(book_id=ticket.book_id, client_order_id=client)
    return Fill(
        **stamp,
        strategy_id=ticket.strategy_id,
        fill_id=record_ids.fill_id(order_id=order, broker_fill_id=source),
        order_id=order,
        client_order_id=client,
        position_id=record_ids.position_id(
            book_id=ticket.book_id,
            strategy_id=ticket.strategy_id,
            symbol=ticket.symbol,
            intent_id=ticket.intent_id,
        ),
        symbol=ticket.symbol,
        side=side,
        quantity=quantity,
        price=price,
        broker_fill_id=source,
    )


def _in_force(ticket: TicketSent, booked: Sequence[Fill]) -> Fill | None:
    """The ticket's booked fill not yet reversed (at most one: each change reverses the previous)."""
    client = client_order_id(ticket.intent_id, MANUAL_PURPOSE)
    mine = [fill for fill in booked if fill.client_order_id == client]
    reversed_ids = {fill.broker_fill_id.removesuffix(REVERSAL) for fill in mine if fill.side != ticket.side}
    live = [fill for fill in mine if fill.side == ticket.side and fill.broker_fill_id not in reversed_ids]
    return live[-1] if live else None


def fills_to_book(
    tickets: Sequence[TicketSent],
    booked: Sequence[Fill],
    effective: Mapping[str, ConfirmationRecorded],
    stamp: Stamp,
) -> list[Fill]:
    """The fills (and reversals) that bring the book's fills in line with the confirmations in force."""
    out: list[Fill] = []
    for ticket in tickets:
        confirmation = effective.get(ticket.intent_id)
        wanted = confirmation if confirmation is not None and confirmation.kind in FILL_KINDS else None
        current = _in_force(ticket, booked)
        if current is not None and wanted is not None and current.broker_fill_id == wanted.confirmation_id:
            continue
        if current is not None:
            source = current.broker_fill_id + REVERSAL
            out.append(
                _fill(
                    ticket,
                    stamp,
                    _other(ticket.side),
                    quantity=current.quantity,
                    price=current.price,
                    source=source,
                )
            )
        if wanted is not None and wanted.quantity is not None and wanted.price is not None:
            source = wanted.confirmation_id
            out.append(
                _fill(ticket, stamp, ticket.side, quantity=wanted.quantity, price=wanted.price, source=source)
            )
    return out


def book_confirmed_fills(ledger_dir: Path, book_id: str, clock: Clock) -> list[Fill]:
    """Append the fills of ``book_id``'s confirmations not booked yet; returns what was appended."""
    ledger = Ledger(Path(ledger_dir))
    records = ledger.read_book(book_id)
    tickets = [record for record in records if isinstance(record, TicketSent)]
    booked = [record for record in records if isinstance(record, Fill)]
    effective = {
        intent: record
        for intent, record in ConfirmationLedger(Path(ledger_dir), clock).effective().items()
        if record.book_id == book_id
    }
    now = clock.now()
    fills = fills_to_book(tickets, booked, effective, Stamp(book_id=book_id, date_ny=ny_date(now), ts=now))
    if fills:
        ledger.append_together(list(fills))
    return fills
