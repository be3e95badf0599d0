#!/usr/bin/env python3
"""AVWAP kernel benchmark: 5,000 symbols × 2,520 daily bars × 6 anchors (synthetic, seeded).

Figures (seconds, best of ``repeats``): the numba kernel (parallel and single-thread; cold compile and cached
load measured separately in fresh interpreters), the numpy fallback, a naive per-symbol pandas reference on
a subset (scaled to the full universe), and a memory-bandwidth floor measured in the same run (one numpy
pass summing the same four input arrays). Target: the numba kernel within 3× of the floor. Also times the
whole daily scan on a 3,000 × 500 synthetic universe. Run: ``.venv/bin/python benchmarks/bench_avwap.py``,
or import and call :func:`run`. ``run(smoke=True)`` (CI): 200 × 300 bars, a 100-symbol scan, one repeat,
and the fresh-interpreter timings against the existing numba cache (no cold compile): seconds, same code path.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
COLD_START = """
import json, time, numpy as np
started = time.perf_counter()
from avwap.signals.avwap import avwap_snapshot
imported = time.perf_counter()
rng = np.random.default_rng(0)
close = 50 + rng.random((64, 50))
avwap_snapshot(close + 1, close - 1, close, rng.random((64, 50)), rng.integers(0, 50, (64, 6)))
print(json.dumps({"import": imported - started, "first_call": time.perf_counter() - imported}))
"""


def synthetic_market(symbols: int, bars: int, anchors: int, seed: int) -> dict[str, np.ndarray]:
    """Random-walk bars and uniformly placed anchors (heavier than real anchors, which are mostly recent)."""
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.015, (symbols, bars)), axis=1))
    spread = close * rng.uniform(0.002, 0.02, (symbols, bars))
    return {
        "high": close + spread * rng.uniform(0.0, 1.0, (symbols, bars)),
        "low": close - spread * rng.uniform(0.0, 1.0, (symbols, bars)),
        "close": close,
        "volume": rng.uniform(1e5, 5e6, (symbols, bars)).round(),
        "anchors": rng.integers(0, bars, (symbols, anchors)),
    }


def best_of(repeats: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def cold_and_cached_start(*, fresh_cache: bool = True) -> dict[str, float]:
    """First call in a fresh interpreter with an empty numba cache (compile), then a filled one (load).

    ``fresh_cache=False`` (smoke) uses the process's own numba cache: both figures are then cache loads."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as cache:
        if fresh_cache:
            environment["NUMBA_CACHE_DIR"] = cache
        for label in ("compile", "cached_load"):
            output = subprocess.run(
                [sys.executable, "-c", COLD_START],
                env=environment,
                capture_output=True,
                text=True,
                check=True,
            )
            figures[f"numba_{label}_seconds"] = round(json.loads(output.stdout)["first_call"], 3)
    return figures


def pandas_reference(market: dict[str, np.ndarray], symbols: int, slope_bars: int = 5) -> np.ndarray:
    """The naive way: one DataFrame per symbol, cumulative sums per anchor, read the last row."""
    levels = np.full((symbols, market["anchors"].shape[1]), np.nan)
    for row in range(symbols):
        frame = pd.DataFrame({name: market[name][row] for name in ("high", "low", "close", "volume")})
        typical = (frame["high"] + frame["low"] + frame["close"]) / 3.0
        for column, anchor in enumerate(market["anchors"][row]):
            price, weight = typical.iloc[anchor:], frame["volume"].iloc[anchor:]
            level = (price * weight).cumsum() / weight.cumsum()
            deviation = price - level.iloc[-1]
            _sigma = np.sqrt((weight * deviation**2).sum() / weight.sum())
            _slope = level.iloc[-1] / level.iloc[max(len(level) - 1 - slope_bars, 0)] - 1.0
            levels[row, column] = level.iloc[-1]
    return levels


def scan_universe(symbols: int, bars: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dt.date]:
    """A synthetic universe in the canonical bar-frame layout, plus a rising benchmark, for the scan."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range(end="2024-06-14", periods=bars).tz_localize("America/New_York")
    close = 40.0 * np.exp(np.cumsum(rng.normal(0.0004, 0.015, (symbols, bars)), axis=1))
    spread = close * rng.uniform(0.005, 0.03, (symbols, bars))
    opening = close * rng.uniform(0.99, 1.01, close.shape)
    frame = pd.DataFrame(
        {
            "symbol": np.repeat([f"S{index:04d}" for index in range(symbols)], bars).astype(object),
            "timestamp": np.tile(days, symbols),
            "open": opening.ravel(),
            "high": np.maximum(close + spread, opening).ravel(),
            "low": np.minimum(close - spread, opening).ravel(),
            "close": close.ravel(),
            "volume": rng.uniform(2e5, 4e6, close.shape).round().ravel(),
        }
    )
    trend = 400.0 * 1.0005 ** np.arange(bars)
    benchmark = pd.DataFrame(
        {"symbol": "SPY", "timestamp": days, "open": trend, "high": trend * 1.005, "low": trend * 0.995,
         "close": trend, "volume": 5e7}
    )  # fmt: skip
    return frame, benchmark, days[-1].date()


SMOKE_SIZES: dict[str, int] = {
    "symbols": 200, "bars": 300, "repeats": 1, "pandas_symbols": 3, "scan_symbols": 100, "scan_bars": 300
}  # fmt: skip


def run(
    *,
    smoke: bool = False,
    symbols: int = 5000,
    bars: int = 2520,
    anchors: int = 6,
    seed: int = 20240614,
    repeats: int = 3,
    pandas_symbols: int = 25,
    scan_symbols: int = 3000,
    scan_bars: int = 500,
) -> dict[str, Any]:
    """Run every measurement and return the figures (seconds unless named otherwise)."""
    if smoke:
        return _run(True, seed=seed, anchors=anchors, **SMOKE_SIZES)
    return _run(
        False,
        symbols=symbols,
        bars=bars,
        anchors=anchors,
        seed=seed,
        repeats=repeats,
        pandas_symbols=pandas_symbols,
        scan_symbols=scan_symbols,
        scan_bars=scan_bars,
    )


def _run(
    smoke: bool,
    *,
    symbols: int,
    bars: int,
    anchors: int,
    seed: int,
    repeats: int,
    pandas_symbols: int,
    scan_symbols: int,
    scan_bars: int,
) -> dict[str, Any]:
    from avwap.signals import avwap_numba
    from avwap.signals.avwap import avwap_snapshot
    from avwap.signals.scan import scan

    result: dict[str, Any] = {
        "shape": {"symbols": symbols, "bars": bars, "anchors": anchors},
        "seed": seed,
        "smoke": smoke,
    }
    result.update(cold_and_cached_start(fresh_cache=not smoke))
    market = synthetic_market(symbols, bars, anchors, seed)
    arrays = [market[name] for name in ("high", "low", "close", "volume")]
    result["input_megabytes"] = round(sum(array.nbytes for array in arrays) / 1e6, 1)
    floor = best_of(repeats, lambda: [float(np.add.reduce(array, axis=None)) for array in arrays])
    fast = avwap_snapshot(*arrays, market["anchors"])  # warm-up (and the answer to check the others against)
    parallel = best_of(repeats, lambda: avwap_snapshot(*arrays, market["anchors"]))
    shape = market["anchors"].shape
    outputs = (*(np.empty(shape) for _ in range(4)), np.empty(shape, bool))
    serial = best_of(
        repeats, lambda: avwap_numba.snapshot_serial(*arrays, market["anchors"], bars - 1, 5, outputs)
    )
    started = time.perf_counter()
    fallback = avwap_snapshot(*arrays, market["anchors"], engine="numpy")
    numpy_seconds = time.perf_counter() - started
    started = time.perf_counter()
    naive = pandas_reference(market, pandas_symbols)
    pandas_seconds = (time.perf_counter() - started) * symbols / pandas_symbols
    frame, benchmark, as_of = scan_universe(scan_symbols, scan_bars, seed)
    scan(frame, as_of, benchmark=benchmark)  # warm-up
    scan_seconds = best_of(1, lambda: scan(frame, as_of, benchmark=benchmark))
    result.update(
        {
            "floor_sum_pass_seconds": round(floor, 4),
            "floor_gigabytes_per_second": round(result["input_megabytes"] / 1e3 / floor, 2),
            "numba_parallel_seconds": round(parallel, 4),
            "numba_serial_seconds": round(serial, 4),
            "numpy_fallback_seconds": round(numpy_seconds, 3),
            "pandas_naive_seconds_scaled": round(pandas_seconds, 2),
            "pandas_naive_symbols_timed": pandas_symbols,
            "ratio_numba_to_floor": round(parallel / floor, 2),
            "ratio_numba_serial_to_floor": round(serial / floor, 2),
            "ratio_numpy_to_floor": round(numpy_seconds / floor, 2),
            "ratio_pandas_to_numba": round(pandas_seconds / parallel, 1),
            "target_numba_within_3x_floor": bool(parallel <= 3.0 * floor),
            "max_relative_difference_numpy_vs_numba": float(
                np.nanmax(np.abs(fallback.avwap / fast.avwap - 1.0))
            ),
            "max_relative_difference_pandas_vs_numba": float(
                np.nanmax(np.abs(naive / fast.avwap[:pandas_symbols] - 1.0))
            ),
            "scan_universe": {"symbols": scan_symbols, "bars": scan_bars},
            "scan_seconds": round(scan_seconds, 3),
            "threads": int(__import__("numba").get_num_threads()),
        }
    )
    return result


if __name__ == "__main__":
    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2, sort_keys=True))
