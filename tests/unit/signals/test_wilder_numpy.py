"""The numpy twins of the Wilder kernels give numba's bits exactly (gaps, padding, flat stretches, inf, every
period), and the indicators choose the twin only for small inputs in a short process that chose twins."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from avwap.signals import wilder_numba, wilder_numpy
from avwap.signals.indicators import true_range


def _bars(seed: int, rows: int, bars: int, gaps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (rows, bars)), axis=1))
    high = close * (1.0 + rng.uniform(0.0, 0.03, close.shape))
    low = close * (1.0 - rng.uniform(0.0, 0.03, close.shape))
    missing = rng.random(close.shape) < gaps
    for array in (high, low, close):
        array[missing] = np.nan
        for row in range(rows):  # left padding of short histories, as in a panel
            array[row, : rng.integers(0, max(bars, 1))] = np.nan
    if rows > 2 and bars > 40:
        high[0, 5:39] = low[0, 5:39] = close[0, 5:39] = close[0, 4]  # flat: DI undefined, DX restarts
        high[1, 3] = np.inf  # not finite: restarts like a NaN
    return high, low, close


CASES = [(60, 300, 0.0), (20, 300, 0.05), (7, 40, 0.2), (30, 100, 0.3), (1, 1, 0.0), (3, 0, 0.0)]


@pytest.mark.parametrize(("rows", "bars", "gaps"), CASES)
@pytest.mark.parametrize("period", [1, 2, 14])
def test_the_numpy_twins_equal_the_numba_kernels_bit_for_bit(
    rows: int, bars: int, gaps: float, period: int
) -> None:
    high, low, close = _bars(rows * 1000 + bars, rows, bars, gaps)
    ranges = np.ascontiguousarray(true_range(high, low, close))
    compiled, twin = ([np.empty(ranges.shape) for _ in range(4)] for _ in range(2))
    wilder_numba.directional_rows(ranges, high, low, period, *compiled)
    wilder_numpy.directional_rows(ranges, high, low, period, *twin)
    for ours, theirs in zip(twin, compiled, strict=True):
        assert ours.tobytes() == theirs.tobytes()
    smoothed_compiled, smoothed_twin = np.empty(ranges.shape), np.empty(ranges.shape)
    wilder_numba.smooth_rows(ranges, period, smoothed_compiled)
    wilder_numpy.smooth_rows(ranges, period, smoothed_twin)
    assert smoothed_twin.tobytes() == smoothed_compiled.tobytes()


CHOICE = """
import json, sys
import numpy as np
from avwap.signals.indicators import atr_and_adx
from avwap.signals.kernel_choice import prefer_twins
bars = np.linspace(10.0, 20.0, 600).reshape(2, 300)
if sys.argv[1] == "short":
    prefer_twins()
atr_and_adx(bars + 0.1, bars - 0.1, bars, 14, 14)
small = "numba" in sys.modules
big = np.linspace(10.0, 20.0, 4097 * 30).reshape(4097, 30)
atr_and_adx(big + 0.1, big - 0.1, big, 14, 14)
print(json.dumps([small, "numba" in sys.modules]))
"""


@pytest.mark.parametrize(("process", "expected"), [("short", [False, True]), ("long", [True, True])])
def test_a_short_process_runs_small_panels_without_numba(process: str, expected: list[bool]) -> None:
    """Only a process that chose the twins (``avwap scan``) runs them, and only for small inputs; any other
    (the demo, the backtest, the execution loop: many calls) keeps numba's kernels."""
    completed = subprocess.run(
        [sys.executable, "-c", CHOICE, process], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert json.loads(completed.stdout.splitlines()[-1]) == expected
