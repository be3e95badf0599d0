"""The Slack reply receiver end to end (issue 13, M1-C): a real uvicorn server on 127.0.0.1, real signed
HTTP requests (httpx), the real slack_sdk WebClient answering in threads on the fake Slack API, the
confirmation ledger in a temp dir."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.fakes.slack_server import FakeSlackServer
from tests.fakes.uvicorn_server import uvicorn_serving

from avwap.core.clock import FixedClock
from avwap.integrations.slack.events_app import MAX_BODY_BYTES, QUEUE_FULL_ALERT, build_app
from avwap.integrations.slack.reply_handler import ReplyHandler, web_client_answer
from avwap.ledger.confirmations import SLACK_REPLIES, ConfirmationLedger, ticket_for_thread
from avwap.ledger.paths import list_ledger_files
from avwap.ledger.records import ConfirmationRecorded, decode_record
from avwap.ledger.store import LedgerStore

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = dt.datetime(2026, 4, 1, 15, 30, tzinfo=dt.UTC)
CLOCK = FixedClock(NOW)
CHANNEL = "C0TICKETS"
TICKET_TS = "1700000000.000100"
TICKETS = [
    {"type": "TicketSent", "intent_id": "int_aaa", "strategy_id": "S_401K_ALLOCATION", "channel": CHANNEL,
     "message_ts": TICKET_TS}
]  # fmt: skip


def sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(NOW.timestamp()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/json",
    }


def reply_event(event_id: str, text: str, *, thread_ts: str = TICKET_TS, channel: str = CHANNEL) -> bytes:
    event = {
        "type": "message",
        "channel": channel,
        "user": "U0OPERATOR",
        "text": text,
        "ts": f"17000001{len(event_id):02d}.{abs(hash(event_id)) % 999999:06d}",
        "thread_ts": thread_ts,
    }
    return json.dumps({"type": "event_callback", "event_id": event_id, "event": event}).encode()


class Receiver:
    def __init__(self, base_url: str, home: Path, slack: FakeSlackServer, alerts: list[str]) -> None:
        self.url = f"{base_url}/slack/events"
        self.home = home
        self.slack = slack
        self.alerts = alerts
        self.http = httpx.Client(timeout=5)

    def close(self) -> None:
        self.http.close()

    def post(self, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.post(self.url, content=body, headers=sign(body) if headers is None else headers)

    def records(self) -> list[ConfirmationRecorded]:
        paths = list_ledger_files(self.home, SLACK_REPLIES)
        found = [decode_record(plain) for path in paths for plain in LedgerStore(path).read_records()]
        return [record for record in found if isinstance(record, ConfirmationRecorded)]

    def wait_for_answers(self, count: int) -> list[Any]:
        deadline = time.monotonic() + 5
        while len(self.slack.messages) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.slack.messages)


def make_app(home: Path, slack: FakeSlackServer, alerts: list[str], queue_size: int = 100) -> Any:
    from slack_sdk import WebClient

    client = WebClient(token=slack.token, base_url=slack.base_url, retry_handlers=[])
    handler = ReplyHandler(
        ConfirmationLedger(home, CLOCK),
        book_id="SCHWAB_401K_MANUAL",
        channel=CHANNEL,
        find_intent=lambda channel, thread_ts: ticket_for_thread(
            TICKETS, channel=channel, thread_ts=thread_ts
        ),
        answer=web_client_answer(client),
    )
    return build_app(
        signing_secret=SECRET,
        handler=handler,
        clock=CLOCK,
        queue_size=queue_size,
        alert=lambda code, message: alerts.append(code),
    )


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    alerts: list[str] = []
    with (
        FakeSlackServer(channels={"tickets": CHANNEL}) as slack,
        uvicorn_serving(make_app(tmp_path, slack, alerts)) as base_url,
    ):
        client = Receiver(base_url, tmp_path, slack, alerts)
        yield client
        client.close()


def test_url_verification_answers_the_challenge(receiver: Receiver) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"type": "url_verification", "challenge": challenge, "token": "x"}).encode()
    response = receiver.post(body)
    assert response.status_code == 200
    assert response.json() == {"challenge": challenge}


def test_a_confirmation_is_recorded_and_answered_in_the_thread(receiver: Receiver) -> None:
    started = time.perf_counter()
    response = receiver.post(reply_event("Ev001", "*EXECUTED* 1,200 @ $54.31 filled at the open"))
    assert response.status_code == 200 and response.text == "ok"
    assert time.perf_counter() - started < 3  # Slack's limit; the ledger and the answer come after the ack
    answers = receiver.wait_for_answers(1)
    assert [(answer.channel, answer.thread_ts) for answer in answers] == [(CHANNEL, TICKET_TS)]
    assert "Recorded `EXECUTED 1200 @ 54.31 — filled at the open` for int_aaa" in answers[0].text
    [record] = receiver.records()
    assert (record.intent_id, record.quantity, record.price) == ("int_aaa", 1200, Decimal("54.31"))
    assert record.strategy_id == "S_401K_ALLOCATION"  # the matched ticket's strategy


def test_retries_never_double_record_and_a_second_reply_is_a_correction(receiver: Receiver) -> None:
    first = reply_event("Ev001", "EXECUTED 100 @ 10")
    for _ in range(3):  # Slack's retries of one event (X-Slack-Retry-Num), replayed within the window
        assert receiver.post(first).status_code == 200
    receiver.wait_for_answers(1)
    assert receiver.post(first).text == "duplicate"
    assert receiver.post(reply_event("Ev002", "EXECUTED 90 @ 10.05")).status_code == 200
    answers = receiver.wait_for_answers(2)
    assert "correcting the earlier confirmation" in answers[1].text
    records = receiver.records()
    assert [record.event_id for record in records] == ["Ev001", "Ev002"]
    assert records[1].corrects == records[0].confirmation_id


def test_dedupe_survives_a_restart(tmp_path: Path) -> None:
    alerts: list[str] = []
    body = reply_event("Ev001", "SKIPPED fund closed")
    with FakeSlackServer(channels={"tickets": CHANNEL}) as slack:
        with uvicorn_serving(make_app(tmp_path, slack, alerts)) as base_url:
            first = Receiver(base_url, tmp_path, slack, alerts)
            assert first.post(body).text == "ok"
            first.wait_for_answers(1)
            first.close()
        with uvicorn_serving(make_app(tmp_path, slack, alerts)) as base_url:  # a new process: ledger only
            restarted = Receiver(base_url, tmp_path, slack, alerts)
            assert restarted.post(body).text == "duplicate"
            assert [record.event_id for record in restarted.records()] == ["Ev001"]
            restarted.close()
        assert len(slack.messages) == 1


def test_not_understood_and_unmatched_replies(receiver: Receiver) -> None:
    receiver.post(reply_event("Ev001", "bought them all, thanks"))
    receiver.post(reply_event("Ev002", "EXECUTED 5 @ 1", thread_ts="1699999999.000001"))  # not a ticket
    receiver.post(reply_event("Ev003", "nice weather", thread_ts="1699999999.000001"))  # chatter: ignored
    answers = receiver.wait_for_answers(2)
    time.sleep(0.2)
    assert len(receiver.slack.messages) == 2
    assert "Not understood" in answers[0].text and "EXECUTED <shares> @ <price>" in answers[0].text
    assert "not one of our trade tickets" in answers[1].text
    kinds = [(record.event_id, record.kind, record.match) for record in receiver.records()]
    assert kinds == [("Ev001", "NOT_UNDERSTOOD", "MATCHED"), ("Ev002", "EXECUTED", "UNMATCHED_THREAD")]
    strategies = [record.strategy_id for record in receiver.records()]
    assert strategies == ["S_401K_ALLOCATION", None]  # an unmatched thread has no ticket, so no strategy


_MESSAGE = {
    "type": "message",
    "channel": CHANNEL,
    "text": "EXECUTED 1 @ 1",
    "ts": "2.0",
    "thread_ts": TICKET_TS,
}


@pytest.mark.parametrize(
    "event",
    [
        {**_MESSAGE, "channel": "C0ELSEWHERE"},
        {key: value for key, value in _MESSAGE.items() if key != "thread_ts"},  # not threaded
        {**_MESSAGE, "ts": TICKET_TS},  # the ticket itself
        {**_MESSAGE, "bot_id": "B1"},  # our own answer
        {**_MESSAGE, "subtype": "message_changed"},
        {"type": "reaction_added", "channel": CHANNEL},
    ],
)
def test_out_of_scope_events_are_acknowledged_and_ignored(receiver: Receiver, event: dict[str, Any]) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "Ev777", "event": event}).encode()
    assert receiver.post(body).status_code == 200
    time.sleep(0.2)
    assert receiver.records() == [] and receiver.slack.messages == ()


def test_rejections(receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    body = reply_event("Ev001", "EXECUTED 1 @ 1")
    stamp = str(int(NOW.timestamp()))
    cases = [
        ({"Content-Type": "application/json"}, body, 401),  # unsigned
        ({**sign(body), "X-Slack-Signature": "v0=" + "0" * 64}, body, 401),  # badly signed
        (sign(body, secret="another-secret"), body, 401),
        (sign(body, timestamp=int(NOW.timestamp()) - 301), body, 401),  # stale
        (sign(body, timestamp=int(NOW.timestamp()) + 301), body, 401),  # from the future
        ({**sign(body), "X-Slack-Request-Timestamp": "soon"}, body, 400),
        ({**sign(body), "X-Slack-Request-Timestamp": stamp}, body + b" ", 401),  # body changed after signing
        (sign(b"{not json"), b"{not json", 400),
        (sign(b"[1, 2]"), b"[1, 2]", 400),
        (sign(b"\xff\xfe"), b"\xff\xfe", 400),
        (sign(b"x" * (MAX_BODY_BYTES + 1)), b"x" * (MAX_BODY_BYTES + 1), 413),
    ]
    with caplog.at_level(logging.DEBUG):
        for headers, content, status in cases:
            response = receiver.http.post(receiver.url, content=content, headers=headers)
            assert response.status_code == status, (headers, content[:40])
    assert receiver.http.get(receiver.url).status_code == 405
    assert receiver.records() == [] and receiver.slack.messages == ()
    assert SECRET not in caplog.text and "v0=" not in caplog.text


def test_a_full_queue_answers_503_with_an_alert(tmp_path: Path) -> None:
    alerts: list[str] = []
    gate = threading.Event()
    with FakeSlackServer(channels={"tickets": CHANNEL}) as slack:
        app = make_app(tmp_path, slack, alerts, queue_size=2)
        worker = app.state.worker
        handle = worker.handler.handle
        worker.handler.handle = lambda payload: (gate.wait(5), handle(payload))[1]  # a slow ledger disk
        with uvicorn_serving(app) as base_url:
            receiver = Receiver(base_url, tmp_path, slack, alerts)
            statuses = [
                receiver.post(reply_event(f"Ev{n:03d}", f"EXECUTED {n + 1} @ 1")).status_code
                for n in range(6)
            ]
            assert statuses.count(503) >= 1 and statuses[0] == 200 and 500 not in statuses
            assert alerts and set(alerts) == {QUEUE_FULL_ALERT}
            gate.set()
            accepted = statuses.count(200)
            receiver.wait_for_answers(accepted)
            assert len(receiver.records()) == accepted
            receiver.close()
