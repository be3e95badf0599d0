"""Socket Mode (issue 13, M1-C): slack_sdk's real SocketModeClient against a fake Socket Mode websocket and
the fake Slack API on 127.0.0.1, feeding the same queue and handler as the Events API receiver."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from tests.fakes.slack_server import FakeSlackServer
from tests.fakes.socket_mode_server import FakeSocketModeServer
from tests.integration.test_slack_receiver import CHANNEL, CLOCK, TICKET_TS, TICKETS

from avwap.integrations.slack.reply_handler import ReplyHandler, web_client_answer
from avwap.integrations.slack.reply_queue import ReplyQueue
from avwap.integrations.slack.socket_mode import listen, socket_mode_listener
from avwap.ledger.confirmations import SLACK_REPLIES, ConfirmationLedger, ticket_for_thread
from avwap.ledger.paths import list_ledger_files
from avwap.ledger.store import LedgerStore

APP_TOKEN = "xapp-1-fake-app-token"


def _payload(event_id: str, text: str) -> dict[str, Any]:
    event = {"type": "message", "channel": CHANNEL, "user": "U0OPERATOR", "text": text,
             "ts": f"1700000200.{len(text):06d}", "thread_ts": TICKET_TS}  # fmt: skip
    return {"type": "event_callback", "event_id": event_id, "event": event}


def _handler(home: Path, client: Any) -> ReplyHandler:
    return ReplyHandler(
        ConfirmationLedger(home, CLOCK),
        book_id="SCHWAB_401K_MANUAL",
        channel=CHANNEL,
        find_intent=lambda channel, thread_ts: ticket_for_thread(
            TICKETS, channel=channel, thread_ts=thread_ts
        ),
        answer=web_client_answer(client),
    )


def test_socket_mode_records_acknowledges_and_dedupes(tmp_path: Path) -> None:
    from slack_sdk import WebClient
    from slack_sdk.socket_mode import SocketModeClient

    alerts: list[str] = []
    with FakeSlackServer(channels={"tickets": CHANNEL}) as slack, FakeSocketModeServer() as sockets:
        slack.state.app_token, slack.state.socket_url = APP_TOKEN, sockets.url
        web = WebClient(token=slack.token, base_url=slack.base_url, retry_handlers=[])
        client = SocketModeClient(app_token=APP_TOKEN, web_client=web, auto_reconnect_enabled=False)
        stop = threading.Event()
        replies = ReplyQueue(_handler(tmp_path, web), 10, lambda code, message: alerts.append(code))
        runner = threading.Thread(target=listen, args=(client, replies, stop, alerts.append))
        runner.start()
        try:
            sockets.deliver(_payload("EvS1", "EXECUTED 10 @ 20.5"))
            sockets.deliver(_payload("EvS1", "EXECUTED 10 @ 20.5"))  # a redelivery
            sockets.deliver({}, kind="interactive")  # not ours: acknowledged, ignored
            sockets.deliver(_payload("EvS2", "PARTIAL 4 @ 20.4"))
            assert sockets.wait_for_acks(4)
            deadline = time.monotonic() + 10
            while len(slack.messages) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            stop.set()
            runner.join(timeout=20)
    assert sorted(sockets.acks) == ["env-0001", "env-0002", "env-0003", "env-0004"]
    paths = list_ledger_files(tmp_path, SLACK_REPLIES)
    records = [plain for path in paths for plain in LedgerStore(path).read_records()]
    assert [(r["event_id"], r["kind"]) for r in records] == [("EvS1", "EXECUTED"), ("EvS2", "PARTIAL")]
    assert records[1]["corrects"] == records[0]["confirmation_id"]
    assert [message.thread_ts for message in slack.messages] == [TICKET_TS, TICKET_TS]
    assert alerts == []


class _Request:
    def __init__(self, kind: str, payload: dict[str, Any]) -> None:
        self.type, self.payload, self.envelope_id = kind, payload, "env-x"


class _Client:
    def __init__(self) -> None:
        self.responses: list[Any] = []

    def send_socket_mode_response(self, response: Any) -> None:
        self.responses.append(response)


def test_a_full_queue_is_not_acknowledged_so_slack_redelivers(tmp_path: Path) -> None:
    alerts: list[str] = []
    replies = ReplyQueue(
        _handler(tmp_path, None), 1, lambda code, message: alerts.append(code)
    )  # not started
    listener = socket_mode_listener(replies, lambda code, message: alerts.append(code))
    client = _Client()
    listener(client, _Request("events_api", _payload("EvQ1", "EXECUTED 1 @ 1")))
    listener(client, _Request("events_api", _payload("EvQ2", "EXECUTED 1 @ 1")))  # the queue holds one
    assert len(client.responses) == 1 and alerts == ["SLACK_REPLY_QUEUE_FULL"]
