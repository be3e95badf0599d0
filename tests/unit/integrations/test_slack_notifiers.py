"""NullNotifier, RecordingNotifier, FanoutNotifier and build_notifier."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from avwap.core.clock import FixedClock
from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError
from avwap.integrations.slack import (
    AlertEvent,
    AlertKind,
    FanoutNotifier,
    Notifier,
    NullNotifier,
    RecordingNotifier,
    SlackNotifier,
    alert_event,
    build_notifier,
    render_event,
)

DAY = dt.date(2026, 4, 1)
CLOCK = FixedClock(dt.datetime(2026, 4, 1, 14, 0, tzinfo=dt.UTC))


def event(title: str = "Kill switch engaged") -> AlertEvent:
    return alert_event(AlertKind.KILL_SWITCH, title, DAY)


class BrokenNotifier:
    def notify(self, event: AlertEvent) -> None:
        raise RuntimeError("channel is down")

    def flush(self, timeout: float = 5.0) -> None:
        raise RuntimeError("cannot flush")

    def close(self) -> None:
        raise RuntimeError("cannot close")


@pytest.mark.parametrize("notifier", [NullNotifier(), RecordingNotifier(), FanoutNotifier([])])
def test_every_notifier_satisfies_the_protocol(notifier: Notifier) -> None:
    assert isinstance(notifier, Notifier)
    notifier.notify(event())
    notifier.flush(0.1)
    notifier.close()


def test_recording_notifier_keeps_events_in_order_and_renders_them() -> None:
    recorder = RecordingNotifier()
    recorder.notify(event("one"))
    recorder.notify(event("two"))
    assert [item.title for item in recorder.events] == ["one", "two"]
    assert recorder.messages() == (render_event(event("one")), render_event(event("two")))
    recorder.close()
    assert recorder.closed


def test_fanout_contains_a_broken_notifier_and_still_delivers_to_the_others() -> None:
    first, last = RecordingNotifier(), RecordingNotifier()
    fanout = FanoutNotifier([first, BrokenNotifier(), last])
    fanout.notify(event())
    fanout.flush(0.1)
    fanout.close()
    assert first.events == last.events == (event(),)
    assert last.closed
    assert fanout.failures == {"BrokenNotifier": 3}


def test_build_notifier_is_null_when_slack_is_not_configured(home: Path) -> None:
    assert isinstance(build_notifier(load_config({}, home=home), CLOCK), NullNotifier)


def test_build_notifier_builds_a_slack_notifier_from_config(home: Path) -> None:
    config = load_config(
        {"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_CHANNEL": "alerts", "SLACK_BASE_URL": "http://127.0.0.1:9/api/"},
        home=home,
    )
    notifier = build_notifier(config, CLOCK)
    try:
        assert isinstance(notifier, SlackNotifier)
        assert notifier.channel == "alerts"
    finally:
        notifier.close()


@pytest.mark.parametrize(
    ("environment", "variable"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-x"}, "SLACK_CHANNEL"),
        ({"SLACK_CHANNEL": "alerts"}, "SLACK_BOT_TOKEN"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_CHANNEL": "alerts", "SLACK_BASE_URL": "ftp://x"},
            "SLACK_BASE_URL",
        ),
    ],
)
def test_half_configured_slack_is_a_configuration_error(
    home: Path, environment: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        build_notifier(load_config(environment, home=home), CLOCK)
    assert raised.value.variable == variable
    assert "xoxb-x" not in str(raised.value)
