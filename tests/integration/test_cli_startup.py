"""Short commands start fast: the heavy dependencies are imported only by the commands that use them.

Each check runs a fresh interpreter (what the ``avwap`` console script does) and lists which heavy modules
ended up in ``sys.modules``. See benchmarks/bench_startup.py for the figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("alpaca", "slack_sdk", "numba", "pandas", "pyarrow", "exchange_calendars", "scipy", "requests")

REPORT = (
    "import atexit, json, sys\n"
    f"HEAVY = {HEAVY!r}\n"
    "def report():\n"
    "    sys.stderr.write('HEAVY ' + json.dumps([name for name in HEAVY if name in sys.modules]) + '\\n')\n"
    "atexit.register(report)\n"
)


def _heavy_modules(script: str, *arguments: str) -> tuple[int, list[str], str]:
    completed = subprocess.run(
        [sys.executable, "-c", REPORT + script, *arguments], capture_output=True, text=True, check=False
    )
    lines = [line for line in completed.stderr.splitlines() if line.startswith("HEAVY ")]
    assert lines, completed.stderr[-3000:]
    return completed.returncode, json.loads(lines[-1].removeprefix("HEAVY ")), completed.stderr


def test_building_the_cli_imports_no_heavy_dependency() -> None:
    code, heavy, errors = _heavy_modules("from avwap.cli.main import build_app\nbuild_app()\n")
    assert code == 0, errors
    assert heavy == []


def test_help_imports_no_heavy_dependency() -> None:
    code, heavy, errors = _heavy_modules("from avwap.cli.main import main\nmain()\n", "--help")
    assert code == 0, errors
    assert heavy == []


@pytest.mark.parametrize(
    "instant",
    [
        "2026-04-01T15:00:00+00:00",  # a Wednesday, market open, no watchlist: the cycle runs every step
        "2026-04-04T15:00:00+00:00",  # a Saturday
    ],
)
def test_idle_execute_once_imports_no_pandas_broker_or_slack_sdk(home: Path, instant: str) -> None:
    """DRY_RUN on an empty home (no candidates, no positions) needs no pandas, alpaca-py or slack_sdk."""
    at_instant = (
        "import datetime as dt\n"
        "from avwap.core import clock\n"
        f"clock.SystemClock.now = lambda self: dt.datetime.fromisoformat({instant!r})\n"
        "from avwap.cli.main import main\n"
        "main()\n"
    )
    code, heavy, errors = _heavy_modules(at_instant, "execute", "--once", "--json", "--home", str(home))
    assert code == 0, errors
    assert heavy == []
