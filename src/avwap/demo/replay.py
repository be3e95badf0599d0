"""The demo as a preset of the backtest engine: the embedded synthetic market (or imported bars), the last
``--sessions`` consecutive sessions with intraday bars, 5-minute resolution, book PAPER_SIM in the demo home.

Each session runs through :class:`avwap.backtest.engine.BacktestEngine` with :data:`DEMO_PRESET`: the
production scan job an hour before the open, the portfolio decisions, the session bar by bar through the real
cycle (simulated clock and broker, each 5-minute bar fed once the clock has reached its end), the evening
reconciliation and the end-of-day snapshot. There is no demo-only replay loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from avwap.backtest.engine import BacktestEngine, BacktestResult, Progress
from avwap.backtest.market import BAR_MINUTES, five_minute_bars
from avwap.backtest.preset import Preset
from avwap.core.calendar import nyse
from avwap.core.config import Config, load_config
from avwap.core.config_parsers import parse_sleeves
from avwap.core.errors import DataError
from avwap.core.execution_mode import ExecutionMode
from avwap.data.store import BarStore
from avwap.ledger.audit_key import DEMO_AUDIT_KEY
from avwap.ledger.paths import PAPER_SIM
from avwap.strategies.registry import S1_AVWAP_CORE, S2_AVWAP_SWING

__all__ = ["BAR_MINUTES", "DEMO_PRESET", "BacktestResult", "demo_config", "demo_engine", "five_minute_bars"]

# The demo's sleeves (unless the environment names sleeves of its own, JSON or file).
DEMO_SLEEVES: Final = parse_sleeves(
    "S2_SLEEVES_JSON",
    {
        S1_AVWAP_CORE: {
            "max_daily_loss": 1500,
            "max_gross_exposure": 20000,
            "max_positions": 5,
            "max_new_entries_per_day": 5,
        },
        S2_AVWAP_SWING: {
            "max_daily_loss": 1000,
            "max_gross_exposure": 12000,
            "max_positions": 3,
            "max_new_entries_per_day": 2,
        },
    },
)
# Demo caps: paper money, sized so that the sizing rule (2 % of equity per entry) binds, not the live caps.
DEMO_DEFAULTS: Final[Mapping[str, tuple[str, Any]]] = {
    "MAX_NOTIONAL_PER_SYMBOL": ("max_notional_per_symbol", Decimal("5000")),
    "MAX_GROSS_EXPOSURE": ("max_gross_exposure", Decimal("25000")),
    "MAX_RISK_PER_TRADE": ("max_risk_per_trade", Decimal("250")),
    # Two strategies trade the demo side by side (Phase S), each in its own sleeve.
    "ENABLED_STRATEGIES": ("enabled_strategies", (S1_AVWAP_CORE, S2_AVWAP_SWING)),
    "S2_SLEEVES_JSON": ("s2_sleeves_json", DEMO_SLEEVES),
}
# The demo keeps the ledger of a paper book (no fill-rule notes: its fills are all 5-minute ones, and its
# ledger is the one `avwap ledger`, `avwap exits` and the parity tests read as a PAPER_SIM book).
DEMO_PRESET: Final = Preset(
    "demo",
    book_id=PAPER_SIM,
    resolution="5m",
    morning="scan_job",
    reconcile=True,
    evening_attribution=True,
    audit_key=DEMO_AUDIT_KEY,
    fill_rule_notes=False,
    funding_reference="demo funding",
    funding_reason="demo funding",
)


def consecutive_sessions(days: list[dt.date], count: int, data_root: Path) -> list[dt.date]:
    """The last ``count`` NYSE sessions of ``days`` (the days with intraday bars); a DataError when they skip
    a session: a replay joined across a gap (a missing week, or ten years) would carry positions, stops and
    the scan's history across it as if nothing happened."""
    calendar = nyse()
    chosen = [day for day in days if calendar.is_session(day)][-count:]
    if not chosen:
        raise DataError(f"no 5-minute bars on NYSE sessions in {data_root}")
    expected = calendar.sessions(chosen[0], chosen[-1])
    if list(expected) == chosen:
        return chosen
    present = set(chosen)
    missing = [day for day in expected if day not in present]
    tail = 0
    while tail < len(chosen) and chosen[-1 - tail] == expected[-1 - tail]:
        tail += 1
    raise DataError(
        f"the last {len(chosen)} sessions with intraday bars in {data_root} skip {len(missing)} NYSE "
        f"session(s) between {chosen[0]} and {chosen[-1]} (first missing: {missing[0]}); a demo replays "
        f"consecutive sessions: pass --sessions {tail} or import the missing days"
    )


def demo_config(environ: Mapping[str, str], home: Path) -> Config:
    """The demo runs PAPER_SIM in its own home; demo caps apply unless the environment sets them."""
    overrides = {
        attribute: value for name, (attribute, value) in DEMO_DEFAULTS.items() if name not in environ
    }
    if "S2_SLEEVES_FILE" in environ:  # the operator's sleeves file replaces the demo's sleeves
        overrides.pop("s2_sleeves_json", None)
    return load_config(
        environ,
        home=home,
        execution_mode=ExecutionMode.PAPER_SIM,
        dry_run=False,
        kill_switch=False,
        **overrides,
    )


def demo_engine(
    config: Config, data_root: Path, sessions: int, progress: Progress | None = None
) -> BacktestEngine:
    """The engine over the last ``sessions`` consecutive sessions with intraday bars of ``data_root``."""
    store = BarStore(data_root)
    intraday_days = five_minute_bars(store)["timestamp"].dt.date
    if store.read("1d").empty or intraday_days.empty:
        raise DataError(f"{data_root} needs daily (1d) and 5-minute (5m) or 1-minute (1m) bars for a demo")
    if sessions < 1:
        raise DataError(f"a demo replays at least one session, not {sessions}")
    chosen = consecutive_sessions(sorted(set(intraday_days)), sessions, data_root)
    engine = BacktestEngine(
        config, data_root, start=chosen[0], end=chosen[-1], preset=DEMO_PRESET, progress=progress
    )
    if engine.sessions != chosen:
        raise DataError(f"{data_root} lacks daily bars on some of the sessions {chosen[0]} to {chosen[-1]}")
    return engine
