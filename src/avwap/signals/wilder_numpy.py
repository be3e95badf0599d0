"""Numpy twins of the Wilder kernels of :mod:`avwap.signals.wilder_numba`, bit for bit.

Why: a short process (``avwap scan`` of a few hundred symbols) spends far longer loading numba and its cached
machine code (~0.5 s: the import, its lowering registries, the cache) than computing ATR and ADX (a loop over
~300 bars). Here the loop over bars stays in Python and each step runs on every row at once, with the very
operations of the compiled step in the same order (no fused multiply-add, no reassociation; numba compiles
without fastmath), so every figure is identical to the kernel's (tests/unit/signals/test_wilder_numpy.py
holds them equal, NaN gaps and restarts included). :mod:`avwap.signals.indicators` picks this path for
panels of at most :data:`NUMPY_MAX_ROWS` rows in a short process that chose the twins
(:mod:`avwap.signals.kernel_choice`); the demo, the backtest and the execution loop keep numba.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
NUMPY_MAX_ROWS: Final = 4096  # above this, numba's compiled rows in parallel beat a numpy step per bar


def _run_lengths(finite: npt.NDArray[np.bool_]) -> IntArray:
    """Finite values in a row ending at each bar (0 on a NaN), along the first axis (bars)."""
    bars = np.arange(1, finite.shape[0] + 1).reshape(-1, *([1] * (finite.ndim - 1)))
    last_gap = np.maximum.accumulate(np.where(finite, 0, bars), axis=0)
    lengths: IntArray = np.where(finite, bars - last_gap, 0)
    return lengths


def _smooth(values: FloatArray, period: int) -> FloatArray:
    """Wilder's smoothing along the first axis (bars) of ``values`` (bars × lanes), as ``wilder_step``.

    The state machine's branches depend only on where the NaNs are, so they are worked out for all bars at
    once (the run of finite values each bar ends); the loop keeps just the arithmetic: the seed's running
    sum (from 0.0, in bar order), its mean on the ``period``-th value, then ``(s·(period − 1) + x)/period``.
    """
    lengths = _run_lengths(np.isfinite(values))
    first = lengths == 1
    seeded = lengths == period
    smoothed = np.full(values.shape, np.nan)
    seed_sum = np.zeros(values.shape[1:])
    value = np.full(values.shape[1:], np.nan)
    with np.errstate(invalid="ignore", over="ignore"):
        for bar in range(values.shape[0]):
            current = values[bar]
            seed_sum = np.where(first[bar], 0.0, seed_sum) + current
            value = np.where(seeded[bar], seed_sum / period, (value * (period - 1) + current) / period)
            smoothed[bar] = value
    result: FloatArray = np.where(lengths >= period, smoothed, np.nan)
    return result


def smooth_rows(values: FloatArray, period: int, output: FloatArray) -> None:
    """``wilder_numba.smooth_rows``: Wilder's smoothing along each row of the 2-D ``values``."""
    output[...] = _smooth(np.ascontiguousarray(values.T), period).T


def _moves(high: FloatArray, low: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(+DM, −DM) of every bar, as ``wilder_numba._moves`` (NaN on the first bar and next to a NaN)."""
    plus, minus = np.full(high.shape, np.nan), np.full(high.shape, np.nan)
    up = high[:, 1:] - high[:, :-1]
    down = low[:, :-1] - low[:, 1:]
    known = np.isfinite(up) & np.isfinite(down)
    plus[:, 1:] = np.where(known, np.where((up > down) & (up > 0.0), up, 0.0), np.nan)
    minus[:, 1:] = np.where(known, np.where((down > up) & (down > 0.0), down, 0.0), np.nan)
    return plus, minus


def _index(smoothed_move: FloatArray, smoothed_range: FloatArray) -> FloatArray:
    result: FloatArray = np.where(smoothed_range > 0, 100.0 * smoothed_move / smoothed_range, np.nan)
    return result


def _movement(plus: FloatArray, minus: FloatArray) -> FloatArray:
    total = plus + minus
    positive = np.where(total > 0, 100.0 * np.abs(plus - minus) / total, 0.0)
    result: FloatArray = np.where(np.isfinite(total), positive, np.nan)
    return result


def directional_rows(  # noqa: PLR0917 - the kernel's signature: inputs then outputs, all rows × bars
    true_range: FloatArray,
    high: FloatArray,
    low: FloatArray,
    period: int,
    average_range: FloatArray,
    plus_index: FloatArray,
    minus_index: FloatArray,
    average_index: FloatArray,
) -> None:
    """``wilder_numba.directional_rows``: smoothed true range (ATR), +DI, −DI and ADX of each row."""
    plus_moves, minus_moves = _moves(high, low)
    lanes = np.stack([true_range, plus_moves, minus_moves], axis=-1).transpose(1, 0, 2)  # bars × rows × 3
    smoothed = _smooth(np.ascontiguousarray(lanes), period)
    smoothed_range, smoothed_plus, smoothed_minus = (smoothed[:, :, lane].T for lane in range(3))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        plus = _index(smoothed_plus, smoothed_range)
        minus = _index(smoothed_minus, smoothed_range)
        movement = _movement(plus, minus)
    average_range[...] = smoothed_range
    plus_index[...] = plus
    minus_index[...] = minus
    average_index[...] = _smooth(np.ascontiguousarray(movement.T), period).T
