"""SlackNotifier with an in-memory client: throttling on a simulated clock, queueing, failures, recovery."""

from __future__ import annotations

import datetime as dt
import http.client
import threading
import urllib.error
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from avwap.core.clock import SimulatedClock
from avwap.integrations.slack.delivery import Outcome, classify_error, message_metadata
from avwap.integrations.slack.messages import AlertEvent, AlertKind, Severity, alert_event
from avwap.integrations.slack.slack_notifier import SlackNotifier
from avwap.integrations.slack.throttle import Suppressed, SuppressionCounter, Throttle

DAY = dt.date(2026, 4, 1)
START = dt.datetime(2026, 4, 1, 14, 0, tzinfo=dt.UTC)
WINDOW = 300.0


class MemoryClient:
    """Stands in for WebClient. ``failures`` are raised by the next posts; ``land_before_failing`` records the
    post before raising (the request reached Slack, the answer was lost)."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.failures: list[BaseException] = []
        self.land_before_failing = False
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.history_calls = 0
        self.post_calls = 0

    def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:
        self.post_calls += 1
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(5)
        if self.failures:
            if self.land_before_failing:
                self.posts.append(kwargs)
            raise self.failures.pop(0)
        self.posts.append(kwargs)
        return {"ok": True, "channel": "C0ALERTS", "ts": f"{len(self.posts)}.0"}

    def conversations_history(self, **kwargs: Any) -> dict[str, Any]:
        self.history_calls += 1
        return {"ok": True, "messages": [{"metadata": post["metadata"]} for post in reversed(self.posts)]}


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


@pytest.fixture
def client() -> MemoryClient:
    return MemoryClient()


@pytest.fixture
def notifier(client: MemoryClient, clock: SimulatedClock) -> Iterator[SlackNotifier]:
    slack = SlackNotifier("xoxb-unit", "alerts", clock=clock, throttle_seconds=WINDOW, client=client)
    yield slack
    if client.gate is not None:
        client.gate.set()
    slack.close()


def event(
    kind: AlertKind = AlertKind.ENTRY_BLOCKED, severity: Severity | None = None, symbol: str = "AAPL"
) -> AlertEvent:
    return alert_event(
        kind, f"{kind.value} {symbol}", DAY, symbol=symbol, severity=severity, reason_codes=["R"]
    )


def test_same_key_twice_within_the_window_posts_once(
    notifier: SlackNotifier, client: MemoryClient, clock: SimulatedClock
) -> None:
    notifier.notify(event())
    clock.advance(WINDOW - 1)
    notifier.notify(event())
    notifier.flush(5)
    assert len(client.posts) == 1
    assert notifier.stats().throttled == 1


def test_after_the_window_the_key_posts_again_with_a_summary_of_what_was_held_back(
    notifier: SlackNotifier, client: MemoryClient, clock: SimulatedClock
) -> None:
    for _ in range(3):
        notifier.notify(event())
    clock.advance(WINDOW)  # exactly one window later counts as "after"
    notifier.notify(event())
    notifier.flush(5)
    assert len(client.posts) == 2
    assert "suppressed" not in client.posts[0]["text"]
    assert (
        "2 repeated alert(s) suppressed (at most one per 300 s per key): ENTRY_BLOCKED:2026-04-01:AAPL:R x2."
        in (client.posts[1]["text"])
    )


def test_different_keys_are_throttled_independently(notifier: SlackNotifier, client: MemoryClient) -> None:
    notifier.notify(event(symbol="AAPL"))
    notifier.notify(event(symbol="MSFT"))
    notifier.flush(5)
    assert len(client.posts) == 2


@pytest.mark.parametrize(
    ("kind", "severity", "posts"),
    [
        (AlertKind.KILL_SWITCH, Severity.CRITICAL, 3),
        (AlertKind.LIVE_ENABLED, Severity.CRITICAL, 3),
        (AlertKind.KILL_SWITCH, Severity.WARNING, 1),
        (AlertKind.STOP_MISSING, Severity.CRITICAL, 1),
    ],
)
def test_only_critical_kill_switch_and_live_enabled_bypass_the_throttle(
    notifier: SlackNotifier, client: MemoryClient, kind: AlertKind, severity: Severity, posts: int
) -> None:
    for _ in range(3):
        notifier.notify(event(kind, severity))
    notifier.flush(5)
    assert len(client.posts) == posts


def test_metadata_tags_kind_and_dedupe_key_and_post_ids_are_deterministic(client: MemoryClient) -> None:
    post_ids = []
    for _ in range(2):
        memory = MemoryClient()
        slack = SlackNotifier("xoxb-unit", "alerts", clock=SimulatedClock(START), client=memory)
        slack.notify(event(AlertKind.KILL_SWITCH, Severity.CRITICAL))
        slack.notify(event(AlertKind.KILL_SWITCH, Severity.CRITICAL))
        slack.close()
        metadata = [post["metadata"] for post in memory.posts]
        assert [item["event_type"] for item in metadata] == ["avwap_kill_switch"] * 2
        assert metadata[0]["event_payload"]["dedupe_key"] == "KILL_SWITCH:2026-04-01:AAPL:R"
        post_ids.append([item["event_payload"]["post_id"] for item in metadata])
    assert post_ids[0] == post_ids[1]
    assert post_ids[0][0] != post_ids[0][1]


def test_a_full_queue_drops_counts_and_reports_the_drop(clock: SimulatedClock) -> None:
    memory = MemoryClient()
    memory.gate = threading.Event()
    slack = SlackNotifier("xoxb-unit", "alerts", clock=clock, client=memory, queue_size=1)
    try:
        slack.notify(event(symbol="A"))
        assert memory.entered.wait(5)  # the worker holds A; the queue is empty again
        slack.notify(event(symbol="B"))  # fills the queue
        slack.notify(event(symbol="C"))  # dropped
        assert slack.stats().dropped == 1
        memory.gate.set()
        slack.flush(5)
        slack.notify(event(symbol="C"))  # C was never sent, so it is not throttled
        slack.flush(5)
    finally:
        memory.gate.set()
        slack.close()
    assert [post["metadata"]["event_payload"]["dedupe_key"].split(":")[2] for post in memory.posts] == [
        "A",
        "B",
        "C",
    ]
    assert "1 alert(s) dropped because the delivery queue was full." in memory.posts[2]["text"]


def test_failures_are_counted_never_raised_and_the_worker_keeps_going(
    notifier: SlackNotifier, client: MemoryClient
) -> None:
    client.failures = [RuntimeError("library bug"), urllib.error.URLError(ConnectionRefusedError())]
    notifier.notify(event(symbol="A"))
    notifier.notify(event(symbol="B"))
    notifier.notify(event(symbol="C"))
    notifier.flush(5)
    stats = notifier.stats()
    assert (stats.accepted, stats.delivered, stats.failed, stats.pending) == (3, 1, 2, 0)
    assert stats.failures == (("connection_refused", 1), ("unexpected_RuntimeError", 1))
    assert "2 earlier alert(s) could not be delivered" in client.posts[0]["text"]


@pytest.mark.parametrize(("landed", "post_calls"), [(True, 1), (False, 2)])
def test_unknown_outcome_checks_history_and_reposts_only_when_absent(
    notifier: SlackNotifier, client: MemoryClient, landed: bool, post_calls: int
) -> None:
    client.failures = [TimeoutError("read timed out")]
    client.land_before_failing = landed
    notifier.notify(event())
    notifier.flush(5)
    assert len(client.posts) == 1  # exactly one message in the channel either way
    assert client.post_calls == post_calls
    assert client.history_calls == 1
    stats = notifier.stats()
    assert (stats.delivered, stats.failed, stats.recovered) == (1, 0, 1)


def test_rate_limit_pauses_non_critical_alerts_on_the_injected_clock(
    notifier: SlackNotifier, client: MemoryClient, clock: SimulatedClock
) -> None:
    client.failures = [api_error(429, "ratelimited", {"Retry-After": "30"})]
    notifier.notify(event(symbol="A"))
    notifier.flush(5)
    notifier.notify(event(symbol="B"))  # inside the 30 s pause: skipped
    notifier.notify(event(AlertKind.KILL_SWITCH, Severity.CRITICAL))  # bypasses the pause
    notifier.flush(5)
    clock.advance(30)
    notifier.notify(event(symbol="C"))
    notifier.flush(5)
    keys = [post["metadata"]["event_payload"]["dedupe_key"] for post in client.posts]
    assert keys == ["KILL_SWITCH:2026-04-01:AAPL:R", "ENTRY_BLOCKED:2026-04-01:C:R"]
    assert notifier.stats().rate_limited == 1
    # The next message delivered (the kill switch) tells the operator what was lost before it.
    assert "1 alert(s) skipped while Slack was rate limiting." in client.posts[0]["text"]
    assert "1 earlier alert(s) could not be delivered" in client.posts[0]["text"]
    assert "alert(s)" not in client.posts[1]["text"]


def test_notify_after_close_is_ignored(notifier: SlackNotifier, client: MemoryClient) -> None:
    notifier.close()
    notifier.notify(event())
    assert client.posts == []
    assert notifier.stats().dropped == 1


def api_error(status: int, code: str, headers: dict[str, str] | None = None) -> SlackApiError:
    response = SimpleNamespace(status_code=status, data={"ok": False, "error": code}, headers=headers or {})
    return SlackApiError("failed", response)


@pytest.mark.parametrize(
    ("error", "outcome", "reason"),
    [
        (urllib.error.URLError(ConnectionRefusedError()), Outcome.UNREACHABLE, "connection_refused"),
        (urllib.error.URLError(TimeoutError()), Outcome.UNKNOWN, "timeout"),
        (TimeoutError("timed out"), Outcome.UNKNOWN, "timeout"),
        (http.client.RemoteDisconnected("closed"), Outcome.UNKNOWN, "connection_dropped"),
        (ConnectionResetError(), Outcome.UNKNOWN, "connection_dropped"),
        (api_error(500, "Received a response in a non-JSON format"), Outcome.SERVER_ERROR, "http_500"),
        (api_error(503, "x"), Outcome.SERVER_ERROR, "http_503"),
        (api_error(429, "ratelimited"), Outcome.RATE_LIMITED, "ratelimited"),
        (api_error(200, "invalid_auth"), Outcome.REJECTED, "invalid_auth"),
        (api_error(200, "channel_not_found"), Outcome.REJECTED, "channel_not_found"),
        (ValueError("?"), Outcome.REJECTED, "unexpected_ValueError"),
    ],
)
def test_classify_error_table(error: BaseException, outcome: Outcome, reason: str) -> None:
    result = classify_error(error)
    assert (result.outcome, result.reason) == (outcome, reason)


@pytest.mark.parametrize(
    ("headers", "seconds"), [({"Retry-After": "7"}, 7.0), ({"retry-after": ["2"]}, 2.0), ({}, None)]
)
def test_retry_after_is_read_from_the_429(headers: dict[str, Any], seconds: float | None) -> None:
    assert classify_error(api_error(429, "ratelimited", headers)).retry_after_seconds == seconds


def test_message_metadata_shape() -> None:
    assert message_metadata(event(), "evt_1") == {
        "event_type": "avwap_entry_blocked",
        "event_payload": {
            "date_ny": "2026-04-01",
            "dedupe_key": "ENTRY_BLOCKED:2026-04-01:AAPL:R",
            "kind": "ENTRY_BLOCKED",
            "post_id": "evt_1",
            "severity": "WARNING",
        },
    }


def test_throttle_table() -> None:
    throttle = Throttle(60)
    assert throttle.admit("k", START)
    assert not throttle.admit("k", START + dt.timedelta(seconds=59))
    assert throttle.admit("k", START + dt.timedelta(seconds=59), bypass=True)  # restarts the window
    assert not throttle.admit("k", START + dt.timedelta(seconds=118))
    assert throttle.admit("k", START + dt.timedelta(seconds=119))
    assert throttle.admit("other", START)
    throttle.forget("other", START)
    assert throttle.admit("other", START)


def test_suppression_counter_orders_keys_and_restores() -> None:
    counter = SuppressionCounter()
    for key in ["b", "a", "b", "c"]:
        counter.add_throttled(key)
    counter.add_dropped()
    taken = counter.take()
    assert taken == Suppressed(throttled=(("b", 2), ("a", 1), ("c", 1)), dropped=1)
    assert counter.take().empty
    counter.restore(taken)
    assert counter.take() == taken
    assert taken.notes(60) == (
        "4 repeated alert(s) suppressed (at most one per 60 s per key): b x2, a x1, c x1.",
        "1 alert(s) dropped because the delivery queue was full.",
    )
