"""Slack trade tickets of the manual Schwab 401(k) book (issue 13 M1-B): the real slack_sdk WebClient
against the fake Slack API on 127.0.0.1, the real ledger in a temp folder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from tests.fakes.slack_server import FakeSlackServer, Fault, unused_base_url

from avwap.core.clock import FixedClock
from avwap.core.config import Config
from avwap.core.errors import ConfigurationError
from avwap.integrations.schwab.ticket_adapter import (
    TicketAdapter,
    TicketStatus,
    slack_client,
    ticket_adapter,
)
from avwap.integrations.schwab.tickets import REPLY_SYNTAX, Ticket, ticket_from_intent
from avwap.ledger.paths import SCHWAB_401K_MANUAL
from avwap.ledger.record_enums import OrderType, Side
from avwap.ledger.records import TicketFailed, TicketSent
from avwap.ledger.router import Ledger
from avwap.strategies.allocation_401k import AllocationIntent

TODAY = dt.date(2026, 12, 1)
CLOCK = FixedClock(dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC))
CHANNEL = "C0TICKETS"


def intent(symbol: str = "FXAIX", side: Side = Side.BUY, quantity: int = 12) -> AllocationIntent:
    return AllocationIntent(
        book_id=SCHWAB_401K_MANUAL,
        strategy_id="S_401K_ALLOCATION",
        date_ny=TODAY,
        symbol=symbol,
        side=side,
        quantity=quantity,
        order_type=OrderType.MARKET,
        limit_price=None,
        reference_price=Decimal("200"),
        reason="rebalance (schedule): max drift 0.0700, band 0.05",
        model_version="S_401K_ALLOCATION/1",
    )


TICKETS = (ticket_from_intent(intent()), ticket_from_intent(intent("VTI", Side.SELL, 4)))


@pytest.fixture
def server() -> Iterator[FakeSlackServer]:
    with FakeSlackServer(channels={"tickets": CHANNEL}, retry_after_seconds=30) as running:
        yield running


def adapter_for(server: FakeSlackServer, root: Path, ledger: Ledger | None = None) -> TicketAdapter:
    client = slack_client(server.token, server.base_url, timeout=2.0)
    return TicketAdapter(client, CHANNEL, ledger or Ledger(root), CLOCK)


def book(root: Path) -> list[object]:
    return list(Ledger(root).read_book(SCHWAB_401K_MANUAL))


def test_tickets_are_posted_once_with_metadata_and_recorded(server: FakeSlackServer, tmp_path: Path) -> None:
    outcomes = adapter_for(server, tmp_path).send(TICKETS, post=True)
    assert [outcome.status for outcome in outcomes] == [TicketStatus.SENT, TicketStatus.SENT]
    first = server.messages[0]
    for line in REPLY_SYNTAX:
        assert line in first.text
    assert "BUY 12 FXAIX MARKET" in first.text and TICKETS[0].intent_id in first.text
    assert first.metadata is not None and first.metadata["event_type"] == "avwap_ticket"
    assert first.metadata["event_payload"]["intent_id"] == TICKETS[0].intent_id
    records = book(tmp_path)
    assert [type(record) for record in records] == [TicketSent, TicketSent]
    sent = records[0]
    assert isinstance(sent, TicketSent)
    assert (sent.channel, sent.message_ts, sent.recovered) == (CHANNEL, first.ts, False)
    assert sent.permalink == f"https://avwap-test.slack.com/archives/{CHANNEL}/p{first.ts.replace('.', '')}"
    assert len(server.requests_for("chat.getPermalink")) == 2
    # The file is where the book's ledger lives.
    assert (tmp_path / SCHWAB_401K_MANUAL / "2026-12-01.jsonl").is_file()

    # A re-run posts nothing: the ledger holds both tickets (history is not even asked).
    history_calls = len(server.requests_for("conversations.history"))
    again = adapter_for(server, tmp_path).send(TICKETS, post=True)
    assert [outcome.status for outcome in again] == [TicketStatus.ALREADY_SENT] * 2
    assert len(server.messages) == 2 and len(book(tmp_path)) == 2
    assert len(server.requests_for("conversations.history")) == history_calls


class CrashingLedger(Ledger):
    """The process dies right after the post, before the SENT record is written."""

    def append(self, record):  # type: ignore[no-untyped-def]
        if isinstance(record, TicketSent):
            raise KeyboardInterrupt("crash between post and record")
        return super().append(record)


def test_a_crash_between_post_and_record_is_recovered_from_history(
    server: FakeSlackServer, tmp_path: Path
) -> None:
    with pytest.raises(KeyboardInterrupt):
        adapter_for(server, tmp_path, CrashingLedger(tmp_path)).send(TICKETS[:1], post=True)
    assert len(server.messages) == 1 and book(tmp_path) == []

    outcomes = adapter_for(server, tmp_path).send(TICKETS[:1], post=True)
    assert outcomes[0].status is TicketStatus.RECOVERED
    assert len(server.requests_for("chat.postMessage")) == 1  # no second post
    (record,) = book(tmp_path)
    assert isinstance(record, TicketSent) and record.recovered and record.message_ts == server.messages[0].ts
    assert record.permalink is not None


def test_dry_run_posts_and_writes_nothing(server: FakeSlackServer, tmp_path: Path) -> None:
    outcomes = adapter_for(server, tmp_path).send(TICKETS, post=False)
    assert [outcome.status for outcome in outcomes] == [TicketStatus.WOULD_POST] * 2
    assert "EXECUTED <qty> @ <price>" in outcomes[0].detail
    assert server.requests_for("chat.postMessage") == () and book(tmp_path) == []


@pytest.mark.parametrize(
    ("fault", "outcome", "detail"),
    [
        (Fault.SERVER_ERROR, "SERVER_ERROR", "http_500"),
        (Fault.RATE_LIMITED, "RATE_LIMITED", "ratelimited"),
    ],
)
def test_a_failed_post_is_recorded_and_not_retried(
    server: FakeSlackServer, tmp_path: Path, fault: Fault, outcome: str, detail: str
) -> None:
    server.inject(fault, 1, api_method="chat.postMessage")
    outcomes = adapter_for(server, tmp_path).send(TICKETS[:1], post=True)
    assert outcomes[0].status is TicketStatus.FAILED
    assert len(server.requests_for("chat.postMessage")) == 1  # one attempt, no retry loop
    (record,) = book(tmp_path)
    assert isinstance(record, TicketFailed) and (record.outcome, record.detail) == (outcome, detail)
    if fault is Fault.RATE_LIMITED:
        assert record.retry_after_seconds == Decimal("30")
    # The next run (the fault is gone) checks history, finds nothing, posts once.
    assert adapter_for(server, tmp_path).send(TICKETS[:1], post=True)[0].status is TicketStatus.SENT
    assert len(server.messages) == 1


def test_unreadable_history_fails_closed_without_posting(server: FakeSlackServer, tmp_path: Path) -> None:
    server.inject(Fault.SERVER_ERROR, 1, api_method="conversations.history")
    outcomes = adapter_for(server, tmp_path).send(TICKETS[:1], post=True)
    assert outcomes[0].status is TicketStatus.FAILED and "HISTORY_UNAVAILABLE" in outcomes[0].detail
    assert server.requests_for("chat.postMessage") == ()
    (record,) = book(tmp_path)
    assert isinstance(record, TicketFailed) and record.outcome == "HISTORY_UNAVAILABLE"


def test_unreachable_slack_is_a_recorded_failure(tmp_path: Path) -> None:
    client = slack_client("xoxb-x", unused_base_url(), timeout=2.0)
    outcomes = TicketAdapter(client, CHANNEL, Ledger(tmp_path), CLOCK).send(TICKETS[:1], post=True)
    assert outcomes[0].status is TicketStatus.FAILED and book(tmp_path)[0].outcome == "HISTORY_UNAVAILABLE"  # type: ignore[attr-defined]


def test_a_limit_ticket_shows_its_limit(server: FakeSlackServer, tmp_path: Path) -> None:
    ticket = Ticket(
        TICKETS[0].intent_id, SCHWAB_401K_MANUAL, "S_401K_ALLOCATION", TODAY, "VTI", Side.BUY, 3,
        OrderType.LIMIT, Decimal("251.20"), "etf at a limit",
    )  # fmt: skip
    adapter_for(server, tmp_path).send([ticket], post=True)
    assert "BUY 3 VTI LIMIT 251.20" in server.messages[0].text
    (record,) = book(tmp_path)
    assert isinstance(record, TicketSent) and record.limit_price == Decimal("251.20")


def test_the_factory_needs_a_token_and_a_channel(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SLACK_BOT_TOKEN"):
        ticket_adapter(Config(home=tmp_path))
    with pytest.raises(ConfigurationError, match="TICKETS_CHANNEL"):
        ticket_adapter(Config(home=tmp_path, slack_bot_token="xoxb-x"))
    adapter = ticket_adapter(Config(home=tmp_path, slack_bot_token="xoxb-x", slack_channel="C1"))
    assert adapter.channel == "C1" and adapter.ledger.root == tmp_path / "ledger"
