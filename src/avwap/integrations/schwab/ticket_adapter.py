"""The ``SCHWAB_401K_MANUAL`` adapter (issue 13 M1-B): post each ticket to Slack once, record it.

For each ticket, in order (idempotent: a re-run never posts a ticket twice for the same intent and date):

1. the book's ledger for the ticket's date already holds a ``TicketSent`` for the intent: nothing to do;
2. channel history holds our message (found by its metadata): a crash came between the post and the
   record, so record ``TicketSent(recovered=True)`` now and post nothing; when history cannot be read, we
   cannot tell, so record ``TicketFailed(HISTORY_UNAVAILABLE)`` and post nothing (fail closed);
3. otherwise post once (a ``WebClient`` with ``retry_handlers=[]``: no automatic retries, DESIGN.md §8)
   and append ``TicketSent`` with the channel, ts and permalink; a failed post (5xx, 429, refused,
   timeout) is appended as ``TicketFailed`` and never retried here: the next run starts again at step 1.

A dry run does steps 1 and 2 without writing or posting and reports what it would post.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

from avwap.core.clock import Clock
from avwap.core.errors import ConfigurationError
from avwap.integrations.schwab.tickets import (
    Ticket,
    is_ticket_message,
    ticket_blocks,
    ticket_metadata,
    ticket_text,
)
from avwap.integrations.slack.delivery import classify_error
from avwap.ledger.paths import ledger_file
from avwap.ledger.records import TicketFailed, TicketSent
from avwap.ledger.router import Ledger, read_file_records

if TYPE_CHECKING:
    from avwap.core.config import Config

LOGGER: Final = logging.getLogger("avwap.integrations.schwab")
HISTORY_LIMIT: Final = 200  # tickets are looked up on the day they are made: the latest 200 messages
TIMEOUT_SECONDS: Final = 10.0


class TicketClient(Protocol):
    """The Slack Web API methods a ticket needs (slack_sdk's ``WebClient`` satisfies it)."""

    def chat_postMessage(self, **kwargs: Any) -> Any: ...
    def conversations_history(self, **kwargs: Any) -> Any: ...
    def chat_getPermalink(self, **kwargs: Any) -> Any: ...


class TicketStatus(enum.StrEnum):
    SENT = "SENT"  # posted by this run and recorded
    ALREADY_SENT = "ALREADY_SENT"  # the ledger holds its TicketSent
    RECOVERED = "RECOVERED"  # found in channel history, recorded now, not re-posted
    WOULD_POST = "WOULD_POST"  # dry run
    FAILED = "FAILED"  # not posted; TicketFailed recorded


@dataclass(frozen=True)
class TicketOutcome:
    ticket: Ticket
    status: TicketStatus
    detail: str = ""
    record: TicketSent | TicketFailed | None = None


class TicketAdapter:
    """Posts tickets of one book to one Slack channel; see the module docstring."""

    def __init__(self, client: TicketClient, channel: str, ledger: Ledger, clock: Clock) -> None:
        self.client = client
        self.channel = channel
        self.ledger = ledger
        self.clock = clock

    def send(self, tickets: Sequence[Ticket], *, post: bool) -> list[TicketOutcome]:
        """Each ticket through steps 1-3 (``post=False``: a dry run that writes and posts nothing)."""
        return [self._send_one(ticket, post=post) for ticket in tickets]

    def sent_records(self, ticket: Ticket) -> list[TicketSent]:
        path = ledger_file(self.ledger.root, ticket.book_id, ticket.date_ny)
        if not path.exists():
            return []
        records = read_file_records(path)
        return [r for r in records if isinstance(r, TicketSent) and r.intent_id == ticket.intent_id]

    def _send_one(self, ticket: Ticket, *, post: bool) -> TicketOutcome:
        if self.sent_records(ticket):
            return TicketOutcome(ticket, TicketStatus.ALREADY_SENT, "in the ledger")
        found = self._find_in_history(ticket)
        if found is None:
            return self._failed(ticket, "HISTORY_UNAVAILABLE", "channel history unreadable", post=post)
        if found:
            if not post:
                return TicketOutcome(
                    ticket, TicketStatus.RECOVERED, "in channel history (dry run: not recorded)"
                )
            record = self._record_sent(ticket, found, recovered=True)
            return TicketOutcome(ticket, TicketStatus.RECOVERED, "in channel history", record)
        if not post:
            return TicketOutcome(ticket, TicketStatus.WOULD_POST, ticket_text(ticket))
        return self._post(ticket)

    def _find_in_history(self, ticket: Ticket) -> Mapping[str, Any] | None:
        """Our message (channel, ts) when history holds it, ``{}`` when not, None when unreadable."""
        try:
            response = self.client.conversations_history(
                channel=self.channel, include_all_metadata=True, limit=HISTORY_LIMIT
            )
            messages = response.get("messages") or []
            channel = response.get("channel") or self.channel
        except Exception as error:
            LOGGER.warning("ticket history lookup failed (%s)", classify_error(error).reason)
            return None
        for message in messages:
            if isinstance(message, Mapping) and is_ticket_message(message, ticket.intent_id, ticket.date_ny):
                return {"channel": channel, "ts": message.get("ts")}
        return {}

    def _post(self, ticket: Ticket) -> TicketOutcome:
        try:
            response = self.client.chat_postMessage(
                channel=self.channel,
                text=ticket_text(ticket),
                blocks=ticket_blocks(ticket),
                metadata=ticket_metadata(ticket),
            )
        except Exception as error:
            result = classify_error(error)
            seconds = result.retry_after_seconds
            retry_after = Decimal(str(seconds)) if seconds is not None else None
            return self._failed(
                ticket, str(result.outcome), result.reason, post=True, retry_after=retry_after
            )
        posted = {"channel": response.get("channel") or self.channel, "ts": response.get("ts")}
        return TicketOutcome(
            ticket, TicketStatus.SENT, "posted", self._record_sent(ticket, posted, recovered=False)
        )

    def _permalink(self, channel: str, ts: str) -> str | None:
        try:
            link = self.client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
        except Exception as error:  # the ticket is posted; a missing link is not worth failing it
            LOGGER.warning("ticket permalink lookup failed (%s)", classify_error(error).reason)
            return None
        return link if isinstance(link, str) else None

    def _record_sent(self, ticket: Ticket, posted: Mapping[str, Any], *, recovered: bool) -> TicketSent:
        channel, ts = str(posted["channel"]), str(posted["ts"])
        record = TicketSent(
            book_id=ticket.book_id,
            date_ny=ticket.date_ny,
            ts=self.clock.now(),
            strategy_id=ticket.strategy_id,
            intent_id=ticket.intent_id,
            symbol=ticket.symbol,
            side=ticket.side,
            quantity=ticket.quantity,
            order_type=ticket.order_type,
            limit_price=ticket.limit_price,
            reason=ticket.reason,
            channel=channel,
            message_ts=ts,
            permalink=self._permalink(channel, ts),
            recovered=recovered,
        )
        self.ledger.append(record)
        return record

    def _failed(
        self, ticket: Ticket, outcome: str, detail: str, *, post: bool, retry_after: Decimal | None = None
    ) -> TicketOutcome:
        if not post:
            return TicketOutcome(ticket, TicketStatus.FAILED, f"{outcome}: {detail} (dry run: not recorded)")
        record = TicketFailed(
            book_id=ticket.book_id,
            date_ny=ticket.date_ny,
            ts=self.clock.now(),
            strategy_id=ticket.strategy_id,
            intent_id=ticket.intent_id,
            symbol=ticket.symbol,
            outcome=outcome,
            detail=detail,
            retry_after_seconds=retry_after,
        )
        self.ledger.append(record)
        LOGGER.warning("ticket %s %s not posted: %s (%s)", ticket.intent_id, ticket.symbol, outcome, detail)
        return TicketOutcome(ticket, TicketStatus.FAILED, f"{outcome}: {detail}", record)


def slack_client(token: str, base_url: str = "", timeout: float = TIMEOUT_SECONDS) -> TicketClient:
    """slack_sdk's WebClient with no retry handlers: a ticket is posted at most once per run (§8)."""
    from slack_sdk import WebClient  # here: commands that never post never import slack_sdk

    client = WebClient(
        token=token,
        base_url=base_url or WebClient.BASE_URL,
        timeout=int(timeout),
        retry_handlers=[],
        logger=logging.getLogger("avwap.integrations.schwab.sdk"),
    )
    return cast(TicketClient, client)


def ticket_adapter(config: Config, clock: Clock | None = None) -> TicketAdapter:
    """The book's adapter from Config (avwap.execution.adapters): SLACK_BOT_TOKEN, TICKETS_CHANNEL."""
    from avwap.core.clock import SystemClock

    if not config.slack_bot_token:
        raise ConfigurationError("SLACK_BOT_TOKEN", "required to post 401(k) trade tickets")
    channel = config.tickets_channel or config.slack_channel
    if not channel:
        raise ConfigurationError("TICKETS_CHANNEL", "required (or SLACK_CHANNEL): where tickets are posted")
    client = slack_client(config.slack_bot_token, config.slack_base_url)
    return TicketAdapter(client, channel, Ledger(Path(config.ledger_dir)), clock or SystemClock())
