"""Slack failing in every way we know: notify() stays instant, nothing is raised, nothing is posted twice.

Timing bounds are deliberately generous (0.5 s for something that takes microseconds) so they cannot flake;
they would catch a notify() that waited for the network (the client timeout here is 0.3 s, a hang 5 s).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from tests.fakes.slack_server import FakeSlackServer, Fault, unused_base_url

from avwap.core.clock import SimulatedClock
from avwap.integrations.slack import AlertKind, SlackNotifier, alert_event

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 4, 1)
START = dt.datetime(2026, 4, 1, 13, 45, tzinfo=dt.UTC)
CLIENT_TIMEOUT = 0.3
NOTIFY_BOUND_SECONDS = 0.5


def blocked(symbol: str = "AAPL") -> Any:
    return alert_event(AlertKind.ENTRY_BLOCKED, f"{symbol} blocked", DAY, symbol=symbol, reason_codes=["CAP"])


@pytest.fixture
def server() -> Iterator[FakeSlackServer]:
    with FakeSlackServer(hang_seconds=5.0, retry_after_seconds=30) as running:
        yield running


@pytest.fixture
def make_notifier(server: FakeSlackServer) -> Iterator[Callable[..., SlackNotifier]]:
    created: list[SlackNotifier] = []

    def make(**overrides: Any) -> SlackNotifier:
        options: dict[str, Any] = {
            "clock": SimulatedClock(START),
            "base_url": server.base_url,
            "timeout": CLIENT_TIMEOUT,
        }
        options.update(overrides)
        notifier = SlackNotifier(options.pop("token", server.token), "alerts", **options)
        created.append(notifier)
        return notifier

    yield make
    for notifier in created:
        notifier.close(timeout=2)


def timed_notify(notifier: SlackNotifier, count: int = 1) -> float:
    started = time.perf_counter()
    for index in range(count):
        notifier.notify(blocked(f"S{index}"))
    return time.perf_counter() - started


@pytest.mark.parametrize(
    ("fault", "reason"),
    [(Fault.SERVER_ERROR, "http_500"), (Fault.RATE_LIMITED, "ratelimited")],
)
def test_http_errors_are_counted_not_raised(
    server: FakeSlackServer, make_notifier: Callable[..., SlackNotifier], fault: Fault, reason: str
) -> None:
    server.inject(fault)
    notifier = make_notifier()
    assert timed_notify(notifier) < NOTIFY_BOUND_SECONDS
    notifier.flush(5)
    stats = notifier.stats()
    assert (stats.delivered, stats.failed, stats.failures) == (0, 1, ((reason, 1),))
    assert server.messages == ()
    assert len(server.requests_for("chat.postMessage")) == 1  # no retry of a failed POST


def test_a_hanging_server_never_delays_notify(
    server: FakeSlackServer, make_notifier: Callable[..., SlackNotifier]
) -> None:
    server.inject(Fault.HANG, count=100)
    notifier = make_notifier(queue_size=4)
    assert timed_notify(notifier, count=20) < NOTIFY_BOUND_SECONDS
    assert server.wait_for_requests(1)
    assert timed_notify(notifier, count=20) < NOTIFY_BOUND_SECONDS  # while the worker is stuck in a post
    stats = notifier.stats()
    assert stats.accepted + stats.throttled + stats.dropped == 40
    started = time.perf_counter()
    notifier.close(timeout=0.1)  # bounded even with the worker stuck in a post
    assert time.perf_counter() - started < 1.0
    notifier.flush(5)  # returns at once once closed: queued alerts were dropped, not awaited
    assert notifier.stats().pending == 0


def test_a_hung_post_is_found_missing_in_history_and_posted_once_more(
    server: FakeSlackServer, make_notifier: Callable[..., SlackNotifier]
) -> None:
    server.inject(Fault.HANG, count=1, api_method="chat.postMessage")
    notifier = make_notifier()
    assert timed_notify(notifier) < NOTIFY_BOUND_SECONDS
    notifier.flush(5)
    assert len(server.messages) == 1
    assert [request.api_method for request in server.requests] == [
        "chat.postMessage",
        "conversations.history",
        "chat.postMessage",
    ]
    stats = notifier.stats()
    assert (stats.delivered, stats.recovered, stats.failed) == (1, 1, 0)


def test_invalid_token_is_counted_not_raised(
    server: FakeSlackServer, make_notifier: Callable[..., SlackNotifier]
) -> None:
    notifier = make_notifier(token="xoxb-wrong")
    assert timed_notify(notifier) < NOTIFY_BOUND_SECONDS
    notifier.flush(5)
    assert notifier.stats().failures == (("invalid_auth", 1),)
    assert server.messages == ()


def test_a_server_that_is_not_running(make_notifier: Callable[..., SlackNotifier]) -> None:
    notifier = make_notifier(base_url=unused_base_url())
    assert timed_notify(notifier, count=5) < NOTIFY_BOUND_SECONDS
    notifier.flush(5)
    assert notifier.stats().failures == (("connection_refused", 5),)


def test_no_duplicate_post_when_the_connection_drops_after_slack_processed_it(
    server: FakeSlackServer, make_notifier: Callable[..., SlackNotifier]
) -> None:
    server.inject(Fault.DROP_AFTER_PROCESSING, api_method="chat.postMessage")
    notifier = make_notifier()
    notifier.notify(blocked())
    notifier.flush(5)
    assert len(server.messages) == 1
    assert len(server.requests_for("chat.postMessage")) == 1  # retry_handlers=[]: slack_sdk did not resend
    assert len(server.requests_for("conversations.history")) == 1  # history showed the post had landed
    assert notifier.stats().delivered == 1


def test_a_post_dropped_before_processing_is_posted_exactly_once_more(
    server: FakeSlackServer, make_notifier: Callable[..., SlackNotifier]
) -> None:
    server.inject(Fault.DROP, api_method="chat.postMessage")
    notifier = make_notifier()
    notifier.notify(blocked())
    notifier.flush(5)
    assert len(server.messages) == 1
    assert len(server.requests_for("chat.postMessage")) == 2


def test_slack_sdk_default_retry_would_have_posted_twice(server: FakeSlackServer) -> None:
    """Why ``retry_handlers=[]`` matters: the same fault with slack_sdk's defaults duplicates the message."""
    server.inject(Fault.DROP_AFTER_PROCESSING, api_method="chat.postMessage")
    client = WebClient(token=server.token, base_url=server.base_url, timeout=2)
    client.chat_postMessage(channel="alerts", text="ticket")
    assert len(server.messages) == 2


def test_unknown_channel_is_counted(server: FakeSlackServer) -> None:
    notifier = SlackNotifier(server.token, "#nowhere", clock=SimulatedClock(START), base_url=server.base_url)
    try:
        notifier.notify(blocked())
        notifier.flush(5)
        assert notifier.stats().failures == (("channel_not_found", 1),)
    finally:
        notifier.close()


def test_after_an_outage_the_next_message_reports_what_was_lost(
    server: FakeSlackServer, make_notifier: Callable[..., SlackNotifier]
) -> None:
    server.inject(Fault.SERVER_ERROR, count=2)
    notifier = make_notifier()
    timed_notify(notifier, count=3)
    notifier.flush(5)
    (message,) = server.messages
    assert "2 earlier alert(s) could not be delivered" in message.text
