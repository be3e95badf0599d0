"""The NYSE calendar against exchange_calendars itself, 2015-2027, plus hand-checked dates."""

from __future__ import annotations

import datetime as dt
import json

import exchange_calendars
import pandas as pd
import pytest
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.core.calendar import NEW_YORK, ny_date, nyse
from avwap.core.errors import CalendarError

UTC = dt.UTC


@pytest.fixture(scope="module")
def reference() -> exchange_calendars.ExchangeCalendar:
    return exchange_calendars.get_calendar("XNYS", start="2015-01-01", end="2027-12-31")


def test_sessions_and_times_match_exchange_calendars_2015_2027(reference) -> None:  # type: ignore[no-untyped-def]
    calendar = nyse()
    ours = calendar.session_records(dt.date(2015, 1, 1), dt.date(2027, 12, 31))
    schedule = reference.schedule
    assert [session.date for session in ours] == [label.date() for label in schedule.index]
    for session, (_, row) in zip(ours, schedule.iterrows(), strict=True):
        assert session.open == row["open"].to_pydatetime()
        assert session.close == row["close"].to_pydatetime()
    early = {session.date for session in ours if session.is_early_close}
    assert early == {label.date() for label in reference.early_closes}


@pytest.mark.parametrize("day", [dt.date(2025, 11, 28), dt.date(2025, 12, 24), dt.date(2026, 11, 27)])
def test_early_closes_at_one_pm_new_york(day: dt.date) -> None:
    session = nyse().session(day)
    assert session.is_early_close
    assert session.close_ny.time() == dt.time(13, 0)
    assert session.open_ny.time() == dt.time(9, 30)
    assert len(nyse().bar_starts(day, 5)) == 42


@pytest.mark.parametrize(
    ("day", "open_utc_hour"),
    [
        (dt.date(2026, 3, 6), 14),  # EST, the Friday before the spring change
        (dt.date(2026, 3, 9), 13),  # EDT, the Monday after
        (dt.date(2026, 10, 30), 13),  # EDT, the Friday before the autumn change
        (dt.date(2026, 11, 2), 14),  # EST again
    ],
)
def test_dst_changes_move_the_utc_open(day: dt.date, open_utc_hour: int) -> None:
    session = nyse().session(day)
    assert session.open.hour == open_utc_hour and session.open.minute == 30
    assert session.open_ny.time() == dt.time(9, 30)
    assert session.close_ny.time() == dt.time(16, 0)


def test_holidays_next_and_previous_sessions() -> None:
    calendar = nyse()
    assert dt.date(2026, 11, 26) in calendar.holidays(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert not calendar.is_session(dt.date(2026, 11, 26))
    assert calendar.next_session(dt.date(2026, 11, 25)) == dt.date(2026, 11, 27)
    assert calendar.previous_session(dt.date(2026, 11, 27)) == dt.date(2026, 11, 25)
    assert calendar.next_session(dt.date(2026, 12, 24)) == dt.date(2026, 12, 28)
    assert calendar.sessions_back(dt.date(2026, 11, 27), 1) == dt.date(2026, 11, 25)
    with pytest.raises(CalendarError, match="not an NYSE session"):
        calendar.session(dt.date(2026, 12, 25))
    with pytest.raises(CalendarError, match="outside"):
        calendar.is_session(dt.date(1980, 1, 2))


def test_is_open_boundaries_and_across_utc_midnight() -> None:
    calendar = nyse()
    session = calendar.session(dt.date(2026, 11, 27))
    assert calendar.is_open(session.open)
    assert not calendar.is_open(session.open - dt.timedelta(seconds=1))
    assert not calendar.is_open(session.close)
    # 2026-03-10 01:00 UTC is still 2026-03-09 in New York.
    late = dt.datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
    assert ny_date(late) == dt.date(2026, 3, 9)
    assert not calendar.is_open(late)


def test_is_open_matches_exchange_calendars_minutes(reference) -> None:  # type: ignore[no-untyped-def]
    calendar = nyse()
    probes = pd.date_range("2026-03-06 13:00", "2026-03-10 22:00", freq="7min", tz="UTC")
    for probe in probes:
        moment = probe.to_pydatetime()
        expected = reference.is_open_on_minute(probe, ignore_breaks=True)
        # exchange_calendars treats the close minute as open ("both" sides); ours is [open, close).
        if (
            moment == calendar.session_close(ny_date(moment))
            if calendar.is_session(ny_date(moment))
            else False
        ):
            continue
        assert calendar.is_open(moment) == expected, moment.astimezone(NEW_YORK)


def test_calendar_command_json() -> None:
    result = CliRunner().invoke(
        build_app(), ["calendar", "--from", "2026-11-25", "--to", "2026-11-30", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [row["date"] for row in data["sessions"]] == ["2026-11-25", "2026-11-27", "2026-11-30"]
    friday = data["sessions"][1]
    assert friday["early_close"] is True
    assert friday["close_et"] == "2026-11-27T13:00:00-05:00"
    assert friday["close_utc"] == "2026-11-27T18:00:00Z"
    assert data["holidays"] == ["2026-11-26"]


def test_calendar_command_rejects_bad_dates() -> None:
    result = CliRunner().invoke(build_app(), ["calendar", "--from", "2026-13-01", "--to", "2026-12-01"])
    assert result.exit_code == 2


def test_ranges_outside_the_calendar_are_errors_not_empty_answers() -> None:
    calendar = nyse()
    with pytest.raises(CalendarError, match="outside"):
        calendar.holidays(dt.date(1900, 1, 1), dt.date(1900, 1, 5))
    with pytest.raises(CalendarError, match="outside"):
        calendar.sessions(dt.date(2026, 1, 1), dt.date(2040, 1, 1))
    runner = CliRunner()
    assert (
        runner.invoke(build_app(), ["calendar", "--from", "1900-01-01", "--to", "1900-01-05"]).exit_code == 4
    )
    assert (
        runner.invoke(build_app(), ["calendar", "--from", "2026-12-05", "--to", "2026-12-01"]).exit_code == 2
    )
