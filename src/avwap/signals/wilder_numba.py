"""Numba kernels of Wilder's smoothing and of the directional indexes built on it: the one implementation
behind :func:`avwap.signals.indicators.wilder_smooth` and
:func:`~avwap.signals.indicators.directional_indexes`.

Wilder's smoothing, row by row, bar by bar: seed with the simple mean of the first ``period`` finite values,
then ``s = (s·(period − 1) + x) / period``; a NaN resets the seed. The arithmetic is written in the order the
former numpy loops used, so results are bit-identical to them. Compiled loops matter for the backtest, which
evaluates hundreds of thousands of 300-bar windows: a numpy loop over bars costs ~1 µs per array operation,
and the directional indexes need a dozen full-size temporaries per window batch.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from avwap.signals.numba_runtime import njit, prange

FloatArray = npt.NDArray[np.float64]
Step = tuple[int, float, float, float]


@njit(cache=True)
def wilder_step(count: int, seed_sum: float, value: float, current: float, period: int) -> Step:
    """One bar of Wilder's smoothing. State: finite values seen since the last NaN, their sum while seeding,
    the smoothed value. Returns the new state and the output (NaN while seeding and on a NaN input)."""
    if not math.isfinite(current):
        return 0, 0.0, value, math.nan
    if count < period:
        seed_sum += current
        count += 1
        if count == period:
            value = seed_sum / period
    else:
        value = (value * (period - 1) + current) / period
    return count, seed_sum, value, (value if count == period else math.nan)


@njit(cache=True, parallel=True)
def smooth_rows(values: FloatArray, period: int, output: FloatArray) -> None:
    """Fill ``output`` (same shape as the 2-D ``values``) with Wilder's smoothing along each row."""
    for row in prange(values.shape[0]):
        count, seed_sum, value = 0, 0.0, math.nan
        for bar in range(values.shape[1]):
            count, seed_sum, value, smoothed = wilder_step(count, seed_sum, value, values[row, bar], period)
            output[row, bar] = smoothed


@njit(cache=True)
def _index(smoothed_move: float, smoothed_range: float) -> float:
    return 100.0 * smoothed_move / smoothed_range if smoothed_range > 0 else math.nan


@njit(cache=True)
def _movement(plus: float, minus: float) -> float:
    total = plus + minus
    if not math.isfinite(total):
        return math.nan
    return 100.0 * abs(plus - minus) / total if total > 0 else 0.0


@njit(cache=True)
def _moves(high: FloatArray, low: FloatArray, bar: int) -> tuple[float, float]:
    """(+DM, −DM) of ``bar``: the up move when it exceeds the down move and is positive (else 0), the down
    move symmetrically; NaN on the first bar or next to a missing one."""
    if bar == 0:
        return math.nan, math.nan
    up = high[bar] - high[bar - 1]
    down = low[bar - 1] - low[bar]
    if not (math.isfinite(up) and math.isfinite(down)):
        return math.nan, math.nan
    return (up if up > down and up > 0.0 else 0.0), (down if down > up and down > 0.0 else 0.0)


@njit(cache=True)
def _directional_row(  # noqa: PLR0917 - one row of directional_rows
    ranges: FloatArray,
    high: FloatArray,
    low: FloatArray,
    period: int,
    average_range: FloatArray,
    plus_index: FloatArray,
    minus_index: FloatArray,
    average_index: FloatArray,
) -> None:
    range_count, range_sum, range_value = 0, 0.0, math.nan
    plus_count, plus_sum, plus_value = 0, 0.0, math.nan
    minus_count, minus_sum, minus_value = 0, 0.0, math.nan
    index_count, index_sum, index_value = 0, 0.0, math.nan
    for bar in range(ranges.shape[0]):
        range_count, range_sum, range_value, smoothed_range = wilder_step(
            range_count, range_sum, range_value, ranges[bar], period
        )
        plus_move, minus_move = _moves(high, low, bar)
        plus_count, plus_sum, plus_value, smoothed_plus = wilder_step(
            plus_count, plus_sum, plus_value, plus_move, period
        )
        minus_count, minus_sum, minus_value, smoothed_minus = wilder_step(
            minus_count, minus_sum, minus_value, minus_move, period
        )
        plus = _index(smoothed_plus, smoothed_range)
        minus = _index(smoothed_minus, smoothed_range)
        index_count, index_sum, index_value, average = wilder_step(
            index_count, index_sum, index_value, _movement(plus, minus), period
        )
        average_range[bar] = smoothed_range
        plus_index[bar] = plus
        minus_index[bar] = minus
        average_index[bar] = average


@njit(cache=True, parallel=True)
def directional_rows(  # noqa: PLR0917 - inputs then outputs, all rows × bars
    true_range: FloatArray,
    high: FloatArray,
    low: FloatArray,
    period: int,
    average_range: FloatArray,
    plus_index: FloatArray,
    minus_index: FloatArray,
    average_index: FloatArray,
) -> None:
    """Smoothed true range (ATR), +DI, −DI and ADX of each row from its true range, highs and lows.

    DI = 100·smoothed move / smoothed range (NaN unless the range is > 0); DX = 100·|+DI − −DI| / (+DI + −DI),
    0 when the sum is 0 and NaN when it is undefined; ADX = Wilder smoothing of DX.
    """
    for row in prange(true_range.shape[0]):
        _directional_row(
            true_range[row],
            high[row],
            low[row],
            period,
            average_range[row],
            plus_index[row],
            minus_index[row],
            average_index[row],
        )
