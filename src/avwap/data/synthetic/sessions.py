"""The sessions of a synthetic market: daily dates and the intraday bar grids, all from the NYSE calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from avwap.core.calendar import nyse
from avwap.core.errors import ConfigurationError
from avwap.data.bars import FREQUENCY_MINUTES
from avwap.data.synthetic.spec import MIN_DAILY_SESSIONS, SyntheticMarketSpec


@dataclass(frozen=True)
class SessionLayout:
    """Daily session dates and, for the intraday sessions, their bar grids (epoch ns, zero padded)."""

    dates: tuple[dt.date, ...]
    intraday_indices: np.ndarray
    bar_counts: np.ndarray
    session_minutes: np.ndarray
    bar_starts: np.ndarray
    bar_minutes: int


def session_layout(spec: SyntheticMarketSpec) -> SessionLayout:
    """The daily sessions of ``spec`` and the calendar's bar starts of its intraday sessions (DST and early
    closes included); too short a history is a ConfigurationError."""
    calendar = nyse()
    dates = tuple(calendar.sessions(spec.daily_start, spec.daily_end))
    if len(dates) < MIN_DAILY_SESSIONS:
        raise ConfigurationError(
            "daily_start",
            f"{len(dates)} sessions in {spec.daily_start}..{spec.daily_end}; need {MIN_DAILY_SESSIONS}",
        )
    minutes = FREQUENCY_MINUTES[spec.intraday_frequency]
    intraday_dates = calendar.sessions(spec.intraday_start, spec.daily_end) if spec.intraday_start else []
    starts = [calendar.bar_starts(day, minutes) for day in intraday_dates]
    bar_counts = np.array([len(bars) for bars in starts], dtype=np.int64)
    grid = np.zeros((len(starts), int(bar_counts.max()) if starts else 0), dtype=np.int64)
    for row, bars in enumerate(starts):
        grid[row, : len(bars)] = [int(moment.timestamp()) * 1_000_000_000 for moment in bars]
    first = dates.index(intraday_dates[0]) if intraday_dates else len(dates)
    return SessionLayout(
        dates=dates,
        intraday_indices=np.arange(first, first + len(intraday_dates)),
        bar_counts=bar_counts,
        session_minutes=np.array([calendar.session(day).minutes for day in intraday_dates], dtype=np.float64),
        bar_starts=grid,
        bar_minutes=minutes,
    )
