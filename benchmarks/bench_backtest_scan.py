#!/usr/bin/env python3
"""The backtest scan of every as-of date in one pass vs the production scan day by day (``run() -> dict``).

Data: the 505 real CNuge S&P 500 symbols x 5 years (``../shared/data/daily_sp500_5yr_cnuge``) with SPY from
mplfinance as the benchmark, imported into a temporary bar store (``setup_seconds``, not timed). As-of dates:
every session of the data through the end of the SPY file (2017-12-29).

* ``panel_scan``: :func:`avwap.backtest.scan_panel.scan_all_dates` over all as-of dates, once after a warm-up
  on a few dates (numba kernels compiled or loaded): wall and CPU seconds, windows evaluated, candidates.
* ``day_by_day``: the production :func:`avwap.signals.scan.scan` (which reads only bars up to its as-of
  date) on ``SAMPLED_DAYS`` dates spread over the range; the median per-day time x sessions estimates what
  scanning every session one by one costs (running all 1,230 would take minutes).
* ``speedup``: estimated day-by-day seconds / panel-scan seconds (``speedup_cpu``: the same in CPU seconds,
  steadier on a shared machine); ``peak_rss_mb`` of the process.

``run(smoke=True)`` (or ``python benchmarks/bench_backtest_scan.py smoke``): 20 symbols and the last 120
sessions, the same code path in seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
SHARED_DATA: Final = Path(os.environ.get("AVWAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
SPY_FILE: Final = "mplfinance/yahoofinance-SPY-20080101-20180101.csv"
LAST_AS_OF: Final = dt.date(2017, 12, 29)
SAMPLED_DAYS: Final = 10
SMOKE: Final = {"symbols": 20, "sessions": 120, "sampled_days": 3}


def _load(symbols: int | None) -> tuple[Any, Any, float]:
    """(universe bars, SPY bars, seconds) read back from a temporary bar store, as the scan job reads them."""
    from avwap.data.importing.csv_import import expand_paths, import_csv, import_many
    from avwap.data.importing.presets import preset
    from avwap.data.store import BarStore

    started = time.perf_counter()
    paths = sorted(expand_paths([SHARED_DATA / "daily_sp500_5yr_cnuge"]))
    if symbols is not None:
        paths = paths[:: len(paths) // symbols][:symbols]
    with tempfile.TemporaryDirectory(prefix="bench-backtest-scan-") as folder:
        store = BarStore(Path(folder) / "store")
        store.write(import_many(paths, preset("cnuge_daily")).bars, "1d")
        store.write(import_csv(SHARED_DATA / SPY_FILE, preset("mplfinance_yahoo_daily")).bars, "1d")
        frame = store.read("1d")
    bars = frame[frame["symbol"] != "SPY"].reset_index(drop=True)
    benchmark = frame[frame["symbol"] == "SPY"].reset_index(drop=True)
    return bars, benchmark, round(time.perf_counter() - started, 3)


def _timed(action: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, round(time.perf_counter() - wall, 3), round(time.process_time() - cpu, 3)


def run(*, smoke: bool = False) -> dict[str, Any]:
    """Both measurements (see the module docstring); a note instead when the real data is absent."""
    from avwap.backtest.scan_panel import scan_all_dates
    from avwap.signals.scan import scan

    if not (SHARED_DATA / "daily_sp500_5yr_cnuge").is_dir():
        return {"benchmark": "backtest_scan", "skipped": f"{SHARED_DATA / 'daily_sp500_5yr_cnuge'} not found"}
    bars, benchmark, setup = _load(SMOKE["symbols"] if smoke else None)
    sessions = sorted(set(bars["timestamp"].dt.tz_convert("America/New_York").dt.date))
    dates = [day for day in sessions if day <= LAST_AS_OF]
    if smoke:
        dates = dates[-SMOKE["sessions"] :]
    scan_all_dates(bars, dates[-3:], benchmark=benchmark)  # warm-up: numba kernels compiled or loaded
    result, wall, cpu = _timed(lambda: scan_all_dates(bars, dates, benchmark=benchmark))
    sampled_count = SMOKE["sampled_days"] if smoke else SAMPLED_DAYS
    sampled = dates[:: max(1, len(dates) // sampled_count)][:sampled_count]
    per_day, per_day_cpu = [], []
    for day in sampled:
        expected, seconds, cpu_seconds = _timed(lambda day=day: scan(bars, day, benchmark=benchmark))
        per_day.append(seconds)
        per_day_cpu.append(cpu_seconds)
        if expected.candidates != result.candidates[day]:
            raise AssertionError(f"panel scan differs from the production scan on {day}")
    median, median_cpu = statistics.median(per_day), statistics.median(per_day_cpu)
    estimate, estimate_cpu = median * len(dates), median_cpu * len(dates)
    return {
        "benchmark": "backtest_scan",
        "smoke": smoke,
        "symbols": int(bars["symbol"].nunique()),
        "as_of_dates": len(dates),
        "first_as_of": dates[0].isoformat(),
        "last_as_of": dates[-1].isoformat(),
        "setup_seconds": setup,
        "panel_scan": {
            "seconds": wall,
            "cpu_seconds": cpu,
            "seconds_per_as_of": round(wall / len(dates), 5),
            "windows_evaluated": result.windows_evaluated,
            "candidates": sum(len(found) for found in result.candidates.values()),
        },
        "day_by_day": {
            "sampled_days": len(sampled),
            "median_seconds_per_day": round(median, 4),
            "estimated_seconds_all_dates": round(estimate, 2),
            "median_cpu_seconds_per_day": round(median_cpu, 4),
            "estimated_cpu_seconds_all_dates": round(estimate_cpu, 2),
            "sampled_days_equal_panel_scan": True,
        },
        "speedup": round(estimate / wall, 1) if wall else None,
        "speedup_cpu": round(estimate_cpu / cpu, 1) if cpu else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


if __name__ == "__main__":
    json.dump(run(smoke=sys.argv[1:] == ["smoke"]), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
