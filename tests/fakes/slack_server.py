"""A fake Slack Web API on 127.0.0.1 for the real slack_sdk ``WebClient`` (``base_url=server.base_url``).

Methods: ``chat.postMessage`` (JSON or form body), ``conversations.history`` (newest first; metadata only
with ``include_all_metadata``, as Slack does), ``chat.getPermalink``, ``auth.test`` and
``apps.connections.open`` (answers ``state.socket_url``; the app token ``state.app_token`` is accepted too). A
wrong or missing bearer token answers ``{"ok": false, "error": "invalid_auth"}`` (or ``not_authed``), as Slack
does, with HTTP 200.
Every request is recorded. Fault injection (:meth:`FakeSlackServer.inject`) makes the next N requests
answer 500, answer 429 with ``Retry-After``, hang past the client's timeout, drop the connection before
processing, or process the request and then drop the connection (the case where a client retry duplicates).

Use the ``fake_slack`` fixture, or ``with FakeSlackServer() as server:`` directly.
"""

from __future__ import annotations

import enum
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

DEFAULT_TOKEN = "xoxb-fake-test-token"
DEFAULT_CHANNELS = {"alerts": "C0ALERTS"}
TRUE_WORDS = {"1", "true", "yes"}


class Fault(enum.StrEnum):
    SERVER_ERROR = "SERVER_ERROR"  # HTTP 500, request not processed
    RATE_LIMITED = "RATE_LIMITED"  # HTTP 429 + Retry-After, request not processed
    HANG = "HANG"  # no answer for ``hang_seconds`` (or until stop), then the connection closes
    DROP = "DROP"  # connection closed without an answer; request not processed
    DROP_AFTER_PROCESSING = "DROP_AFTER_PROCESSING"  # processed (a post lands), then closed, no answer


@dataclass(frozen=True)
class RecordedRequest:
    api_method: str
    params: dict[str, Any]
    headers: dict[str, str]
    fault: Fault | None


@dataclass(frozen=True)
class PostedMessage:
    channel: str
    ts: str
    text: str
    blocks: list[Any]
    metadata: dict[str, Any] | None
    thread_ts: str | None = None

    def as_history_item(self, include_metadata: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"type": "message", "user": "U0AVWAPBOT", "bot_id": "B0AVWAP", "ts": self.ts}
        item["text"] = self.text
        if self.blocks:
            item["blocks"] = self.blocks
        if self.thread_ts:
            item["thread_ts"] = self.thread_ts
        if include_metadata and self.metadata is not None:
            item["metadata"] = self.metadata
        return item


@dataclass
class _PendingFault:
    fault: Fault
    remaining: int
    api_method: str | None


@dataclass
class _State:
    token: str
    channels: dict[str, str]
    retry_after_seconds: int
    hang_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    requests: list[RecordedRequest] = field(default_factory=list)
    messages: list[PostedMessage] = field(default_factory=list)
    faults: list[_PendingFault] = field(default_factory=list)
    app_token: str | None = None  # accepted by apps.connections.open (Socket Mode)
    socket_url: str | None = None  # what apps.connections.open answers (a ws:// fake on 127.0.0.1)

    def take_fault(self, api_method: str) -> Fault | None:
        with self.lock:
            for pending in self.faults:
                if pending.remaining > 0 and pending.api_method in (None, api_method):
                    pending.remaining -= 1
                    return pending.fault
        return None


class FakeSlackServer:
    """The fake server; ``base_url`` is what ``WebClient(base_url=...)`` takes."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        channels: Mapping[str, str] | None = None,
        retry_after_seconds: int = 1,
        hang_seconds: float = 5.0,
    ) -> None:
        self.state = _State(token, dict(channels or DEFAULT_CHANNELS), retry_after_seconds, hang_seconds)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Slack server is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def start(self) -> FakeSlackServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.state = self.state  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.stopping.set()  # releases hanging handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeSlackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def inject(self, fault: Fault, count: int = 1, *, api_method: str | None = None) -> None:
        """The next ``count`` requests (of ``api_method`` only, when given) meet ``fault``."""
        with self.state.lock:
            self.state.faults.append(_PendingFault(fault, count, api_method))

    @property
    def requests(self) -> tuple[RecordedRequest, ...]:
        with self.state.lock:
            return tuple(self.state.requests)

    def requests_for(self, api_method: str) -> tuple[RecordedRequest, ...]:
        return tuple(request for request in self.requests if request.api_method == api_method)

    @property
    def messages(self) -> tuple[PostedMessage, ...]:
        """Posted messages, oldest first."""
        with self.state.lock:
            return tuple(self.state.messages)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Poll until at least ``count`` requests were recorded (the server runs on other threads)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return True
            time.sleep(0.01)
        return len(self.requests) >= count


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeSlack/1.0"

    @property
    def state(self) -> _State:
        return self.server.state  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        return None  # keep test output clean

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        api_method = url.path.removeprefix("/api/")
        params = dict(parse_qsl(url.query))
        params.update(self._read_body())
        fault = self.state.take_fault(api_method)
        with self.state.lock:
            self.state.requests.append(RecordedRequest(api_method, params, dict(self.headers.items()), fault))
        if fault is Fault.SERVER_ERROR:
            self._send(500, b"Internal Server Error", "text/plain")
        elif fault is Fault.RATE_LIMITED:
            body = json.dumps({"ok": False, "error": "ratelimited"}).encode()
            self._send(429, body, "application/json", {"Retry-After": str(self.state.retry_after_seconds)})
        elif fault is Fault.HANG:
            self.state.stopping.wait(self.state.hang_seconds)
            self.close_connection = True
        elif fault is Fault.DROP:
            self.close_connection = True
        else:
            answer = self._dispatch(api_method, params)
            if fault is Fault.DROP_AFTER_PROCESSING:
                self.close_connection = True
            else:
                status = 404 if answer.get("error") == "unknown_method" else 200
                self._send(status, json.dumps(answer).encode(), "application/json; charset=utf-8")

    def _read_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            data = json.loads(raw)
            return data if isinstance(data, dict) else {}
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))

    def _send(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self, params: Mapping[str, Any]) -> str | None:
        header = self.headers.get("Authorization", "")
        token = (
            header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else params.get("token")
        )
        if not token:
            return "not_authed"
        return None if token in (self.state.token, self.state.app_token) else "invalid_auth"

    def _dispatch(self, api_method: str, params: dict[str, Any]) -> dict[str, Any]:
        handlers = {
            "chat.postMessage": self._post_message,
            "conversations.history": self._history,
            "auth.test": self._auth_test,
            "chat.getPermalink": self._permalink,
            "apps.connections.open": self._connections_open,
        }
        handler = handlers.get(api_method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        problem = self._authorised(params)
        if problem:
            return {"ok": False, "error": problem}
        return handler(params)

    def _channel_id(self, channel: object) -> str | None:
        name = str(channel or "").removeprefix("#")
        channels = self.state.channels
        return name if name in channels.values() else channels.get(name)

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(params.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        text, blocks = str(params.get("text") or ""), _json_value(params.get("blocks")) or []
        if not text and not blocks:
            return {"ok": False, "error": "no_text"}
        metadata = _json_value(params.get("metadata"))
        with self.state.lock:
            number = len(self.state.messages) + 1
            message = PostedMessage(
                channel,
                f"{1_700_000_000 + number}.{number:06d}",
                text,
                blocks,
                metadata,
                params.get("thread_ts"),
            )
            self.state.messages.append(message)
        return {"ok": True, "channel": channel, "ts": message.ts, "message": message.as_history_item(True)}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(params.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        limit = int(params.get("limit") or 100)
        include_metadata = str(params.get("include_all_metadata", "")).lower() in TRUE_WORDS
        with self.state.lock:
            newest_first = [m for m in reversed(self.state.messages) if m.channel == channel]
        items = [message.as_history_item(include_metadata) for message in newest_first[:limit]]
        return {"ok": True, "messages": items, "has_more": len(newest_first) > limit}

    def _permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(params.get("channel"))
        ts = str(params.get("message_ts") or "")
        with self.state.lock:
            found = any(m.channel == channel and m.ts == ts for m in self.state.messages)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if not found:
            return {"ok": False, "error": "message_not_found"}
        link = f"https://avwap-test.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.state.socket_url is None:
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.state.socket_url}

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://avwap-test.slack.com/",
            "team": "avwap-test",
            "user": "avwap-bot",
            "team_id": "T0AVWAP",
            "user_id": "U0AVWAPBOT",
            "bot_id": "B0AVWAP",
        }


def _json_value(value: object) -> Any:
    """Form bodies carry blocks/metadata as JSON text; JSON bodies carry them as objects."""
    if isinstance(value, str):
        try:
            return json.loads(value) if value else None
        except json.JSONDecodeError:
            return None
    return value


def unused_base_url() -> str:
    """A Slack base URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackServer]:
    """A running fake Slack on a free port, stopped after the test."""
    with FakeSlackServer() as server:
        yield server
