"""Compile the numba kernels once, at install time, so the first scan (and the demo) does not pay for it.

``python -m avwap.signals.warmup`` runs every kernel on a tiny input; numba caches the machine code on disk
(``cache=True``), and later processes load it in well under a second instead of compiling for ~10 s.
"""

from __future__ import annotations

import numpy as np

from avwap.signals.avwap import PARALLEL_MIN_SYMBOLS, avwap_series, avwap_snapshot
from avwap.signals.indicators import wilder_smooth


def warm() -> None:
    """Run the serial and the parallel snapshot kernels, the series kernel and Wilder's smoothing once."""
    for symbols in (1, PARALLEL_MIN_SYMBOLS):
        bars = np.linspace(10.0, 11.0, 32)[None, :].repeat(symbols, axis=0)
        volume = np.full_like(bars, 1000.0)
        anchors = np.tile(np.array([[0, 5, -1]], dtype=np.int64), (symbols, 1))
        avwap_snapshot(bars + 0.1, bars - 0.1, bars, volume, anchors, engine="numba")
        avwap_series(bars + 0.1, bars - 0.1, bars, volume, anchors, engine="numba")
        wilder_smooth(bars, 14)


if __name__ == "__main__":
    warm()
