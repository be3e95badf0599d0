"""The confirmation-line parser (issue 13, M1-C): tolerant of people and Slack; total; round-trips."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avwap.integrations.slack.reply_parser import (
    HELP_TEXT,
    Confirmation,
    NotUnderstood,
    ReplyKind,
    format_reply,
    parse_reply,
)

EXECUTED, PARTIAL, SKIPPED, ERROR = ReplyKind.EXECUTED, ReplyKind.PARTIAL, ReplyKind.SKIPPED, ReplyKind.ERROR


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EXECUTED 100 @ 12.34", Confirmation(EXECUTED, 100, Decimal("12.34"))),
        ("executed   1,200 @ $1,234.50 filled at open",
         Confirmation(EXECUTED, 1200, Decimal("1234.50"), "filled at open")),
        ("*PARTIAL* 40 @ 54.35 — rest unfilled",
         Confirmation(PARTIAL, 40, Decimal("54.35"), "rest unfilled")),
        ("`EXECUTED 5 @ 12.34.`", Confirmation(EXECUTED, 5, Decimal("12.34"))),
        ("```EXECUTED 5 @ 12.34```", Confirmation(EXECUTED, 5, Decimal("12.34"))),
        (":white_check_mark: Executed: 10 shares at $9.5", Confirmation(EXECUTED, 10, Decimal("9.5"))),
        ("✅ executed 10 sh @ USD 9.50", Confirmation(EXECUTED, 10, Decimal("9.50"))),
        ("<@U0OPERATOR> executed 3 @ .5", Confirmation(EXECUTED, 3, Decimal("0.5"))),
        ("skipped - fund closed to new money", Confirmation(SKIPPED, note="fund closed to new money")),
        ("SKIPPED: no_cash_today", Confirmation(SKIPPED, note="no_cash_today")),
        ("ERROR <mailto:ops@example.com|ops@example.com> says the window is locked",
         Confirmation(ERROR, note="ops@example.com says the window is locked")),
        ("ERROR see <https://example.com/x|the status page> &amp; retry",
         Confirmation(ERROR, note="see the status page & retry")),
        ("thanks!\nEXECUTED 7 @ 1,000", Confirmation(EXECUTED, 7, Decimal("1000"))),
    ],
)  # fmt: skip
def test_confirmations_are_read_however_they_are_written(text: str, expected: Confirmation) -> None:
    assert parse_reply(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("hello", "no line starts with"),
        ("", "no line starts with"),
        ("EXECUTED", "needs a share quantity and a price"),
        ("EXECUTED 100", "needs a share quantity and a price"),
        ("EXECUTED 100 @ 12.34abc", "needs a share quantity and a price"),
        ("EXECUTED 1,00 @ 3", "needs a share quantity and a price"),
        ("EXECUTED -5 @ 3", "needs a share quantity and a price"),
        ("EXECUTED 0 @ 1", "positive quantity and a positive price"),
        ("PARTIAL 10 @ 0", "positive quantity and a positive price"),
        ("SKIPPED", "needs a reason"),
        ("ERROR  :x: ", "needs a description"),
        ("EXECUTED 1 @ 1 " + "x" * 5000, "longer than"),
        ("executedly 5 @ 3", "no line starts with"),
    ],
)
def test_anything_else_is_not_understood_with_help(text: str, problem: str) -> None:
    result = parse_reply(text)
    assert isinstance(result, NotUnderstood)
    assert problem in result.problem
    assert result.help == HELP_TEXT and "EXECUTED <shares> @ <price>" in result.help
    assert len(result.text) <= 80


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_parsing_never_raises(text: str) -> None:
    assert isinstance(parse_reply(text), Confirmation | NotUnderstood)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="EXCUTDPARTIL0123456789@$,. :*`_-<>|&;", max_size=60),
)
def test_parsing_never_raises_on_near_misses(text: str) -> None:
    assert isinstance(parse_reply(text), Confirmation | NotUnderstood)


_WORDS = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=12
)
_NOTES = st.lists(_WORDS, max_size=6).map(" ".join)
_PRICES = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99999"), places=4).filter(
    lambda d: d > 0
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.builds(Confirmation, st.sampled_from([EXECUTED, PARTIAL]), st.integers(1, 10**9), _PRICES, _NOTES),
        st.builds(Confirmation, st.sampled_from([SKIPPED, ERROR]), st.none(), st.none(), _NOTES.filter(bool)),
    )
)
def test_the_canonical_syntax_round_trips(confirmation: Confirmation) -> None:
    line = format_reply(confirmation)
    assert parse_reply(line) == confirmation
    assert parse_reply(line.lower()) == confirmation if not confirmation.note else True
