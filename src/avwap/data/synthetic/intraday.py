"""Intraday bars that bridge daily bars exactly: first open, max high, min low, last close, summed volume.

Each (stock, session) row is a price path through four anchor points: the open, the session's low and high
(at drawn bar positions, the low early and the high late on reclaim days), and the close, with a Brownian
bridge between anchors whose steps are larger near the open and the close. The bar that holds the path's
peak gets the daily high as its high, the one at the trough the daily low, so the daily bar is reached
exactly. Volume follows a U-shaped profile (heavy open, heavier close auction) and is split in whole shares
that sum to the daily volume. All rows are computed at once on a padded (rows, bars) grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from avwap.data.synthetic.daily import DailyArrays, round_to_ticks

OPEN_WEIGHT: Final = 2.2  # extra volume at the open, decaying over ~25 minutes
CLOSE_WEIGHT: Final = 1.6  # extra volume into the close, decaying over ~20 minutes
PATH_SCALE: Final = 0.6  # bridge amplitude as a share of the daily range


@dataclass(frozen=True)
class IntradayArrays:
    """OHLCV arrays of shape (rows, max bars); ``valid`` marks the real bars of each row."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    valid: np.ndarray


def activity_profile(bar_minutes: int, max_bars: int, session_minutes: np.ndarray) -> np.ndarray:
    """U-shaped relative activity per bar, shape (rows, max bars), from minutes after open / before close."""
    middle = (np.arange(max_bars) + 0.5) * bar_minutes
    after_open = np.broadcast_to(middle, (session_minutes.size, max_bars))
    before_close = np.maximum(session_minutes[:, None] - middle, 0.0)
    result: np.ndarray = (
        1.0 + OPEN_WEIGHT * np.exp(-after_open / 25.0) + CLOSE_WEIGHT * np.exp(-before_close / 20.0)
    )
    return result


def piecewise_linear(times: np.ndarray, values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation through four strictly increasing anchor ``times`` (rows, 4)."""
    segment = (points >= times[:, 1:2]).astype(np.int64) + (points >= times[:, 2:3])
    left_time = np.take_along_axis(times, segment, axis=1)
    right_time = np.take_along_axis(times, segment + 1, axis=1)
    left_value = np.take_along_axis(values, segment, axis=1)
    right_value = np.take_along_axis(values, segment + 1, axis=1)
    fraction = (points - left_time) / (right_time - left_time)
    result: np.ndarray = left_value + fraction * (right_value - left_value)
    return result


def extreme_positions(
    rng: np.random.Generator, bar_counts: np.ndarray, reclaim: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Path points (1..n-1) of the low and of the high; distinct. Arcsine-distributed, like real extremes."""
    inner = bar_counts - 1
    arcsine = np.sin(0.5 * np.pi * rng.random((2, bar_counts.size))) ** 2
    low_at = np.clip(1 + (arcsine[0] * inner).astype(np.int64), 1, inner)
    high_at = np.clip(1 + (arcsine[1] * inner).astype(np.int64), 1, inner)
    low_at = np.where(reclaim, rng.integers(2, 8, bar_counts.size), low_at)
    high_at = np.where(reclaim, bar_counts - rng.integers(2, 11, bar_counts.size), high_at)
    high_at = np.where(high_at == low_at, np.where(low_at < inner, low_at + 1, low_at - 1), high_at)
    return low_at, high_at


def price_path(
    rng: np.random.Generator,
    daily: DailyArrays,
    bar_counts: np.ndarray,
    activity: np.ndarray,
    reclaim: np.ndarray,
) -> np.ndarray:
    """Tick-rounded path points, shape (rows, max bars + 1): point 0 is the open, point n the close."""
    rows, max_bars = activity.shape
    open_, high, low, close = daily.open, daily.high, daily.low, daily.close
    spread = high - low
    inner_low = np.minimum(low + 0.02 * spread, np.minimum(open_, close))
    inner_high = np.maximum(high - 0.02 * spread, np.maximum(open_, close))
    low_at, high_at = extreme_positions(rng, bar_counts, reclaim)
    low_first = low_at < high_at
    times = np.stack(
        [np.zeros(rows, np.int64), np.minimum(low_at, high_at), np.maximum(low_at, high_at), bar_counts],
        axis=1,
    )
    values = np.stack(
        [
            open_,
            np.where(low_first, inner_low, inner_high),
            np.where(low_first, inner_high, inner_low),
            close,
        ],
        axis=1,
    )
    points = np.arange(max_bars + 1, dtype=np.float64)
    base = piecewise_linear(times, values, points)
    steps = rng.standard_normal((rows, max_bars)) * np.sqrt(activity)
    walk = np.concatenate([np.zeros((rows, 1)), np.cumsum(steps, axis=1)], axis=1)
    bridge = walk - piecewise_linear(times, np.take_along_axis(walk, times, axis=1), points)
    scale = PATH_SCALE * spread / np.sqrt(bar_counts)
    # Reflect (not clip) off the daily extremes: a clipped path would sit flat on the low for many bars.
    path = low[:, None] + np.abs(base + scale[:, None] * bridge - low[:, None])
    path = np.clip(high[:, None] - np.abs(high[:, None] - path), low[:, None], high[:, None])
    path[:, 0] = open_
    path[np.arange(rows), bar_counts] = close
    return round_to_ticks(path)


def split_volume(
    rng: np.random.Generator,
    daily: DailyArrays,
    *,
    bar_open: np.ndarray,
    bar_close: np.ndarray,
    activity: np.ndarray,
    valid: np.ndarray,
    bar_counts: np.ndarray,
) -> np.ndarray:
    """Whole-share bar volumes that sum exactly to the daily volume; the remainder joins the closing bar."""
    move = np.abs(bar_close - bar_open) / np.maximum(daily.high - daily.low, 1e-9)[:, None]
    weight = activity * np.exp(0.3 * rng.standard_normal(activity.shape)) * (1.0 + 4.0 * move) * valid
    weight /= weight.sum(axis=1, keepdims=True)
    volume: np.ndarray = np.floor(weight * daily.volume[:, None])
    volume[np.arange(volume.shape[0]), bar_counts - 1] += daily.volume - volume.sum(axis=1)
    return volume


def bridge_sessions(
    rng: np.random.Generator,
    daily: DailyArrays,
    *,
    bar_counts: np.ndarray,
    session_minutes: np.ndarray,
    bar_minutes: int,
    reclaim: np.ndarray,
) -> IntradayArrays:
    """Intraday bars for one-dimensional daily arrays (one entry per row) with tick-valid daily prices."""
    max_bars = int(bar_counts.max())
    rows = bar_counts.size
    valid = np.arange(max_bars)[None, :] < bar_counts[:, None]
    activity = activity_profile(bar_minutes, max_bars, session_minutes) * valid
    path = price_path(rng, daily, bar_counts, activity, reclaim)
    bar_open, bar_close = path[:, :-1], path[:, 1:]
    wick = 0.3 * PATH_SCALE * (daily.high - daily.low) / np.sqrt(bar_counts)
    upper = np.abs(rng.standard_normal((rows, max_bars))) * wick[:, None]
    lower = np.abs(rng.standard_normal((rows, max_bars))) * wick[:, None]
    bar_high = np.minimum(round_to_ticks(np.maximum(bar_open, bar_close) + upper), daily.high[:, None])
    bar_low = np.maximum(round_to_ticks(np.minimum(bar_open, bar_close) - lower), daily.low[:, None])
    # The daily extremes are reached by the bar nearest to them.
    every_row = np.arange(rows)
    bar_high[every_row, np.argmax(np.where(valid, bar_high, -np.inf), axis=1)] = daily.high
    bar_low[every_row, np.argmin(np.where(valid, bar_low, np.inf), axis=1)] = daily.low
    volume = split_volume(
        rng,
        daily,
        bar_open=bar_open,
        bar_close=bar_close,
        activity=activity,
        valid=valid,
        bar_counts=bar_counts,
    )
    return IntradayArrays(bar_open, bar_high, bar_low, bar_close, volume, valid)
