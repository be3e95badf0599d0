"""Slack alerting: alert events, their deterministic rendering, and notifiers that never block trading.

Typical use::

    notifier = build_notifier(config, clock)          # NullNotifier unless SLACK_BOT_TOKEN + SLACK_CHANNEL
    notifier.notify(alert_event(AlertKind.ENTRY_BLOCKED, "AAPL entry blocked", date_ny,
                                symbol="AAPL", reason_codes=["KILL_SWITCH_ACTIVE"]))
    ...
    notifier.close()
"""

from avwap.integrations.slack.messages import (
    AlertEvent,
    AlertKind,
    Severity,
    SlackMessage,
    alert_event,
    default_dedupe_key,
    render_event,
)
from avwap.integrations.slack.notifier import (
    FanoutNotifier,
    Notifier,
    NotifierStats,
    NullNotifier,
    RecordingNotifier,
    SlackNotifier,
    build_notifier,
)
from avwap.integrations.slack.summaries import execution_summary_event, scan_summary_event

__all__ = [
    "AlertEvent",
    "AlertKind",
    "FanoutNotifier",
    "Notifier",
    "NotifierStats",
    "NullNotifier",
    "RecordingNotifier",
    "Severity",
    "SlackMessage",
    "SlackNotifier",
    "alert_event",
    "build_notifier",
    "default_dedupe_key",
    "execution_summary_event",
    "render_event",
    "scan_summary_event",
]
