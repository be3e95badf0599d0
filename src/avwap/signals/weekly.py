"""Weekly closes from daily bars, vectorized over a panel (for the scan's weekly alignment filter).

A week is an ISO week (Monday to Sunday); its close is the close of its last daily bar. The latest week of a
row ends at the row's last bar, so on a mid-week as-of date that week counts with its partial close (the
close of the as-of bar), and nothing after the as-of date is ever seen (the panel stops there).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]
IntArray = npt.NDArray[np.int64]
NAT_DAY = np.iinfo(np.int64).min  # NaT as a day number
THURSDAY_OFFSET = 3  # 1970-01-01 (day 0) was a Thursday: day + 3 puts Mondays on multiples of 7


def iso_week_numbers(dates: DateArray) -> npt.NDArray[np.int64]:
    """A number per date, equal for the days of one ISO week and increasing week by week (−1 at NaT)."""
    days = dates.astype("datetime64[D]", copy=False).view(np.int64)  # day numbers; NaT is the smallest int
    weeks: npt.NDArray[np.int64] = np.where(days == NAT_DAY, -1, (days + THURSDAY_OFFSET) // 7)
    return weeks


def weekly_closes_at(
    dates: DateArray, close: FloatArray, rows: IntArray, ends: IntArray, weeks: int
) -> FloatArray:
    """The last ``weeks`` weekly closes of row ``rows[i]``'s bars up to column ``ends[i]``, oldest first (one
    output row per ``i``). The week of the bar at ``ends[i]`` is the latest, with that bar's (possibly
    partial) close; fewer weeks are NaN-padded on the left, so a weekly SMA over them is NaN (never a pass).
    Bars after ``ends[i]`` are not read (a panel of windows: every row up to its last column).
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    week = iso_week_numbers(dates)
    week_end = week >= 0
    week_end[:, :-1] &= week[:, :-1] != week[:, 1:]  # the last bar of each week (and each row's last bar)
    before: IntArray = np.cumsum(week_end, axis=1) - week_end  # week ends strictly before each column
    _, columns = np.nonzero(week_end)  # row-major: each row's week-end columns, oldest first
    first = np.cumsum(week_end.sum(axis=1)) - week_end.sum(axis=1)  # where each row's list starts
    result = np.full((rows.size, weeks), np.nan)
    has_bar = week[rows, ends] >= 0
    result[:, -1] = np.where(has_bar, close[rows, ends], np.nan)
    earlier: IntArray = before[rows, ends]
    for back in range(1, min(weeks, int(earlier.max(initial=0)) + 1)):
        known = has_bar & (earlier >= back)
        picked = columns[first[rows] + np.where(known, earlier - back, 0)] if columns.size else ends
        result[:, -1 - back] = np.where(known, close[rows, picked], np.nan)
    return result


def last_weekly_closes(dates: DateArray, close: FloatArray, weeks: int) -> FloatArray:
    """The last ``weeks`` weekly closes of each row (symbols × bars panel arrays), oldest first.

    Right-aligned like the panel: column −1 is the latest (possibly partial) week; rows with fewer weeks are
    NaN-padded on the left, so a weekly SMA over them is NaN (undefined, never a pass).
    """
    rows = np.arange(close.shape[0])
    if close.shape[1] == 0 and weeks >= 1:  # no bars: no weeks (weekly_closes_at validates ``weeks``)
        return np.full((rows.size, weeks), np.nan)
    return weekly_closes_at(dates, close, rows, np.full(rows.size, close.shape[1] - 1), weeks)


def weekly_trend_of(closes: FloatArray, fast: int, slow: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(weekly close, weekly SMA ``fast``, weekly SMA ``slow``) of :func:`weekly_closes_at` rows."""
    return closes[:, -1], closes[:, -fast:].mean(axis=1), closes[:, -slow:].mean(axis=1)


def weekly_trend(
    dates: DateArray, close: FloatArray, fast: int, slow: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(weekly close, weekly SMA ``fast``, weekly SMA ``slow``) of each row at its last bar (NaN if short)."""
    return weekly_trend_of(last_weekly_closes(dates, close, max(fast, slow)), fast, slow)
