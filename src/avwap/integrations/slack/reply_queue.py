"""The bounded queue between a transport's acknowledgement and the reply handler (issue 13, M1-C).

Both the Events API receiver and Socket Mode acknowledge first and :meth:`ReplyQueue.offer` the payload;
one worker thread records and answers. ``offer`` says whether the event was queued, is a duplicate (queued
or recorded already: Slack's retries) or could not be queued (full: back-pressure, the caller refuses the
delivery so that Slack retries, and raises an alert).

Public API::

    ReplyQueue(handler, size, alert)  .start()  .stop()  .offer(event_id, payload) -> True | False | None
    Alert                             (code, message) -> None
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from avwap.integrations.slack.reply_handler import ReplyHandler

logger = logging.getLogger(__name__)

Alert = Callable[[str, str], None]  # (code, message)


class ReplyQueue:
    """A bounded queue and one thread draining it into the handler, in arrival order (both transports)."""

    def __init__(self, handler: ReplyHandler, size: int, alert: Alert) -> None:
        self.handler = handler
        self.queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=size)
        self.pending: set[str] = set()
        self.lock = threading.Lock()
        self.alert = alert
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="slack-replies", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.thread is not None:
            self.queue.put(None)  # after everything already queued: nothing acknowledged is dropped
            self.thread.join(timeout=30)

    def offer(self, event_id: str, payload: dict[str, Any]) -> bool | None:
        """True: queued; False: a duplicate (queued or recorded already); None: the queue is full."""
        with self.lock:
            if event_id in self.pending or self.handler.seen(event_id):
                return False
            try:
                self.queue.put_nowait(payload)
            except queue.Full:
                return None
            self.pending.add(event_id)
            return True

    def _run(self) -> None:
        while (payload := self.queue.get()) is not None:
            try:
                outcome = self.handler.handle(payload)
                logger.debug("event %s: %s", payload.get("event_id"), outcome)
            except Exception as error:
                logger.exception("event %s failed", payload.get("event_id"))
                self.alert(
                    "SLACK_REPLY_FAILED", f"an acknowledged reply was not recorded: {type(error).__name__}"
                )
            finally:
                with self.lock:
                    self.pending.discard(str(payload.get("event_id")))
