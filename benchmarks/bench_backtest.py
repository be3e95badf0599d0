#!/usr/bin/env python3
"""The backtest engine end to end (``run() -> dict``): years of daily sessions and intraday sessions.

* ``daily``: the 505 real CNuge S&P 500 symbols x 5 years (``../shared/data/daily_sp500_5yr_cnuge``) with
  SPY from mplfinance, imported into a temporary bar store (``setup_seconds``, not timed), then
  :func:`avwap.backtest.run.run_backtest` at ``--resolution 1d`` over every session from the first one with a
  year of history to 2017-12-29 (the SPY file's end): panel scan, one cycle at the entry window's start and
  one after the close per session, ledgers, snapshots, outputs and report. Measured after a warm-up run on
  a few sessions (numba kernels compiled or loaded): ``wall_seconds`` (goal < 10 s warm), ``cpu_seconds``,
  ``sessions_per_second``, ``peak_rss_mb`` (of the whole process), orders and trades. Caps are widened
  (``CAPS``) so the book trades like a research run, not like the live guardrails.
* ``intraday``: the synthetic market's 300 stocks with 5-minute bars, ``INTRADAY_SESSIONS`` sessions at
  ``--resolution 5m`` (79 cycles a session): ``sessions_per_second``.

``run(smoke=True)``: 20 real symbols and the last 60 sessions; 30 synthetic stocks and 2 intraday sessions.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
SHARED_DATA: Final = Path(os.environ.get("AVWAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
SPY_FILE: Final = "mplfinance/yahoofinance-SPY-20080101-20180101.csv"
LAST_SESSION: Final = dt.date(2017, 12, 29)
HISTORY_SESSIONS: Final = 252
INTRADAY_SESSIONS: Final = 5
CAPS: Final = {
    "MAX_POSITIONS": "20",
    "MAX_ORDERS_PER_DAY": "10",
    "MAX_GROSS_EXPOSURE": "100000",
    "MAX_NOTIONAL_PER_SYMBOL": "10000",
    "MAX_RISK_PER_TRADE": "500",
}
SMOKE: Final = {"symbols": 20, "sessions": 60, "synthetic_symbols": 30, "intraday_sessions": 2}


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _timed(action: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, round(time.perf_counter() - wall, 3), round(time.process_time() - cpu, 3)


def _real_store(folder: Path, symbols: int | None) -> Path:
    from avwap.data.importing.csv_import import expand_paths, import_csv, import_many
    from avwap.data.importing.presets import preset
    from avwap.data.store import BarStore

    paths = sorted(expand_paths([SHARED_DATA / "daily_sp500_5yr_cnuge"]))
    if symbols is not None:
        paths = paths[:: len(paths) // symbols][:symbols]
    store = BarStore(folder / "store")
    store.write(import_many(paths, preset("cnuge_daily")).bars, "1d")
    store.write(import_csv(SHARED_DATA / SPY_FILE, preset("mplfinance_yahoo_daily")).bars, "1d")
    return folder / "store"


def _summary(outcome: Any, wall: float, cpu: float) -> dict[str, Any]:
    sessions = len(outcome.result.sessions)
    return {
        "sessions": sessions,
        "first_session": outcome.result.sessions[0].isoformat(),
        "last_session": outcome.result.sessions[-1].isoformat(),
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "sessions_per_second": round(sessions / wall, 2) if wall else None,
        "cycles": outcome.result.cycles,
        "trades": outcome.trades,
        "ending_equity": outcome.summary.ending_equity,
    }


def daily_case(folder: Path, smoke: bool) -> dict[str, Any]:
    from avwap.backtest.run import run_backtest
    from avwap.data.store import BarStore

    (root, setup_seconds) = _timed(lambda: _real_store(folder, SMOKE["symbols"] if smoke else None))[:2]
    frame = BarStore(root).read("1d")
    stocks = frame[frame["symbol"] != "SPY"]  # SPY's file starts in 2008, the stocks in 2013
    days = sorted(day for day in set(stocks["timestamp"].dt.date) if day <= LAST_SESSION)
    start = days[-SMOKE["sessions"]] if smoke else days[HISTORY_SESSIONS]
    environ = dict(CAPS)

    def backtest(first: dt.date, out: str) -> Any:
        return run_backtest(
            environ, start=first, end=LAST_SESSION, data_root=root, out=folder / out, resolution="1d"
        )

    backtest(days[-3], "warm")  # numba kernels compiled or loaded, imports done
    outcome, wall, cpu = _timed(lambda: backtest(start, "run"))
    return {
        "symbols": int(frame["symbol"].nunique()),
        "setup_seconds": setup_seconds,
        **_summary(outcome, wall, cpu),
        "peak_rss_mb": _rss_mb(),
    }


def intraday_case(folder: Path, smoke: bool) -> dict[str, Any]:
    from avwap.backtest.run import run_backtest
    from avwap.data.synthetic import SyntheticMarketSpec, ensure_market

    spec = SyntheticMarketSpec(symbols=SMOKE["synthetic_symbols"]) if smoke else SyntheticMarketSpec()
    root = folder / "synthetic"
    ensure_market(spec, root, owned=True)
    count = SMOKE["intraday_sessions"] if smoke else INTRADAY_SESSIONS
    from avwap.core.calendar import nyse

    sessions = nyse().sessions(dt.date(2026, 11, 16), spec.daily_end)[:count]
    outcome, wall, cpu = _timed(
        lambda: run_backtest(
            dict(CAPS),
            start=sessions[0],
            end=sessions[-1],
            data_root=root,
            out=folder / "intraday",
            resolution="5m",
        )
    )
    return {"symbols": spec.symbols, **_summary(outcome, wall, cpu)}


def run(*, smoke: bool = False) -> dict[str, Any]:
    """Both cases (module docstring); the daily case is a note when the real data is absent."""
    with tempfile.TemporaryDirectory(prefix="bench-backtest-") as name:
        folder = Path(name)
        if (SHARED_DATA / "daily_sp500_5yr_cnuge").is_dir():
            daily: dict[str, Any] | str = daily_case(folder, smoke)
        else:
            daily = f"skipped: {SHARED_DATA / 'daily_sp500_5yr_cnuge'} not found"
        intraday = intraday_case(folder, smoke)
    return {"benchmark": "backtest", "smoke": smoke, "daily": daily, "intraday": intraday}


if __name__ == "__main__":
    print(json.dumps(run(smoke=len(sys.argv) > 1 and sys.argv[1] == "smoke"), indent=2, sort_keys=True))
