"""The NYSE trading calendar (exchange_calendars XNYS), as plain Python values.

Every session time comes from here: never hard-code 09:30 or 16:00. Early closes (13:00 ET, e.g. the day
after Thanksgiving) and DST are handled by the calendar data itself. Instants are timezone-aware UTC
datetimes; NY trading dates are ``datetime.date``.

The calendar is built once for a fixed range (so no wall-clock read decides its bounds) and answers from
sorted lists afterwards; a date outside the range raises :class:`CalendarError` rather than guessing.
It is built from :mod:`avwap.core.nyse_table`, the XNYS calendar's closed weekdays and early closes generated
by ``scripts/nyse_table.py`` (a test rebuilds it from exchange_calendars): building the XNYS calendar itself
imports pandas and takes about a second, most of a short command's start.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from avwap.core.errors import CalendarError

NEW_YORK: Final = ZoneInfo("America/New_York")
CALENDAR_START: Final = dt.date(1990, 1, 2)
CALENDAR_END: Final = dt.date(2030, 12, 31)
REGULAR_SESSION_MINUTES: Final = 390
REGULAR_OPEN: Final = dt.time(9, 30)
REGULAR_CLOSE: Final = dt.time(16, 0)


@dataclass(frozen=True)
class Session:
    """One trading session: its NY date and its open/close instants (UTC)."""

    date: dt.date
    open: dt.datetime
    close: dt.datetime

    @property
    def minutes(self) -> int:
        return int((self.close - self.open).total_seconds() // 60)

    @property
    def is_early_close(self) -> bool:
        return self.minutes < REGULAR_SESSION_MINUTES

    @property
    def open_ny(self) -> dt.datetime:
        return self.open.astimezone(NEW_YORK)

    @property
    def close_ny(self) -> dt.datetime:
        return self.close.astimezone(NEW_YORK)


def ny_date(instant: dt.datetime) -> dt.date:
    """The New York calendar date of an instant (correct across DST and UTC midnight)."""
    if instant.tzinfo is None:
        raise CalendarError("ny_date needs a timezone-aware instant")
    return instant.astimezone(NEW_YORK).date()


def ny_time(instant: dt.datetime) -> dt.datetime:
    """The instant as New York wall-clock time."""
    if instant.tzinfo is None:
        raise CalendarError("ny_time needs a timezone-aware instant")
    return instant.astimezone(NEW_YORK)


class TradingCalendar:
    """NYSE sessions between ``CALENDAR_START`` and ``CALENDAR_END``."""

    def __init__(self, sessions: list[Session]) -> None:
        self._dates = [session.date for session in sessions]
        self._open_days = frozenset(self._dates)
        self._by_date = {session.date: session for session in sessions}
        self._make: Callable[[dt.date], Session] | None = None

    @classmethod
    def lazy(cls, dates: list[dt.date], make: Callable[[dt.date], Session]) -> TradingCalendar:
        """The sessions on ``dates`` (ascending); each :class:`Session` is made by ``make`` when first needed
        (41 years of them, with their time-zone conversions, would be most of a short command's start)."""
        calendar = cls([])
        calendar._dates, calendar._open_days, calendar._make = dates, frozenset(dates), make
        return calendar

    def _record(self, day: dt.date) -> Session:
        """The session of ``day``, which must be a session date."""
        record = self._by_date.get(day)
        if record is None:
            assert self._make is not None, f"{day} has no session record"
            record = self._by_date[day] = self._make(day)
        return record

    @property
    def first_date(self) -> dt.date:
        return self._dates[0]

    @property
    def last_date(self) -> dt.date:
        return self._dates[-1]

    def _check_range(self, day: dt.date) -> None:
        if not self.first_date <= day <= self.last_date:
            raise CalendarError(f"{day} is outside the calendar range {self.first_date}..{self.last_date}")

    def is_session(self, day: dt.date) -> bool:
        self._check_range(day)
        return day in self._open_days

    def session(self, day: dt.date) -> Session:
        """The session on ``day``; :class:`CalendarError` when the market is closed that day."""
        self._check_range(day)
        if day not in self._open_days:
            raise CalendarError(f"{day} is not an NYSE session (weekend or holiday)")
        return self._record(day)

    def session_open(self, day: dt.date) -> dt.datetime:
        return self.session(day).open

    def session_close(self, day: dt.date) -> dt.datetime:
        return self.session(day).close

    def is_early_close(self, day: dt.date) -> bool:
        return self.session(day).is_early_close

    def sessions(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Session dates in ``[start, end]`` (inclusive), ascending; both ends must be in range."""
        self._check_range(start)
        self._check_range(end)
        if end < start:
            return []
        low = bisect.bisect_left(self._dates, start)
        high = bisect.bisect_right(self._dates, end)
        return self._dates[low:high]

    def session_records(self, start: dt.date, end: dt.date) -> list[Session]:
        return [self._record(day) for day in self.sessions(start, end)]

    def holidays(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Weekdays in ``[start, end]`` on which the exchange is closed."""
        self._check_range(start)
        self._check_range(end)
        open_days = set(self.sessions(start, end))
        days = (start + dt.timedelta(days=offset) for offset in range((end - start).days + 1))
        return [day for day in days if day.weekday() < 5 and day not in open_days]

    def next_session(self, day: dt.date) -> dt.date:
        """The first session strictly after ``day``."""
        self._check_range(day)
        index = bisect.bisect_right(self._dates, day)
        if index >= len(self._dates):
            raise CalendarError(f"no session after {day} within the calendar range")
        return self._dates[index]

    def previous_session(self, day: dt.date) -> dt.date:
        """The last session strictly before ``day``."""
        self._check_range(day)
        index = bisect.bisect_left(self._dates, day) - 1
        if index < 0:
            raise CalendarError(f"no session before {day} within the calendar range")
        return self._dates[index]

    def sessions_back(self, day: dt.date, count: int) -> dt.date:
        """The session ``count`` sessions before ``day`` (``day`` itself counts as 0 if it is a session)."""
        self._check_range(day)
        index = bisect.bisect_right(self._dates, day) - 1 - count
        if index < 0:
            raise CalendarError(f"fewer than {count} sessions before {day}")
        return self._dates[index]

    def is_open(self, instant: dt.datetime) -> bool:
        """True when the regular session is open at ``instant`` (open inclusive, close exclusive)."""
        day = ny_date(instant)
        if not self.is_session(day):
            return False
        session = self._record(day)
        return session.open <= instant < session.close

    def bar_starts(self, day: dt.date, minutes: int) -> list[dt.datetime]:
        """Start instants (UTC) of the regular-session bars of ``minutes`` length on ``day``."""
        if minutes <= 0:
            raise ValueError("bar length must be positive")
        session = self.session(day)
        count = session.minutes // minutes
        step = dt.timedelta(minutes=minutes)
        return [session.open + index * step for index in range(count)]


def _build_sessions(start: dt.date, end: dt.date) -> list[Session]:
    """The sessions straight from exchange_calendars (what :mod:`avwap.core.nyse_table` is generated from)."""
    import exchange_calendars

    calendar = exchange_calendars.get_calendar("XNYS", start=start.isoformat(), end=end.isoformat())
    schedule = calendar.schedule
    opens = [moment.to_pydatetime() for moment in schedule["open"]]
    closes = [moment.to_pydatetime() for moment in schedule["close"]]
    return [
        Session(date=label.date(), open=open_.astimezone(dt.UTC), close=close.astimezone(dt.UTC))
        for label, open_, close in zip(schedule.index, opens, closes, strict=True)
    ]


def _ny_instant(day: dt.date, wall_clock: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, wall_clock, NEW_YORK).astimezone(dt.UTC)


def _table_dates() -> list[dt.date]:
    """The session dates of the generated table: every weekday that is not a closed weekday."""
    from avwap.core import nyse_table

    first = dt.date.fromisoformat(nyse_table.FIRST_SESSION)
    last = dt.date.fromisoformat(nyse_table.LAST_SESSION)
    closed = {dt.date.fromisoformat(day) for day in nyse_table.CLOSED_WEEKDAYS}
    days = map(dt.date.fromordinal, range(first.toordinal(), last.toordinal() + 1))
    return [day for day in days if day.weekday() < 5 and day not in closed]


def _table_session(day: dt.date, early_closes: Mapping[dt.date, dt.time]) -> Session:
    """The session of a table date: 09:30 ET to 16:00 ET or its early close."""
    close = early_closes.get(day, REGULAR_CLOSE)
    return Session(date=day, open=_ny_instant(day, REGULAR_OPEN), close=_ny_instant(day, close))


def _table_early_closes() -> dict[dt.date, dt.time]:
    from avwap.core import nyse_table

    return {
        dt.date.fromisoformat(day): dt.time.fromisoformat(close)
        for day, close in nyse_table.EARLY_CLOSES.items()
    }


def _table_sessions() -> list[Session]:
    """Every session of the generated table at once (the tests compare them with exchange_calendars)."""
    early = _table_early_closes()
    return [_table_session(day, early) for day in _table_dates()]


@functools.cache
def nyse() -> TradingCalendar:
    """The shared NYSE calendar (built once per process from the generated table, a few milliseconds)."""
    return TradingCalendar.lazy(
        _table_dates(), functools.partial(_table_session, early_closes=_table_early_closes())
    )
