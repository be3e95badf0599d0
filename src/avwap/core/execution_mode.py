"""Where orders go: the execution modes (``EXECUTION_MODE``), each with its own book."""

from __future__ import annotations

import enum


class ExecutionMode(enum.StrEnum):
    DRY_RUN = "DRY_RUN"
    PAPER_SIM = "PAPER_SIM"
    BACKTEST = "BACKTEST"
    ALPACA_PAPER = "ALPACA_PAPER"
    LIVE = "LIVE"
    SCHWAB_401K_MANUAL = "SCHWAB_401K_MANUAL"
