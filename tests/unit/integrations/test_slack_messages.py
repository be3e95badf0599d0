"""Alert events and their Slack rendering: deterministic bytes, verbatim reason codes, no secrets."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avwap.integrations.slack.messages import (
    AlertEvent,
    AlertKind,
    Severity,
    alert_event,
    default_dedupe_key,
    fallback_text,
    render_event,
)
from avwap.integrations.slack.summaries import execution_summary_event, scan_summary_event

DAY = dt.date(2026, 4, 1)


def blocked_event(**overrides: object) -> AlertEvent:
    arguments: dict[str, object] = {
        "fields": {"Quantity": 10, "Limit price": Decimal("187.40"), "Book": "ALPACA_PAPER"},
        "symbol": "aapl",
        "reason_codes": ["KILL_SWITCH_ACTIVE", "MAX_POSITIONS_REACHED"],
    }
    arguments.update(overrides)
    return alert_event(AlertKind.ENTRY_BLOCKED, "AAPL entry blocked", DAY, **arguments)  # type: ignore[arg-type]


def test_alert_event_sorts_fields_uppercases_symbol_and_defaults_severity_and_key() -> None:
    event = blocked_event()
    assert event.fields == (("Book", "ALPACA_PAPER"), ("Limit price", "187.40"), ("Quantity", "10"))
    assert event.symbol == "AAPL"
    assert event.severity is Severity.WARNING
    assert event.dedupe_key == "ENTRY_BLOCKED:2026-04-01:AAPL:KILL_SWITCH_ACTIVE+MAX_POSITIONS_REACHED"


@pytest.mark.parametrize(
    ("kind", "symbol", "codes", "expected"),
    [
        (AlertKind.KILL_SWITCH, None, (), "KILL_SWITCH:2026-04-01:-:-"),
        (AlertKind.STOP_MISSING, "MSFT", ("STOP_NOT_FOUND",), "STOP_MISSING:2026-04-01:MSFT:STOP_NOT_FOUND"),
        (AlertKind.ERROR, None, ("A", "B_2"), "ERROR:2026-04-01:-:A+B_2"),
    ],
)
def test_default_dedupe_key_table(
    kind: AlertKind, symbol: str | None, codes: tuple[str, ...], expected: str
) -> None:
    assert default_dedupe_key(kind, DAY, symbol, codes) == expected


@pytest.mark.parametrize(
    ("kind", "severity"),
    [
        (AlertKind.KILL_SWITCH, Severity.CRITICAL),
        (AlertKind.LIVE_ENABLED, Severity.CRITICAL),
        (AlertKind.STOP_MISSING, Severity.CRITICAL),
        (AlertKind.ORDER_SUBMITTED, Severity.INFO),
        (AlertKind.RECONCILIATION_DRIFT, Severity.WARNING),
    ],
)
def test_default_severity_by_kind(kind: AlertKind, severity: Severity) -> None:
    assert alert_event(kind, "something happened", DAY).severity is severity


def test_fallback_text_is_plain_and_carries_reason_codes_verbatim() -> None:
    assert fallback_text(blocked_event()) == (
        "[WARNING] Entry blocked: AAPL entry blocked | symbol AAPL | NY date 2026-04-01"
        " | reason codes KILL_SWITCH_ACTIVE, MAX_POSITIONS_REACHED"
    )


def test_render_event_blocks_for_a_small_event() -> None:
    event = alert_event(AlertKind.KILL_SWITCH, "Kill switch engaged", DAY, fields={"Source": "file"})
    assert render_event(event).blocks == (
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":rotating_light: *[CRITICAL] Kill switch engaged*\nKill switch",
            },
        },
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Source*\nfile"}]},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "KILL_SWITCH · NY date 2026-04-01 · key `KILL_SWITCH:2026-04-01:-:-`",
                }
            ],
        },
    )


def test_render_event_shows_each_reason_code_in_a_code_span() -> None:
    payload = render_event(blocked_event()).to_json_bytes().decode()
    assert "*Reason codes:* `KILL_SWITCH_ACTIVE` `MAX_POSITIONS_REACHED`" in payload


def test_same_event_gives_same_payload_bytes_and_field_order_does_not_matter() -> None:
    first = blocked_event()
    reordered = blocked_event(
        fields={"Book": "ALPACA_PAPER", "Quantity": 10, "Limit price": Decimal("187.40")}
    )
    assert first == reordered
    assert render_event(first).to_json_bytes() == render_event(reordered).to_json_bytes()
    assert json.loads(render_event(first).to_json_bytes())["text"] == render_event(first).text


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.integers() | st.text(max_size=12), max_size=14))
def test_rendering_is_independent_of_field_insertion_order(fields: dict[str, object]) -> None:
    forward = alert_event(AlertKind.ERROR, "boom", DAY, fields=fields)
    backward = alert_event(AlertKind.ERROR, "boom", DAY, fields=dict(reversed(list(fields.items()))))
    assert render_event(forward).to_json_bytes() == render_event(backward).to_json_bytes()


def test_fields_are_split_into_sections_of_ten() -> None:
    event = alert_event(AlertKind.ERROR, "many", DAY, fields={f"f{index:02d}": index for index in range(12)})
    sections = [block for block in render_event(event).blocks if "fields" in block]
    assert [len(section["fields"]) for section in sections] == [10, 2]


def test_secrets_are_redacted_by_name_and_by_shape() -> None:
    token = "xoxb-1234-5678-abcdefABCDEF"
    event = alert_event(
        AlertKind.ERROR,
        f"post failed with {token}",
        DAY,
        fields={"SLACK_BOT_TOKEN": "plain-looking", "api_key": "k", "note": f"saw {token}"},
        details=[f"token {token}"],
    )
    payload = render_event(event).to_json_bytes().decode()
    assert token not in payload
    assert "plain-looking" not in payload
    assert dict(event.fields) == {
        "SLACK_BOT_TOKEN": "[redacted]",
        "api_key": "[redacted]",
        "note": "saw [redacted]",
    }


def test_slack_control_characters_are_escaped_so_alerts_cannot_ping_the_channel() -> None:
    event = alert_event(AlertKind.ERROR, "bad <!channel> & co", DAY, fields={"why": "<@U123>"})
    payload = render_event(event).to_json_bytes().decode()
    assert "<!channel>" not in payload and "<@U123>" not in payload
    assert "bad &lt;!channel&gt; &amp; co" in payload


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "n/a"),
        (True, "yes"),
        (Decimal("0.10"), "0.10"),
        (0.1 + 0.2, "0.3"),
        (dt.datetime(2026, 4, 1, 13, 30, tzinfo=dt.UTC), "2026-04-01T13:30:00Z"),
        (DAY, "2026-04-01"),
        (Severity.INFO, "INFO"),
        (["A", 2], "A, 2"),
    ],
)
def test_field_values_become_deterministic_text(value: object, text: str) -> None:
    assert alert_event(AlertKind.ERROR, "t", DAY, fields={"v": value}).fields == (("v", text),)


def test_invalid_events_are_refused() -> None:
    with pytest.raises(ValueError, match="reason codes"):
        alert_event(AlertKind.ERROR, "t", DAY, reason_codes=[" "])
    with pytest.raises(ValueError, match="sorted"):
        AlertEvent(AlertKind.ERROR, Severity.INFO, "t", DAY, "k", fields=(("b", "1"), ("a", "2")))
    with pytest.raises(ValueError, match="title"):
        alert_event(AlertKind.ERROR, "  ", DAY)


def test_unusual_reason_codes_are_shown_verbatim_not_refused() -> None:
    event = alert_event(AlertKind.ERROR, "broker said no", DAY, reason_codes=["40310000", "wash-trade <x>"])
    payload = render_event(event).to_json_bytes().decode()
    assert "`40310000` `wash-trade &lt;x&gt;`" in payload


def test_notes_are_appended_to_text_and_a_last_context_block() -> None:
    message = render_event(blocked_event(), ["2 repeated alert(s) suppressed."])
    assert message.text.endswith(" | 2 repeated alert(s) suppressed.")
    assert message.blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "2 repeated alert(s) suppressed."}],
    }


def test_scan_summary_table_and_filter_counts_are_hand_checked() -> None:
    event = scan_summary_event(
        DAY,
        scanned=3000,
        candidates=2,
        top=[("AAPL", 152.3, "YTD", 0.0085), ("MSFT", Decimal("140"), "GAP 2026-03-02", -0.012)],
        filter_counts={"LIQUIDITY_LOW": 812, "ATR_TOO_LOW": 90, "TREND_NONE": 812},
    )
    assert event.kind is AlertKind.SCAN_SUMMARY
    assert event.title == "Scan for 2026-04-01: 2 candidates from 3000 symbols"
    assert event.fields == (("Candidates", "2"), ("Filtered out", "1714"), ("Symbols scanned", "3000"))
    assert event.details == (
        "Top 2 of 2 candidates",
        "SYMBOL   SCORE  ANCHOR          DISTANCE",
        "AAPL    152.30  YTD               +0.85%",
        "MSFT    140.00  GAP 2026-03-02    -1.20%",
        "",
        "Filtered out, by reason",
        "LIQUIDITY_LOW      812",
        "TREND_NONE         812",
        "ATR_TOO_LOW         90",
    )
    payload = render_event(event).to_json_bytes().decode()
    for code in ("LIQUIDITY_LOW", "TREND_NONE", "ATR_TOO_LOW"):
        assert code in payload


def test_scan_summary_limits_the_table_and_survives_nan() -> None:
    top = [(f"S{index}", float("nan") if index == 0 else index, "MTD", 0.01) for index in range(15)]
    event = scan_summary_event(DAY, 100, 15, top, {}, top_limit=3)
    assert event.details[0] == "Top 3 of 15 candidates"
    assert event.details[2].split()[:2] == ["S0", "n/a"]
    assert len(event.details) == 5


def test_execution_summary_counts_and_orders_reasons() -> None:
    event = execution_summary_event(
        DAY, submitted=3, blocked_by_reason={"KILL_SWITCH_ACTIVE": 2, "MAX_ORDERS": 5}
    )
    assert event.kind is AlertKind.DAILY_SUMMARY
    assert event.title == "Execution decisions for 2026-04-01: 3 submitted, 7 blocked"
    assert event.reason_codes == ("MAX_ORDERS", "KILL_SWITCH_ACTIVE")
    assert event.details == (
        "Blocked, by reason",
        "MAX_ORDERS" + " " * 16 + "5",
        "KILL_SWITCH_ACTIVE" + " " * 8 + "2",
    )
    assert event.dedupe_key == "DAILY_SUMMARY:2026-04-01:execution"
    intents = execution_summary_event(DAY, 0, {"A": 2, "B": 2}, blocked=2)
    assert dict(intents.fields)["Blocked"] == "2"


def test_summaries_refuse_negative_counts() -> None:
    with pytest.raises(ValueError):
        scan_summary_event(DAY, -1, 0, [], {})
    with pytest.raises(ValueError):
        execution_summary_event(DAY, 1, {"A": -1})
