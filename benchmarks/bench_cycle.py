"""One execution cycle in PAPER_SIM (no network): 300 candidates and 20 open positions.

Setup (seeded, in a temporary home): 300 candidate symbols, 60 daily bars and one session of 5-minute bars.
The first 20 break out above their entry level at 09:50 and are bought (caps sized to let 20 positions in);
the other 280 stay below their level all day, so every cycle scans them. After the entries have filled, a
cycle runs at every 5-minute bar close from 11:00 to 15:30 New York (55 cycles; the simulated broker is fed
each bar first, which is not timed). Reported: median / p90 / max milliseconds of ``run_cycle`` and the
number of open positions while measuring. Target: median ≤ 20 ms. ``run(smoke=True)`` (CI) times only the
cycles from 11:00 to 11:20 (same setup, same code path, a few seconds).

``enforced``: the same session with ``PORTFOLIO_DECISION_ENFORCE=1`` and a decision artifact of 300
decisions (the 20 breakouts ALLOWed, the other 280 BLOCKed): its cycle median, the difference to the plain
median (target ≤ 2 ms), and the enforcement gate itself timed on a blocked entry in a fresh cycle (the
per-cycle check: two ``stat`` calls, the cached verdict, the dedupe) and on a changed artifact (read,
parse, validate, hash both files).
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
from avwap.core.config import load_config
from avwap.core.execution_mode import ExecutionMode
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


def _write_decisions(config: Any) -> None:
    """Today's decision artifact: the 20 breakouts ALLOWed, every other candidate BLOCKed."""
    from avwap.control.portfolio.artifact import DECISIONS_KIND, decisions_path
    from avwap.control.portfolio.records import (
        GuardrailLimits,
        PortfolioDecision,
        PortfolioDecisionBatch,
        Verdict,
    )
    from avwap.core.canonical import sha256_hex
    from avwap.ledger.atomic import atomic_write_json
    from avwap.strategies.registry import S1_AVWAP_CORE
    from avwap.watchlist.artifact import candidates_path

    decisions = tuple(
        PortfolioDecision(
            strategy_id=S1_AVWAP_CORE,
            symbol=symbol,
            rank=rank,
            verdict=Verdict.ALLOW if rank <= POSITIONS else Verdict.BLOCK,
            reason_codes=() if rank <= POSITIONS else ("PORTFOLIO_MAX_NEW_ENTRIES",),
        )
        for rank, symbol in enumerate(_symbols(), start=1)
    )
    batch = PortfolioDecisionBatch(
        book_id=PAPER_SIM,
        date_ny=DAY,
        decided_at=dt.datetime(2026, 4, 1, 12, 45, tzinfo=dt.UTC),
        strategies=(S1_AVWAP_CORE,),
        inputs_ok=True,
        candidates_sha256=sha256_hex(candidates_path(config.artifacts_dir, DAY).read_bytes()),
        snapshot_sha256="0" * 64,
        limits=GuardrailLimits(),
        decisions=decisions,
        allowed=POSITIONS,
        blocked=CANDIDATES - POSITIONS,
    )
    provenance = build_provenance("bench", "bench", DAY, code_version="bench")
    path = decisions_path(config.artifacts_dir, PAPER_SIM, DAY)
    atomic_write_json(path, {"kind": DECISIONS_KIND, "batch": batch}, provenance)


class _Session:
    def __init__(self, home: Path, *, enforce: bool = False) -> None:
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
            portfolio_decision_enforce=enforce,
        )
        _write_watchlist(config.artifacts_dir, levels)
        if enforce:
            _write_decisions(config)
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


def _measure(folder: Path, last: dt.datetime) -> tuple[_Session, _Session, list[float], list[float]]:
    """Both sessions side by side: at each moment the plain cycle then the enforced one is timed, so a
    change in the machine's load hits both alike."""
    plain, enforced = _Session(folder / "plain"), _Session(folder / "enforced", enforce=True)
    for moment in (_at(10, 15), _at(10, 20), _at(10, 25)):  # entries, then their fills
        for session in (plain, enforced):
            session.advance(moment)
            run_cycle(session.deps)
    timings: tuple[list[float], list[float]] = ([], [])
    moment = _at(11, 0)
    while moment <= last:
        for session, series in zip((plain, enforced), timings, strict=True):
            session.advance(moment)
            started = time.perf_counter()
            run_cycle(session.deps)
            series.append((time.perf_counter() - started) * 1000)
        moment += STEP
    return plain, enforced, *timings


def _gate_timings(session: _Session, last: dt.datetime) -> dict[str, float]:
    """The enforcement gate alone on a blocked entry: per fresh cycle (cached artifact), and after the
    artifact changed (a full read and validation). CPU time: on the shared machine a wall-clock figure
    of a few microseconds mostly measures the other processes."""
    from avwap.execution.cycle import establish_facts
    from avwap.execution.decision_enforcement import admits, state_of

    deps, blocked = session.deps, _symbols()[-1]
    facts = establish_facts(deps)
    admits(deps, facts, "S1_AVWAP_CORE", blocked, "int_bench")  # recorded once (an fsync), not timed
    per_cycle = []
    for index in range(200):
        facts.now = last + dt.timedelta(seconds=index + 1)  # a new cycle each time: the check is redone
        started = time.process_time()
        admits(deps, facts, "S1_AVWAP_CORE", blocked, "int_bench")
        per_cycle.append((time.process_time() - started) * 1_000_000)
    reads = []
    for index in range(20):
        state_of(deps).files = None  # as if the artifact had changed
        facts.now = last + dt.timedelta(minutes=10, seconds=index)
        started = time.process_time()
        admits(deps, facts, "S1_AVWAP_CORE", blocked, "int_bench")
        reads.append((time.process_time() - started) * 1000)
    return {
        "check_per_cycle_cpu_us": round(statistics.median(per_cycle), 1),
        "artifact_read_cpu_ms": round(statistics.median(reads), 3),
    }


def _summary(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {
        "median_ms": round(statistics.median(timings), 2),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
    }


def run(*, smoke: bool = False) -> dict[str, Any]:
    last = _at(11, 20) if smoke else _at(15, 30)
    with tempfile.TemporaryDirectory(prefix="bench-cycle-") as folder:
        plain_session, session, timings, enforced = _measure(Path(folder), last)
        positions = len(plain_session.deps.book.state.positions)
        enforced_positions = len(session.deps.book.state.positions)
        gate = _gate_timings(session, last)
    plain = _summary(timings)
    return {
        "smoke": smoke,
        "candidates": CANDIDATES,
        "open_positions": positions,
        "cycles": len(timings),
        **plain,
        "target_median_ms": 20,
        "enforced": {
            "open_positions": enforced_positions,
            **_summary(enforced),
            "added_median_ms": round(statistics.median(enforced) - statistics.median(timings), 2),
            **gate,
            "target_added_ms": 2,
        },
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2, sort_keys=True))
