"""Per-day counters roll over at the New York date change, not at UTC midnight.

``2026-07-01T02:00Z`` is still 2026-06-30 in New York, so an entry made then counts against June 30's
MAX_ORDERS_PER_DAY. The NY date comes from :func:`avwap.core.calendar.ny_date`, so DST changes
(2026-03-08, 2026-11-01) move the rollover instant between 04:00Z and 05:00Z by themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from avwap.core.calendar import ny_date


def entries_today(entry_dates_ny: Iterable[dt.date], now_utc: dt.datetime) -> int:
    """How many of ``entry_dates_ny`` (the NY dates recorded with each entry) fall on today's NY date."""
    today = ny_date(now_utc)
    total = 0
    for day in entry_dates_ny:
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            # A datetime never equals a date: counting it as "not today" would silently lift the cap.
            raise TypeError(f"entry dates must be NY dates, got {day!r}")
        total += day == today
    return total


def entries_today_from_instants(entry_instants: Iterable[dt.datetime], now_utc: dt.datetime) -> int:
    """How many entries, given by their (timezone-aware) instants, happened on today's NY date."""
    return entries_today((ny_date(instant) for instant in entry_instants), now_utc)
