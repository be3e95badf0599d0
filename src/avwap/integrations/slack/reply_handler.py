"""One handler for operator replies in ticket threads, fed by the Events API receiver and by Socket Mode.

:meth:`ReplyHandler.handle` takes one Events API ``event_callback`` payload (after the transport checked
its authenticity) and: keeps to scope (a plain ``message`` in the configured channel, in a thread, from a
person: our own bot's posts, edits and other subtypes are ignored), records it once per ``event_id`` in the
confirmation ledger, and answers in the thread (what was recorded, or what was not understood and how to
write it). A reply in a thread that is none of our tickets is recorded as UNMATCHED_THREAD and answered
only when it looks like a confirmation, so people talking in other threads are left alone.

Public API::

    ReplyHandler(ledger, book_id=, channel=, find_intent=, answer=)
      .handle(payload) -> Outcome
    Outcome                                  IGNORED / DUPLICATE / RECORDED (for tests and logs)
    web_client_answer(client) -> Answer      posts through slack_sdk's WebClient, no automatic retries
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from typing import Any

from avwap.integrations.slack.reply_parser import Confirmation, NotUnderstood, format_reply, parse_reply
from avwap.ledger.confirmations import ConfirmationLedger, ReplyFacts, ThreadTicket
from avwap.ledger.record_enums import ConfirmationKind
from avwap.ledger.records import ConfirmationRecorded

logger = logging.getLogger(__name__)

FindIntent = Callable[[str, str], ThreadTicket | None]  # (channel, thread_ts) -> the thread's ticket
Answer = Callable[[str, str, str], None]  # (channel, thread_ts, text)


class Outcome(enum.StrEnum):
    IGNORED = "IGNORED"
    DUPLICATE = "DUPLICATE"
    RECORDED = "RECORDED"


def _in_scope(event: Mapping[str, Any], channel: str) -> bool:
    """A person's plain message in the configured channel, threaded under another message."""
    if event.get("type") != "message" or event.get("subtype") or event.get("bot_id"):
        return False
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    return (
        event.get("channel") == channel
        and isinstance(thread_ts, str)
        and isinstance(ts, str)
        and thread_ts != ts
        and isinstance(event.get("text", ""), str)
    )


def _answer_text(record: ConfirmationRecorded, parsed: Confirmation | NotUnderstood) -> str:
    if isinstance(parsed, NotUnderstood):
        return f"Not understood: {parsed.problem}.\n{parsed.help}"
    if record.intent_id is None:
        return (
            "This thread is not one of our trade tickets, so the confirmation was recorded as unmatched. "
            "Reply in the ticket's own thread."
        )
    line = format_reply(parsed)
    if record.corrects:
        return f"Recorded `{line}` for {record.intent_id}, correcting the earlier confirmation."
    return f"Recorded `{line}` for {record.intent_id}."


class ReplyHandler:
    """Scope, dedupe, parse, record, answer: the same for every transport."""

    def __init__(
        self,
        ledger: ConfirmationLedger,
        *,
        book_id: str,
        channel: str,
        find_intent: FindIntent,
        answer: Answer,
    ) -> None:
        self._ledger = ledger
        self._book_id = book_id
        self._channel = channel
        self._find_intent = find_intent
        self._answer = answer

    def seen(self, event_id: str) -> bool:
        return self._ledger.has_event(event_id)

    def handle(self, payload: Mapping[str, Any]) -> Outcome:
        event, event_id = payload.get("event"), payload.get("event_id")
        if not isinstance(event, Mapping) or not isinstance(event_id, str) or not event_id:
            return Outcome.IGNORED
        if not _in_scope(event, self._channel):
            return Outcome.IGNORED
        if self._ledger.has_event(event_id):
            return Outcome.DUPLICATE
        thread_ts, text = str(event["thread_ts"]), str(event.get("text") or "")
        ticket = self._find_intent(self._channel, thread_ts)
        parsed = parse_reply(text)
        if ticket is None and isinstance(parsed, NotUnderstood):
            return Outcome.IGNORED  # chatter in a thread that is not a ticket
        record, written = self._ledger.record(self._facts(event_id, event, ticket, parsed, text))
        if not written:
            return Outcome.DUPLICATE
        logger.info("reply %s recorded: %s %s", event_id, record.kind, record.intent_id or "(unmatched)")
        self._answer(self._channel, thread_ts, _answer_text(record, parsed))
        return Outcome.RECORDED

    def _facts(
        self,
        event_id: str,
        event: Mapping[str, Any],
        ticket: ThreadTicket | None,
        parsed: Confirmation | NotUnderstood,
        text: str,
    ) -> ReplyFacts:
        common: dict[str, Any] = {
            "book_id": self._book_id,
            "event_id": event_id,
            "channel": self._channel,
            "thread_ts": str(event["thread_ts"]),
            "message_ts": str(event["ts"]),
            "user": str(event.get("user") or ""),
            "text": text,
            "intent_id": ticket.intent_id if ticket is not None else None,
            # The ticket's strategy (ledger/scope.py: set when the ticket's intent names one).
            "strategy_id": ticket.strategy_id if ticket is not None else None,
        }
        if isinstance(parsed, NotUnderstood):
            return ReplyFacts(**common, kind=ConfirmationKind.NOT_UNDERSTOOD, note=parsed.problem)
        return ReplyFacts(
            **common,
            kind=ConfirmationKind(parsed.kind.value),
            quantity=parsed.quantity,
            price=parsed.price,
            note=parsed.note,
        )


def web_client_answer(client: Any) -> Answer:
    """Answers in the thread through slack_sdk's ``WebClient`` (built with ``retry_handlers=[]``: a
    connection retry could post the answer twice). A failed answer is logged; the record stays."""

    def answer(channel: str, thread_ts: str, text: str) -> None:
        try:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
        except Exception as error:
            logger.warning("could not answer in thread %s: %s", thread_ts, type(error).__name__)

    return answer
