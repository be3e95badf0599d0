#!/usr/bin/env python3
"""Synthetic market generation: the demo market, 3,000 stocks x 2 years, and 5,000 x 2,520 daily arrays.

``run() -> dict`` (used by ``run_benchmarks.py``); run directly to print the JSON. Times are the best of a
few repeats (one for the large cases), in seconds, measured after the calendar is built. ``run(smoke=True)``
(CI) generates 10 / 30 / 50 symbols over a few weeks, once each: the same code path in seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from avwap.core.calendar import nyse
from avwap.data.synthetic import SyntheticMarketSpec, generate_arrays, generate_market, write_market

LAST_SESSION = dt.date(2026, 11, 30)


def _best_of(repeats: int, action: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - started)
    return round(best, 3), result


def _frames_case(name: str, spec: SyntheticMarketSpec, repeats: int) -> dict[str, Any]:
    seconds, market = _best_of(repeats, lambda: generate_market(spec))
    rows = len(market.daily) + len(market.intraday)
    return {
        "case": name,
        "seconds": seconds,
        "symbols": spec.symbols + 2,
        "daily_rows": len(market.daily),
        "intraday_rows": len(market.intraday),
        "rows_per_second": round(rows / seconds),
    }


def _arrays_case(name: str, spec: SyntheticMarketSpec) -> dict[str, Any]:
    seconds, arrays = _best_of(1, lambda: generate_arrays(spec))
    sessions, symbols = arrays.daily.close.shape
    return {
        "case": name,
        "seconds": seconds,
        "symbols": symbols,
        "sessions": sessions,
        "cells_per_second": round(sessions * symbols / seconds),
    }


def _write_case(spec: SyntheticMarketSpec) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        seconds, _ = _best_of(1, lambda: write_market(spec, Path(folder) / "data"))
    return {"case": "demo_write_market (generate + BarStore + files)", "seconds": seconds}


def run(*, smoke: bool = False) -> dict[str, Any]:
    """Time the generator at the sizes the demo, the scan benchmarks and the backtests use."""
    calendar = nyse()
    demo = SyntheticMarketSpec()
    two_years = SyntheticMarketSpec(
        symbols=3000, daily_start=calendar.sessions_back(LAST_SESSION, 503), intraday_start=None
    )
    ten_years = SyntheticMarketSpec(
        symbols=5000, daily_start=calendar.sessions_back(LAST_SESSION, 2519), intraday_start=None
    )
    if smoke:
        demo = SyntheticMarketSpec(
            symbols=10,
            daily_start=calendar.sessions_back(LAST_SESSION, 60),
            intraday_start=dt.date(2026, 11, 23),
        )
        two_years = SyntheticMarketSpec(
            symbols=30, daily_start=calendar.sessions_back(LAST_SESSION, 60), intraday_start=None
        )
        ten_years = SyntheticMarketSpec(
            symbols=50, daily_start=calendar.sessions_back(LAST_SESSION, 120), intraday_start=None
        )
    cases = [
        _frames_case("demo_300x3y_daily_and_5m_frames", demo, repeats=1 if smoke else 3),
        _frames_case("3000x504_daily_frames", two_years, repeats=1),
        _arrays_case("5000x2520_daily_arrays", ten_years),
        _write_case(demo),
    ]
    return {"benchmark": "synthetic", "smoke": smoke, "cases": cases}


if __name__ == "__main__":
    json.dump(run(smoke="--smoke" in sys.argv[1:]), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
