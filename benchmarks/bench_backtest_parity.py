#!/usr/bin/env python3
"""backtrader vs avwap on the parity set, side by side (``run() -> dict``).

The run of :func:`backtrader_parity.run_parity`: 25 real CNuge S&P 500 symbols (+ SPY) imported into a
temporary bar store (``setup_seconds``, not timed), ``avwap backtest --resolution 1d`` over every session
from the second session of the CNuge files (2013-02-11) to 2017-12-29 (the SPY file's end), then the
backtrader oracle on the same bars and candidates. Reported: whether the trade lists are equal (and every
trade that differs), the bar events (stock daily bars in the window, what both engines step through), and
per engine wall and CPU seconds, bar events per second and the ratio avwap / backtrader (goal >= 50x).

What is timed: avwap's whole ``run_backtest`` (panel scan, cycles, ledgers, snapshots, outputs, report);
backtrader's ``cerebro.run()`` with its feeds (it receives the candidates ready-made). Measured after a
warm-up avwap run of 3 sessions (numba kernels compiled or loaded).

``run(smoke=True)``: 20 symbols and the last 40 sessions.
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

HERE: Final = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from backtrader_parity import CNUGE, LAST_SESSION, build_store, run_parity  # noqa: E402

SHARED_DATA: Final = Path(os.environ.get("AVWAP_SHARED_DATA", HERE.parent.parent / "shared" / "data"))
FULL: Final = {"symbols": 25, "sessions": None}
SMOKE: Final = {"symbols": 20, "sessions": 40}


def _sessions(root: Path) -> list[dt.date]:
    from avwap.data.store import BarStore

    frame = BarStore(root).read("1d")
    stocks = frame.loc[frame["symbol"] != "SPY", "timestamp"].dt.tz_convert("America/New_York").dt.date
    return sorted(day for day in set(stocks) if day <= LAST_SESSION)


def run(*, smoke: bool = False) -> dict[str, Any]:
    size = SMOKE if smoke else FULL
    if not (SHARED_DATA / CNUGE).is_dir():
        return {"benchmark": "backtest_parity", "smoke": smoke, "skipped": f"{SHARED_DATA / CNUGE} not found"}
    with tempfile.TemporaryDirectory(prefix="bench-parity-") as name:
        folder = Path(name)
        started = time.perf_counter()
        root = build_store(SHARED_DATA, folder, int(size["symbols"] or 0))
        setup = round(time.perf_counter() - started, 3)
        days = _sessions(root)
        start = days[-int(size["sessions"])] if size["sessions"] else days[1]
        run_parity(root, folder / "warm", start=days[-3])  # imports done, numba kernels compiled or loaded
        report = run_parity(root, folder / "run", start=start)
    return {
        "benchmark": "backtest_parity",
        "smoke": smoke,
        "setup_seconds": setup,
        "parity": report.summary(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "goal_ratio": 50,
    }


if __name__ == "__main__":
    print(json.dumps(run(smoke=len(sys.argv) > 1 and sys.argv[1] == "smoke"), indent=2, sort_keys=True))
