"""What one execution cycle works with: its dependencies (the seams) and the facts it established."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from avwap.control.live_gate import ModeResolution
from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.execution.book import BookRecorder
from avwap.execution.broker import Broker
from avwap.execution.events import CycleEvent
from avwap.execution.hooks import NO_HOOKS, CycleHooks
from avwap.exits.rules import StopRules, stop_rules
from avwap.integrations.slack.notifier import Notifier
from avwap.strategies.protocol import Strategy
from avwap.strategies.registry import enabled_strategies
from avwap.watchlist.artifact import Freshness, candidates_path, check_freshness

if TYPE_CHECKING:  # market_data imports pandas: an idle cycle never needs it
    from avwap.execution.market_protocol import MarketData


class Stamp(TypedDict):
    """The fields every record shares: its book, NY date and instant."""

    book_id: str
    date_ny: dt.date
    ts: dt.datetime


class CycleCache:
    """Memos that only save work. Each is keyed by everything its value depends on, so an empty cache (a
    restart) gives the same decisions, only slower. Never persisted."""

    def __init__(self) -> None:
        self._freshness: tuple[tuple[Any, ...], Freshness] | None = None
        # strategy id -> that strategy's memo (StrategyInputs.memo), valid for the market data object in
        # ``market`` only
        self.memos: dict[str, dict[str, Any]] = {}
        self.market: object | None = None
        self.probes: dict[tuple[Any, ...], str] = {}  # would-be intent ids, by their inputs
        self.sizes: dict[tuple[Any, ...], Any] = {}  # size_entry results, by every input
        # decision_enforcement.EnforcementState: today's decision artifact check and recorded outcomes
        self.enforcement: Any = None
        # advisory_sizing: ((artifact path, its file key), size multiplier by symbol) of the day's scores
        self.advisory: tuple[tuple[Any, ...], dict[str, Decimal]] | None = None

    def memo(self, strategy_id: str) -> dict[str, Any]:
        return self.memos.setdefault(strategy_id, {})

    def freshness(self, artifacts_dir: Path, today: dt.date, is_session: bool) -> Freshness:
        """:func:`check_freshness`, re-read only when the artifact file changed (size, times, inode)."""
        try:
            status = candidates_path(artifacts_dir, today).stat()
            file_key: tuple[Any, ...] = (
                status.st_size,
                status.st_mtime_ns,
                status.st_ctime_ns,
                status.st_ino,
            )
        except OSError:
            file_key = ()
        key = (str(artifacts_dir), today, is_session, file_key)
        if file_key and self._freshness is not None and self._freshness[0] == key:
            return self._freshness[1]
        result = check_freshness(artifacts_dir, today, is_session)
        self._freshness = (key, result) if file_key else None
        return result


@dataclass
class CycleDependencies:
    """The seams: only clock, market data, broker and notifier differ between modes and the demo."""

    config: Config
    clock: Clock
    book: BookRecorder
    broker: Broker | None
    market: MarketData
    notifier: Notifier
    artifacts_dir: Path
    state_dir: Path
    hooks: CycleHooks = NO_HOOKS
    # Set by the runner when the start-up verification (or a cycle) found the ledger corrupt: new entries
    # stay blocked (LEDGER_UNREADABLE) until an operator repairs it and restarts; exits keep running.
    ledger_problem: str = ""
    # Set by the loop's market loader each cycle: what the intraday refresh could not do (feed failures).
    data_problems: tuple[str, ...] = ()
    cache: CycleCache = field(default_factory=CycleCache)
    # The session is simulated at daily resolution (the backtest's sessions without intraday bars,
    # docs/BACKTEST.md): entries rest as DAY buy-stops at the intent's entry price (filled when the session
    # trades through it) instead of MARKET orders, and stops follow the daily stop policy
    # (avwap.exits.policy_daily). False everywhere else (live, paper, demo, intraday backtest).
    daily_resolution: bool = False
    # Resolved once from the config (ENABLED_STRATEGIES, STOP_*) when the dependencies are built, so a bad
    # value stops start-up with a ConfigurationError naming it, not a cycle.
    strategies: tuple[Strategy, ...] = ()
    stop_rules: StopRules = field(init=False)

    def __post_init__(self) -> None:
        self.strategies = self.strategies or enabled_strategies(self.config)
        self.stop_rules = stop_rules(self.config)


@dataclass
class CycleFacts:
    """What the cycle established before deciding anything (all of it goes into the cycle report)."""

    now: dt.datetime
    today: dt.date
    is_session: bool
    market_open: bool
    mode: ModeResolution
    kill_switch: bool
    broker_market_open: bool | None = None
    equity: Decimal | None = None
    freshness: Freshness | None = None
    drift: tuple[str, ...] = ()
    unknown_positions: bool = False
    unresolved_orders: tuple[str, ...] = ()
    # Why the entry half did not run at all this cycle (corrupt ledger, book of another mode): reason codes.
    entries_blocked: tuple[str, ...] = ()
    ledger_problem: str = ""
    # Watched symbols without a recent closed intraday bar: no new entries on them (data_freshness).
    stale_data: tuple[str, ...] = ()
    events: list[CycleEvent] = field(default_factory=list)
    # Each strategy's PnL today (execution.sleeves.derived_pnl), computed once per cycle when first needed.
    strategy_pnl: dict[str, Decimal | None] = field(default_factory=dict)

    def stamp(self, book_id: str) -> Stamp:
        """The common fields of every record written in this cycle."""
        return Stamp(book_id=book_id, date_ny=self.today, ts=self.now)

    def note(self, event: CycleEvent) -> None:
        self.events.append(event)
