"""SlackNotifier: throttle and enqueue on the caller's thread, post on one background worker thread.

The caller's side (``notify``) does only in-memory work under short locks: a throttle check against the
injected Clock, then ``put_nowait`` on a bounded queue (when full, the event is dropped and counted).
The worker renders, posts once, and on an unknown outcome checks channel history before one re-post.
Every failure is logged and counted in :meth:`SlackNotifier.stats`; none reaches the caller.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, cast

from avwap.core.clock import Clock
from avwap.core.ids import stable_id
from avwap.integrations.slack.delivery import (
    Outcome,
    PostResult,
    SlackClient,
    find_post,
    message_metadata,
    post_message,
)
from avwap.integrations.slack.messages import AlertEvent, AlertKind, Severity, render_event
from avwap.integrations.slack.throttle import Suppressed, SuppressionCounter, Throttle

if TYPE_CHECKING:
    from slack_sdk import WebClient

LOGGER: Final = logging.getLogger("avwap.integrations.slack")
BYPASS_KINDS: Final = frozenset({AlertKind.KILL_SWITCH, AlertKind.LIVE_ENABLED})
DEFAULT_THROTTLE_SECONDS: Final = 300.0
DEFAULT_QUEUE_SIZE: Final = 256
DEFAULT_TIMEOUT_SECONDS: Final = 5.0
MAX_RATE_LIMIT_PAUSE_SECONDS: Final = 60.0
DEFAULT_RATE_LIMIT_PAUSE_SECONDS: Final = 1.0
HISTORY_LOOKUP_LIMIT: Final = 100


@dataclass(frozen=True)
class NotifierStats:
    """Counters since start. ``failures`` counts undelivered posts by reason (``invalid_auth``, ...)."""

    accepted: int
    delivered: int
    failed: int
    dropped: int
    throttled: int
    rate_limited: int
    recovered: int
    pending: int
    failures: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class _Job:
    event: AlertEvent
    post_id: str
    bypass: bool
    suppressed: Suppressed


def bypasses_throttle(event: AlertEvent) -> bool:
    """CRITICAL kill-switch and live-enablement alerts are never held back."""
    return event.severity is Severity.CRITICAL and event.kind in BYPASS_KINDS


class SlackNotifier:
    """Posts alerts to one Slack channel from a background thread; see the module docstring."""

    def __init__(
        self,
        token: str,
        channel: str,
        *,
        clock: Clock,
        base_url: str | None = None,
        throttle_seconds: float = DEFAULT_THROTTLE_SECONDS,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        client: SlackClient | None = None,
    ) -> None:
        if not channel.strip():
            raise ValueError("SlackNotifier needs a channel")
        if queue_size < 1 or timeout <= 0:
            raise ValueError("queue_size must be at least 1 and timeout positive")
        self.channel = channel.strip()
        self._clock = clock
        self._client: SlackClient = client or _web_client(token, base_url, timeout)
        self._throttle = Throttle(throttle_seconds)
        self.throttle_seconds = throttle_seconds
        self._suppressed = SuppressionCounter()  # throttled / dropped, counted on the callers' threads
        self._worker_suppressed = SuppressionCounter()  # undelivered / rate-limited, counted by the worker
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_size)
        self._counts: Counter[str] = Counter()
        self._failures: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._sequence = 0
        self._closed = False
        self._channel_id: str | None = None
        self._paused_until: dt.datetime | None = None
        self._dropping = False  # a burst of drops is logged once, not once per alert
        self._worker = threading.Thread(target=self._run, name="avwap-slack-notifier", daemon=True)
        self._worker.start()

    # ----- caller's thread -------------------------------------------------------------------------------

    def notify(self, event: AlertEvent) -> None:
        """Throttle and enqueue; returns at once and never raises."""
        try:
            self._enqueue(event)
        except Exception:
            LOGGER.exception("Slack notifier could not accept an alert; trading continues")

    def _enqueue(self, event: AlertEvent) -> None:
        now = self._clock.now()
        bypass = bypasses_throttle(event)
        with self._lock:
            if self._closed:
                self._counts["dropped"] += 1
                return
            if not self._throttle.admit(event.dedupe_key, now, bypass=bypass):
                self._counts["throttled"] += 1
                self._suppressed.add_throttled(event.dedupe_key)
                return
            self._sequence += 1
            post_id = stable_id(
                "evt", {"dedupe_key": event.dedupe_key, "at": now, "sequence": self._sequence}
            )
            job = _Job(event, post_id, bypass, self._suppressed.take())
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                self._throttle.forget(event.dedupe_key, now)
                self._suppressed.restore(job.suppressed)
                self._suppressed.add_dropped()
                self._counts["dropped"] += 1
                if not self._dropping:
                    self._dropping = True
                    LOGGER.warning("Slack alert queue full; dropping alerts (first: %s)", event.dedupe_key)
                return
            self._counts["accepted"] += 1
            self._pending += 1

    def flush(self, timeout: float = 5.0) -> None:
        """Wait up to ``timeout`` real seconds until every accepted alert was delivered or given up on."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def close(self, timeout: float = 2.0) -> None:
        """Flush up to ``timeout`` seconds, then stop the worker; alerts still queued are dropped."""
        with self._lock:
            if self._closed:
                return
        self.flush(timeout)
        with self._lock:
            self._closed = True
        # When the queue is full the sentinel cannot go in; the worker sees ``_closed`` after its post.
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        self._worker.join(timeout)

    def stats(self) -> NotifierStats:
        """A snapshot of the counters."""
        with self._lock:
            counts = self._counts
            return NotifierStats(
                accepted=counts["accepted"],
                delivered=counts["delivered"],
                failed=counts["failed"],
                dropped=counts["dropped"],
                throttled=counts["throttled"],
                rate_limited=counts["rate_limited"],
                recovered=counts["recovered"],
                pending=self._pending,
                failures=tuple(sorted(self._failures.items())),
            )

    # ----- worker thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            with self._lock:
                stop = job is None or self._closed
            if stop or job is None:
                self._discard_queued(job)
                return
            with self._lock:
                self._dropping = False
            # Worker-side counts (earlier failures) ride on whichever message is delivered next.
            earlier = self._worker_suppressed.take()
            try:
                self._deliver(job, earlier)
            except Exception:  # the worker must outlive any bug in one delivery
                LOGGER.exception("Slack delivery crashed for %s", job.event.dedupe_key)
                self._finish(job, earlier, PostResult(Outcome.REJECTED, "unexpected_error"))
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def _discard_queued(self, first: _Job | None) -> None:
        """On close: whatever is still queued is dropped (and counted), so flush() never waits for it."""
        leftovers = [first]
        with contextlib.suppress(queue.Empty):
            while True:
                leftovers.append(self._queue.get_nowait())
        jobs = [job for job in leftovers if job is not None]
        with self._idle:
            self._pending -= len(jobs)
            self._counts["dropped"] += len(jobs)
            self._idle.notify_all()

    def _deliver(self, job: _Job, earlier: Suppressed) -> None:
        now = self._clock.now()
        with self._lock:
            paused = self._paused_until is not None and now < self._paused_until and not job.bypass
            if paused:
                self._counts["rate_limited"] += 1
        if paused:
            self._give_back(job, earlier)
            self._worker_suppressed.add_rate_limited()
            return
        notes = job.suppressed.merged(earlier).notes(self.throttle_seconds)
        message = render_event(job.event, notes)
        metadata = message_metadata(job.event, job.post_id)
        result = post_message(self._client, self.channel, message, metadata)
        if result.outcome is Outcome.UNKNOWN:
            result = self._recover(
                job, result, lambda: post_message(self._client, self.channel, message, metadata)
            )
        self._finish(job, earlier, result)

    def _recover(self, job: _Job, first: PostResult, repost: Callable[[], PostResult]) -> PostResult:
        """After an unknown outcome: if history shows the post, it landed; if not, post once more."""
        found = find_post(self._client, self._channel_id or self.channel, job.post_id, HISTORY_LOOKUP_LIMIT)
        if found is None:
            return first
        if found:
            LOGGER.info("Slack alert %s had landed despite %s", job.event.dedupe_key, first.reason)
            result = PostResult(Outcome.DELIVERED, "ok")
        else:
            LOGGER.info(
                "Slack alert %s not in history after %s; posting once more", job.post_id, first.reason
            )
            result = repost()
        if result.outcome is Outcome.DELIVERED:
            with self._lock:
                self._counts["recovered"] += 1
        return result

    def _give_back(self, job: _Job, earlier: Suppressed) -> None:
        """The counts this message carried were not shown to anyone: keep them for the next one."""
        self._suppressed.restore(job.suppressed)
        self._worker_suppressed.restore(earlier)

    def _finish(self, job: _Job, earlier: Suppressed, result: PostResult) -> None:
        with self._lock:
            if result.outcome is Outcome.DELIVERED:
                self._counts["delivered"] += 1
                self._channel_id = result.channel_id or self._channel_id
                return
            self._counts["failed"] += 1
            self._failures[result.reason] += 1
            if result.outcome is Outcome.RATE_LIMITED:
                pause = min(
                    result.retry_after_seconds or DEFAULT_RATE_LIMIT_PAUSE_SECONDS,
                    MAX_RATE_LIMIT_PAUSE_SECONDS,
                )
                self._paused_until = self._clock.now() + dt.timedelta(seconds=pause)
        self._give_back(job, earlier)
        self._worker_suppressed.add_undelivered()
        LOGGER.warning(
            "Slack alert not delivered (%s, %s): %s %s",
            result.outcome.value,
            result.reason,
            job.event.kind.value,
            job.event.dedupe_key,
        )


def _web_client(token: str, base_url: str | None, timeout: float) -> WebClient:
    """slack_sdk's client with its retry handlers removed: its default re-sends a POST after a connection
    error, which could post an alert twice; we decide about re-posting ourselves, from channel history."""
    from slack_sdk import WebClient  # here: a process without a Slack token never imports slack_sdk

    return WebClient(
        token=token,
        base_url=base_url or WebClient.BASE_URL,
        timeout=cast(int, timeout),  # urllib accepts float seconds; the annotation says int
        retry_handlers=[],
        logger=logging.getLogger("avwap.integrations.slack.sdk"),
    )
