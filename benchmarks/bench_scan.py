#!/usr/bin/env python3
"""End-to-end daily scan from the Parquet bar store (``run() -> dict``; run directly to print the JSON).

Cases (targets from the issue, 2-core machine, warm caches):

* ``sp500_real``: the 505 real CNuge S&P 500 symbols x 5 years (``../shared/data/daily_sp500_5yr_cnuge``), SPY
  from mplfinance as the benchmark, trading day 2017-06-01: target < 2 s.
* ``synthetic_3000x2y``: 3,000 synthetic symbols (+ SPY, IWM) x 504 sessions, trading day 2026-12-01:
  target < 4 s.

Each case first imports/generates its data into a temporary bar store (``setup_seconds``, not part of the
scan), then runs the whole job (read the store, scan, diagnostics, charts, write every artifact) once cold
(``first_run_seconds``: numba compile or cache load, calendar build) and three times warm (``seconds`` is the
best; ``stages`` splits it). ``numba_compile_seconds`` times the kernels' first call on tiny arrays in a fresh
process before anything else (a disk-cache load when ``NUMBA_CACHE_DIR`` already holds them).

``naive_reference``: a per-symbol pandas implementation of the scan's measures (SMA, Wilder ATR, liquidity,
five anchor types, AVWAP with σ, slope and distance per anchor), on a subset of the real symbols; its time per
symbol is scaled to the universe and compared with the vectorized scan stage and with the whole job.

``run(smoke=True)`` (CI): 8 real symbols, 50 synthetic symbols, 5 naive symbols and one warm repeat: the same
code path in seconds (targets are then meaningless).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("AVWAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
REAL_TRADING_DATE = dt.date(2017, 6, 1)
SYNTHETIC_LAST_SESSION = dt.date(2026, 11, 30)
SYNTHETIC_TRADING_DATE = dt.date(2026, 12, 1)
NAIVE_SYMBOLS = 60
WARM_REPEATS = 3
PARALLEL_ROWS = 64  # the snapshot kernel goes parallel from 64 symbols


def _numba_compile_seconds() -> float:
    from avwap.signals.avwap import avwap_series, avwap_snapshot

    ones = np.ones((PARALLEL_ROWS, 8))
    anchors = np.zeros((PARALLEL_ROWS, 2), dtype=np.int64)
    started = time.perf_counter()
    avwap_snapshot(ones, ones, ones, ones, anchors)  # parallel kernel
    avwap_snapshot(ones[:1], ones[:1], ones[:1], ones[:1], anchors[:1])  # serial kernel
    avwap_series(ones[:1], ones[:1], ones[:1], ones[:1], anchors[:1])
    return round(time.perf_counter() - started, 3)


def _timed_job(action: Callable[[Callable[[str, int, int], None]], Any]) -> tuple[float, dict[str, float]]:
    """Run ``action(progress)``; return its seconds and the seconds of each stage the job reported."""
    marks: list[tuple[str, float]] = []

    def progress(stage: str, done: int, total: int) -> None:
        if not marks or marks[-1][0] != stage:
            marks.append((stage, time.perf_counter()))

    started = time.perf_counter()
    action(progress)
    ended = time.perf_counter()
    stages = {
        stage: round((marks[index + 1][1] if index + 1 < len(marks) else ended) - moment, 3)
        for index, (stage, moment) in enumerate(marks)
    }
    return round(ended - started, 3), stages


def _scan_case(
    name: str, store: Path, home: Path, trading_date: dt.date, target: float, *, repeats: int = WARM_REPEATS
) -> dict[str, Any]:
    from avwap.core.clock import FixedClock
    from avwap.core.config import load_config
    from avwap.scanning.job import run_scan

    config = load_config({}, home=home)
    clock = FixedClock(dt.datetime.combine(trading_date, dt.time(12, 30), tzinfo=dt.UTC))
    outcome: dict[str, Any] = {}

    def job(progress: Callable[[str, int, int], None]) -> None:
        result = run_scan(
            config, trading_date, clock=clock, data_dir=store, progress=progress, code_version="bench"
        )
        outcome["job"] = result

    first, _ = _timed_job(job)
    runs = [_timed_job(job) for _ in range(repeats)]
    seconds, stages = min(runs, key=lambda run: run[0])
    result = outcome["job"]
    return {
        "case": name,
        "trading_date": trading_date.isoformat(),
        "symbols_scanned": result.scanned,
        "candidates": len(result.result.candidates),
        "first_run_seconds": first,
        "seconds": seconds,
        "stages": stages,
        "target_seconds": target,
        "meets_target": seconds < target,
    }


def _import_real(store: Path, symbols: int | None = None) -> float:
    from avwap.data.importing.csv_import import expand_paths, import_csv, import_many
    from avwap.data.importing.presets import preset
    from avwap.data.store import BarStore

    started = time.perf_counter()
    bars = BarStore(store)
    paths = expand_paths([SHARED_DATA / "daily_sp500_5yr_cnuge"])
    batch = import_many(paths if symbols is None else sorted(paths)[:symbols], preset("cnuge_daily"))
    bars.write(batch.bars, "1d")
    bars.record_quarantine("1d", [report.source for report in batch.reports], batch.quarantine_records())
    spy = SHARED_DATA / "mplfinance" / "yahoofinance-SPY-20080101-20180101.csv"
    bars.write(import_csv(spy, preset("mplfinance_yahoo_daily")).bars, "1d")
    return round(time.perf_counter() - started, 3)


def _write_synthetic(store: Path, symbols: int = 3000) -> float:
    from avwap.core.calendar import nyse
    from avwap.data.synthetic import SyntheticMarketSpec, write_market

    spec = SyntheticMarketSpec(
        symbols=symbols,
        daily_start=nyse().sessions_back(SYNTHETIC_LAST_SESSION, 503),
        daily_end=SYNTHETIC_LAST_SESSION,
        intraday_start=None,
    )
    started = time.perf_counter()
    write_market(spec, store)
    return round(time.perf_counter() - started, 3)


# ---------------------------------------------------------------------------------- naive reference


def _naive_avwap(frame: pd.DataFrame, anchor: int) -> tuple[float, float, float, float]:
    """AVWAP, σ, 5-bar slope and distance at the last bar from bar ``anchor`` (pandas, one symbol)."""
    window = frame.iloc[anchor:]
    typical = (window["high"] + window["low"] + window["close"]) / 3.0
    volume = window["volume"]
    cumulative = (typical * volume).cumsum() / volume.cumsum()
    level = float(cumulative.iloc[-1])
    variance = float((typical * typical * volume).sum() / volume.sum() - level * level)
    base = float(cumulative.iloc[max(len(cumulative) - 6, 0)])
    close = float(frame["close"].iloc[-1])
    return level, max(variance, 0.0) ** 0.5, level / base - 1.0, (close - level) / level


def _naive_symbol(frame: pd.DataFrame) -> dict[str, float]:
    """The scan's measures for one symbol, the slow obvious way."""
    close, high, low = frame["close"], frame["high"], frame["low"]
    previous = close.shift(1)
    true_range = pd.concat([high - low, (high - previous).abs(), (low - previous).abs()], axis=1).max(axis=1)
    atr = true_range.ewm(alpha=1.0 / 14.0, adjust=False).mean()
    dates = frame["timestamp"]
    last = dates.iloc[-1]
    gaps = (frame["open"] / previous - 1.0).abs() >= 0.04
    recent_gaps = np.flatnonzero(gaps.to_numpy()[-60:])
    anchors = {
        "YTD": int(np.flatnonzero((dates.dt.year == last.year).to_numpy())[0]),
        "MTD": int(
            np.flatnonzero(((dates.dt.year == last.year) & (dates.dt.month == last.month)).to_numpy())[0]
        ),
        # the most recent extreme of the last 20 bars (ties go to the latest bar)
        "LOW_20": len(frame) - 1 - int(np.argmin(low.to_numpy()[-20:][::-1])),
        "HIGH_20": len(frame) - 1 - int(np.argmax(high.to_numpy()[-20:][::-1])),
    }
    if recent_gaps.size:
        anchors["GAP"] = len(frame) - 60 + int(recent_gaps[-1])
    measures = {
        "sma20": float(close.rolling(20).mean().iloc[-1]),
        "sma50": float(close.rolling(50).mean().iloc[-1]),
        "atr": float(atr.iloc[-1]),
        "avg_volume": float(frame["volume"].rolling(20).mean().iloc[-1]),
        "avg_dollar_volume": float((close * frame["volume"]).rolling(20).mean().iloc[-1]),
    }
    for name, anchor in anchors.items():
        measures[f"avwap_{name}"] = _naive_avwap(frame, anchor)[0]
    return measures


def _naive_case(
    store: Path,
    as_of: dt.date,
    scan_seconds: float,
    job_seconds: float,
    universe: int,
    *,
    wanted: int = NAIVE_SYMBOLS,
) -> dict[str, Any]:
    from avwap.data.store import BarStore
    from avwap.signals.avwap import avwap_snapshot
    from avwap.signals.panel import build_panel

    frame = BarStore(store).read("1d", end=as_of)
    symbols = sorted(set(frame["symbol"]) - {"SPY"})[:: max(1, len(set(frame["symbol"])) // wanted)]
    symbols = symbols[:wanted]
    started = time.perf_counter()
    results = {}
    for symbol in symbols:
        own = frame[frame["symbol"] == symbol].reset_index(
            drop=True
        )  # the per-symbol filter is part of naive
        if len(own) >= 60:
            results[symbol] = _naive_symbol(own)
    per_symbol = (time.perf_counter() - started) / len(symbols)
    # Cross-check: the naive YTD AVWAP equals the vectorized kernel's on the same bars.
    panel = build_panel(frame[frame["symbol"].isin(list(results))], as_of, 300)
    years = panel.dates.astype("datetime64[Y]")
    ytd = np.argmax(years == years[:, -1:], axis=1)[:, None]
    snapshot = avwap_snapshot(panel.high, panel.low, panel.close, panel.volume, ytd)
    differences = [
        abs(results[symbol]["avwap_YTD"] - snapshot.avwap[row, 0]) / snapshot.avwap[row, 0]
        for row, symbol in enumerate(panel.symbols)
    ]
    scaled = per_symbol * universe
    return {
        "symbols": len(symbols),
        "seconds_per_symbol": round(per_symbol, 5),
        "scaled_to_universe_seconds": round(scaled, 3),
        "speedup_vs_scan_stage": round(scaled / scan_seconds, 1) if scan_seconds else None,
        "speedup_vs_whole_job": round(scaled / job_seconds, 1),
        "max_relative_ytd_avwap_difference": float(f"{max(differences):.3g}"),
        "note": "naive = per-symbol pandas for the measures only (no diagnostics, charts or files)",
    }


def run(*, smoke: bool = False) -> dict[str, Any]:
    """Both end-to-end cases, the naive reference, and the numba compile time."""
    from avwap.core.calendar import nyse

    real_symbols, synthetic_symbols, naive_symbols = (8, 50, 5) if smoke else (None, 3000, NAIVE_SYMBOLS)
    repeats = 1 if smoke else WARM_REPEATS

    compile_seconds = _numba_compile_seconds()
    nyse()
    cases: list[dict[str, Any]] = []
    naive: dict[str, Any] | str
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        if (SHARED_DATA / "daily_sp500_5yr_cnuge").is_dir():
            setup = _import_real(work / "real", real_symbols)
            real = _scan_case(
                "sp500_real_505x5y",
                work / "real",
                work / "home-real",
                REAL_TRADING_DATE,
                2.0,
                repeats=repeats,
            )
            cases.append({**real, "setup_seconds": setup})
            naive = _naive_case(
                work / "real",
                dt.date(2017, 5, 31),
                real["stages"].get("scanning", 0.0),
                real["seconds"],
                real["symbols_scanned"],
                wanted=naive_symbols,
            )
        else:
            naive = f"skipped: {SHARED_DATA / 'daily_sp500_5yr_cnuge'} not found"
        setup = _write_synthetic(work / "synthetic", synthetic_symbols)
        synthetic = _scan_case(
            "synthetic_3000x2y",
            work / "synthetic",
            work / "home-synthetic",
            SYNTHETIC_TRADING_DATE,
            4.0,
            repeats=repeats,
        )
        cases.append({**synthetic, "setup_seconds": setup})
    return {
        "benchmark": "scan",
        "smoke": smoke,
        "numba_compile_seconds": compile_seconds,
        "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR", "(numba default)"),
        "cases": cases,
        "naive_reference": naive,
    }


if __name__ == "__main__":
    result = run(smoke="--smoke" in sys.argv[1:])
    json.dump(result, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    naive_result = result["naive_reference"]
    if isinstance(naive_result, dict):
        print(
            f"naive per-symbol pandas vs vectorized scan stage: {naive_result['speedup_vs_scan_stage']}x "
            f"(whole job: {naive_result['speedup_vs_whole_job']}x)",
            file=sys.stderr,
        )
