"""The real slack_sdk WebClient against the fake Slack on 127.0.0.1: what arrives, and how it looks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from tests.fakes.slack_server import FakeSlackServer, unused_base_url

from avwap.core.clock import SimulatedClock
from avwap.integrations.slack import (
    AlertKind,
    FanoutNotifier,
    RecordingNotifier,
    Severity,
    SlackNotifier,
    alert_event,
    render_event,
    scan_summary_event,
)

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 4, 1)
START = dt.datetime(2026, 4, 1, 13, 45, tzinfo=dt.UTC)
BLOCKED = alert_event(
    AlertKind.ENTRY_BLOCKED,
    "AAPL entry blocked",
    DAY,
    symbol="AAPL",
    fields={"Book": "ALPACA_PAPER", "Quantity": 10},
    reason_codes=["KILL_SWITCH_ACTIVE"],
)


@pytest.fixture
def server() -> Iterator[FakeSlackServer]:
    with FakeSlackServer() as running:
        yield running


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


@pytest.fixture
def make_notifier(server: FakeSlackServer, clock: SimulatedClock) -> Iterator[Callable[..., SlackNotifier]]:
    created: list[SlackNotifier] = []

    def make(**overrides: Any) -> SlackNotifier:
        options: dict[str, Any] = {"clock": clock, "base_url": server.base_url, "timeout": 2.0}
        options.update(overrides)
        notifier = SlackNotifier(
            options.pop("token", server.token), options.pop("channel", "alerts"), **options
        )
        created.append(notifier)
        return notifier

    yield make
    for notifier in created:
        notifier.close(timeout=2)


def test_a_posted_alert_arrives_with_text_blocks_and_metadata(
    server: FakeSlackServer, make_notifier: Callable[..., SlackNotifier]
) -> None:
    notifier = make_notifier()
    notifier.notify(BLOCKED)
    notifier.flush(5)
    (message,) = server.messages
    expected = render_event(BLOCKED)
    assert message.channel == "C0ALERTS"
    assert message.text == expected.text
    assert message.blocks == json.loads(expected.to_json_bytes())["blocks"]
    assert message.metadata is not None
    assert message.metadata["event_type"] == "avwap_entry_blocked"
    assert (
        message.metadata["event_payload"]["dedupe_key"] == "ENTRY_BLOCKED:2026-04-01:AAPL:KILL_SWITCH_ACTIVE"
    )
    assert message.metadata["event_payload"]["post_id"].startswith("evt_")
    (request,) = server.requests_for("chat.postMessage")
    assert request.headers["Authorization"] == f"Bearer {server.token}"
    assert notifier.stats().delivered == 1


def test_history_returns_the_alert_with_metadata_newest_first(
    server: FakeSlackServer, make_notifier: Callable[..., SlackNotifier]
) -> None:
    notifier = make_notifier()
    notifier.notify(BLOCKED)
    notifier.notify(alert_event(AlertKind.KILL_SWITCH, "Kill switch engaged", DAY))
    notifier.flush(5)
    client = WebClient(token=server.token, base_url=server.base_url, retry_handlers=[])
    history = client.conversations_history(channel="C0ALERTS", include_all_metadata=True, limit=10)
    kinds = [item["metadata"]["event_payload"]["kind"] for item in history["messages"]]
    assert kinds == ["KILL_SWITCH", "ENTRY_BLOCKED"]
    bare = client.conversations_history(channel="C0ALERTS", limit=10)
    assert all("metadata" not in item for item in bare["messages"])  # as Slack: metadata only when asked
    assert client.auth_test()["bot_id"] == "B0AVWAP"


def test_flush_waits_for_delivery(
    server: FakeSlackServer, make_notifier: Callable[..., SlackNotifier]
) -> None:
    notifier = make_notifier()
    for symbol in ["AAPL", "MSFT", "NVDA", "AMD", "TSLA"]:
        notifier.notify(alert_event(AlertKind.ORDER_SUBMITTED, f"Bought {symbol}", DAY, symbol=symbol))
    notifier.flush(5)
    assert len(server.messages) == 5
    assert notifier.stats().pending == 0


def test_throttle_end_to_end_on_a_simulated_clock(
    server: FakeSlackServer, make_notifier: Callable[..., SlackNotifier], clock: SimulatedClock
) -> None:
    notifier = make_notifier(throttle_seconds=600)
    for _ in range(4):
        notifier.notify(BLOCKED)
    notifier.notify(
        alert_event(AlertKind.LIVE_ENABLED, "Live trading enabled", DAY, severity=Severity.CRITICAL)
    )
    notifier.notify(
        alert_event(AlertKind.LIVE_ENABLED, "Live trading enabled", DAY, severity=Severity.CRITICAL)
    )
    clock.advance(600)
    notifier.notify(BLOCKED)
    notifier.flush(5)
    kinds = [message.metadata["event_payload"]["kind"] for message in server.messages if message.metadata]
    assert kinds == ["ENTRY_BLOCKED", "LIVE_ENABLED", "LIVE_ENABLED", "ENTRY_BLOCKED"]
    assert "3 repeated alert(s) suppressed" in server.messages[1].text


def test_scan_summary_posts_as_one_message(
    server: FakeSlackServer, make_notifier: Callable[..., SlackNotifier]
) -> None:
    notifier = make_notifier()
    summary = scan_summary_event(DAY, 2900, 1, [("AAPL", 151.2, "YTD", 0.004)], {"LIQUIDITY_LOW": 2899})
    notifier.notify(summary)
    notifier.flush(5)
    (message,) = server.messages
    assert "LIQUIDITY_LOW" in json.dumps(message.blocks)
    assert message.text.startswith(
        "[INFO] Daily scan summary: Scan for 2026-04-01: 1 candidate from 2900 symbols"
    )


def test_fanout_with_a_broken_notifier_still_delivers_to_slack(
    server: FakeSlackServer, make_notifier: Callable[..., SlackNotifier]
) -> None:
    class Broken:
        def notify(self, event: object) -> None:
            raise OSError("disk full")

        def flush(self, timeout: float = 5.0) -> None:
            raise OSError("disk full")

        def close(self) -> None:
            return None

    fanout = FanoutNotifier([Broken(), make_notifier()])
    fanout.notify(BLOCKED)
    fanout.flush(5)
    assert len(server.messages) == 1
    assert fanout.failures == {"Broken": 2}


def test_fanout_with_slack_down_still_delivers_to_the_recorder(
    make_notifier: Callable[..., SlackNotifier],
) -> None:
    recorder = RecordingNotifier()
    dead = make_notifier(base_url=unused_base_url())
    fanout = FanoutNotifier([dead, recorder])
    fanout.notify(BLOCKED)
    fanout.flush(5)
    assert recorder.events == (BLOCKED,)
    assert dead.stats().failures == (("connection_refused", 1),)
