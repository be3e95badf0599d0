"""One execution cycle in PAPER_SIM (no network): 300 candidates and 20 open positions.

Setup (seeded, in a temporary home): 300 candidate symbols, 60 daily bars and one session of 5-minute bars.
The first 20 break out above their entry level at 09:50 and are bought (caps sized to let 20 positions in);
the other 280 stay below their level all day, so every cycle scans them. After the entries have filled, a
cycle runs at every 5-minute bar close from 11:00 to 15:30 New York (55 cycles; the simulated broker is fed
each bar first, which is not timed). Reported: median / p90 / max milliseconds of ``run_cycle`` and the
number of open positions while measuring. Target: median ≤ 20 ms. ``run(smoke=True)`` (CI) times only the
cycles from 11:00 to 11:20 (same setup, same code path, a few seconds).
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from avwap.core.calendar import NEW_YORK, nyse
from avwap.core.clock import SimulatedClock
from avwap.core.config import ExecutionMode, load_config
from avwap.data.bars import normalize_bars
from avwap.execution.book import BookRecorder
from avwap.execution.context import CycleDependencies
from avwap.execution.cycle import run_cycle
from avwap.execution.market_data import FrameMarketData
from avwap.execution.sim_broker import SimBroker, SimBrokerSettings
from avwap.integrations.slack.notifier import RecordingNotifier
from avwap.ledger.atomic import build_provenance
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.router import Ledger
from avwap.signals.scan_records import Candidate, MarketGate, ScanResult
from avwap.signals.scan_rules import ScanRules
from avwap.signals.scan_rules_file import scan_rules_hash
from avwap.watchlist.artifact import write_candidates

SEED = 20260401
DAY = dt.date(2026, 4, 1)
CANDIDATES = 300
POSITIONS = 20
STEP = dt.timedelta(minutes=5)
COLUMNS = ["symbol", "timestamp", "open", "high", "low", "close", "volume"]


def _symbols() -> list[str]:
    return [f"S{number:03d}" for number in range(CANDIDATES)]


def _levels(rng: np.random.Generator) -> np.ndarray:
    return np.round(rng.uniform(20.0, 90.0, CANDIDATES), 2)  # risk per share stays under $3


def _daily(levels: np.ndarray) -> pd.DataFrame:
    calendar = nyse()
    days = calendar.sessions(calendar.sessions_back(DAY, 60), calendar.previous_session(DAY))
    stamps = [pd.Timestamp(dt.datetime.combine(day, dt.time(), NEW_YORK)) for day in days]
    rows = []
    for symbol, level in zip(_symbols(), levels, strict=True):
        for index, stamp in enumerate(stamps):
            low = level * 0.98 if index == len(stamps) - 6 else level * 0.995
            rows.append((symbol, stamp, level, level * 1.01, low, level, 2_000_000.0))
    return normalize_bars(pd.DataFrame(rows, columns=COLUMNS))


def _intraday(levels: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    starts = nyse().bar_starts(DAY, 5)
    stamps = [pd.Timestamp(start).tz_convert(NEW_YORK) for start in starts]
    rows = []
    for number, (symbol, level) in enumerate(zip(_symbols(), levels, strict=True)):
        noise = rng.normal(0.0, 0.001, len(starts))
        for index, stamp in enumerate(stamps):
            above = number < POSITIONS and stamp.time() >= dt.time(9, 50)
            close = round(level * ((1.004 if above else 0.99) + noise[index]), 2)
            rows.append((symbol, stamp, close, close + 0.05, close - 0.05, close, 50_000.0))
    return normalize_bars(pd.DataFrame(rows, columns=COLUMNS))


def _candidate(symbol: str, rank: int, level: float) -> Candidate:
    entry = Decimal(str(level))
    stop = (entry * Decimal("0.97")).quantize(Decimal("0.01"))
    return Candidate(
        symbol=symbol,
        as_of=nyse().previous_session(DAY),
        rank=rank,
        anchor_type="YTD",
        anchor_types=("YTD",),
        anchor_date=dt.date(2026, 1, 2),
        anchor_priority=100,
        avwap=entry,
        close=entry,
        distance=0.0,
        slope=0.0,
        sigma=1.0,
        band_lower_1=entry - 1,
        band_upper_1=entry + 1,
        band_lower_2=entry - 2,
        band_upper_2=entry + 2,
        trend_tier="A",
        trend_score=10.0,
        atr=1.0,
        atr_pct=2.0,
        stop=stop,
        risk_per_share=entry - stop,
        target_r1=entry + (entry - stop),
        target_r2=entry + 2 * (entry - stop),
        score=500.0 - rank,
        reclaim=False,
        tags=(),
    )


def _write_watchlist(artifacts: Path, levels: np.ndarray) -> None:
    gate = MarketGate(
        is_open=True, reason=None, benchmark_symbol="SPY", benchmark_close=None, benchmark_sma=None, detail=""
    )
    candidates = tuple(
        _candidate(symbol, rank, float(level))
        for rank, (symbol, level) in enumerate(zip(_symbols(), levels, strict=True), start=1)
    )
    result = ScanResult(
        as_of=nyse().previous_session(DAY), market_gate=gate, candidates=candidates, diagnostics=()
    )
    provenance = build_provenance("bench", "bench", DAY, code_version="bench")
    write_candidates(artifacts, DAY, result, provenance, rules_hash=scan_rules_hash(ScanRules()))


class _Session:
    def __init__(self, home: Path) -> None:
        rng = np.random.default_rng(SEED)
        levels = _levels(rng)
        cap = Decimal("1000000")
        config = load_config(
            {},
            home=home,
            execution_mode=ExecutionMode.PAPER_SIM,
            starting_cash=cap,
            max_positions=POSITIONS + 5,
            max_orders_per_day=POSITIONS + 5,
            max_gross_exposure=cap,
            max_notional_per_symbol=cap,
            max_risk_per_trade=cap,
            max_risk_per_trade_pct=Decimal("100"),
        )
        _write_watchlist(config.artifacts_dir, levels)
        intraday = _intraday(levels, rng)
        self.by_start = dict(iter(intraday.groupby("timestamp")))
        self.clock = SimulatedClock(nyse().session_open(DAY) - dt.timedelta(hours=1))
        self.broker = SimBroker(self.clock, SimBrokerSettings(starting_cash=cap))
        self.deps = CycleDependencies(
            config=config,
            clock=self.clock,
            book=BookRecorder(Ledger(config.ledger_dir), PAPER_SIM),
            broker=self.broker,
            market=FrameMarketData(_daily(levels), intraday, "5m"),
            notifier=RecordingNotifier(),
            artifacts_dir=config.artifacts_dir,
            state_dir=config.state_dir,
        )

    def advance(self, moment: dt.datetime) -> None:
        """Feed the broker every bar that ended by ``moment``, then set the clock there (not timed)."""
        for start in sorted(self.by_start):
            end = start.to_pydatetime() + STEP
            if self.clock.now() < end <= moment:
                self.clock.set(end)
                self.broker.on_bar_frame(self.by_start[start], STEP)
        self.clock.set(moment)


def _at(hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), NEW_YORK).astimezone(dt.UTC)


def run(*, smoke: bool = False) -> dict[str, Any]:
    last = _at(11, 20) if smoke else _at(15, 30)
    with tempfile.TemporaryDirectory(prefix="bench-cycle-") as folder:
        session = _Session(Path(folder))
        for moment in (_at(10, 15), _at(10, 20), _at(10, 25)):  # entries, then their fills
            session.advance(moment)
            run_cycle(session.deps)
        positions = len(session.deps.book.state.positions)
        timings = []
        moment = _at(11, 0)
        while moment <= last:
            session.advance(moment)
            started = time.perf_counter()
            run_cycle(session.deps)
            timings.append((time.perf_counter() - started) * 1000)
            moment += STEP
    ordered = sorted(timings)
    return {
        "smoke": smoke,
        "candidates": CANDIDATES,
        "open_positions": positions,
        "cycles": len(timings),
        "median_ms": round(statistics.median(timings), 2),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
        "target_median_ms": 20,
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2, sort_keys=True))
