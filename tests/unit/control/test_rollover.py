"""Per-day entry counters roll over at the New York date change: across UTC midnight and both DST changes."""

from __future__ import annotations

import datetime as dt

import pytest
from control_builders import build

from avwap.control import reasons as r
from avwap.control.plane import Action, evaluate_entry
from avwap.control.rollover import entries_today, entries_today_from_instants
from avwap.core.errors import CalendarError

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-07-01T02:00", 2),  # 22:00 EDT on June 30: still June 30 in New York
        ("2026-07-01T03:59", 2),
        ("2026-07-01T04:00", 1),  # 00:00 EDT: July 1
        ("2026-06-30T13:30", 2),
    ],
)
def test_utc_midnight_is_not_the_rollover(now: str, expected: int) -> None:
    dates = [dt.date(2026, 6, 30), dt.date(2026, 6, 30), dt.date(2026, 7, 1)]
    assert entries_today(dates, at(now)) == expected


# Entries by instant around the DST changes. Spring forward 2026-03-08 (EST -5 -> EDT -4 at 07:00Z):
# NY midnight of March 8 is 05:00Z, of March 9 is 04:00Z. Fall back 2026-11-01 (EDT -> EST at 06:00Z):
# NY midnight of November 1 is 04:00Z, of November 2 is 05:00Z.
SPRING = ["2026-03-08T04:59", "2026-03-08T05:00", "2026-03-08T12:00", "2026-03-09T03:59", "2026-03-09T04:00"]
FALL = ["2026-11-01T03:59", "2026-11-01T04:00", "2026-11-01T12:00", "2026-11-02T04:59", "2026-11-02T05:00"]


@pytest.mark.parametrize(
    ("instants", "now", "expected"),
    [
        (SPRING, "2026-03-08T04:00", 1),  # March 7 in NY: only 04:59Z is March 7
        (SPRING, "2026-03-08T15:00", 3),  # March 8: 05:00Z, 12:00Z, and 03:59Z next day (23:59 EDT)
        (SPRING, "2026-03-09T03:59", 3),
        (SPRING, "2026-03-09T04:00", 1),  # March 9 begins at 04:00Z after spring forward
        (FALL, "2026-11-01T03:00", 1),  # October 31 in NY
        (FALL, "2026-11-01T20:00", 3),  # November 1: 04:00Z, 12:00Z, and 04:59Z next day (23:59 EST)
        (FALL, "2026-11-02T04:59", 3),
        (FALL, "2026-11-02T05:00", 1),  # November 2 begins at 05:00Z after fall back
    ],
)
def test_rollover_across_dst(instants: list[str], now: str, expected: int) -> None:
    assert entries_today_from_instants([at(item) for item in instants], at(now)) == expected


def test_rollover_feeds_the_entries_cap() -> None:
    """Five entries on June 30 (NY) fill the cap until 04:00Z on July 1, not until 00:00Z."""
    instants = [at(f"2026-06-30T{hour:02d}:00") for hour in (14, 15, 16, 17, 18)]
    for now, action in (("2026-07-01T02:00", Action.REJECT), ("2026-07-01T04:00", Action.APPROVE)):
        decision = evaluate_entry(
            build(portfolio__entries_today=entries_today_from_instants(instants, at(now)))
        )
        assert decision.action is action
        assert decision.reasons == ((r.MAX_ENTRIES_PER_DAY_REACHED,) if action is Action.REJECT else ())


def test_naive_now_is_refused() -> None:
    with pytest.raises(CalendarError):
        entries_today([], dt.datetime(2026, 7, 1, 2, 0))  # noqa: DTZ001


def test_a_datetime_is_not_a_date() -> None:
    with pytest.raises(TypeError, match="NY dates"):
        entries_today([at("2026-06-30T14:00")], at("2026-06-30T15:00"))
