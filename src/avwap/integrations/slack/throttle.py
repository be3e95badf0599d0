"""Throttling and the count of what was not sent, so the next message can say so.

Time comes from the instants passed in (read from the injected :class:`~avwap.core.clock.Clock` by the
caller), never from the wall clock, so a simulated clock drives throttling in tests and backtests.
Both classes are thread-safe: ``notify()`` runs on trading threads, delivery on the worker thread.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Final

MAX_KEYS_LISTED: Final = 5
PRUNE_THRESHOLD: Final = 1024


def _ordered(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


class Throttle:
    """Admit a dedupe key at most once per window; a bypass is admitted always (and restarts the window)."""

    def __init__(self, window_seconds: float) -> None:
        if window_seconds < 0:
            raise ValueError("the throttle window must not be negative")
        self.window = dt.timedelta(seconds=window_seconds)
        self._last_sent: dict[str, dt.datetime] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, now: dt.datetime, *, bypass: bool = False) -> bool:
        """True when ``key`` may be sent at ``now``; records the send when it may."""
        with self._lock:
            last = self._last_sent.get(key)
            if not bypass and last is not None and now - last < self.window:
                return False
            self._last_sent[key] = now
            if len(self._last_sent) > PRUNE_THRESHOLD:
                self._prune(now)
            return True

    def forget(self, key: str, sent_at: dt.datetime) -> None:
        """Undo :meth:`admit` for a send that did not happen (e.g. the queue was full)."""
        with self._lock:
            if self._last_sent.get(key) == sent_at:
                del self._last_sent[key]

    def _prune(self, now: dt.datetime) -> None:
        # Keys whose window has passed would be admitted anyway; forgetting them bounds memory.
        self._last_sent = {key: last for key, last in self._last_sent.items() if now - last < self.window}


@dataclass(frozen=True)
class Suppressed:
    """What was not sent since the last delivered message."""

    throttled: tuple[tuple[str, int], ...] = ()
    dropped: int = 0
    rate_limited: int = 0
    undelivered: int = 0

    @property
    def empty(self) -> bool:
        return not self.throttled and not (self.dropped or self.rate_limited or self.undelivered)

    def merged(self, other: Suppressed) -> Suppressed:
        """Both counts together (keys re-ordered: largest count first, ties by key)."""
        counts = Counter(dict(self.throttled))
        counts.update(dict(other.throttled))
        return Suppressed(
            throttled=_ordered(counts),
            dropped=self.dropped + other.dropped,
            rate_limited=self.rate_limited + other.rate_limited,
            undelivered=self.undelivered + other.undelivered,
        )

    def notes(self, window_seconds: float) -> tuple[str, ...]:
        """Plain sentences for the next message; keys listed verbatim, largest count first."""
        notes: list[str] = []
        if self.throttled:
            total = sum(count for _, count in self.throttled)
            listed = ", ".join(f"{key} x{count}" for key, count in self.throttled[:MAX_KEYS_LISTED])
            more = len(self.throttled) - MAX_KEYS_LISTED
            suffix = f" and {more} more keys" if more > 0 else ""
            notes.append(
                f"{total} repeated alert(s) suppressed (at most one per {window_seconds:g} s per key): "
                f"{listed}{suffix}."
            )
        if self.dropped:
            notes.append(f"{self.dropped} alert(s) dropped because the delivery queue was full.")
        if self.rate_limited:
            notes.append(f"{self.rate_limited} alert(s) skipped while Slack was rate limiting.")
        if self.undelivered:
            notes.append(f"{self.undelivered} earlier alert(s) could not be delivered (see the avwap log).")
        return tuple(notes)


class SuppressionCounter:
    """Counts throttled, dropped and rate-limited alerts until the next message takes them."""

    def __init__(self) -> None:
        self._throttled: Counter[str] = Counter()
        self._dropped = 0
        self._rate_limited = 0
        self._undelivered = 0
        self._lock = threading.Lock()

    def add_throttled(self, key: str) -> None:
        with self._lock:
            self._throttled[key] += 1

    def add_dropped(self) -> None:
        with self._lock:
            self._dropped += 1

    def add_rate_limited(self) -> None:
        with self._lock:
            self._rate_limited += 1

    def add_undelivered(self) -> None:
        with self._lock:
            self._undelivered += 1

    def take(self) -> Suppressed:
        """Everything counted so far (largest count first, ties by key), and reset."""
        with self._lock:
            taken = Suppressed(
                _ordered(self._throttled), self._dropped, self._rate_limited, self._undelivered
            )
            self._throttled.clear()
            self._dropped = self._rate_limited = self._undelivered = 0
            return taken

    def restore(self, suppressed: Suppressed) -> None:
        """Put counts back when the message that carried them was not delivered."""
        with self._lock:
            self._throttled.update(dict(suppressed.throttled))
            self._dropped += suppressed.dropped
            self._rate_limited += suppressed.rate_limited
            self._undelivered += suppressed.undelivered
