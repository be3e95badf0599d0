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
NAT_DAY = np.iinfo(np.int64).min  # NaT as a day number
THURSDAY_OFFSET = 3  # 1970-01-01 (day 0) was a Thursday: day + 3 puts Mondays on multiples of 7


def iso_week_numbers(dates: DateArray) -> npt.NDArray[np.int64]:
    """A number per date, equal for the days of one ISO week and increasing week by week (−1 at NaT)."""
    days = dates.astype("datetime64[D]", copy=False).view(np.int64)  # day numbers; NaT is the smallest int
    weeks: npt.NDArray[np.int64] = np.where(days == NAT_DAY, -1, (days + THURSDAY_OFFSET) // 7)
    return weeks


def last_weekly_closes(dates: DateArray, close: FloatArray, weeks: int) -> FloatArray:
    """The last ``weeks`` weekly closes of each row (symbols × bars panel arrays), oldest first.

    Right-aligned like the panel: column −1 is the latest (possibly partial) week; rows with fewer weeks are
    NaN-padded on the left, so a weekly SMA over them is NaN (undefined, never a pass).
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    week = iso_week_numbers(dates)
    week_end = week >= 0
    week_end[:, :-1] &= week[:, :-1] != week[:, 1:]  # the last bar of each week (and each row's last bar)
    rows, columns = np.nonzero(week_end)  # row-major: each row's week ends, oldest first
    per_row = np.bincount(rows, minlength=close.shape[0])
    row_start = np.cumsum(per_row) - per_row
    from_end = per_row[rows] - (np.arange(rows.size) - row_start[rows])  # 1 at the latest week's last bar
    keep = from_end <= weeks
    rows, columns, from_end = rows[keep], columns[keep], from_end[keep]
    result = np.full((close.shape[0], weeks), np.nan)
    result[rows, weeks - from_end] = close[rows, columns]
    return result


def weekly_trend(dates: DateArray, close: FloatArray, fast: int, slow: int) -> tuple[FloatArray, ...]:
    """(weekly close, weekly SMA ``fast``, weekly SMA ``slow``) of each row at its last bar (NaN if short)."""
    closes = last_weekly_closes(dates, close, max(fast, slow))
    return closes[:, -1], closes[:, -fast:].mean(axis=1), closes[:, -slow:].mean(axis=1)
