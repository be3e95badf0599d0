"""Cross-strategy arbitration in the cycle (Phases S2, S3): 300 intents of 2 strategies against 50 positions.

Setup (seeded, in a temporary home; the market of ``bench_cycle``: 300 candidates, 60 daily bars, one session
of 5-minute bars, here with 50 breakouts at 09:50). Two benchmark strategies are registered for the run:
``B_ARB_ONE`` and ``B_ARB_TWO``. First (not timed) each enters half of the 50 breakouts: 50 open positions,
25 per strategy, each strategy in its sleeve (``S2_SLEEVES_JSON``). Then every 5-minute cycle from 11:00 to
15:30 New York (smoke: to 11:20), the two strategies plan 150 candidates each (300 plans; 50 symbols wanted by
both), and the cycle arbitrates all 300: sizing, the conflict rules against the 50 held positions and each
other (overlap allowed: the 50 shared symbols are resized in priority order to the symbol cap), their
resolution records (written once, by the first cycle, not timed), then each intent's portfolio decision
check (``PORTFOLIO_DECISION_ENFORCE=1`` without a decision for them: blocked before any intent is written,
recorded once). So every timed cycle arbitrates the same 300 intents against 50 positions, as a cycle does
while intents wait on a rule, and no fsync is timed (a ledger append costs milliseconds on this disk: each
new intent's records are I/O, not arbitration).

Reported: cycle median / p90 / max ms (target: median ≤ 20 ms), the plans arbitrated per cycle, the
resolutions by code, and the control plane's CPU per intent (``evaluate_entry`` with its sleeve view, what
each surviving intent costs before its records are written).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
import sys
import tempfile
import time
import types
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cycle as market_setup
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
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.records import ConflictResolved
from avwap.ledger.router import Ledger
from avwap.strategies import registry
from avwap.strategies.protocol import EntryPlan, StrategyInputs
from avwap.strategies.registry import RiskProfile, StrategyMetadata

POSITIONS = 50
PER_STRATEGY = 150
ONE, TWO = "B_ARB_ONE", "B_ARB_TWO"
BOOKS = ("DRY_RUN", "PAPER_SIM")
STEP = market_setup.STEP
DAY = market_setup.DAY


class BenchStrategy:
    """Before ``wide_from``: the breakouts of its parity (rank odd or even among the first 50). From then
    on: its 150 candidates (one: ranks 51-200, two: ranks 151-300), planned every cycle."""

    def __init__(self, strategy_id: str, parity: int, wanted: range, wide_from: dt.datetime) -> None:
        self.metadata = StrategyMetadata(
            strategy_id, "benchmark", "candidates", "days", "market", RiskProfile.DIRECTIONAL, "1", BOOKS
        )
        self.parity, self.wanted, self.wide_from = parity, wanted, wide_from

    def entry_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        session = nyse().session(day)
        return session.open, session.close

    def entries(self, inputs: StrategyInputs) -> tuple[EntryPlan, ...]:
        wide = inputs.now >= self.wide_from
        plans = []
        for candidate in inputs.candidates:
            if wide:
                wanted = candidate.rank in self.wanted
            else:
                wanted = candidate.rank <= POSITIONS and candidate.rank % 2 == self.parity
            if not wanted or candidate.symbol in inputs.held or inputs.considered(candidate.symbol, "bench"):
                continue
            plans.append(
                EntryPlan(
                    strategy_id=self.metadata.strategy_id,
                    symbol=candidate.symbol,
                    setup="bench",
                    entry_price=candidate.avwap,
                    initial_stop=candidate.stop,
                    distance_pct=Decimal("0"),
                    decided_at=inputs.now - dt.timedelta(minutes=5),
                    model_version=f"{self.metadata.strategy_id}/1",
                    reason="benchmark",
                )
            )
        return tuple(plans)


def _register(wide_from: dt.datetime) -> None:
    for strategy_id, parity, wanted in ((ONE, 1, range(51, 201)), (TWO, 0, range(151, 301))):
        module = types.ModuleType(f"bench_arbitration_{strategy_id.lower()}")
        module.STRATEGY = BenchStrategy(strategy_id, parity, wanted, wide_from)  # type: ignore[attr-defined]
        sys.modules[module.__name__] = module
        registry.REGISTRY[strategy_id] = module.__name__


def _intraday(levels: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    starts = nyse().bar_starts(DAY, 5)
    stamps = [pd.Timestamp(start).tz_convert(NEW_YORK) for start in starts]
    rows = []
    for number, (symbol, level) in enumerate(zip(market_setup._symbols(), levels, strict=True)):
        noise = rng.normal(0.0, 0.001, len(starts))
        for index, stamp in enumerate(stamps):
            above = number < POSITIONS and stamp.time() >= dt.time(9, 50)
            # held symbols trade flat after their entry: their stops have nothing to do (stop maintenance
            # is bench_cycle's and bench_exits' subject), so the timed cycles measure the entry half
            calm = above and stamp.time() >= dt.time(10, 30)
            close = round(level * ((1.004 if above else 0.99) + (0.0 if calm else noise[index])), 2)
            rows.append((symbol, stamp, close, close + 0.05, close - 0.05, close, 50_000.0))
    return normalize_bars(pd.DataFrame(rows, columns=market_setup.COLUMNS))


def _config(home: Path) -> Any:
    """$1M equity, 0.1 % of it per entry (about $1,000): the 300 plans fit the gross budget together, and the
    $1,500 symbol cap makes the 50 shared symbols a resize (overlap allowed), never a block."""
    cap = Decimal("10000000")
    sleeve = {"max_daily_loss": 50000, "max_gross_exposure": 5000000, "max_positions": 200}
    return load_config(
        {
            "ENABLED_STRATEGIES": f"{ONE},{TWO}",
            "S2_SLEEVES_JSON": f'{{"{ONE}": {_json(sleeve)}, "{TWO}": {_json(sleeve)}}}',
            "S2_ALLOW_SYMBOL_OVERLAP": "1",
            "ENTRY_DELAY_MAX_SECONDS": "0",
        },
        home=home,
        execution_mode=ExecutionMode.PAPER_SIM,
        starting_cash=Decimal("1000000"),
        sizing_base_risk_pct=Decimal("0.1"),
        max_positions=400,
        max_orders_per_day=400,
        max_gross_exposure=cap,
        max_notional_per_symbol=Decimal("1500"),
        max_risk_per_trade=cap,
        max_risk_per_trade_pct=Decimal("100"),
    )


def _json(value: dict[str, int]) -> str:
    import json

    return json.dumps(value)


class _Session:
    def __init__(self, home: Path) -> None:
        rng = np.random.default_rng(market_setup.SEED)
        levels = market_setup._levels(rng)
        self.config = _config(home)
        market_setup._write_watchlist(self.config.artifacts_dir, levels)
        intraday = _intraday(levels, rng)
        self.by_start = dict(iter(intraday.groupby("timestamp")))
        self.clock = SimulatedClock(nyse().session_open(DAY) - dt.timedelta(hours=1))
        self.broker = SimBroker(self.clock, SimBrokerSettings(starting_cash=self.config.starting_cash))
        self.deps = CycleDependencies(
            config=self.config,
            clock=self.clock,
            book=BookRecorder(Ledger(self.config.ledger_dir), PAPER_SIM),
            broker=self.broker,
            market=FrameMarketData(market_setup._daily(levels), intraday, "5m"),
            notifier=RecordingNotifier(),
            artifacts_dir=self.config.artifacts_dir,
            state_dir=self.config.state_dir,
        )

    def advance(self, moment: dt.datetime) -> None:
        for start in sorted(self.by_start):
            end = start.to_pydatetime() + STEP
            if self.clock.now() < end <= moment:
                self.clock.set(end)
                self.broker.on_bar_frame(self.by_start[start], STEP)
        self.clock.set(moment)


def _at(hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), NEW_YORK).astimezone(dt.UTC)


def _plane_cpu_per_intent(session: _Session) -> float:
    """evaluate_entry with the sleeve view for 300 intents on the held book (CPU µs per intent)."""
    from avwap.control.context import EntryIntent, GateContext, GateRules
    from avwap.control.plane import evaluate_entry
    from avwap.execution.cycle import establish_facts
    from avwap.execution.entries import portfolio_view, session_view
    from avwap.execution.sleeves import sleeve_view

    deps = session.deps
    facts = establish_facts(deps)
    rules = GateRules.from_config(deps.config)
    symbols = market_setup._symbols()[POSITIONS:]
    started = time.process_time()
    for index, symbol in enumerate(symbols):
        strategy_id = ONE if index % 2 else TWO
        context = GateContext(
            intent=EntryIntent(symbol, 10, Decimal("50"), Decimal("49"), strategy_id=strategy_id),
            mode=facts.mode,
            today_ny=facts.today,
            kill_switch=facts.kill_switch,
            portfolio=portfolio_view(deps, facts),
            session=session_view(facts, None, symbol),
            rules=rules,
            sleeve=sleeve_view(deps, facts, strategy_id, symbol),
        )
        evaluate_entry(context)
    return (time.process_time() - started) / len(symbols) * 1_000_000


def _summary(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {
        "median_ms": round(statistics.median(timings), 2),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
    }


class _EntriesTimer:
    """Times the entry half of each cycle (planning, arbitration, the per-intent checks) inside run_cycle."""

    def __init__(self) -> None:
        import avwap.execution.cycle as cycle_module

        self.module, self.original, self.last_ms = cycle_module, cycle_module.run_entries, 0.0

        def timed(*arguments: Any) -> None:
            started = time.perf_counter()
            self.original(*arguments)
            self.last_ms = (time.perf_counter() - started) * 1000

        cycle_module.run_entries = timed  # type: ignore[assignment]

    def restore(self) -> None:
        self.module.run_entries = self.original  # type: ignore[assignment]


def run(*, smoke: bool = False) -> dict[str, Any]:
    wide_from = _at(10, 55)
    _register(wide_from)
    timer = _EntriesTimer()
    last = _at(11, 20) if smoke else _at(15, 30)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-arbitration-") as folder:
            session = _Session(Path(folder))
            for moment in (_at(10, 15), _at(10, 20), _at(10, 25)):  # the 50 entries, then their fills
                session.advance(moment)
                run_cycle(session.deps)
            positions = Counter(item.strategy_id for item in session.deps.book.state.positions.values())
            # from here on the intents wait on the portfolio decision layer: blocked before any write
            session.deps.config = dataclasses.replace(session.config, portfolio_decision_enforce=True)
            session.advance(wide_from)
            run_cycle(session.deps)  # records the resolutions and enforcement outcomes once (not timed)
            timings, cpu, plans, entries = [], [], [], []
            moment = _at(11, 0)
            while moment <= last:
                session.advance(moment)
                started, started_cpu = time.perf_counter(), time.process_time()
                report = run_cycle(session.deps)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                entries.append(timer.last_ms)
                plans.append(
                    sum(1 for event in report.events if type(event).__name__ == "EntryEnforcementBlocked")
                )
                moment += STEP
            conflicts = Counter(
                code
                for record in session.deps.book.records
                if isinstance(record, ConflictResolved)
                for code in record.reason_codes
            )
            plane_us = _plane_cpu_per_intent(session)
    finally:
        timer.restore()
        for strategy_id in (ONE, TWO):
            registry.REGISTRY.pop(strategy_id, None)
    return {
        "smoke": smoke,
        "strategies": 2,
        "open_positions": sum(positions.values()),
        "positions_by_strategy": dict(sorted(positions.items())),
        "intents_per_cycle": min(plans) if plans else 0,
        "cycles": len(timings),
        **_summary(timings),
        "cpu_median_ms": round(statistics.median(cpu), 2) if cpu else None,
        # the entry half alone: both strategies' planning, sizing, conflict rules, per-intent checks
        "entries_median_ms": round(statistics.median(entries), 2) if entries else None,
        "target_median_ms": 20,
        "resolutions_by_code": dict(sorted(conflicts.items())),
        "plane_cpu_us_per_intent": round(plane_us, 1),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2, sort_keys=True))
