"""Notifiers: how trading code tells the operator something, without ever waiting for or failing on Slack.

``notify(event)`` must return at once and never raise, whatever Slack does: :class:`SlackNotifier` only
throttles and enqueues on the caller's thread; a background worker posts (slack_sdk ``WebClient`` with
``retry_handlers=[]``, so nothing is re-sent behind our back) and catches, logs and counts every failure.
A post whose outcome is unknown (timeout, dropped connection) is looked up in channel history by the
``post_id`` in its metadata, and re-posted once only if absent. Throttling reads the injected Clock.

Implementations: :class:`NullNotifier` (Slack off, the default), :class:`RecordingNotifier` (tests, demo),
:class:`SlackNotifier`, :class:`FanoutNotifier` (several channels; a broken one never stops the others).
:func:`build_notifier` picks one from the configuration.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Final, Protocol, runtime_checkable

from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.core.errors import ConfigurationError
from avwap.integrations.slack.messages import AlertEvent, SlackMessage, render_event
from avwap.integrations.slack.slack_notifier import NotifierStats, SlackNotifier

LOGGER: Final = logging.getLogger("avwap.integrations.slack")

__all__ = [
    "FanoutNotifier",
    "Notifier",
    "NotifierStats",
    "NullNotifier",
    "RecordingNotifier",
    "SlackNotifier",
    "build_notifier",
]


@runtime_checkable
class Notifier(Protocol):
    """Where alerts go. Implementations never block the caller for long and never raise from ``notify``."""

    def notify(self, event: AlertEvent) -> None:
        """Hand over one event; returns at once."""
        ...

    def flush(self, timeout: float = 5.0) -> None:
        """Wait up to ``timeout`` seconds for accepted events to be delivered (or given up on)."""
        ...

    def close(self) -> None:
        """Flush briefly, then stop; later events are ignored."""
        ...


class NullNotifier:
    """Slack is off: events go nowhere."""

    def notify(self, event: AlertEvent) -> None:
        return None

    def flush(self, timeout: float = 5.0) -> None:
        return None

    def close(self) -> None:
        return None


class RecordingNotifier:
    """Keeps every event in memory, in order (tests and the demo)."""

    def __init__(self) -> None:
        self._events: list[AlertEvent] = []
        self._lock = threading.Lock()
        self.closed = False

    @property
    def events(self) -> tuple[AlertEvent, ...]:
        with self._lock:
            return tuple(self._events)

    def messages(self) -> tuple[SlackMessage, ...]:
        """The events as they would be rendered for Slack."""
        return tuple(render_event(event) for event in self.events)

    def notify(self, event: AlertEvent) -> None:
        with self._lock:
            self._events.append(event)

    def flush(self, timeout: float = 5.0) -> None:
        return None

    def close(self) -> None:
        self.closed = True


class FanoutNotifier:
    """Sends every event to each notifier; an exception in one is logged, counted and contained."""

    def __init__(self, notifiers: Sequence[Notifier]) -> None:
        self.notifiers = tuple(notifiers)
        self._failures: Counter[str] = Counter()
        self._lock = threading.Lock()

    @property
    def failures(self) -> dict[str, int]:
        """Contained exceptions per notifier class name."""
        with self._lock:
            return dict(sorted(self._failures.items()))

    def _contain(self, notifier: Notifier, action: str, error: Exception) -> None:
        name = type(notifier).__name__
        with self._lock:
            self._failures[name] += 1
        LOGGER.error("notifier %s failed in %s: %s: %s", name, action, type(error).__name__, error)

    def notify(self, event: AlertEvent) -> None:
        for notifier in self.notifiers:
            try:
                notifier.notify(event)
            except Exception as error:
                self._contain(notifier, "notify", error)

    def flush(self, timeout: float = 5.0) -> None:
        # One deadline for all, so a slow channel cannot multiply the wait.
        deadline = time.monotonic() + timeout
        for notifier in self.notifiers:
            try:
                notifier.flush(max(0.0, deadline - time.monotonic()))
            except Exception as error:
                self._contain(notifier, "flush", error)

    def close(self) -> None:
        for notifier in self.notifiers:
            try:
                notifier.close()
            except Exception as error:
                self._contain(notifier, "close", error)


def build_notifier(config: Config, clock: Clock) -> Notifier:
    """A :class:`SlackNotifier` when SLACK_BOT_TOKEN and SLACK_CHANNEL are both set, else a NullNotifier.

    Exactly one of the two set is a configuration mistake, reported as such rather than silently ignored.
    """
    token, channel = config.slack_bot_token.strip(), config.slack_channel.strip()
    if not token and not channel:
        return NullNotifier()
    if not token:
        raise ConfigurationError("SLACK_BOT_TOKEN", "SLACK_CHANNEL is set but the bot token is missing")
    if not channel:
        raise ConfigurationError("SLACK_CHANNEL", "SLACK_BOT_TOKEN is set but no channel is given")
    base_url = config.slack_base_url.strip() or None
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise ConfigurationError("SLACK_BASE_URL", f"expected an http(s) URL, got {base_url!r}")
    return SlackNotifier(token, channel, clock=clock, base_url=base_url)
