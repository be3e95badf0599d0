"""The confirmation ledger of manual books (issue 13, M1-C): operator replies to Slack tickets, append-only.

Records (:class:`~avwap.ledger.records.ConfirmationRecorded`) go to the ``SLACK_REPLIES`` stream, one file
per New York date. The ledger is the memory of the receiver: which Slack ``event_id`` was already recorded
(so a retry of Slack's, or the same event after a restart, is never recorded twice) and which confirmation
is the latest for each intent (so a second one is written as a correction naming it, never a mutation).

Public API::

    SLACK_REPLIES                                    the stream name
    ThreadTicket(intent_id, strategy_id)             the ticket a thread belongs to
    ticket_for_thread(tickets, channel=, thread_ts=) -> ThreadTicket | None   the seam to the ticket records
    intent_for_thread(tickets, channel=, thread_ts=) -> intent_id | None      its intent only
    ticket_finder(root, book_id) -> (channel, thread_ts) -> ThreadTicket | None   over the book's ledger files
    ConfirmationLedger(root, clock)                  state loaded from the stream's files once
      .has_event(event_id) -> bool
      .effective() -> {intent_id: ConfirmationRecorded}   the confirmation in force per intent
      .record(reply) -> ConfirmationRecorded         (an already-recorded event returns its first record)
    ReplyFacts                                       what the receiver knows about one reply
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from avwap.core.calendar import ny_date
from avwap.core.clock import Clock
from avwap.ledger.paths import SLACK_REPLIES, ledger_file, list_ledger_files
from avwap.ledger.record_enums import ConfirmationKind, ConfirmationMatch
from avwap.ledger.record_ids import confirmation_id
from avwap.ledger.records import ConfirmationRecorded, decode_record
from avwap.ledger.store import LedgerStore

MAX_TEXT: Final = 500

__all__ = [
    "SLACK_REPLIES",
    "ConfirmationLedger",
    "ReplyFacts",
    "ThreadTicket",
    "intent_for_thread",
    "ticket_finder",
    "ticket_for_thread",
]


@dataclass(frozen=True, slots=True)
class ThreadTicket:
    """The ticket a thread belongs to: its intent and the strategy that asked for it (None if unnamed)."""

    intent_id: str
    strategy_id: str | None = None


def ticket_for_thread(
    tickets: Iterable[Mapping[str, Any]], *, channel: str, thread_ts: str
) -> ThreadTicket | None:
    """The ticket that started the thread ``thread_ts`` in ``channel``, from ticket ledger records (M1-B's
    ``TicketSent``: ``intent_id``, ``strategy_id``, ``channel``, ``message_ts`` -- the Slack ts of the
    ticket, which a reply names as its ``thread_ts``; the record's own ``ts`` is when it was written); None
    when the thread is none of ours. Records of other types are skipped, so a whole book ledger can be
    passed."""
    for ticket in tickets:
        if ticket.get("type", "TicketSent") != "TicketSent":
            continue
        if ticket.get("channel") == channel and ticket.get("message_ts") == thread_ts:
            intent, strategy = ticket.get("intent_id"), ticket.get("strategy_id")
            if not isinstance(intent, str):
                return None
            return ThreadTicket(intent, strategy if isinstance(strategy, str) and strategy else None)
    return None


def intent_for_thread(tickets: Iterable[Mapping[str, Any]], *, channel: str, thread_ts: str) -> str | None:
    """The intent of :func:`ticket_for_thread`'s ticket (None when the thread is none of ours)."""
    found = ticket_for_thread(tickets, channel=channel, thread_ts=thread_ts)
    return found.intent_id if found is not None else None


def ticket_finder(root: Path, book_id: str) -> Callable[[str, str], ThreadTicket | None]:
    """Looks a thread up in the ticket records of the book's ledger (read at each call: replies are rare
    and a ticket posted a second ago must be found)."""

    def find(channel: str, thread_ts: str) -> ThreadTicket | None:
        records = (
            plain for path in list_ledger_files(root, book_id) for plain in LedgerStore(path).read_records()
        )
        return ticket_for_thread(records, channel=channel, thread_ts=thread_ts)

    return find


@dataclass(frozen=True, slots=True)
class ReplyFacts:
    """One operator reply as the receiver saw it, and what the parser made of it."""

    book_id: str
    event_id: str
    channel: str
    thread_ts: str
    message_ts: str
    user: str
    text: str
    intent_id: str | None
    strategy_id: str | None
    kind: ConfirmationKind
    quantity: int | None = None
    price: Decimal | None = None
    note: str = ""


class ConfirmationLedger:
    """The ``SLACK_REPLIES`` stream under ``root`` (the ledger folder), safe to share between threads."""

    def __init__(self, root: Path, clock: Clock) -> None:
        self._root = Path(root)
        self._clock = clock
        self._lock = threading.Lock()
        self._by_event: dict[str, ConfirmationRecorded] = {}
        self._latest_for_intent: dict[str, str] = {}
        for path in list_ledger_files(self._root, SLACK_REPLIES):
            for plain in LedgerStore(path).read_records():
                record = decode_record(plain)
                if isinstance(record, ConfirmationRecorded):
                    self._remember(record)

    def _remember(self, record: ConfirmationRecorded) -> None:
        self._by_event.setdefault(record.event_id, record)
        if record.intent_id is not None and record.kind is not ConfirmationKind.NOT_UNDERSTOOD:
            self._latest_for_intent[record.intent_id] = record.confirmation_id

    def has_event(self, event_id: str) -> bool:
        # No lock: the receiver asks this before acknowledging, and must not wait for an append's fsync.
        # A dict lookup is atomic; an event being recorded right now is caught again inside record().
        return event_id in self._by_event

    def latest_for_intent(self, intent_id: str) -> str | None:
        return self._latest_for_intent.get(intent_id)

    def effective(self) -> dict[str, ConfirmationRecorded]:
        """Each intent's confirmation in force: its latest understood one (a correction supersedes)."""
        with self._lock:
            by_id = {record.confirmation_id: record for record in self._by_event.values()}
            return {intent: by_id[latest] for intent, latest in sorted(self._latest_for_intent.items())}

    def _corrected(self, reply: ReplyFacts) -> str | None:
        # A line the parser did not understand confirms nothing, so it corrects nothing either.
        if reply.intent_id is None or reply.kind is ConfirmationKind.NOT_UNDERSTOOD:
            return None
        return self._latest_for_intent.get(reply.intent_id)

    def record(self, reply: ReplyFacts) -> tuple[ConfirmationRecorded, bool]:
        """Append the reply (the second element is True) unless its event is already recorded (False)."""
        with self._lock:
            known = self._by_event.get(reply.event_id)
            if known is not None:
                return known, False
            now = self._clock.now()
            record = ConfirmationRecorded(
                book_id=reply.book_id,
                date_ny=ny_date(now),
                ts=now,
                strategy_id=reply.strategy_id,
                confirmation_id=confirmation_id(event_id=reply.event_id),
                event_id=reply.event_id,
                channel=reply.channel,
                thread_ts=reply.thread_ts,
                message_ts=reply.message_ts,
                user=reply.user,
                intent_id=reply.intent_id,
                match=ConfirmationMatch.MATCHED if reply.intent_id else ConfirmationMatch.UNMATCHED_THREAD,
                kind=reply.kind,
                quantity=reply.quantity,
                price=reply.price,
                note=reply.note,
                text=reply.text[:MAX_TEXT],
                corrects=self._corrected(reply),
            )
            path = ledger_file(self._root, SLACK_REPLIES, record.date_ny)
            path.parent.mkdir(parents=True, exist_ok=True)
            LedgerStore(path).append(record)
            self._remember(record)
            return record, True
