"""A fake Slack Socket Mode websocket on 127.0.0.1 for slack_sdk's real ``SocketModeClient``.

Point the fake Slack API's ``apps.connections.open`` at :attr:`FakeSocketModeServer.url`. On connection it
sends ``hello``, then each envelope given to :meth:`deliver` (``events_api`` with a fresh envelope id), and
records every acknowledgement the client sends back (``acks``: envelope ids).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any


class FakeSocketModeServer:
    def __init__(self) -> None:
        self.acks: list[str] = []
        self._outbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._count = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link"

    def __enter__(self) -> FakeSocketModeServer:
        from websockets.sync.server import serve

        self._server = serve(self._connection, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def deliver(self, payload: dict[str, Any], kind: str = "events_api") -> str:
        self._count += 1
        envelope_id = f"env-{self._count:04d}"
        envelope = {"type": kind, "envelope_id": envelope_id, "payload": payload}
        self._outbox.put({**envelope, "accepts_response_payload": False})
        return envelope_id

    def wait_for_acks(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.acks) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(self.acks) >= count

    def _connection(self, websocket: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        websocket.send(json.dumps({"type": "hello", "num_connections": 1}))
        try:
            while True:
                try:
                    envelope = self._outbox.get(timeout=0.05)
                    websocket.send(json.dumps(envelope))
                except queue.Empty:
                    pass
                try:
                    message = websocket.recv(timeout=0.01)
                except TimeoutError:
                    continue
                acknowledged = json.loads(message).get("envelope_id")
                if acknowledged:
                    self.acks.append(acknowledged)
        except ConnectionClosed:
            return
