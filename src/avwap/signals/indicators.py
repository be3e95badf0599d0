"""Technical indicators over bar arrays.

Every function takes 1-D arrays (one symbol's bars) or 2-D arrays (symbols × bars, the panel layout) and works
along the last axis; the result has the input's shape. A value is NaN until enough bars exist, and a NaN input
inside a window makes that window NaN: a missing bar never turns into a silently smaller window.

Wilder smoothing (ATR, ADX) seeds with the simple mean of the first ``period`` values and then applies
``s = (s·(period − 1) + x) / period``. The first true range needs a previous close, so ATR(14) first appears
on the 15th bar, and ADX(14) (a Wilder mean of DX, itself built from smoothed directional movement) on
the 28th.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

FloatArray = npt.NDArray[np.float64]
TRADING_DAYS_PER_YEAR = 252


def _rows(values: npt.ArrayLike) -> FloatArray:
    """``values`` as a float64 2-D array (a 1-D input becomes one row)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim not in (1, 2):
        raise ValueError(f"expected a 1-D or 2-D array, got {array.ndim} dimensions")
    return array.reshape(1, -1) if array.ndim == 1 else array


def _like(result: FloatArray, values: npt.ArrayLike) -> FloatArray:
    return result.reshape(np.shape(values))


def _windowed(values: npt.ArrayLike, window: int) -> tuple[FloatArray, FloatArray]:
    """(output filled with NaN, sliding windows) for a rolling statistic over ``window`` bars."""
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    rows = _rows(values)
    output = np.full(rows.shape, np.nan)
    if rows.shape[1] < window:
        return output, np.empty((rows.shape[0], 0, window))
    return output, sliding_window_view(rows, window, axis=-1)


def shift(values: npt.ArrayLike, bars: int) -> FloatArray:
    """``values`` delayed by ``bars`` (> 0) bars; the first ``bars`` entries are NaN."""
    rows = _rows(values)
    output = np.full(rows.shape, np.nan)
    if bars < rows.shape[1]:
        output[:, bars:] = rows[:, : rows.shape[1] - bars]
    return _like(output, values)


def rolling_sum(values: npt.ArrayLike, window: int) -> FloatArray:
    """Sum of the last ``window`` bars (including the current one)."""
    output, windows = _windowed(values, window)
    output[:, window - 1 :] = windows.sum(axis=-1)
    return _like(output, values)


def sma(values: npt.ArrayLike, window: int) -> FloatArray:
    """Simple moving average over ``window`` bars."""
    return rolling_sum(values, window) / window


def _rolling_extreme(values: npt.ArrayLike, window: int, pick: np.ufunc) -> FloatArray:
    """``pick`` (np.maximum / np.minimum) of the last ``window`` bars: the window's bars folded in one
    shifted column block at a time. The extreme is one of the bars (NaN if any is NaN), as a reduction
    over each window gives, but without a short inner loop per window (~10x slower at 5 bars)."""
    output, windows = _windowed(values, window)
    count = windows.shape[1]
    if count:
        rows = _rows(values)
        result = output[:, window - 1 :]
        np.copyto(result, rows[:, :count])
        for offset in range(1, window):
            pick(result, rows[:, offset : offset + count], out=result)
    return _like(output, values)


def rolling_high(values: npt.ArrayLike, window: int) -> FloatArray:
    """Highest value of the last ``window`` bars (the N-bar high when given highs)."""
    return _rolling_extreme(values, window, np.maximum)


def rolling_low(values: npt.ArrayLike, window: int) -> FloatArray:
    """Lowest value of the last ``window`` bars (the N-bar low when given lows)."""
    return _rolling_extreme(values, window, np.minimum)


def _sorted_median(ordered: FloatArray, required: int) -> FloatArray:
    """Median along the last axis of NaN-last sorted windows, NaN where fewer than ``required`` are finite."""
    count = np.isfinite(ordered).sum(axis=-1)
    lower = np.take_along_axis(ordered, np.maximum(count - 1, 0)[..., None] // 2, axis=-1)[..., 0]
    upper = np.take_along_axis(ordered, np.maximum(count, 1)[..., None] // 2, axis=-1)[..., 0]
    result: FloatArray = np.where(count >= required, (lower + upper) / 2.0, np.nan)
    return result


def _required(window: int, min_periods: int | None) -> int:
    required = window if min_periods is None else min_periods
    if not 1 <= required <= window:
        raise ValueError(f"min_periods must be within 1..{window}, got {required}")
    return required


def rolling_median(values: npt.ArrayLike, window: int, min_periods: int | None = None) -> FloatArray:
    """Median of the finite values among the last ``window`` bars; NaN while fewer than ``min_periods``.

    ``min_periods`` defaults to ``window``. Sorting puts NaN last, so the median is read from the finite head.
    """
    required = _required(window, min_periods)
    rows = _rows(values)
    padded = np.concatenate([np.full((rows.shape[0], window - 1), np.nan), rows], axis=1)
    ordered = np.sort(sliding_window_view(padded, window, axis=-1), axis=-1)
    return _like(_sorted_median(ordered, required), values)


def trailing_median(values: npt.ArrayLike, window: int, min_periods: int | None = None) -> FloatArray:
    """:func:`rolling_median` at the last bar only, one value per row (all a daily scan needs; cheaper)."""
    required = _required(window, min_periods)
    rows = _rows(values)
    tail = rows[:, -window:]
    missing = window - tail.shape[1]
    if missing > 0:
        tail = np.concatenate([np.full((rows.shape[0], missing), np.nan), tail], axis=1)
    median = _sorted_median(np.sort(tail, axis=-1), required)
    return median if np.ndim(values) == 2 else median.reshape(())


def fractional_slope(values: npt.ArrayLike, bars: int) -> FloatArray:
    """``values[t] / values[t − bars] − 1`` (NaN when the older value is missing or zero)."""
    rows = _rows(values)
    older = _rows(shift(rows, bars))
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(older != 0.0, rows / older - 1.0, np.nan)
    return _like(slope, values)


def true_range(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> FloatArray:
    """max(H − L, |H − previous C|, |L − previous C|); NaN on the first bar (no previous close)."""
    highs, lows, closes = _rows(high), _rows(low), _rows(close)
    ranges = np.full(highs.shape, np.nan)  # the first bar: max(H − L, NaN, NaN) is NaN
    if highs.shape[1] > 1:  # the same operations on bars 1.., in place (no shifted copy of the closes)
        today_high, today_low, previous_close = highs[:, 1:], lows[:, 1:], closes[:, :-1]
        up = np.abs(today_high - previous_close)
        down = np.subtract(today_low, previous_close)
        np.abs(down, out=down)
        np.maximum(up, down, out=up)
        np.subtract(today_high, today_low, out=down)
        np.maximum(down, up, out=ranges[:, 1:])
    return _like(ranges, high)


def _wilder_kernels(rows: int) -> ModuleType:
    """The module whose Wilder kernels to run: both give the same bits. The numpy twin
    (:mod:`avwap.signals.wilder_numpy`) when this process chose twins (:mod:`avwap.signals.kernel_choice`:
    a short ``avwap scan`` saves numba's ~0.5 s start) and the input is small; numba's compiled rows
    otherwise."""
    from avwap.signals import kernel_choice, wilder_numpy

    if kernel_choice.use_twins(rows, wilder_numpy.NUMPY_MAX_ROWS):
        return wilder_numpy
    from avwap.signals import wilder_numba

    return wilder_numba


def wilder_smooth(values: npt.ArrayLike, period: int) -> FloatArray:
    """Wilder's smoothing: simple mean of the first ``period`` finite values, then ``(s·(p−1) + x)/p``.

    A NaN after the seed restarts the seed (a gap in the data must not be smoothed over). The loop is the
    compiled kernel :func:`avwap.signals.wilder_numba.smooth_rows` (rows in parallel), or its bit-identical
    numpy twin (see :func:`_wilder_kernels`).
    """
    if period < 1:
        raise ValueError(f"period must be at least 1, got {period}")
    rows = np.ascontiguousarray(_rows(values))
    output = np.empty(rows.shape)
    _wilder_kernels(rows.shape[0]).smooth_rows(rows, int(period), output)
    return _like(output, values)


def atr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """Average true range, Wilder smoothing (first value on bar ``period``, 0-based)."""
    return wilder_smooth(true_range(high, low, close), period)


def _directional(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(ATR, +DI, −DI, ADX) as 2-D arrays, in one pass of the compiled
    :func:`~avwap.signals.wilder_numba.directional_rows` (or its numpy twin)."""
    if period < 1:
        raise ValueError(f"period must be at least 1, got {period}")
    highs, lows = np.ascontiguousarray(_rows(high)), np.ascontiguousarray(_rows(low))
    ranges = np.ascontiguousarray(_rows(true_range(highs, lows, close)))
    average_range, plus_index, minus_index, average = (np.empty(ranges.shape) for _ in range(4))
    directional_rows = _wilder_kernels(ranges.shape[0]).directional_rows
    directional_rows(ranges, highs, lows, int(period), average_range, plus_index, minus_index, average)
    return average_range, plus_index, minus_index, average


def directional_indexes(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(+DI, −DI, ADX), Wilder's definitions.

    +DM = up move when it exceeds the down move and is positive (else 0), −DM symmetrically; both and the true
    range are Wilder-smoothed; DI = 100·smoothed DM / smoothed TR; DX = 100·|+DI − −DI| / (+DI + −DI) (0 when
    both are 0: no directional movement is no trend); ADX = Wilder smoothing of DX.
    """
    _, plus_index, minus_index, average = _directional(high, low, close, period)
    return _like(plus_index, high), _like(minus_index, high), _like(average, high)


def adx(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """Average directional index (Wilder); first value on bar ``2·period − 1`` (0-based)."""
    return directional_indexes(high, low, close, period)[2]


def atr_and_adx(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, atr_period: int = 14, adx_period: int = 14
) -> tuple[FloatArray, FloatArray]:
    """(:func:`atr`, :func:`adx`), computed in one pass when the periods are equal (the ADX smooths the true
    range anyway; the values are the same either way)."""
    if atr_period != adx_period:
        return atr(high, low, close, atr_period), adx(high, low, close, adx_period)
    average_range, _, _, average = _directional(high, low, close, adx_period)
    return _like(average_range, high), _like(average, high)


def realized_volatility(
    close: npt.ArrayLike, window: int = 20, periods_per_year: int = TRADING_DAYS_PER_YEAR
) -> FloatArray:
    """Annualized sample standard deviation (ddof 1) of log returns over the last ``window`` returns."""
    closes = _rows(close)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.log(closes / _rows(shift(closes, 1)))
    output, windows = _windowed(returns, window)
    output[:, window - 1 :] = windows.std(axis=-1, ddof=1) * np.sqrt(periods_per_year)
    return _like(output, close)


def average_volume(volume: npt.ArrayLike, window: int = 20) -> FloatArray:
    """Mean share volume of the last ``window`` bars."""
    return sma(volume, window)


def average_dollar_volume(close: npt.ArrayLike, volume: npt.ArrayLike, window: int = 20) -> FloatArray:
    """Mean of close × volume over the last ``window`` bars."""
    return sma(_rows(close) * _rows(volume), window).reshape(np.shape(close))


def trend_score_formula(
    sma_slope_percent: npt.ArrayLike, adx_value: npt.ArrayLike, atr_pct_ratio: npt.ArrayLike
) -> FloatArray:
    """2·(SMA slope, %) + 0.7·ADX·sign(slope) − 10·(ATR% / its median): the scan's trend score."""
    slope = np.asarray(sma_slope_percent, dtype=np.float64)
    return 2.0 * slope + 0.7 * np.asarray(adx_value) * np.sign(slope) - 10.0 * np.asarray(atr_pct_ratio)


def atr_percent(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """ATR as a percentage of the close."""
    return 100.0 * atr(high, low, close, period) / np.asarray(close, dtype=np.float64)


def trend_score(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    *,
    sma_window: int = 50,
    slope_bars: int = 10,
    period: int = 14,
    median_window: int = 120,
    median_min_periods: int | None = None,
) -> FloatArray:
    """Trend score series: 2·(10-bar % slope of SMA50) + 0.7·ADX·sign(slope) − 10·(ATR% / its median)."""
    average = sma(close, sma_window)
    slope_percent = 100.0 * fractional_slope(average, slope_bars)
    volatility = atr_percent(high, low, close, period)
    ratio = volatility / rolling_median(volatility, median_window, median_min_periods)
    return trend_score_formula(slope_percent, adx(high, low, close, period), ratio)
