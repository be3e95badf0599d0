"""A small bar store for scan-job tests: a synthetic market plus two hand-made symbols with known failures.

The synthetic market (40 stocks, SPY, IWM; daily bars 2025-06-02..2026-11-30) has an open market gate on
the last sessions. Hand-made symbols with known outcomes: ``GOODA`` and ``GOODB`` trend up 0.3% a session
on 2M shares and gap up 5% three sessions before the as-of date (tier A, calm: candidates on that GAP
anchor, whose AVWAP sits just under the close); ``LOWVOL`` trends up on 500,000 shares a day (fails only
AVG_VOLUME_TOO_LOW); ``PENNY`` trends up from $1.20 on 10M shares (fails PRICE_TOO_LOW, then ATR_TOO_SMALL).
Last closes are computed here from the same formula the bars use.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from avwap.core.calendar import nyse
from avwap.core.clock import FixedClock
from avwap.core.config import Config, load_config
from avwap.data.store import BarStore
from avwap.data.synthetic import SyntheticMarketSpec, write_market
from avwap.scanning.job import ScanJobResult, run_scan

TRADING_DATE = dt.date(2026, 11, 30)  # a Monday
AS_OF = dt.date(2026, 11, 27)  # the Friday after Thanksgiving (an early close, still a session)
HOLIDAY = dt.date(2026, 11, 26)  # Thanksgiving
SPEC = SyntheticMarketSpec(symbols=40, daily_start=dt.date(2025, 6, 2), intraday_start=None)
CLOCK = FixedClock(dt.datetime(2026, 11, 30, 13, 0, tzinfo=dt.UTC))
CODE_VERSION = "test-version"
SESSIONS = nyse().sessions(dt.date(2025, 6, 2), AS_OF)
# symbol: (first close, drift per session, daily volume)
HAND_MADE = {
    "GOODA": (30.0, 0.003, 2_000_000.0),
    "GOODB": (60.0, 0.003, 2_000_000.0),
    "LOWVOL": (40.0, 0.002, 500_000.0),
    "PENNY": (1.2, 0.002, 10_000_000.0),
}


GAP_UP: Final = 1.05  # GOODA/GOODB gap up 5% three sessions before the as-of date (a GAP anchor)
GAP_SESSIONS: Final = 3


def last_close(symbol: str) -> float:
    start, drift, _ = HAND_MADE[symbol]
    lift = GAP_UP if symbol.startswith("GOOD") else 1.0
    return float(start * (1.0 + drift) ** (len(SESSIONS) - 1) * lift)


def trend_bars(symbol: str, sessions: list[dt.date] = SESSIONS) -> pd.DataFrame:
    """A smooth uptrend: close × (1 + drift) a session, a 2% range with the close at 60% of it, no gaps."""
    start, drift, volume = HAND_MADE[symbol]
    closes = start * (1.0 + drift) ** np.arange(len(sessions))
    lows = closes - 0.6 * 0.02 * closes
    highs = lows + 0.02 * closes
    opens = np.concatenate([[closes[0]], closes[:-1]])
    stamps = pd.DatetimeIndex([pd.Timestamp(day) for day in sessions]).tz_localize("America/New_York")
    frame = pd.DataFrame(
        {
            "symbol": symbol,
            "timestamp": stamps,
            "open": opens,
            "high": np.maximum(highs, opens),
            "low": np.minimum(lows, opens),
            "close": closes,
            "volume": np.full(len(sessions), volume),
        }
    )
    if symbol.startswith("GOOD"):  # the whole last bars move up: the gap is open vs previous close
        frame.loc[frame.index[-GAP_SESSIONS:], ["open", "high", "low", "close"]] *= GAP_UP
    return frame


def build_store(root: Path) -> Path:
    """Write the test market into a bar store at ``root``; returns ``root``."""
    write_market(SPEC, root)
    extra = pd.concat([trend_bars(symbol) for symbol in HAND_MADE])
    BarStore(root).write(extra, "1d")
    return root


def make_config(home: Path, **overrides: Any) -> Config:
    return load_config({}, home=home, **overrides)


def scan_into(home: Path, store: Path, trading_date: dt.date = TRADING_DATE, **options: Any) -> ScanJobResult:
    """Run the scan job with a pinned code version and the fixed clock."""
    config = options.pop("config", None) or make_config(home)
    options.setdefault("code_version", CODE_VERSION)
    return run_scan(config, trading_date, clock=CLOCK, data_dir=store, **options)


def written_files(home: Path) -> dict[str, bytes]:
    """Every file under ``home``'s artifacts and reports folders, by path relative to ``home``."""
    return {
        path.relative_to(home).as_posix(): path.read_bytes()
        for folder in ("artifacts", "reports")
        for path in sorted((home / folder).rglob("*"))
        if path.is_file()
    }
