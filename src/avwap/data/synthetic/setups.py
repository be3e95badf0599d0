"""Planted S1 setups: sessions in which a stock reclaims its year-to-date anchored VWAP and holds it.

On an intraday session, a stock whose previous close sits 0.1%-3% above its YTD AVWAP (the scan's
highest-priority anchor, inside its distance bonus zone) may get a *reclaim day*: it opens just below the
AVWAP, dips further in the first half hour, then climbs through the level and closes 0.8%-2.5% above it with
its high late in the day. The intraday bridge puts the low early and the high late on these days, so a
10-minute bar closes above the entry level and the next one holds: the S1 trigger fires on real structure.
Later sessions are rescaled so that their own returns are unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from avwap.data.synthetic.daily import DailyArrays

MINIMUM_ANCHOR_BARS: Final = 5
DISTANCE_RANGE: Final = (0.001, 0.03)
PLANT_RATE_UP: Final = 0.6
PLANT_RATE_OTHER: Final = 0.2


@dataclass(frozen=True)
class Reclaims:
    """Where reclaim days were planted (sessions x stocks mask) and the AVWAP level each one reclaims."""

    mask: np.ndarray
    level: np.ndarray


def year_start_indices(dates: Sequence[dt.date]) -> np.ndarray:
    """For each session, the index of the first session of its calendar year within ``dates``."""
    years = np.array([day.year for day in dates])
    first_of_year = np.r_[True, years[1:] != years[:-1]]
    result: np.ndarray = np.maximum.accumulate(np.where(first_of_year, np.arange(years.size), 0))
    return result


def anchored_vwap(bars: DailyArrays, anchor: int, last: int) -> np.ndarray:
    """AVWAP of typical price (H+L+C)/3 over sessions ``anchor..last`` (inclusive), per stock."""
    rows = slice(anchor, last + 1)
    typical = (bars.high[rows] + bars.low[rows] + bars.close[rows]) / 3.0
    volume = bars.volume[rows]
    result: np.ndarray = (typical * volume).sum(axis=0) / volume.sum(axis=0)
    return result


def plant_reclaims(
    rng: np.random.Generator,
    bars: DailyArrays,
    *,
    session_indices: Sequence[int] | np.ndarray,
    year_starts: np.ndarray,
    blocked: np.ndarray,
    up_regime: np.ndarray,
) -> Reclaims:
    """Plant reclaim days on ``session_indices`` (ascending), editing ``bars`` in place."""
    mask = np.zeros(bars.close.shape, dtype=bool)
    level = np.full(bars.close.shape, np.nan)
    stocks = bars.close.shape[1]
    for index in session_indices:
        draws = rng.random((6, stocks))
        anchor = int(year_starts[index])
        if index - 1 - anchor + 1 < MINIMUM_ANCHOR_BARS:
            continue
        avwap = anchored_vwap(bars, anchor, index - 1)
        distance = bars.close[index - 1] / avwap - 1.0
        rate = np.where(up_regime[index], PLANT_RATE_UP, PLANT_RATE_OTHER)
        chosen = (
            (distance >= DISTANCE_RANGE[0])
            & (distance <= DISTANCE_RANGE[1])
            & ~blocked[index]
            & ~mask[index - 1]
            & (draws[0] < rate)
        )
        if not chosen.any():
            continue
        columns = np.flatnonzero(chosen)
        _reshape_day(bars, index, columns, avwap[columns], draws[1:, columns])
        mask[index, columns] = True
        level[index, columns] = avwap[columns]
    return Reclaims(mask, level)


def _reshape_day(
    bars: DailyArrays, index: int, columns: np.ndarray, level: np.ndarray, draws: np.ndarray
) -> None:
    """Give session ``index`` of ``columns`` the reclaim shape; rescale the sessions after it."""
    open_ = level * np.exp(-(0.0005 + 0.0035 * draws[0]))
    low = level * np.exp(-(0.006 + 0.014 * draws[1]))
    close = level * np.exp(0.008 + 0.017 * draws[2])
    high = close * np.exp(0.003 * draws[3])
    ratio = close / bars.close[index, columns]
    for array in (bars.open, bars.high, bars.low, bars.close):
        array[index + 1 :, columns] *= ratio
    bars.open[index, columns] = open_
    bars.high[index, columns] = high
    bars.low[index, columns] = low
    bars.close[index, columns] = close
    bars.volume[index, columns] = np.round(bars.volume[index, columns] * np.exp(0.2 + 0.4 * draws[4]))
