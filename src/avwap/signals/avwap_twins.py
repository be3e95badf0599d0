"""Twins of the numba AVWAP kernels (:mod:`avwap.signals.avwap_numba`): their bits exactly, without numba.

Why: a short ``avwap scan`` spends longer loading numba and its cached machine code (~0.5 s) than the
kernels take to run. :func:`snapshot` repeats the snapshot kernel's arithmetic in numpy, vectorized over
every (symbol, segment): the same segments, the same four partial sums per segment filled in the same bar
order, the same Chan merges walked back from ``end``. :func:`series` repeats the series kernel (West's
update) in plain Python floats, which are the same IEEE doubles: cheaper than numpy for the one row of a
scan chart. Numba compiles without fastmath, so nothing is fused or reassociated on its side either;
tests/unit/signals/test_avwap_twins.py holds the twins equal to the kernels bit for bit.
:func:`avwap.signals.avwap.avwap_snapshot` and :func:`~avwap.signals.avwap.avwap_series` pick a twin for the
``"numba"`` engine when the input is small in a short process that chose them (:mod:`.kernel_choice`).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Outputs = tuple[FloatArray, FloatArray, FloatArray, FloatArray, BoolArray]
Summary = tuple[FloatArray, FloatArray, FloatArray]
SNAPSHOT_MAX_ROWS: Final = 4096  # above this, numba's compiled rows in parallel are worth loading
SERIES_MAX_CELLS: Final = 20_000  # (symbol, anchor) pairs × bars the plain-Python series twin takes on
LANES: Final = 4  # the kernel's independent partial sums


def _boundaries(anchors: IntArray, end: int, split: int) -> IntArray:
    """``avwap_numba._boundaries`` of every row: sorted unique segment starts, padded with ``end + 1``."""
    past = end + 1
    usable = (anchors >= 0) & (anchors <= end)
    young = usable & (anchors > split) & (anchors < end)
    oldest = np.where(usable, anchors, past).min(axis=1, initial=past)
    known = oldest <= end
    starts = np.concatenate(
        [
            np.where(usable, anchors, past),
            np.where(young, anchors + 1, past),
            np.where(known & (split + 1 > oldest), split + 1, past)[:, None],
            np.where(known & (end > oldest), end, past)[:, None],
        ],
        axis=1,
    )
    starts.sort(axis=1)
    repeated = np.zeros(starts.shape, dtype=bool)
    repeated[:, 1:] = starts[:, 1:] == starts[:, :-1]
    starts[repeated] = past
    starts.sort(axis=1)
    return starts


def _lane_totals(lanes: FloatArray) -> FloatArray:
    """The kernel's ``(lane 0 + lane 1) + (lane 2 + lane 3)``."""
    total: FloatArray = (lanes[..., 0] + lanes[..., 1]) + (lanes[..., 2] + lanes[..., 3])
    return total


def _segments(prices: FloatArray, weights: FloatArray, starts: IntArray, end: int) -> Summary:
    """``avwap_numba._segment`` of every (row, segment slot): (Σv, VWAP − reference, M2); zeros without
    volume, NaN on a NaN bar. Padding slots (start ``end + 1``) are empty.

    The kernel sums a segment in four lanes: lane ``k`` takes bars ``start + k, start + k + 4, …`` in bar
    order, and the last ``length % 4`` bars go to lane 0 after them. Every bar of every row is given its
    (segment, lane) slot, and ``np.add.at`` (unbuffered: repeated slots are added one after another, in the
    order of the bars) makes each lane's sum the very sequence of additions the kernel performs.
    """
    rows, slots = starts.shape
    stride = end + 2  # row-major keys: a row's padding start (end + 1) stays below the next row's keys
    stops = np.concatenate([starts[:, 1:], np.full((rows, 1), end + 1)], axis=1)
    lengths = np.where(starts <= end, stops - starts, 0).ravel()
    keys = (np.arange(rows)[:, None] * stride + starts).ravel()
    bar_rows, bars = np.nonzero(np.arange(end + 1)[None, :] >= starts[:, :1])  # bars from each row's oldest
    slot = np.searchsorted(keys, bar_rows * stride + bars, side="right") - 1
    offset = bars - starts.ravel()[slot]
    main = lengths[slot] - lengths[slot] % LANES
    target = slot * LANES + np.where(offset < main, offset % LANES, 0)
    deviations = prices[bar_rows, bars] - prices[bar_rows, end]  # p − reference, as the kernel forms it
    volumes = weights[bar_rows, bars]
    lanes = np.zeros((3, rows * slots * LANES))
    np.add.at(lanes[0], target, volumes)
    np.add.at(lanes[1], target, deviations * volumes)
    count = _lane_totals(lanes[0].reshape(-1, LANES))
    shifted = _lane_totals(lanes[1].reshape(-1, LANES))
    undefined = np.isnan(count) | np.isnan(shifted)
    empty = ~undefined & (count == 0.0)
    mean = np.where(undefined | empty, 0.0, shifted / np.where(empty, 1.0, count))
    centred = deviations - mean[slot]
    np.add.at(lanes[2], target, volumes * (centred * centred))
    spread = _lane_totals(lanes[2].reshape(-1, LANES))
    shape = starts.shape
    return (
        np.where(undefined, np.nan, np.where(empty, 0.0, count)).reshape(shape),
        np.where(undefined, np.nan, mean).reshape(shape),
        np.where(undefined, np.nan, np.where(empty, 0.0, spread)).reshape(shape),
    )


def _merge(state: Summary, other: Summary, use: BoolArray) -> Summary:
    """``avwap_numba._merge`` where ``use`` (else ``state`` unchanged): Chan's pairwise merge."""
    count, mean, spread = state
    other_count, other_mean, other_spread = other
    total = count + other_count
    delta = other_mean - mean
    merged_mean = mean + delta * other_count / total
    merged_spread = spread + other_spread + delta * delta * count * other_count / total
    poisoned = np.isnan(count) | np.isnan(other_count)
    keep, take = other_count == 0.0, count == 0.0

    def pick(mine: FloatArray, theirs: FloatArray, merged: FloatArray) -> FloatArray:
        chosen = np.where(poisoned, np.nan, np.where(keep, mine, np.where(take, theirs, merged)))
        result: FloatArray = np.where(use, chosen, mine)
        return result

    return (
        pick(count, other_count, total),
        pick(mean, other_mean, merged_mean),
        pick(spread, other_spread, merged_spread),
    )


def snapshot(  # noqa: PLR0917 - the kernel's signature
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    anchors: IntArray,
    end: int,
    slope_bars: int,
    outputs: Outputs,
) -> None:
    """``avwap_numba.snapshot_serial``: fill ``outputs`` (levels, sigmas, slopes, distances, reclaims)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        _snapshot(high, low, close, volume, anchors, end, slope_bars, outputs)


def _snapshot(  # noqa: PLR0917
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    anchors: IntArray,
    end: int,
    slope_bars: int,
    outputs: Outputs,
) -> None:
    levels, sigmas, slopes, distances, reclaims = outputs
    split = end - slope_bars
    prices = (high[:, : end + 1] + low[:, : end + 1] + close[:, : end + 1]) / 3.0
    weights = volume[:, : end + 1]
    starts = _boundaries(anchors, end, split)
    summaries = _segments(prices, weights, starts, end)
    stops = np.concatenate([starts[:, 1:], np.full((starts.shape[0], 1), end + 1)], axis=1)
    zero = np.zeros(starts.shape[0])
    full_state = previous_state = base_state = (zero, zero, zero)
    full = [np.empty(starts.shape) for _ in range(3)]
    previous, base = np.empty(starts.shape), np.empty(starts.shape)
    reference = prices[:, end]
    for index in range(starts.shape[1] - 1, -1, -1):  # merge segments from the end backwards
        used = starts[:, index] <= end
        segment = (summaries[0][:, index], summaries[1][:, index], summaries[2][:, index])
        full_state = _merge(full_state, segment, used)
        previous_state = _merge(previous_state, segment, used & (stops[:, index] <= end))
        base_state = _merge(base_state, segment, used & (stops[:, index] <= split + 1))
        for store, value in zip(full, full_state, strict=True):
            store[:, index] = value
        previous[:, index] = np.where(previous_state[0] > 0.0, reference + previous_state[1], np.nan)
        base[:, index] = np.where(base_state[0] > 0.0, reference + base_state[1], np.nan)
    own = np.where(summaries[0] > 0.0, reference[:, None] + summaries[1], np.nan)
    usable = (anchors >= 0) & (anchors <= end)
    slot = (starts[:, None, :] < anchors[:, :, None]).sum(axis=2)  # a usable anchor's own segment
    slot = np.minimum(slot, starts.shape[1] - 1)  # (unusable anchors read any slot; masked below)

    def at_slot(values: FloatArray) -> FloatArray:
        picked: FloatArray = np.take_along_axis(values, slot, axis=1)
        return picked

    count, mean, spread = (at_slot(values) for values in full)
    level = np.where(count > 0.0, reference[:, None] + mean, np.nan)
    slope_base = np.where(anchors <= split, at_slot(base), at_slot(own))
    last_close = close[:, end : end + 1]
    prior_close = close[:, end - 1 : end] if end >= 1 else last_close
    levels[...] = np.where(usable, level, np.nan)
    sigmas[...] = np.where(usable & (count > 0.0), np.sqrt(spread / count), np.nan)
    valid_base = ~np.isnan(slope_base) & (slope_base != 0.0)
    slopes[...] = np.where(usable & valid_base, level / slope_base - 1.0, np.nan)
    distances[...] = np.where(usable & (level != 0.0), (last_close - level) / level, np.nan)
    reclaims[...] = usable & (anchors < end) & (prior_close <= at_slot(previous)) & (last_close > level)


def series(  # noqa: PLR0917 - the kernel's signature
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    anchors: IntArray,
    levels: FloatArray,
    sigmas: FloatArray,
) -> None:
    """``avwap_numba.series_serial`` in plain Python floats: AVWAP and σ at every bar (West's update)."""
    bars = high.shape[1]
    levels[...] = np.nan
    sigmas[...] = np.nan
    for row in range(anchors.shape[0]):
        highs, lows, closes, weights = (array[row].tolist() for array in (high, low, close, volume))
        for column in range(anchors.shape[1]):
            anchor = int(anchors[row, column])
            if anchor < 0 or anchor >= bars:
                continue
            level_row, sigma_row = [math.nan] * bars, [math.nan] * bars
            count = mean = spread = 0.0
            for bar in range(anchor, bars):
                price = (highs[bar] + lows[bar] + closes[bar]) / 3.0
                weight = weights[bar]
                if math.isnan(price) or math.isnan(weight):
                    count = math.nan  # a NaN bar poisons everything after it, as in the kernel
                if weight > 0.0:
                    total = count + weight
                    step = (price - mean) * weight / total
                    spread += count * (price - mean) * step
                    mean += step
                    count = total
                if count > 0.0:
                    level_row[bar] = mean
                    sigma_row[bar] = math.sqrt(spread / count)
            levels[row, column] = level_row
            sigmas[row, column] = sigma_row
