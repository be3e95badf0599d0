"""Numba kernel of Wilder's smoothing, the one implementation behind
:func:`avwap.signals.indicators.wilder_smooth`.

Row by row, bar by bar: seed with the simple mean of the first ``period`` finite values, then
``s = (s·(period − 1) + x) / period``; a NaN resets the seed. The arithmetic is written in the order the
former numpy loop used, so results are bit-identical to it. A compiled loop matters for the backtest, which
smooths hundreds of thousands of 300-bar windows (a Python loop over bars costs ~1 µs per array operation).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit, prange

FloatArray = npt.NDArray[np.float64]


@njit(cache=True, parallel=True)
def smooth_rows(values: FloatArray, period: int, output: FloatArray) -> None:
    """Fill ``output`` (same shape as the 2-D ``values``) with Wilder's smoothing along each row."""
    for row in prange(values.shape[0]):
        count = 0
        seed_sum = 0.0
        state = math.nan
        for bar in range(values.shape[1]):
            current = values[row, bar]
            if not math.isfinite(current):
                count = 0
                seed_sum = 0.0
                output[row, bar] = math.nan
                continue
            if count < period:
                seed_sum += current
                count += 1
                if count == period:
                    state = seed_sum / period
            else:
                state = (state * (period - 1) + current) / period
            output[row, bar] = state if count == period else math.nan
