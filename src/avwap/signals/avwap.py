"""Anchored VWAP over many symbols × anchors at once.

Inputs are 2-D float64 arrays (symbols × bars) of high, low, close and volume, and an int array (symbols ×
anchors) of anchor bar indices, −1 meaning "no anchor". :func:`avwap_snapshot` returns every statistic at one
bar (by default the last); :func:`avwap_series` returns AVWAP and σ at every bar. The definitions (and the
slow reference every engine is tested against) are in :mod:`avwap.signals.avwap_reference`.

Two engines compute the same numbers: ``"numba"`` (compiled kernels, :mod:`avwap.signals.avwap_numba`; the
default) and ``"numpy"`` (vectorized suffix sums in blocks of symbols, no compiler needed). Both use the same
numerically stable schemes (σ about each anchor's own AVWAP; West's online update for series). Results agree
to rounding (~1e-12 relative), not bit for bit, so one run must use one engine throughout. The ``"numba"``
engine's numbers also come from exact numpy/Python twins of its kernels (:mod:`avwap.signals.avwap_twins`),
bit for bit the same, for small inputs in a short process that chose them (:mod:`.kernel_choice`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import numpy.typing as npt

from avwap.core.errors import DataError
from avwap.signals import avwap_twins, kernel_choice

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
Engine = Literal["numba", "numpy"]
PARALLEL_MIN_SYMBOLS = 64  # below this, thread start-up costs more than it saves
NUMPY_BLOCK_SYMBOLS = 256  # keeps each block's temporaries (~2 MB per array) in cache


@dataclass(frozen=True)
class AvwapSnapshot:
    """AVWAP statistics at one bar; every array is symbols × anchors (NaN / False where undefined)."""

    avwap: FloatArray
    sigma: FloatArray
    slope: FloatArray
    distance: FloatArray
    reclaim: BoolArray

    def band(self, multiple: float) -> tuple[FloatArray, FloatArray]:
        """(lower, upper) band at ``multiple`` σ around the AVWAP."""
        return self.avwap - multiple * self.sigma, self.avwap + multiple * self.sigma

    @cached_property  # computed once per scan, read once per candidate
    def upper_1(self) -> FloatArray:
        return self.band(1.0)[1]

    @cached_property
    def lower_1(self) -> FloatArray:
        return self.band(1.0)[0]

    @cached_property
    def upper_2(self) -> FloatArray:
        return self.band(2.0)[1]

    @cached_property
    def lower_2(self) -> FloatArray:
        return self.band(2.0)[0]


@dataclass(frozen=True)
class AvwapSeries:
    """AVWAP and σ at every bar; arrays are symbols × anchors × bars (NaN before each anchor)."""

    avwap: FloatArray
    sigma: FloatArray


def _prepare(
    arrays: tuple[npt.ArrayLike, ...], anchors: npt.ArrayLike
) -> tuple[tuple[FloatArray, ...], IntArray]:
    prepared = tuple(np.ascontiguousarray(array, dtype=np.float64) for array in arrays)
    shape = prepared[0].shape
    if len(shape) != 2 or any(array.shape != shape for array in prepared):
        raise DataError(
            f"high/low/close/volume must be 2-D arrays of one shape, got {[a.shape for a in prepared]}"
        )
    anchor_array = np.ascontiguousarray(anchors, dtype=np.int64)
    if anchor_array.ndim != 2 or anchor_array.shape[0] != shape[0]:
        raise DataError(
            f"anchors must be symbols × anchors ({shape[0]} rows), got shape {anchor_array.shape}"
        )
    return prepared, anchor_array


def avwap_snapshot(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    anchors: npt.ArrayLike,
    *,
    end: int | None = None,
    slope_bars: int = 5,
    engine: Engine = "numba",
) -> AvwapSnapshot:
    """AVWAP, σ, slope, distance and reclaim of every (symbol, anchor) at bar ``end`` (default: the last).

    Anchors after ``end`` count as missing. Bars after ``end`` are never read.
    """
    (highs, lows, closes, volumes), anchor_array = _prepare((high, low, close, volume), anchors)
    bars = highs.shape[1]
    last = bars - 1 if end is None else end
    if not 0 <= last < bars:
        raise DataError(f"end bar {last} outside 0..{bars - 1}")
    if slope_bars < 1:
        raise ValueError(f"slope_bars must be at least 1, got {slope_bars}")
    shape = anchor_array.shape
    outputs = (
        np.empty(shape),
        np.empty(shape),
        np.empty(shape),
        np.empty(shape),
        np.empty(shape, dtype=np.bool_),
    )
    if engine == "numba" and kernel_choice.use_twins(shape[0], avwap_twins.SNAPSHOT_MAX_ROWS):
        avwap_twins.snapshot(highs, lows, closes, volumes, anchor_array, last, slope_bars, outputs)
    elif engine == "numba":
        from avwap.signals import avwap_numba

        kernel = (
            avwap_numba.snapshot_parallel if shape[0] >= PARALLEL_MIN_SYMBOLS else avwap_numba.snapshot_serial
        )
        kernel(highs, lows, closes, volumes, anchor_array, last, slope_bars, outputs)
    elif engine == "numpy":
        _snapshot_numpy(highs, lows, closes, volumes, anchor_array, last, slope_bars, outputs)
    else:
        raise ValueError(f"unknown engine {engine!r}; choose 'numba' or 'numpy'")
    return AvwapSnapshot(*outputs)


def _suffix(moments: FloatArray) -> FloatArray:
    """Sums over ``bar..last column`` for every bar (reverse cumulative sum along the last axis)."""
    return np.cumsum(moments[..., ::-1], axis=-1)[..., ::-1]


def _levels(sums: FloatArray, reference: FloatArray) -> FloatArray:
    """AVWAP from gathered shifted sums ``(Σv, Σ(p − ref)·v)`` (NaN where there is no volume)."""
    count, shifted = sums
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0.0, reference + shifted / count, np.nan)


def _gather(suffix: FloatArray, columns: IntArray, usable: BoolArray) -> FloatArray:
    """``suffix[:, row, column]`` for each (row, anchor); zero volume (→ NaN) where not usable."""
    if suffix.shape[-1] == 0:
        return np.zeros((2, *columns.shape))
    safe = np.clip(columns, 0, suffix.shape[-1] - 1)
    picked = np.take_along_axis(suffix, np.broadcast_to(safe, (2, *safe.shape)), axis=-1)
    return np.where(usable, picked, 0.0)


def _sigmas(prices: FloatArray, weights: FloatArray, block: IntArray, level: FloatArray) -> FloatArray:
    """σ of each (row, anchor) about its own AVWAP: ``√(Σ v·(p − AVWAP)² / Σ v)`` over ``anchor..end``."""
    columns = np.arange(prices.shape[1])
    result = np.full(level.shape, np.nan)
    for column in range(block.shape[1]):
        inside = columns >= block[:, column : column + 1]
        deviation = np.where(inside, prices - level[:, column : column + 1], 0.0)
        weight = np.where(inside, weights, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = (weight * deviation * deviation).sum(axis=1) / weight.sum(axis=1)
        result[:, column] = np.where(np.isfinite(level[:, column]), np.sqrt(spread), np.nan)
    return result


def _snapshot_numpy(  # noqa: PLR0917 - mirrors the numba kernel's signature
    highs: FloatArray,
    lows: FloatArray,
    closes: FloatArray,
    volumes: FloatArray,
    anchors: IntArray,
    end: int,
    slope_bars: int,
    outputs: tuple[FloatArray, FloatArray, FloatArray, FloatArray, BoolArray],
) -> None:
    split = end - slope_bars
    for start in range(0, anchors.shape[0], NUMPY_BLOCK_SYMBOLS):
        rows = slice(start, start + NUMPY_BLOCK_SYMBOLS)
        prices = (highs[rows, : end + 1] + lows[rows, : end + 1] + closes[rows, : end + 1]) / 3.0
        reference = prices[:, end : end + 1]
        deviation = prices - reference
        weight = volumes[rows, : end + 1]
        moments = np.stack([weight, deviation * weight])
        block = anchors[rows]
        valid = (block >= 0) & (block <= end)
        level = _levels(_gather(_suffix(moments), block, valid), reference)
        previous = _levels(_gather(_suffix(moments[..., :end]), block, valid & (block < end)), reference)
        old_base = _levels(_gather(_suffix(moments[..., : max(split + 1, 0)]), block, valid), reference)
        young_base = _levels(_gather(moments, block, valid), reference)
        sigma = _sigmas(prices, weight, np.where(valid, block, end + 1), level)
        base = np.where(block <= split, old_base, young_base)
        last_close, previous_close = closes[rows, end : end + 1], closes[rows, max(end - 1, 0) : end]
        with np.errstate(divide="ignore", invalid="ignore"):
            outputs[0][rows], outputs[1][rows] = level, sigma
            outputs[2][rows] = np.where(base != 0.0, level / base - 1.0, np.nan)
            outputs[3][rows] = np.where(level != 0.0, (last_close - level) / level, np.nan)
            if end >= 1:
                outputs[4][rows] = (previous_close <= previous) & (last_close > level)
            else:
                outputs[4][rows] = False


def avwap_series(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    anchors: npt.ArrayLike,
    *,
    engine: Engine = "numba",
) -> AvwapSeries:
    """AVWAP and σ at every bar for every (symbol, anchor). Memory: 16 bytes × symbols × anchors × bars."""
    (highs, lows, closes, volumes), anchor_array = _prepare((high, low, close, volume), anchors)
    shape = (*anchor_array.shape, highs.shape[1])
    levels, sigmas = np.empty(shape), np.empty(shape)
    if engine == "numba" and kernel_choice.use_twins(levels.size, avwap_twins.SERIES_MAX_CELLS):
        avwap_twins.series(highs, lows, closes, volumes, anchor_array, levels, sigmas)
    elif engine == "numba":
        from avwap.signals import avwap_numba

        kernel = (
            avwap_numba.series_parallel if shape[0] >= PARALLEL_MIN_SYMBOLS else avwap_numba.series_serial
        )
        kernel(highs, lows, closes, volumes, anchor_array, levels, sigmas)
    elif engine == "numpy":
        _series_numpy(highs, lows, closes, volumes, anchor_array, levels, sigmas)
    else:
        raise ValueError(f"unknown engine {engine!r}; choose 'numba' or 'numpy'")
    return AvwapSeries(avwap=levels, sigma=sigmas)


def _series_numpy(  # noqa: PLR0917 - mirrors the numba kernel's signature
    highs: FloatArray,
    lows: FloatArray,
    closes: FloatArray,
    volumes: FloatArray,
    anchors: IntArray,
    levels: FloatArray,
    sigmas: FloatArray,
) -> None:
    """West's weighted online update, one bar at a time, all (symbol, anchor) pairs at once."""
    prices = (highs + lows + closes) / 3.0
    count, mean, spread = (np.zeros(anchors.shape) for _ in range(3))
    for bar in range(prices.shape[1]):
        price, weight = prices[:, bar : bar + 1], volumes[:, bar : bar + 1]
        active = (anchors >= 0) & (anchors <= bar)
        count = np.where(active & ~(np.isfinite(price) & np.isfinite(weight)), np.nan, count)  # NaN poisons
        update = active & (weight > 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            total = count + weight
            step = np.where(update, (price - mean) * weight / total, 0.0)
            spread = np.where(update, spread + count * (price - mean) * step, spread)
            mean = mean + step
            count = np.where(update, total, count)
            defined = active & (count > 0.0)
            levels[:, :, bar] = np.where(defined, mean, np.nan)
            sigmas[:, :, bar] = np.where(defined, np.sqrt(spread / count), np.nan)


def slope_series(levels: FloatArray, anchors: IntArray, slope_bars: int = 5) -> FloatArray:
    """Slope at every bar of an :class:`AvwapSeries` ``avwap`` array, by the reference definition."""
    bars = levels.shape[-1]
    columns = np.arange(bars)
    base_columns = np.maximum(columns - slope_bars, np.asarray(anchors)[..., None])
    base = np.take_along_axis(levels, np.clip(base_columns, 0, bars - 1), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base != 0.0, levels / base - 1.0, np.nan)
