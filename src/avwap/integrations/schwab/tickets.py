"""A trade ticket: what a person must place at Schwab, rendered for Slack (pure; issue 13 M1-B).

A :class:`Ticket` is an approved intent of the ``SCHWAB_401K_MANUAL`` book with its stable ``intent_id``
(:func:`avwap.ledger.record_ids.intent_id` of book, strategy, date, symbol, side, setup: a re-run makes
the same id). The message carries Slack *metadata* (``event_type = avwap_ticket``; the payload names the
intent and its as-of date) so that a re-run can find a ticket already posted in channel history, and it
spells out the exact reply syntax the operator answers with in the ticket's thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from avwap.ledger.record_enums import OrderType, Side
from avwap.ledger.record_ids import intent_id
from avwap.strategies.allocation_401k import AllocationIntent

TICKET_EVENT_TYPE: Final = "avwap_ticket"
REPLY_SYNTAX: Final = (
    "EXECUTED <qty> @ <price>",
    "PARTIAL <qty> @ <price>",
    "SKIPPED <reason>",
    "ERROR <text>",
)


@dataclass(frozen=True)
class Ticket:
    intent_id: str
    book_id: str
    strategy_id: str
    date_ny: dt.date
    symbol: str
    side: Side
    quantity: int
    order_type: OrderType
    limit_price: Decimal | None
    reason: str

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError(f"a ticket needs a positive whole quantity, got {self.quantity}")
        if (self.order_type == OrderType.LIMIT) != (self.limit_price is not None):
            raise ValueError(f"{self.order_type} ticket with limit {self.limit_price}")


def allocation_intent_id(intent: AllocationIntent) -> str:
    """The stable id of an allocation intent (its ticket, its ledger intent and decision share it)."""
    return intent_id(
        book_id=intent.book_id,
        strategy_id=intent.strategy_id,
        date_ny=intent.date_ny,
        symbol=intent.symbol,
        side=intent.side,
        setup=intent.setup,
    )


def ticket_from_intent(intent: AllocationIntent, quantity: int | None = None) -> Ticket:
    """The ticket of an allocation intent, under its stable intent id, for the ``quantity`` the control
    plane approved (a RESIZE approves fewer shares; None: the intent's own quantity)."""
    return Ticket(
        allocation_intent_id(intent),
        intent.book_id,
        intent.strategy_id,
        intent.date_ny,
        intent.symbol,
        intent.side,
        intent.quantity if quantity is None else quantity,
        intent.order_type,
        intent.limit_price,
        intent.reason,
    )


def ticket_metadata(ticket: Ticket) -> dict[str, Any]:
    """Slack message metadata: how a re-run recognises this ticket in channel history."""
    return {
        "event_type": TICKET_EVENT_TYPE,
        "event_payload": {
            "intent_id": ticket.intent_id,
            "date_ny": ticket.date_ny.isoformat(),
            "book_id": ticket.book_id,
            "strategy_id": ticket.strategy_id,
        },
    }


def is_ticket_message(message: Mapping[str, Any], intent_id: str, date_ny: dt.date) -> bool:
    """Whether a history item is our ticket for ``intent_id`` as of ``date_ny`` (by its metadata)."""
    metadata = message.get("metadata")
    if not isinstance(metadata, Mapping) or metadata.get("event_type") != TICKET_EVENT_TYPE:
        return False
    payload = metadata.get("event_payload")
    return (
        isinstance(payload, Mapping)
        and payload.get("intent_id") == intent_id
        and payload.get("date_ny") == date_ny.isoformat()
    )


def order_text(ticket: Ticket) -> str:
    """``BUY 12 FXAIX MARKET`` or ``SELL 5 VTI LIMIT 251.20``."""
    limit = f" {ticket.limit_price}" if ticket.limit_price is not None else ""
    return f"{ticket.side} {ticket.quantity} {ticket.symbol} {ticket.order_type}{limit}"


def ticket_text(ticket: Ticket) -> str:
    """The message text (also the notification and screen-reader fallback)."""
    replies = "\n".join(f"`{line}`" for line in REPLY_SYNTAX)
    return (
        f"*Trade ticket* {ticket.book_id} {ticket.date_ny.isoformat()}\n"
        f"*{order_text(ticket)}*\n"
        f"symbol: {ticket.symbol} | side: {ticket.side} | quantity: {ticket.quantity} | "
        f"order type: {ticket.order_type} | limit: {ticket.limit_price if ticket.limit_price else 'none'}\n"
        f"reason: {ticket.reason or 'n/a'}\n"
        f"strategy: {ticket.strategy_id} | intent_id: `{ticket.intent_id}`\n"
        f"Place the order at Schwab, then reply in this thread with exactly one line:\n{replies}"
    )


def ticket_blocks(ticket: Ticket) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": ticket_text(ticket)}}]
