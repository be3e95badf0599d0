"""Numba AVWAP kernels (compiled once, cached on disk under ``NUMBA_CACHE_DIR``).

Snapshot kernel (statistics at one bar ``end`` for many anchors). Every anchor of a symbol ends at the same
bar, so the bars ``oldest anchor..end`` are cut into segments at each anchor (and at ``end − slope_bars + 1``
and ``end``, where the slope base and the previous-bar AVWAP are read). Each segment gets its volume, VWAP and
``M2 = Σ v·(p − segment VWAP)²`` by an exact two-pass sum; walking the segments back from ``end``, they are
merged with Chan's pairwise formula (``M2 = M2₁ + M2₂ + δ²·W₁W₂/W``, a sum of non-negative terms). σ is thus
computed about each anchor's own AVWAP: no cancellation however far prices drift from the anchor or however
tiny the variance is at a price of 1e4. Every bar is read once from memory (the second pass of a segment runs
from cache), and the reductions use four independent partial sums so they are not bound by add latency.

Series kernel (every bar): West's weighted online update of (Σv, mean, M2), equally free of cancellation.
Symbols are independent, so the parallel variants are bit-identical to the serial one.
Definitions: :mod:`avwap.signals.avwap_reference`.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from avwap.signals.numba_runtime import njit, prange

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Outputs = tuple[FloatArray, FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]
Summary = tuple[float, float, float]


@njit(cache=True)
def _segment(prices: FloatArray, weights: FloatArray, start: int, stop: int, reference: float) -> Summary:
    """(Σv, VWAP − reference, Σv·(p − VWAP)²) of bars ``start..stop − 1``; (0, 0, 0) without volume, NaN on a
    NaN bar. Means stay relative to one reference per symbol so that differences between segment means (used
    by the merge) are exact to the last digit even when the prices themselves are ~1e4."""
    count0 = count1 = count2 = count3 = 0.0
    shift0 = shift1 = shift2 = shift3 = 0.0
    bar = start
    while bar + 4 <= stop:  # four independent partial sums: throughput instead of add latency
        count0 += weights[bar]
        count1 += weights[bar + 1]
        count2 += weights[bar + 2]
        count3 += weights[bar + 3]
        shift0 += (prices[bar] - reference) * weights[bar]
        shift1 += (prices[bar + 1] - reference) * weights[bar + 1]
        shift2 += (prices[bar + 2] - reference) * weights[bar + 2]
        shift3 += (prices[bar + 3] - reference) * weights[bar + 3]
        bar += 4
    while bar < stop:
        count0 += weights[bar]
        shift0 += (prices[bar] - reference) * weights[bar]
        bar += 1
    count = (count0 + count1) + (count2 + count3)
    shifted = (shift0 + shift1) + (shift2 + shift3)
    if math.isnan(count) or math.isnan(shifted):
        return math.nan, math.nan, math.nan
    if count == 0.0:
        return 0.0, 0.0, 0.0
    mean = shifted / count
    spread0 = spread1 = spread2 = spread3 = 0.0
    bar = start
    while bar + 4 <= stop:
        spread0 += weights[bar] * (prices[bar] - reference - mean) ** 2
        spread1 += weights[bar + 1] * (prices[bar + 1] - reference - mean) ** 2
        spread2 += weights[bar + 2] * (prices[bar + 2] - reference - mean) ** 2
        spread3 += weights[bar + 3] * (prices[bar + 3] - reference - mean) ** 2
        bar += 4
    while bar < stop:
        spread0 += weights[bar] * (prices[bar] - reference - mean) ** 2
        bar += 1
    return count, mean, (spread0 + spread1) + (spread2 + spread3)


@njit(cache=True)
def _merge(  # noqa: PLR0917
    count: float, mean: float, spread: float, other_count: float, other_mean: float, other_spread: float
) -> Summary:
    """Chan's pairwise merge of two (Σv, mean, M2) summaries; empty ones (Σv = 0) are neutral, NaN poisons."""
    if math.isnan(count) or math.isnan(other_count):
        return math.nan, math.nan, math.nan
    if other_count == 0.0:
        return count, mean, spread
    if count == 0.0:
        return other_count, other_mean, other_spread
    total = count + other_count
    delta = other_mean - mean
    return (
        total,
        mean + delta * other_count / total,
        spread + other_spread + delta * delta * count * other_count / total,
    )


@njit(cache=True)
def _boundaries(anchors: IntArray, row: int, end: int, split: int) -> IntArray:
    """Sorted, unique segment starts: every usable anchor, the bar after a young anchor, split + 1 and end."""
    starts = np.empty(2 * anchors.shape[1] + 2, dtype=np.int64)
    size = 0
    oldest = end + 1
    for column in range(anchors.shape[1]):
        anchor = anchors[row, column]
        if 0 <= anchor <= end:
            starts[size] = anchor
            size += 1
            oldest = min(oldest, anchor)
            if anchor > split and anchor < end:
                starts[size] = anchor + 1  # a young anchor's slope base is its own bar alone
                size += 1
    if size == 0:
        return starts[:0]
    if split + 1 > oldest:
        starts[size] = split + 1
        size += 1
    if end > oldest:
        starts[size] = end
        size += 1
    ordered = np.sort(starts[:size])
    unique = np.empty(size, dtype=np.int64)
    kept = 0
    for position in range(size):
        if kept == 0 or ordered[position] != unique[kept - 1]:
            unique[kept] = ordered[position]
            kept += 1
    return unique[:kept]


@njit(cache=True)
def _snapshot_row(  # noqa: PLR0917
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    anchors: IntArray,
    end: int,
    slope_bars: int,
    row: int,
    outputs: Outputs,
) -> None:
    levels, sigmas, slopes, distances, reclaims = outputs
    split = end - slope_bars  # an old anchor's slope is measured against its AVWAP at bar `split`
    starts = _boundaries(anchors, row, end, split)
    if starts.size == 0:
        return
    oldest = starts[0]
    highs, lows, closes, weights = (
        high[row, oldest : end + 1],
        low[row, oldest : end + 1],
        close[row],
        volume[row, oldest : end + 1],
    )
    prices = (highs + lows + closes[oldest : end + 1]) / 3.0
    reference = prices[end - oldest]
    segments = starts.size
    full = np.empty((segments, 3))
    previous = np.empty(segments)
    base = np.empty(segments)
    own = np.empty(segments)
    full_state = (0.0, 0.0, 0.0)
    previous_state = (0.0, 0.0, 0.0)
    base_state = (0.0, 0.0, 0.0)
    for index in range(segments - 1, -1, -1):  # merge segments from the end backwards
        start = starts[index]
        stop = starts[index + 1] if index + 1 < segments else end + 1
        count, mean, spread = _segment(prices, weights, start - oldest, stop - oldest, reference)
        full_state = _merge(full_state[0], full_state[1], full_state[2], count, mean, spread)
        if stop <= end:
            previous_state = _merge(
                previous_state[0], previous_state[1], previous_state[2], count, mean, spread
            )
        if stop <= split + 1:
            base_state = _merge(base_state[0], base_state[1], base_state[2], count, mean, spread)
        full[index, 0], full[index, 1], full[index, 2] = full_state
        previous[index] = reference + previous_state[1] if previous_state[0] > 0.0 else math.nan
        base[index] = reference + base_state[1] if base_state[0] > 0.0 else math.nan
        own[index] = reference + mean if count > 0.0 else math.nan
    for column in range(anchors.shape[1]):
        anchor = anchors[row, column]
        if anchor < 0 or anchor > end:
            continue
        index = np.searchsorted(starts, anchor)
        count = full[index, 0]
        level = reference + full[index, 1] if count > 0.0 else math.nan
        slope_base = base[index] if anchor <= split else own[index]
        levels[row, column] = level
        sigmas[row, column] = math.sqrt(full[index, 2] / count) if count > 0.0 else math.nan
        valid_base = not math.isnan(slope_base) and slope_base != 0.0
        slopes[row, column] = level / slope_base - 1.0 if valid_base else math.nan
        distances[row, column] = (closes[end] - level) / level if level != 0.0 else math.nan
        reclaims[row, column] = anchor < end and closes[end - 1] <= previous[index] and closes[end] > level


@njit(cache=True)
def _fill_missing(anchors: IntArray, outputs: Outputs) -> None:
    levels, sigmas, slopes, distances, reclaims = outputs
    for row in range(anchors.shape[0]):
        for column in range(anchors.shape[1]):
            levels[row, column] = sigmas[row, column] = math.nan
            slopes[row, column] = distances[row, column] = math.nan
            reclaims[row, column] = False


@njit(cache=True)
def snapshot_serial(  # noqa: PLR0917
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    anchors: IntArray,
    end: int,
    slope_bars: int,
    outputs: Outputs,
) -> None:
    """Fill ``outputs`` (levels, sigmas, slopes, distances, reclaims), one symbol after another."""
    _fill_missing(anchors, outputs)
    for row in range(anchors.shape[0]):
        _snapshot_row(high, low, close, volume, anchors, end, slope_bars, row, outputs)


@njit(cache=True, parallel=True)
def snapshot_parallel(  # noqa: PLR0917
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    anchors: IntArray,
    end: int,
    slope_bars: int,
    outputs: Outputs,
) -> None:
    """:func:`snapshot_serial` with symbols spread over threads (identical results)."""
    _fill_missing(anchors, outputs)
    for row in prange(anchors.shape[0]):
        _snapshot_row(high, low, close, volume, anchors, end, slope_bars, row, outputs)


@njit(cache=True)
def _series_row(  # noqa: PLR0917
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    anchors: IntArray,
    levels: FloatArray,
    sigmas: FloatArray,
    row: int,
) -> None:
    """AVWAP and σ at every bar of every anchor of ``row`` (West's update)."""
    bars = high.shape[1]
    for column in range(anchors.shape[1]):
        anchor = anchors[row, column]
        levels[row, column, :] = math.nan
        sigmas[row, column, :] = math.nan
        if anchor < 0 or anchor >= bars:
            continue
        count = mean = spread = 0.0
        for bar in range(anchor, bars):
            price = (high[row, bar] + low[row, bar] + close[row, bar]) / 3.0
            weight = volume[row, bar]
            if math.isnan(price) or math.isnan(weight):
                count = math.nan  # a NaN bar poisons everything after it, as in the reference
            if weight > 0.0:
                total = count + weight
                step = (price - mean) * weight / total
                spread += count * (price - mean) * step
                mean += step
                count = total
            if count > 0.0:
                levels[row, column, bar] = mean
                sigmas[row, column, bar] = math.sqrt(spread / count)


@njit(cache=True)
def series_serial(  # noqa: PLR0917
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    anchors: IntArray,
    levels: FloatArray,
    sigmas: FloatArray,
) -> None:
    """Fill ``levels``/``sigmas`` (symbols × anchors × bars) with AVWAP and σ at every bar, one symbol after
    another: a scan draws one chart per candidate, and waking the thread pool for one row costs ~1 ms."""
    for row in range(anchors.shape[0]):
        _series_row(high, low, close, volume, anchors, levels, sigmas, row)


@njit(cache=True, parallel=True)
def series_parallel(  # noqa: PLR0917
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    anchors: IntArray,
    levels: FloatArray,
    sigmas: FloatArray,
) -> None:
    """:func:`series_serial` with symbols spread over threads (identical results)."""
    for row in prange(anchors.shape[0]):
        _series_row(high, low, close, volume, anchors, levels, sigmas, row)
