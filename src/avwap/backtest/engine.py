"""The backtest engine: sessions [from, to] through the production cycle, book ``BACKTEST``.

Per session ``D`` (docs/BACKTEST.md):

1. the scan as of the previous close, from the one-pass panel scan (:mod:`avwap.backtest.scan_panel`,
   equal to the production scan day by day), written as the normal candidates artifact of ``D`` an hour
   before the open, so the cycle reads it through the same freshness seam as in production;
2. the session at its resolution (:mod:`avwap.backtest.sessions`): ``5m`` where the store has 5-minute
   bars of ``D`` (``auto``), else ``1d``; the cycle, control plane, sizing, stop policy, simulated broker
   (costs from ``SIM_*`` settings) and ledgers are production's;
3. a note per fill naming its resolution and fill rule (:mod:`avwap.backtest.fill_rules`); held symbols
   without a bar that day keep their resting stop, with a note saying why (``BACKTEST_BAR_MISSING``), unless
   the store has no later bar of them: then they are closed at their last price
   (:mod:`avwap.backtest.data_ended`, ``BACKTEST_DATA_ENDED``);
4. the end-of-day portfolio snapshot (marks: the day's closes).

What differs between ``avwap backtest`` and ``avwap demo`` is a :class:`~avwap.backtest.preset.Preset` (book,
resolution, how the morning's candidates are made, the evening reconciliation); there is no second driver.
Bars come from the bar store (quarantined rows never reach it); the engine reads them once.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.backtest.data_ended import FILL_RULE as DATA_ENDED_RULE
from avwap.backtest.data_ended import Ended, close_ended
from avwap.backtest.evening_attribution import EveningAttribution
from avwap.backtest.fill_rules import BAR_MISSING_CODE, record_fill_rules
from avwap.backtest.market import BacktestMarketData, five_minute_bars
from avwap.backtest.preset import BACKTEST_PRESET, RESOLUTIONS, Preset, Resolution
from avwap.backtest.scan_panel import scan_all_dates
from avwap.backtest.sessions import (
    fund_once,
    replay_dependencies,
    trade_daily_session,
    trade_intraday_session,
)
from avwap.backtest.snapshots import write_snapshot
from avwap.control.portfolio.records import PortfolioDecisionBatch
from avwap.core.calendar import nyse
from avwap.core.clock import SimulatedClock
from avwap.core.config import Config
from avwap.core.errors import DataError
from avwap.core.money import round_price
from avwap.data.store import BarStore
from avwap.execution.book import BookRecorder
from avwap.execution.broker_view import SimBrokerView
from avwap.execution.fill_model import FillModel
from avwap.execution.sim_broker import SimBroker, SimBrokerSettings
from avwap.execution.watched import watched_symbols
from avwap.jobs.portfolio import ReconcileOutcome, reconcile_state, reconciliation_alert
from avwap.jobs.portfolio_decide import ReplayInputs, build_batch, daily_closes, load_sectors, write_batch
from avwap.ledger.atomic import build_provenance, detect_code_version
from avwap.ledger.audit import seal_day
from avwap.ledger.paths import ledger_file
from avwap.ledger.records import Note
from avwap.ledger.router import Ledger, read_file_records
from avwap.scanning.advisory import score_scan, write_advisory
from avwap.scanning.job import run_scan
from avwap.signals.scan_records import Candidate, ScanResult
from avwap.signals.scan_rules import ScanRules
from avwap.signals.scan_rules_file import scan_rules_hash
from avwap.strategies.daily_variants import daily_session_strategies
from avwap.strategies.registry import enabled_strategies
from avwap.watchlist.artifact import write_candidates

__all__ = ["RESOLUTIONS", "BacktestEngine", "BacktestResult", "Preset", "Resolution"]
PRE_OPEN: Final = dt.timedelta(hours=1)
Progress = Callable[[dt.date, int, int], None]


def sim_settings(config: Config, symbols: frozenset[str] | None = None) -> SimBrokerSettings:
    """The simulated broker's settings from the config (starting cash, slippage and commissions)."""
    model = FillModel(
        slippage_bps=config.sim_slippage_bps,
        commission_per_share=config.sim_commission_per_share,
        commission_minimum=config.sim_commission_minimum,
    )
    return SimBrokerSettings(starting_cash=config.starting_cash, fill_model=model, symbols=symbols)


@dataclass
class BacktestResult:
    config: Config
    sessions: list[dt.date]
    resolutions: dict[dt.date, str] = field(default_factory=dict)
    snapshots: list[PortfolioSnapshot] = field(default_factory=list)
    candidates: dict[dt.date, tuple[str, ...]] = field(default_factory=dict)
    data_hash: str = ""
    cycles: int = 0
    decisions: dict[dt.date, PortfolioDecisionBatch] = field(default_factory=dict)
    reconciliations: dict[dt.date, ReconcileOutcome] = field(default_factory=dict)
    market: BacktestMarketData | None = None


def data_hashes_by_date(daily: pd.DataFrame) -> dict[dt.date, str]:
    """A chained hash per date of the daily bars: the entry of date d commits to every bar dated <= d and to
    nothing later (row hashes from pandas' deterministic ``hash_pandas_object``, rows in (date, symbol)
    order)."""
    if daily.empty:
        return {}
    ordered = daily.sort_values(["timestamp", "symbol"], kind="mergesort")
    rows = pd.util.hash_pandas_object(ordered, index=False).to_numpy(dtype=np.uint64)
    dates = ordered["timestamp"].dt.date.to_numpy()
    starts = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1]])
    ends = np.r_[starts[1:], len(dates)]
    hashes: dict[dt.date, str] = {}
    digest = b""
    for start, end in zip(starts, ends, strict=True):
        digest = hashlib.sha256(digest + rows[start:end].tobytes()).digest()
        hashes[dates[start]] = digest.hex()
    return hashes


def choose_resolution(requested: Resolution, has_intraday: bool, day: dt.date) -> str:
    if requested == "1d" or (requested == "auto" and not has_intraday):
        return "1d"
    if not has_intraday:
        raise DataError(f"--resolution 5m: the store has no 5-minute bars on {day}")
    return "5m"


class BacktestEngine:
    """Runs sessions ``start..end`` (NYSE sessions with daily bars) over the bars of ``data_root``."""

    def __init__(
        self,
        config: Config,
        data_root: Path,
        *,
        start: dt.date,
        end: dt.date,
        resolution: Resolution | None = None,
        preset: Preset = BACKTEST_PRESET,
        universe: Sequence[str] | None = None,
        rules: ScanRules | None = None,
        progress: Progress | None = None,
        code_version: str | None = None,
    ) -> None:
        resolution = preset.resolution if resolution is None else resolution
        if resolution not in RESOLUTIONS:
            raise DataError(f"resolution must be one of {', '.join(RESOLUTIONS)}, got {resolution!r}")
        self.config, self.rules, self.progress = config, rules or ScanRules(), progress
        self.preset, self.requested = preset, resolution
        # Detected once (git describe per artifact would dominate a long run) and pinned in every artifact.
        self.code_version = code_version or detect_code_version()
        store = BarStore(data_root)
        self.data_root = Path(data_root)
        wanted = None if universe is None else sorted({*universe, self.rules.benchmark_symbol})
        daily = store.read("1d", symbols=wanted, end=end)
        if daily.empty:
            raise DataError(f"{data_root} has no daily bars through {end}")
        intraday = five_minute_bars(store, wanted, start, end) if resolution != "1d" else daily[:0]
        traded = set(daily["timestamp"].dt.date)
        self.sessions = [day for day in nyse().sessions(start, end) if day in traded]
        if not self.sessions:
            raise DataError(f"no session with daily bars between {start} and {end}")
        self.daily, self.market = daily, BacktestMarketData(daily, intraday, "5m")
        self.daily_by_day = dict(iter(daily.groupby(daily["timestamp"].dt.date)))
        self.intraday_by_day = {
            day: dict(iter(frame.groupby("timestamp")))
            for day, frame in intraday.groupby(intraday["timestamp"].dt.date)
        }
        self.data_hash = store.data_hash("1d")
        # The store's last daily bar of each symbol: a held symbol without a bar has either a missing bar
        # (a later one exists) or no more data (closed at its last price).
        self.last_bar = {item.symbol: item.last.date() for item in store.coverage("1d")}
        self.fill_rule_overrides: dict[str, tuple[str, str]] = {}  # client order id -> (resolution, rule)
        self.data_hash_as_of = data_hashes_by_date(daily)
        excluded = set(config.excluded_from_candidates(self.rules.benchmark_symbol))
        self.scan_frame = daily.loc[~daily["symbol"].isin(excluded)]
        self.benchmark = daily.loc[daily["symbol"] == self.rules.benchmark_symbol]
        first_open = nyse().session_open(self.sessions[0])
        self.clock = SimulatedClock(first_open - PRE_OPEN - dt.timedelta(minutes=1))
        tradable = frozenset(daily["symbol"].astype(str).unique())
        self.broker = SimBroker(self.clock, sim_settings(config, tradable))
        self.book = BookRecorder(Ledger(config.ledger_dir), preset.book_id)
        self.deps = replay_dependencies(config, self.clock, self.book, self.broker, self.market)
        self.intraday_strategies = enabled_strategies(config)
        self.daily_strategies = daily_session_strategies(self.intraday_strategies)
        self.result = BacktestResult(
            config=config, sessions=self.sessions, data_hash=self.data_hash, market=self.market
        )
        # How the evening reconciliation reads the broker: the simulator, read-only (a test swaps in a
        # failing view to see an incomplete report and its alert).
        self.broker_view: Callable[[Config, str], Any] = lambda _config, _book: SimBrokerView(self.broker)
        # Phase S4: each evening's attribution by strategy (fails open: never stops the run).
        self.attribution = (
            EveningAttribution(
                config, preset.book_id, config.starting_cash, self.data_hash, self.deps.notifier
            )
            if preset.evening_attribution
            else None
        )

    def decide(self, day: dt.date) -> None:
        """The pre-open portfolio decisions (roadmap 2A, what ``avwap portfolio decide`` and the demo run),
        right after the morning's candidates: against the previous close's snapshot, recorded in the run's
        decisions ledger and artifact, and enforced by the cycle when PORTFOLIO_DECISION_ENFORCE=1."""
        batch = build_batch(
            self.config,
            self.book.book_id,
            day,
            self.clock,
            data_dir=self.data_root,
            replay=self.decision_inputs,
        )
        write_batch(
            self.config, batch, self.clock, code_version=self.code_version, notifier=self.deps.notifier
        )
        self.result.decisions[day] = batch

    @functools.cached_property
    def decision_inputs(self) -> ReplayInputs:
        """What every decision would re-read from files, held once: the snapshots written so far (the
        growing list), the store's closes and sectors (the store does not change during a run)."""
        return ReplayInputs(
            snapshots=self.result.snapshots,
            closes=daily_closes(self.daily),
            sectors=load_sectors(self.data_root),
        )

    def visible_data_hash(self, day: dt.date) -> str:
        """The hash of the daily bars dated up to ``day``: what an artifact of ``day`` may depend on (the
        whole store's hash would let bars after ``day`` change a record dated ``day``)."""
        dates = sorted(self.data_hash_as_of)
        index = bisect.bisect_right(dates, day)
        return self.data_hash_as_of[dates[index - 1]] if index else hashlib.sha256(b"no bars").hexdigest()

    # ----------------------------------------------------------------- steps

    def fund(self) -> None:
        """Deposit the starting cash once (the broker starts with the same amount)."""
        fund_once(
            self.book,
            self.clock,
            self.sessions[0],
            self.config.starting_cash,
            reference=self.preset.funding_reference,
            reason=self.preset.funding_reason,
        )

    def scan_all(self) -> dict[dt.date, tuple[Candidate, ...]]:
        """Candidates of every session, each from the scan as of the previous session's close."""
        calendar = nyse()
        as_of = {day: calendar.previous_session(day) for day in self.sessions}
        sessions = calendar.sessions(min(as_of.values()), calendar.next_session(self.sessions[-1]))
        panel = scan_all_dates(
            self.scan_frame,
            sorted(set(as_of.values())),
            rules=self.rules,
            benchmark=self.benchmark,
            sessions=sessions,
        )
        self.panel = panel
        return {day: panel.candidates[as_of[day]] for day in self.sessions}

    def write_watchlist(self, day: dt.date, candidates: tuple[Candidate, ...]) -> None:
        """The day's candidates artifact, written an hour before the open (what ``avwap scan`` writes)."""
        self.clock.set(nyse().session_open(day) - PRE_OPEN)
        as_of = nyse().previous_session(day)
        result = ScanResult(
            as_of=as_of, market_gate=self.panel.gates[as_of], candidates=candidates, diagnostics=()
        )
        provenance = build_provenance(
            self.config.config_hash(),
            self.visible_data_hash(as_of),
            as_of,
            code_version=self.code_version,
            ruleset_version=self.config.ruleset_version,
        )
        write_candidates(
            self.config.artifacts_dir, day, result, provenance, rules_hash=scan_rules_hash(self.rules)
        )
        if self.config.ml_advisory:  # as the scan job does: the day's scores after its candidates
            excluded = self.config.excluded_from_candidates(self.rules.benchmark_symbol)
            advisory = score_scan(self.config, BarStore(self.data_root), result, excluded)
            write_advisory(self.config.artifacts_dir, as_of, advisory)
        self.result.candidates[day] = tuple(candidate.symbol for candidate in candidates)

    def scan_job(self, day: dt.date) -> None:
        """The production scan job (what ``avwap scan`` runs) for ``day``, an hour before the open: the
        day's candidates, diagnostics, watchlist and scan report from daily bars through the previous
        session, and its summary sent to the run's notifier."""
        self.clock.set(nyse().session_open(day) - PRE_OPEN)
        job = run_scan(
            self.config,
            day,
            clock=self.clock,
            data_dir=self.data_root,
            notifier=self.deps.notifier,
            code_version=self.code_version,
        )
        self.result.candidates[day] = tuple(candidate.symbol for candidate in job.result.candidates)

    def reconcile(self, day: dt.date) -> None:
        """After the close: the ledger against the simulated broker, read through the read-only view;
        drift or an incomplete report is alerted like ``avwap portfolio reconcile`` does."""
        from avwap.execution.reconcile_render import render_table

        # The live fold and today's ledger file (every Fill of ``day`` is in it): no re-read of the book.
        today = ledger_file(self.config.ledger_dir, self.book.book_id, day)
        records = read_file_records(today) if today.exists() else []
        view = self.broker_view(self.config, self.book.book_id)
        outcome = reconcile_state(self.config, self.book.state, records, day, clock=self.clock, view=view)
        alert = reconciliation_alert(outcome.report, render_table(outcome.report))
        if alert is not None:
            self.deps.notifier.notify(alert)
        self.result.reconciliations[day] = outcome

    def note_missing_bars(self, day: dt.date) -> None:
        """Held symbols without a bar today keep their resting stop; say why (once per symbol and day). A
        held symbol whose data has ended (the store has no bar of it on or after ``day``) is closed at its
        last price instead (:mod:`avwap.backtest.data_ended`).

        The note only names the last bar so far (whether a symbol with a missing bar trades again is the
        store's business, not a fact of ``day``)."""
        traded = set(self.daily_by_day.get(day, self.daily[:0])["symbol"])
        ended: list[Ended] = []
        for symbol in sorted(set(self.book.state.held_symbols()) - traded):
            bars = self.market.daily_bars(symbol, day)
            last = None if bars.empty else bars["timestamp"].iloc[-1].date()
            if last is not None and self.last_bar.get(symbol, day) < day:
                close = round_price(float(bars["close"].iloc[-1]))
                ended.append(Ended(symbol, last, close, float(bars["volume"].iloc[-1])))
                continue
            self.book.record(
                Note(
                    book_id=self.book.book_id,
                    date_ny=day,
                    ts=self.clock.now(),
                    code=BAR_MISSING_CODE,
                    message=f"{symbol}: no bar on {day} (last bar {last}); the resting stop is kept",
                    symbol=symbol,
                    detail={"last_bar": None if last is None else last.isoformat()},
                )
            )
        if ended:
            for client_id in close_ended(self.deps, self.clock, self.broker, ended, day):
                self.fill_rule_overrides[client_id] = ("data ended", DATA_ENDED_RULE)

    def daily_of(self, symbols: set[str]) -> dict[str, pd.DataFrame]:
        """The daily bars read for the run of each of ``symbols`` (time order)."""
        wanted = self.daily.loc[self.daily["symbol"].isin(symbols)]
        return {str(symbol): frame.reset_index(drop=True) for symbol, frame in wanted.groupby("symbol")}

    def trade(self, day: dt.date) -> str:
        intraday = self.intraday_by_day.get(day)
        resolution = choose_resolution(self.requested, intraday is not None, day)
        candidates = self.result.candidates.get(day, ())

        def watched() -> tuple[str, ...]:
            return watched_symbols(candidates, self.book.state)

        since = self.clock.now()
        if resolution == "5m":
            self.deps.strategies, self.deps.daily_resolution = self.intraday_strategies, False
            self.market.trade_daily(None)
            reports = trade_intraday_session(
                self.deps, self.clock, self.broker, bars_by_start=intraday or {}, day=day, watched=watched
            )
        else:
            self.deps.strategies, self.deps.daily_resolution = self.daily_strategies, True
            self.market.trade_daily(frozenset(self.daily_by_day[day]["symbol"].astype(str)))
            reports = trade_daily_session(
                self.deps, self.clock, self.broker, day_bars=self.daily_by_day[day], day=day, watched=watched
            )
        self.result.cycles += len(reports)
        if self.preset.fill_rule_notes:
            record_fill_rules(self.deps, self.broker, since, resolution, day, self.fill_rule_overrides)
        return resolution

    def run(self) -> BacktestResult:
        self.fund()
        everything = self.scan_all() if self.preset.morning == "panel" else {}
        for index, day in enumerate(self.sessions, start=1):
            if self.preset.morning == "panel":
                self.write_watchlist(day, everything[day])
            else:
                self.scan_job(day)
            self.decide(day)
            self.note_missing_bars(day)
            self.result.resolutions[day] = self.trade(day)
            if self.preset.reconcile:
                self.reconcile(day)
            self.result.snapshots.append(
                write_snapshot(
                    self.deps,
                    day,
                    market=self.market,
                    earlier=self.result.snapshots,
                    data_hash=self.visible_data_hash(day),
                    starting_equity=self.config.starting_cash,
                    code_version=self.code_version,
                )
            )
            if self.attribution is not None:
                self.attribution.evening(day, self.book.records, self.result.snapshots[-1])
            if self.preset.audit_key is not None:
                seal_day(self.config.ledger_dir, day, self.preset.audit_key, self.clock)
            if self.progress is not None:
                self.progress(day, index, len(self.sessions))
        return self.result
