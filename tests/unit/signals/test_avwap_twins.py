"""The exact twins of the numba AVWAP kernels give the kernels' bits (random panels with padding, NaN bars,
zero volume, anchors out of range, every ``end`` and slope length), and the ``"numba"`` engine uses them
only for small inputs, in a short process that chose them (kernel_choice), before numba is loaded."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from avwap.signals import avwap_numba, avwap_twins


def _panel(seed: int) -> tuple[tuple[np.ndarray, ...], np.ndarray, int, int]:
    rng = np.random.default_rng(seed)
    rows, bars, anchors = int(rng.integers(1, 70)), int(rng.integers(1, 320)), int(rng.integers(1, 9))
    close = (
        50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (rows, bars)), axis=1)) * (200.0 if seed % 5 else 1.0)
    )
    high = close * (1.0 + rng.uniform(0.0, 0.02, close.shape))
    low = close * (1.0 - rng.uniform(0.0, 0.02, close.shape))
    volume = rng.integers(0, 3 if seed % 3 == 0 else 1000, (rows, bars)) * 1000.0  # often zero when % 3
    for row in range(rows):  # left padding of short histories, as in a panel
        first = rng.integers(0, bars)
        high[row, :first] = low[row, :first] = close[row, :first] = volume[row, :first] = np.nan
    if seed % 7 == 0:
        close[rng.random(close.shape) < 0.02] = np.nan  # NaN bars poison the segments that hold them
    columns = rng.integers(-2, bars + 3, (rows, anchors)).astype(np.int64)
    if seed % 4 == 0:
        columns[:, 0] = bars - 1  # an anchor on the last bar
    end = bars - 1 if seed % 2 else int(rng.integers(0, bars))
    arrays = tuple(np.ascontiguousarray(array) for array in (high, low, close, volume))
    return arrays, columns, end, int(rng.integers(1, 8))


def _outputs(shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    return (*(np.full(shape, 7.0) for _ in range(4)), np.ones(shape, dtype=np.bool_))


@pytest.mark.parametrize("seed", range(40))
def test_the_snapshot_twin_equals_the_kernel_bit_for_bit(seed: int) -> None:
    arrays, anchors, end, slope_bars = _panel(seed)
    compiled, twin = _outputs(anchors.shape), _outputs(anchors.shape)
    avwap_numba.snapshot_serial(*arrays, anchors, end, slope_bars, compiled)
    avwap_twins.snapshot(*arrays, anchors, end, slope_bars, twin)
    for ours, theirs in zip(twin, compiled, strict=True):
        assert ours.tobytes() == theirs.tobytes()


@pytest.mark.parametrize("seed", range(0, 40, 3))
def test_the_series_twin_equals_the_kernel_bit_for_bit(seed: int) -> None:
    arrays, anchors, _, _ = _panel(seed)
    shape = (*anchors.shape, arrays[0].shape[1])
    compiled, twin = (np.empty(shape), np.empty(shape)), (np.full(shape, 7.0), np.full(shape, 7.0))
    avwap_numba.series_serial(*arrays, anchors, *compiled)
    avwap_twins.series(*arrays, anchors, *twin)
    for ours, theirs in zip(twin, compiled, strict=True):
        assert ours.tobytes() == theirs.tobytes()


CHOICE = """
import json, sys
import numpy as np
from avwap.signals.avwap import avwap_series, avwap_snapshot
from avwap.signals.kernel_choice import prefer_twins
if sys.argv[1] == "short":
    prefer_twins()
bars = np.linspace(10.0, 20.0, 600).reshape(2, 300)
volume = np.full((2, 300), 1000.0)
anchors = np.array([[0, 5], [3, -1]])
avwap_snapshot(bars + 0.1, bars - 0.1, bars, volume, anchors, engine="numba")
avwap_series(bars[:1] + 0.1, bars[:1] - 0.1, bars[:1], volume[:1], [[0]], engine="numba")
small = "numba" in sys.modules
big = np.linspace(10.0, 20.0, 4097 * 30).reshape(4097, 30)
volume = np.full(big.shape, 1000.0)
avwap_snapshot(big + 0.1, big - 0.1, big, volume, np.zeros((4097, 1), int), engine="numba")
print(json.dumps([small, "numba" in sys.modules]))
"""


@pytest.mark.parametrize(("process", "expected"), [("short", [False, True]), ("long", [True, True])])
def test_a_short_process_runs_small_inputs_without_numba(process: str, expected: list[bool]) -> None:
    """Only a process that chose the twins runs them, for small inputs; any other keeps numba's kernels."""
    completed = subprocess.run(
        [sys.executable, "-c", CHOICE, process], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert json.loads(completed.stdout.splitlines()[-1]) == expected
