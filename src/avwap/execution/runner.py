"""The execution loop: one cycle every poll interval, in the mode the live gate allows at that moment.

* Each cycle resolves the mode first (:class:`Assembly`) and runs on that mode's book and broker. A book of
  another mode is never written for entries (LIVE falling back to DRY_RUN mid-day records to the DRY_RUN
  book, and the live book is left exactly as it was, its working stops at the broker included).
* Start-up verifies every ledger file of the book (the ``avwap ledger verify`` check). An integrity failure,
  at start-up or in any later cycle, blocks new entries until an operator repairs the ledger and restarts;
  the loop keeps running (stops and fills keep being handled) and alerts every cycle (throttled by Slack).
* An unexpected exception in a cycle is logged and alerted; the loop sleeps and tries again. After
  ``max_consecutive_failures`` failed cycles in a row it stops with a non-zero exit code rather than spin.
* SIGTERM / SIGINT set a flag: the cycle in progress finishes, then the loop ends (exit 0). Sleeping goes
  through an injected :class:`Sleeper`, so tests never wait.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from avwap.control.live_gate import ModeResolution, resolve_mode
from avwap.control.state_files import read_token_file
from avwap.core.calendar import ny_date
from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.core.errors import ConfigurationError, LedgerIntegrityError
from avwap.core.execution_mode import ExecutionMode
from avwap.execution.bar_refresh import BarRefresher, NoRefresh, refresh_safely
from avwap.execution.book import BOOK_FOR_MODE, BookRecorder
from avwap.execution.broker import Broker
from avwap.execution.context import CycleDependencies
from avwap.execution.cycle import CycleReport, run_cycle
from avwap.execution.hooks import NO_HOOKS, CycleHooks
from avwap.execution.watched import cycle_watched_symbols
from avwap.integrations.slack.messages import AlertKind, Severity, alert_event
from avwap.integrations.slack.notifier import Notifier
from avwap.ledger.router import Ledger
from avwap.ledger.verify import verify_path

if TYPE_CHECKING:  # market_data imports pandas; an idle cycle (nothing watched) never needs it
    import pandas as pd

    from avwap.execution.market_data import FrameMarketData, StoreMarketLoader
    from avwap.execution.market_protocol import MarketData

LOGGER: Final = logging.getLogger("avwap.execution.runner")


class Sleeper(Protocol):
    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (or less, when a stop is requested)."""
        ...


class StopFlag:
    """Set by a signal handler (or a test); the loop checks it between cycles."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reason = ""

    def request(self, reason: str) -> None:
        self.reason = reason
        self.event.set()

    @property
    def requested(self) -> bool:
        return self.event.is_set()


class EventSleeper:
    """Production sleeper: waits on the stop flag's event, so a SIGTERM ends the wait at once."""

    def __init__(self, stop: StopFlag) -> None:
        self.stop = stop

    def sleep(self, seconds: float) -> None:
        self.stop.event.wait(max(0.0, seconds))


@dataclass(frozen=True)
class LoopSettings:
    poll_seconds: float = 300.0
    max_cycles: int | None = None  # None: until stopped
    max_consecutive_failures: int = 5
    once: bool = False


@dataclass(frozen=True)
class LoopOutcome:
    """How the loop ended. ``error``: the last cycle's unexpected exception (None when it completed)."""

    cycles: int
    failed_cycles: int
    stopped_by: str
    error: BaseException | None = None
    ledger_problem: str = ""


def seconds_until_next(started: dt.datetime, now: dt.datetime, poll_seconds: float) -> float:
    """Sleep so that cycles start ``poll_seconds`` apart (at once when a cycle overran its slot)."""
    return max(0.0, poll_seconds - (now - started).total_seconds())


def _alert(notifier: Notifier, today: dt.date, title: str, detail: str, *, critical: bool) -> None:
    try:
        notifier.notify(
            alert_event(
                AlertKind.ERROR,
                title,
                today,
                severity=Severity.CRITICAL if critical else Severity.WARNING,
                details=(detail[:1000],),
            )
        )
    except Exception:  # alerting never breaks the loop
        LOGGER.exception("could not alert %r", title)


BrokerFactory = Callable[[ExecutionMode], Broker]
MarketLoader = Callable[[CycleDependencies], "MarketData"]
SERVED_MODES: Final = frozenset({ExecutionMode.DRY_RUN, ExecutionMode.ALPACA_PAPER, ExecutionMode.LIVE})
PAPER_SIM_REFUSAL: Final = (
    "PAPER_SIM is the replay book of `avwap demo` and the backtest: its simulated broker lives in memory "
    "and is fed bars by a simulated clock, so a restart of `avwap execute` would forget its orders and "
    "positions. Use `avwap demo` to watch the plane trade, ALPACA_PAPER to paper trade forward, or DRY_RUN."
)


def verify_book(ledger_root: Path, book_id: str) -> str:
    """The first integrity failure among the book's ledger files ("" when every file is sound).

    The same check as ``avwap ledger verify <root>/<book>``; a torn last line is not a failure (it is
    quarantined when the book is read).
    """
    folder = Path(ledger_root) / book_id
    if not folder.is_dir():
        return ""
    failures = [report for report in verify_path(folder) if report.integrity_failure]
    return "" if not failures else f"{failures[0].location}: {failures[0].status}: {failures[0].reason}"


class EmptyMarketData:
    """Market data without any bars: a ``FrameMarketData`` of two empty frames, built on first use only.

    A cycle that watches no symbol never asks, so ``avwap execute --once`` on an idle day does not import
    pandas (most of its start-up time)."""

    def __init__(self, frequency: str = "5m") -> None:
        self.frequency = frequency
        self._frames: FrameMarketData | None = None

    def frames(self) -> FrameMarketData:
        if self._frames is None:
            from avwap.data.bars import empty_bars
            from avwap.execution.market_data import FrameMarketData

            self._frames = FrameMarketData(empty_bars(), empty_bars(), self.frequency)
        return self._frames

    def session_bars(self, symbol: str, day: dt.date, now: dt.datetime) -> pd.DataFrame:
        return self.frames().session_bars(symbol, day, now)

    def daily_bars(self, symbol: str, before: dt.date) -> pd.DataFrame:
        return self.frames().daily_bars(symbol, before)

    def last_price(self, symbol: str, now: dt.datetime) -> Decimal | None:
        return self.frames().last_price(symbol, now)

    def __getattr__(self, name: str) -> Any:  # the optional fast paths (visible_count, session_arrays, ...)
        if name.startswith("_"):  # never for private or special names (copy, pickle): no recursion, no build
            raise AttributeError(name)
        return getattr(self.frames(), name)


def empty_market(frequency: str = "5m") -> EmptyMarketData:
    return EmptyMarketData(frequency)


def store_market_loader(data_root: Path, refresher: BarRefresher | None = None) -> MarketLoader:
    """A :data:`MarketLoader` for the bar store under ``data_root``: first ``refresher`` brings the intraday
    bars of the cycle's watched symbols up to now (its failures are handed to the cycle, never raised), then
    the store is read (a :class:`~avwap.execution.market_data.StoreMarketLoader`, built when a cycle first
    watches a symbol, so an idle cycle imports neither pandas nor the store)."""
    source = refresher or NoRefresh()
    loaders: list[StoreMarketLoader] = []

    def load(deps: CycleDependencies) -> MarketData:
        now = deps.clock.now()
        symbols = cycle_watched_symbols(deps, ny_date(now))
        deps.data_problems = refresh_safely(source, symbols, now).problems
        if not symbols:  # the same empty answers the store loader gives, without pandas or the store
            return empty_market()
        if not loaders:
            from avwap.execution.market_data import StoreMarketLoader

            loaders.append(StoreMarketLoader(data_root))
        return loaders[0].load(ny_date(now), list(symbols))

    return load


class Assembly:
    """Builds (once per book) and hands out the cycle dependencies of the mode in force right now."""

    def __init__(
        self,
        config: Config,
        clock: Clock,
        notifier: Notifier,
        *,
        broker_factory: BrokerFactory,
        market_loader: MarketLoader,
        hooks: CycleHooks = NO_HOOKS,
    ) -> None:
        self.config = config
        self.clock = clock
        self.notifier = notifier
        self.broker_factory = broker_factory
        self.market_loader = market_loader
        self.hooks = hooks
        self.books: dict[str, CycleDependencies] = {}
        self.current: CycleDependencies | None = None
        self.mode: ModeResolution | None = None  # the live gate's answer for the current cycle

    def today(self) -> dt.date:
        return ny_date(self.clock.now())

    def resolve(self) -> ModeResolution:
        return resolve_mode(self.config, read_token_file(self.config.state_dir), self.today())

    @property
    def ledger_problem(self) -> str:
        return next(
            (deps.ledger_problem for _, deps in sorted(self.books.items()) if deps.ledger_problem), ""
        )

    def dependencies(self) -> CycleDependencies:
        """The dependencies of the effective mode, with market data loaded for this cycle. The mode is
        resolved here, once per cycle, and kept in :attr:`mode` for the cycle to use (not resolved again)."""
        self.mode = self.resolve()
        mode = self.mode.effective_mode
        if mode is ExecutionMode.PAPER_SIM:
            raise ConfigurationError("EXECUTION_MODE", PAPER_SIM_REFUSAL)
        if mode not in SERVED_MODES:
            raise ConfigurationError("EXECUTION_MODE", f"{mode} is not served by `avwap execute`")
        book_id = BOOK_FOR_MODE[mode]
        deps = self.books.get(book_id) or self._build(mode, book_id)
        self.current = deps
        deps.market = self.market_loader(deps)
        return deps

    def ledger_failed(self, problem: str) -> None:
        """Block new entries on the book whose cycle hit ``problem``."""
        if self.current is not None:
            self.current.ledger_problem = problem

    def _build(self, mode: ExecutionMode, book_id: str) -> CycleDependencies:
        problem = verify_book(self.config.ledger_dir, book_id)
        book = BookRecorder(Ledger(self.config.ledger_dir), book_id)
        broker = None if mode is ExecutionMode.DRY_RUN else self.broker_factory(mode)
        if problem or book.problem:
            LOGGER.error("ledger of %s failed verification: %s", book_id, problem or book.problem)
        deps = CycleDependencies(
            config=self.config,
            clock=self.clock,
            book=book,
            broker=broker,
            market=empty_market(),
            notifier=self.notifier,
            artifacts_dir=self.config.artifacts_dir,
            state_dir=self.config.state_dir,
            hooks=self.hooks,
            ledger_problem=problem or book.problem,
        )
        self.books[book_id] = deps
        return deps


class Runner:
    """Runs cycles from an :class:`Assembly` under :class:`LoopSettings` (see the module docstring)."""

    def __init__(
        self,
        assembly: Assembly,
        settings: LoopSettings,
        *,
        sleeper: Sleeper,
        stop: StopFlag,
        on_report: Callable[[CycleReport], None] = lambda report: None,
    ) -> None:
        self.assembly = assembly
        self.settings = settings
        self.sleeper = sleeper
        self.stop = stop
        self.on_report = on_report
        self.failures = 0
        self.last_error: BaseException | None = None

    @property
    def clock(self) -> Clock:
        return self.assembly.clock

    def run(self) -> LoopOutcome:
        cycles = failed = 0
        while True:
            started = self.clock.now()
            if not self._one_cycle(started):
                failed += 1
                if self.failures >= self.settings.max_consecutive_failures:
                    return self._outcome(cycles + 1, failed, "consecutive failures")
            cycles += 1
            finished = self._finished(cycles)
            if finished:
                return self._outcome(cycles, failed, finished)
            self.sleeper.sleep(seconds_until_next(started, self.clock.now(), self.settings.poll_seconds))
            if self.stop.requested:
                return self._outcome(cycles, failed, self.stop.reason or "stop")

    def _outcome(self, cycles: int, failed: int, stopped_by: str) -> LoopOutcome:
        return LoopOutcome(cycles, failed, stopped_by, self.last_error, self.assembly.ledger_problem)

    def _finished(self, cycles: int) -> str:
        if self.settings.once:
            return "once"
        if self.settings.max_cycles is not None and cycles >= self.settings.max_cycles:
            return "max cycles"
        return (self.stop.reason or "stop") if self.stop.requested else ""

    def _one_cycle(self, started: dt.datetime) -> bool:
        """One cycle; True when it completed (a ledger integrity failure completes: it is a state)."""
        try:
            deps = self.assembly.dependencies()
            report = run_cycle(deps, self.assembly.mode)
        except LedgerIntegrityError as error:
            LOGGER.error("ledger integrity failure; new entries blocked: %s", error)
            self.assembly.ledger_failed(str(error))
            _alert(
                self.assembly.notifier,
                self.assembly.today(),
                "Ledger integrity failure",
                str(error),
                critical=True,
            )
            self.failures, self.last_error = 0, None
            return True
        except Exception as error:  # one bad cycle must not stop the next one (exits run every cycle)
            self.failures += 1
            self.last_error = error
            LOGGER.exception("cycle at %s failed (%d in a row)", started.isoformat(), self.failures)
            detail = f"{type(error).__name__}: {error} ({self.failures} failed cycles in a row)"
            _alert(
                self.assembly.notifier,
                self.assembly.today(),
                "Execution cycle failed",
                detail,
                critical=False,
            )
            return False
        self.failures, self.last_error = 0, None
        self.on_report(report)
        return True
