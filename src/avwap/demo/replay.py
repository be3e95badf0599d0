"""The demo replay: scan each morning, then trade each session bar by bar through the real cycle.

Time is a :class:`~avwap.core.clock.SimulatedClock` that moves from bar close to bar close; the broker is the
simulated broker, fed each 5-minute bar once the clock has reached its end (so nothing is seen early). The
cycle, control plane, ledgers and artifacts are exactly those of production.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pandas as pd

from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.backtest.sessions import fund_once, replay_dependencies, trade_intraday_session
from avwap.core.calendar import nyse
from avwap.core.clock import SimulatedClock
from avwap.core.config import Config, ExecutionMode, load_config, parse_sleeves
from avwap.core.errors import DataError
from avwap.data.bars import normalize_bars
from avwap.data.resample import resample_session
from avwap.data.store import BarStore
from avwap.demo.snapshots import write_snapshot
from avwap.execution.book import BookRecorder
from avwap.execution.broker_view import SimBrokerView
from avwap.execution.cycle import CycleReport
from avwap.execution.market_data import FrameMarketData
from avwap.execution.sim_broker import SimBroker, SimBrokerSettings
from avwap.execution.watched import watched_symbols
from avwap.jobs.portfolio import ReconcileOutcome, reconcile_state, reconciliation_alert
from avwap.jobs.portfolio_decide import build_batch, write_batch
from avwap.ledger.paths import PAPER_SIM, ledger_file
from avwap.ledger.router import Ledger, read_file_records
from avwap.scanning.job import run_scan
from avwap.strategies.registry import S1_AVWAP_CORE, S2_AVWAP_SWING

BAR_MINUTES: Final = 5
PRE_OPEN: Final = dt.timedelta(hours=1)
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

Progress = Callable[[str, int, int], None]


def five_minute_bars(store: BarStore) -> pd.DataFrame:
    """5-minute bars from the store; 1-minute bars are resampled (session-aligned) when no 5m exist."""
    bars = store.read("5m")
    if not bars.empty:
        return bars
    minutes = store.read("1m")
    if minutes.empty:
        return bars
    days = minutes["timestamp"].dt.date
    parts = [resample_session(frame, BAR_MINUTES) for _, frame in minutes.groupby([minutes["symbol"], days])]
    return normalize_bars(pd.concat(parts, ignore_index=True))


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


@dataclass
class ReplayResult:
    config: Config
    sessions: list[dt.date]
    snapshots: list[PortfolioSnapshot] = field(default_factory=list)
    cycles: list[CycleReport] = field(default_factory=list)
    candidates: dict[dt.date, list[str]] = field(default_factory=dict)
    market: FrameMarketData | None = None
    # The morning's portfolio decision batch (PortfolioDecisionBatch) and the evening's reconciliation
    # (ReconcileOutcome) of each session.
    decisions: dict[dt.date, Any] = field(default_factory=dict)
    reconciliations: dict[dt.date, ReconcileOutcome] = field(default_factory=dict)


class Replay:
    """Drives one demo run over ``sessions`` with bars from ``data_root``."""

    def __init__(
        self, config: Config, data_root: Path, sessions: int, progress: Progress | None = None
    ) -> None:
        self.config = config
        store = BarStore(data_root)
        daily = store.read("1d")
        intraday = five_minute_bars(store)
        if daily.empty or intraday.empty:
            raise DataError(
                f"{data_root} needs daily (1d) and 5-minute (5m) or 1-minute (1m) bars for a demo"
            )
        if sessions < 1:
            raise DataError(f"a demo replays at least one session, not {sessions}")
        self.sessions = consecutive_sessions(sorted(set(intraday["timestamp"].dt.date)), sessions, data_root)
        self.data_root = Path(data_root)
        self.market = FrameMarketData(daily, intraday, "5m")
        self.bars_by_start = dict(iter(intraday.groupby("timestamp")))
        self.data_hash = store.data_hash("1d")
        self.progress = progress
        first_open = nyse().session_open(self.sessions[0])
        self.clock = SimulatedClock(first_open - PRE_OPEN - dt.timedelta(minutes=1))
        self.broker = SimBroker(self.clock, SimBrokerSettings(starting_cash=config.starting_cash))
        self.book = BookRecorder(Ledger(config.ledger_dir), PAPER_SIM)
        self.deps = replay_dependencies(config, self.clock, self.book, self.broker, self.market)
        self.result = ReplayResult(config=config, sessions=self.sessions, market=self.market)
        # How the evening reconciliation reads the broker: the live simulator, read-only (a test swaps in a
        # failing view to see an incomplete report and its alert).
        self.broker_view: Callable[[Config, str], Any] = lambda _config, _book: SimBrokerView(self.broker)

    def fund(self) -> None:
        """Deposit the starting cash once (the broker starts with the same amount)."""
        fund_once(
            self.book,
            self.clock,
            self.sessions[0],
            self.config.starting_cash,
            reference="demo funding",
            reason="demo funding",
        )

    def morning_scan(self, day: dt.date) -> None:
        """Run the production scan job (what ``avwap scan`` runs) for ``day`` an hour before the open: it
        writes the day's candidates, diagnostics, watchlist and scan report from daily bars through the
        previous session, and sends its summary to the demo's notifier."""
        self.clock.set(nyse().session_open(day) - PRE_OPEN)
        job = run_scan(
            self.config, day, clock=self.clock, data_dir=self.data_root, notifier=self.deps.notifier
        )
        self.result.candidates[day] = [candidate.symbol for candidate in job.result.candidates]

    def decide(self, day: dt.date) -> None:
        """The pre-open portfolio decisions (what ``avwap portfolio decide`` runs), right after the scan:
        today's candidates against the previous close's snapshot. Recorded (shadow) and, with
        PORTFOLIO_DECISION_ENFORCE=1, enforced by the cycle."""
        batch = build_batch(self.config, PAPER_SIM, day, self.clock, data_dir=self.data_root)
        write_batch(self.config, batch, self.clock)
        self.result.decisions[day] = batch

    def reconcile(self, day: dt.date) -> None:
        """After the close: the ledger against the simulated broker, read through the read-only view;
        drift or an incomplete report is alerted like ``avwap portfolio reconcile`` does."""
        from avwap.execution.reconcile_render import render_table

        # The live fold and today's ledger file (every Fill of ``day`` is in it): no re-read of the book.
        today = ledger_file(self.config.ledger_dir, PAPER_SIM, day)
        records = read_file_records(today) if today.exists() else []
        view = self.broker_view(self.config, PAPER_SIM)
        outcome = reconcile_state(self.config, self.book.state, records, day, clock=self.clock, view=view)
        alert = reconciliation_alert(outcome.report, render_table(outcome.report))
        if alert is not None:
            self.deps.notifier.notify(alert)
        self.result.reconciliations[day] = outcome

    def watched(self, day: dt.date) -> tuple[str, ...]:
        """Symbols whose bars the broker needs: the cycle's watched symbols (candidates, book)."""
        return watched_symbols(self.result.candidates.get(day, ()), self.book.state)

    def trade_session(self, day: dt.date) -> None:
        """The backtest engine's 5-minute session loop (bar by bar through the cycle)."""
        self.result.cycles += trade_intraday_session(
            self.deps,
            self.clock,
            self.broker,
            bars_by_start=self.bars_by_start,
            day=day,
            watched=lambda: self.watched(day),
        )

    def run(self) -> ReplayResult:
        self.fund()
        for index, day in enumerate(self.sessions, start=1):
            self.morning_scan(day)
            self.decide(day)
            self.trade_session(day)
            self.reconcile(day)
            snapshot = write_snapshot(
                self.deps,
                day,
                market=self.market,
                earlier=self.result.snapshots,
                data_hash=self.data_hash,
                starting_equity=self.config.starting_cash,
            )
            self.result.snapshots.append(snapshot)
            if self.progress is not None:
                self.progress(day.isoformat(), index, len(self.sessions))
        return self.result
