"""The backtest engine: sessions [from, to] through the production cycle, book ``BACKTEST``.

Per session ``D`` (docs/BACKTEST.md):

1. the scan as of the previous close, from the one-pass panel scan (:mod:`avwap.backtest.scan_panel`,
   equal to the production scan day by day), written as the normal candidates artifact of ``D`` an hour
   before the open, so the cycle reads it through the same freshness seam as in production;
2. the session at its resolution (:mod:`avwap.backtest.sessions`): ``5m`` where the store has 5-minute
   bars of ``D`` (``auto``), else ``1d``; the cycle, control plane, sizing, stop policy, simulated broker
   (costs from ``SIM_*`` settings) and ledgers are production's;
3. a note per fill naming its resolution and fill rule (:mod:`avwap.backtest.fill_rules`); held symbols
   without a bar that day keep their resting stop, with a note saying why (``BACKTEST_BAR_MISSING``);
4. the end-of-day portfolio snapshot (marks: the day's closes).

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
from typing import Final, Literal

import numpy as np
import pandas as pd

from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.backtest.fill_rules import BAR_MISSING_CODE, record_fill_rules
from avwap.backtest.market import BacktestMarketData
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
from avwap.data.store import BarStore
from avwap.execution.book import BookRecorder
from avwap.execution.fill_model import FillModel
from avwap.execution.sim_broker import SimBroker, SimBrokerSettings
from avwap.execution.watched import watched_symbols
from avwap.jobs.portfolio_decide import ReplayInputs, build_batch, daily_closes, load_sectors, write_batch
from avwap.ledger.atomic import build_provenance, detect_code_version
from avwap.ledger.paths import BACKTEST
from avwap.ledger.records import Note
from avwap.ledger.router import Ledger
from avwap.signals.scan_records import Candidate, ScanResult
from avwap.signals.scan_rules import ScanRules
from avwap.signals.scan_rules_file import scan_rules_hash
from avwap.strategies.registry import enabled_strategies
from avwap.strategies.s1_daily import STRATEGY as S1_DAILY
from avwap.watchlist.artifact import write_candidates

Resolution = Literal["auto", "5m", "1d"]
RESOLUTIONS: Final = ("auto", "5m", "1d")
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
        resolution: Resolution = "auto",
        universe: Sequence[str] | None = None,
        rules: ScanRules | None = None,
        progress: Progress | None = None,
        code_version: str | None = None,
    ) -> None:
        if resolution not in RESOLUTIONS:
            raise DataError(f"resolution must be one of {', '.join(RESOLUTIONS)}, got {resolution!r}")
        self.config, self.rules, self.progress = config, rules or ScanRules(), progress
        self.requested: Resolution = resolution
        # Detected once (git describe per artifact would dominate a long run) and pinned in every artifact.
        self.code_version = code_version or detect_code_version()
        store = BarStore(data_root)
        self.data_root = Path(data_root)
        wanted = None if universe is None else sorted({*universe, self.rules.benchmark_symbol})
        daily = store.read("1d", symbols=wanted, end=end)
        if daily.empty:
            raise DataError(f"{data_root} has no daily bars through {end}")
        intraday = store.read("5m", symbols=wanted, start=start, end=end) if resolution != "1d" else daily[:0]
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
        self.data_hash_as_of = data_hashes_by_date(daily)
        excluded = set(config.excluded_from_candidates(self.rules.benchmark_symbol))
        self.scan_frame = daily.loc[~daily["symbol"].isin(excluded)]
        self.benchmark = daily.loc[daily["symbol"] == self.rules.benchmark_symbol]
        first_open = nyse().session_open(self.sessions[0])
        self.clock = SimulatedClock(first_open - PRE_OPEN - dt.timedelta(minutes=1))
        tradable = frozenset(daily["symbol"].astype(str).unique())
        self.broker = SimBroker(self.clock, sim_settings(config, tradable))
        self.book = BookRecorder(Ledger(config.ledger_dir), BACKTEST)
        self.deps = replay_dependencies(config, self.clock, self.book, self.broker, self.market)
        self.intraday_strategies = enabled_strategies(config)
        self.result = BacktestResult(config=config, sessions=self.sessions, data_hash=self.data_hash)

    def decide(self, day: dt.date) -> None:
        """The pre-open portfolio decisions (roadmap 2A, what ``avwap portfolio decide`` and the demo run),
        right after the morning's candidates: against the previous close's snapshot, recorded in the run's
        decisions ledger and artifact, and enforced by the cycle when PORTFOLIO_DECISION_ENFORCE=1."""
        batch = build_batch(
            self.config, BACKTEST, day, self.clock, data_dir=self.data_root, replay=self.decision_inputs
        )
        write_batch(self.config, batch, self.clock, code_version=self.code_version)
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
            reference="backtest",
            reason="backtest funding",
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
            self.config.config_hash(), self.visible_data_hash(as_of), as_of, code_version=self.code_version
        )
        write_candidates(
            self.config.artifacts_dir, day, result, provenance, rules_hash=scan_rules_hash(self.rules)
        )
        self.result.candidates[day] = tuple(candidate.symbol for candidate in candidates)

    def note_missing_bars(self, day: dt.date) -> None:
        """Held symbols without a bar today keep their resting stop; say why (once per symbol and day).

        Whether the symbol ever trades again is not known on ``day`` (that would be lookahead), so the note
        only names its last bar so far."""
        traded = set(self.daily_by_day.get(day, self.daily[:0])["symbol"])
        for symbol in sorted(set(self.book.state.positions) - traded):
            last = self.last_bar_before(symbol, day)
            self.book.record(
                Note(
                    book_id=BACKTEST,
                    date_ny=day,
                    ts=self.clock.now(),
                    code=BAR_MISSING_CODE,
                    message=f"{symbol}: no bar on {day} (last bar {last}); the resting stop is kept",
                    symbol=symbol,
                    detail={"last_bar": None if last is None else last.isoformat()},
                )
            )

    def last_bar_before(self, symbol: str, day: dt.date) -> dt.date | None:
        bars = self.market.daily_bars(symbol, day)
        return None if bars.empty else bars["timestamp"].iloc[-1].date()

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
            self.deps.strategies, self.deps.daily_resolution = (S1_DAILY,), True
            self.market.trade_daily(frozenset(self.daily_by_day[day]["symbol"].astype(str)))
            reports = trade_daily_session(
                self.deps, self.clock, self.broker, day_bars=self.daily_by_day[day], day=day, watched=watched
            )
        self.result.cycles += len(reports)
        record_fill_rules(self.deps, self.broker, since, resolution, day)
        return resolution

    def run(self) -> BacktestResult:
        self.fund()
        everything = self.scan_all()
        for index, day in enumerate(self.sessions, start=1):
            self.write_watchlist(day, everything[day])
            self.decide(day)
            self.note_missing_bars(day)
            self.result.resolutions[day] = self.trade(day)
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
            if self.progress is not None:
                self.progress(day, index, len(self.sessions))
        return self.result
