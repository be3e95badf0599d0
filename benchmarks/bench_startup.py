#!/usr/bin/env python3
"""Cold process start of short commands: wall and CPU seconds of a fresh ``avwap`` process, median of N runs.

Commands (each run is a new interpreter, exactly what the ``avwap`` console script runs):

* ``help``: ``avwap --help``.
* ``execute_once_idle``: ``avwap execute --once`` in DRY_RUN on an empty home (no candidates, no positions;
  the cycle runs on the real clock, so the result names the New York date and whether it was a session).
  Target: under 0.5 s.
* ``scan_sp500_real``: ``avwap scan --as-of 2017-06-01`` over the 505 CNuge S&P 500 symbols (imported first,
  untimed, into a temporary home with ``avwap data import``; SPY from mplfinance as the benchmark). Skipped
  with a message when ``../shared/data`` is absent. Target: under 1 s.

Each command runs once untimed first (bytecode and numba caches warm, as after ``make install``). ``cpu`` is
the children's user + system time: on a shared machine it moves less than the wall time (``load_average``
gives the machine's 1-minute load before and after the runs). ``meets_target``
compares the median wall time with the target, ``meets_target_at_minimum`` the quickest run's (the figure
for a cold process on an idle machine). ``run(smoke=True)`` runs each command once on 8 symbols (CI's smoke
run: the same code path in seconds).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
SHARED_DATA: Final = Path(os.environ.get("AVWAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
CNUGE: Final = SHARED_DATA / "daily_sp500_5yr_cnuge"
SPY: Final = SHARED_DATA / "mplfinance" / "yahoofinance-SPY-20080101-20180101.csv"
SCAN_DAY: Final = "2017-06-01"
SMOKE_SYMBOLS: Final = 8
TARGETS: Final = {"execute_once_idle": 0.5, "scan_sp500_real": 1.0}
# The operator's shell must not change what is measured (same prefixes as tests/run_tests.py clears).
CLEARED_PREFIXES: Final = ("AVWAP_", "EXECUTION_MODE", "DRY_RUN", "KILL_SWITCH", "LIVE_", "SLACK_", "ALPACA_")
ENTRY: Final = "from avwap.cli.main import main; main()"  # what the console script does


def _environment() -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(CLEARED_PREFIXES)}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed avwap has .pyc files (tests set it)
    source = str(ROOT / "src")
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [source, environment.get("PYTHONPATH", "")]))
    return environment


def _avwap(arguments: list[str]) -> tuple[float, float, str]:
    """Run ``avwap *arguments`` in a fresh interpreter: wall and CPU seconds, stdout (fails unless exit 0)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", ENTRY, *arguments],
        env=_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(
            f"avwap {' '.join(arguments)} exited {completed.returncode}: {completed.stderr[-2000:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, completed.stdout


def _measure(name: str, arguments: list[str], runs: int) -> dict[str, Any]:
    _avwap(arguments)  # untimed: bytecode and numba caches warm
    load_before = os.getloadavg()[0]
    walls, cpus, _ = zip(*(_avwap(arguments) for _ in range(runs)), strict=True)
    median = statistics.median(walls)
    result: dict[str, Any] = {
        "command": "avwap " + " ".join(arguments),
        "runs": runs,
        "wall_median_seconds": round(median, 3),
        "wall_min_seconds": round(min(walls), 3),
        "cpu_median_seconds": round(statistics.median(cpus), 3),
        "cpu_min_seconds": round(min(cpus), 3),
        # the 1-minute load average before and after the runs: a shared machine's wall times need it
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    if name in TARGETS:
        result["target_seconds"] = TARGETS[name]
        result["meets_target"] = median < TARGETS[name]
        # the quietest run: what a cold process costs on an idle machine (a shared one inflates the median)
        result["meets_target_at_minimum"] = min(walls) < TARGETS[name]
    return result


def _import_real_data(home: Path, symbols: int | None) -> None:
    """``avwap data import`` the CNuge files (all, or the first ``symbols``) and SPY into ``home``."""
    files = sorted(CNUGE.glob("*.csv"))
    sources = [str(CNUGE)] if symbols is None else [str(path) for path in files[:symbols]]
    _avwap(["data", "import", *sources, "--preset", "cnuge_daily", "--home", str(home), "--json"])
    _avwap(["data", "import", str(SPY), "--preset", "mplfinance_yahoo_daily", "--home", str(home), "--json"])


def run(*, smoke: bool = False, runs: int = 7) -> dict[str, Any]:
    """Median wall seconds of each command over ``runs`` cold processes (1 in smoke size)."""
    from avwap.core.calendar import ny_date, nyse

    runs = 1 if smoke else runs
    commands: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        work = Path(folder)
        commands["help"] = _measure("help", ["--help"], runs)
        idle = work / "idle-home"
        idle.mkdir()
        commands["execute_once_idle"] = _measure(
            "execute_once_idle", ["execute", "--once", "--home", str(idle)], runs
        )
        _, _, output = _avwap(["execute", "--once", "--json", "--home", str(idle)])
        report = json.loads(
            output.splitlines()[0]
        )  # the cycle's own report says when and in which mode it ran
        day = ny_date(dt.datetime.fromisoformat(report["now"].replace("Z", "+00:00")))
        commands["execute_once_idle"].update(
            mode=report["mode"], new_york_date=day.isoformat(), session_day=nyse().is_session(day)
        )
        if CNUGE.is_dir() and SPY.is_file():
            home = work / "scan-home"
            _import_real_data(home, SMOKE_SYMBOLS if smoke else None)
            scan = _measure("scan_sp500_real", ["scan", "--as-of", SCAN_DAY, "--home", str(home)], runs)
            commands["scan_sp500_real"] = {
                **scan,
                "symbols": SMOKE_SYMBOLS if smoke else len(list(CNUGE.glob("*.csv"))),
            }
        else:
            commands["scan_sp500_real"] = f"skipped: {CNUGE} or {SPY} not found"
    return {"benchmark": "startup", "smoke": smoke, "python": sys.executable, "commands": commands}


if __name__ == "__main__":
    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2, sort_keys=True))
