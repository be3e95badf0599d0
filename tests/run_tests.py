#!/usr/bin/env python3
"""The one deterministic test entry point (``make test``).

Fixes PYTHONHASHSEED, TZ and locale, turns warnings into errors, and runs pytest in a fresh interpreter so
those settings apply from the first import. Test order is randomized by nothing; tests must not depend on it.
Extra arguments are passed to pytest (e.g. ``tests/run_tests.py -k ledger``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIXED_ENVIRONMENT = {
    "PYTHONHASHSEED": "0",
    "TZ": "UTC",
    "LC_ALL": "C.UTF-8",
    "LANG": "C.UTF-8",
    "PYTHONWARNINGS": "error",
    "PYTHONDONTWRITEBYTECODE": "1",
    "HYPOTHESIS_PROFILE": "ci",
    "NUMBA_CACHE_DIR": str(ROOT / "var" / "numba-cache"),
    "COLUMNS": "120",
}

# Settings the operator's shell may carry that would change what tests see.
CLEARED_PREFIXES = (
    "AVWAP_",
    "EXECUTION_MODE",
    "DRY_RUN",
    "KILL_SWITCH",
    "LIVE_",
    "PHASE_C",
    "ALLOWLIST_",
    "MAX_",
    "SLACK_",
    "ALPACA_",
    "INTRADAY_",
    "UNIVERSE_",
    "DEMO_",
    "PORTFOLIO_",
    "S2_",
    "E2_",
    "E3_",
)


def main(arguments: list[str]) -> int:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(CLEARED_PREFIXES)}
    environment.update(FIXED_ENVIRONMENT)
    command = [sys.executable, "-W", "error", "-m", "pytest", "-p", "no:randomly", *arguments]
    return subprocess.call(command, cwd=ROOT, env=environment)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
