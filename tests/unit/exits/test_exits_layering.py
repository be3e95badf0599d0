"""Layering: the exits package and exit analytics never import the execution layer."""

from __future__ import annotations

import subprocess
import sys

MODULES = (
    "avwap.exits",
    "avwap.exits.events",
    "avwap.exits.simulator",
    "avwap.exits.simulator_daily",
    "avwap.analytics.trades",
    "avwap.analytics.exit_metrics",
    "avwap.cli.exits_command",
)


def test_no_execution_import() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        "print(sorted(name for name in sys.modules if name.startswith('avwap.execution')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
