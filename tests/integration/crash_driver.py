"""A small hand-made trading day, and a driver that runs one execution cycle of it (maybe killing itself).

Used three ways:

* the crash tests run ``python tests/integration/crash_driver.py --home H --url U --now T --kill-at POINT``
  in a subprocess against a :class:`~tests.fakes.alpaca_server.FakeAlpaca` that the test process serves on
  127.0.0.1; the hook sends SIGKILL to the driver's own process at POINT;
* the same tests run the uninterrupted reference and the restarts in-process through :func:`run_step`;
* the cycle unit tests reuse the bars, candidates and watchlist writer with the simulated broker.

The day: 2026-04-01 (a Wednesday, New York on EDT). Two candidates, AAA (entry level 50.00) and BBB (20.00).
Their 5-minute closes sit 0.50 / 0.20 below the level until 09:50 and above it after, so S1's
breakout-and-hold confirms at 10:10. Daily bars have one clear swing low six sessions back (the initial stop
is that low minus $0.10). Intraday lows are flat, so the stop policy keeps the initial stop.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pandas as pd

from avwap.core.calendar import NEW_YORK, nyse
from avwap.core.canonical import to_plain
from avwap.core.clock import Clock, FixedClock
from avwap.core.config import Config, load_config
from avwap.core.execution_mode import ExecutionMode
from avwap.data.bars import normalize_bars
from avwap.execution.book import BookRecorder
from avwap.execution.broker import Broker
from avwap.execution.context import CycleDependencies
from avwap.execution.cycle import CycleReport, run_cycle
from avwap.execution.hooks import NO_HOOKS, CycleHooks, HookAt
from avwap.execution.market_data import FrameMarketData
from avwap.integrations.slack.notifier import Notifier, RecordingNotifier
from avwap.ledger.atomic import build_provenance
from avwap.ledger.paths import ALPACA_PAPER
from avwap.ledger.router import Ledger
from avwap.signals.scan_records import Candidate, MarketGate, ScanResult
from avwap.watchlist.artifact import write_candidates

DAY: Final = dt.date(2026, 4, 1)
T_ENTRY: Final = dt.datetime(2026, 4, 1, 14, 30, tzinfo=dt.UTC)  # 10:30 New York: S1 confirmed at 10:10
T_FILL: Final = dt.datetime(2026, 4, 1, 14, 32, tzinfo=dt.UTC)
T_STOP: Final = dt.datetime(2026, 4, 1, 15, 0, tzinfo=dt.UTC)  # 11:00: the stop policy may submit
LEVELS: Final = {"AAA": Decimal("50.00"), "BBB": Decimal("20.00")}
OFFSETS: Final = {"AAA": Decimal("0.50"), "BBB": Decimal("0.20")}
SWING_LOWS: Final = {"AAA": Decimal("48.50"), "BBB": Decimal("19.00")}
API_KEY: Final = "fake-key"
SECRET_KEY: Final = "fake-secret"


def entry_price(symbol: str) -> Decimal:
    return LEVELS[symbol] + OFFSETS[symbol]


def daily_frame(
    symbols: tuple[str, ...] = tuple(LEVELS), day: dt.date = DAY, sessions: int = 40
) -> pd.DataFrame:
    """``sessions`` daily bars before ``day``; flat around the level, one swing low six sessions back."""
    calendar = nyse()
    days = calendar.sessions(calendar.sessions_back(day, sessions), calendar.previous_session(day))
    rows = []
    for symbol in symbols:
        level = float(LEVELS.get(symbol, Decimal("30")))
        swing = float(SWING_LOWS.get(symbol, Decimal(str(level - 1.5))))
        for index, session in enumerate(days):
            low = swing if index == len(days) - 6 else level - 0.5
            stamp = pd.Timestamp(dt.datetime.combine(session, dt.time(), NEW_YORK))
            rows.append((symbol, stamp, level, level + 0.5, low, level, 1_000_000.0))
    return normalize_bars(
        pd.DataFrame(rows, columns=["symbol", "timestamp", "open", "high", "low", "close", "volume"])
    )


def intraday_frame(
    symbols: tuple[str, ...] = tuple(LEVELS),
    day: dt.date = DAY,
    breakouts: dict[str, dt.time] | None = None,
) -> pd.DataFrame:
    """5-minute bars of ``day``: closes below the level before the symbol's breakout time (New York; 09:50
    unless ``breakouts`` says otherwise), above it after."""
    rows = []
    for symbol in symbols:
        level = float(LEVELS.get(symbol, Decimal("30")))
        offset = float(OFFSETS.get(symbol, Decimal("0.30")))
        breakout = (breakouts or {}).get(symbol, dt.time(9, 50))
        for start in nyse().bar_starts(day, 5):
            above = start.astimezone(NEW_YORK).time() >= breakout
            close = level + offset if above else level - offset
            rows.append(
                (
                    symbol,
                    pd.Timestamp(start).tz_convert(NEW_YORK),
                    close,
                    close + 0.05,
                    close - 0.05,
                    close,
                    10_000.0,
                )
            )
    return normalize_bars(
        pd.DataFrame(rows, columns=["symbol", "timestamp", "open", "high", "low", "close", "volume"])
    )


def market(symbols: tuple[str, ...] = tuple(LEVELS)) -> FrameMarketData:
    return FrameMarketData(daily_frame(symbols), intraday_frame(symbols), "5m")


def candidate(symbol: str, rank: int, day: dt.date = DAY) -> Candidate:
    """A candidate row whose entry level (``avwap``) is the scenario level of ``symbol``."""
    level = LEVELS.get(symbol, Decimal("30.00"))
    stop = SWING_LOWS.get(symbol, level - Decimal("1.50"))
    return Candidate(
        symbol=symbol,
        as_of=nyse().previous_session(day),
        rank=rank,
        anchor_type="YTD",
        anchor_types=("YTD",),
        anchor_date=dt.date(day.year, 1, 2),
        anchor_priority=100,
        avwap=level,
        close=level,
        distance=0.0,
        slope=0.0,
        sigma=1.0,
        band_lower_1=level - 1,
        band_upper_1=level + 1,
        band_lower_2=level - 2,
        band_upper_2=level + 2,
        trend_tier="A",
        trend_score=10.0,
        atr=1.0,
        atr_pct=2.0,
        stop=stop,
        risk_per_share=level - stop,
        target_r1=level + (level - stop),
        target_r2=level + 2 * (level - stop),
        score=150.0 - rank,
        reclaim=False,
        tags=(),
    )


def write_watchlist(
    artifacts_dir: Path, symbols: tuple[str, ...] = tuple(LEVELS), day: dt.date = DAY
) -> Path:
    """Today's candidates artifact for ``symbols`` (ranked in the given order)."""
    gate = MarketGate(
        is_open=True, reason=None, benchmark_symbol="SPY", benchmark_close=None, benchmark_sma=None, detail=""
    )
    result = ScanResult(
        as_of=nyse().previous_session(day),
        market_gate=gate,
        candidates=tuple(candidate(symbol, rank) for rank, symbol in enumerate(symbols, start=1)),
        diagnostics=(),
    )
    provenance = build_provenance("config", "data", day, code_version="test")
    return write_candidates(artifacts_dir, day, result, provenance, rules_hash="test-rules")


def paper_config(home: Path, url: str, **overrides: Any) -> Config:
    """ALPACA_PAPER against the fake at ``url`` (the live gate keeps the mode: not the live endpoint)."""
    values: dict[str, Any] = {
        "home": home,
        "execution_mode": ExecutionMode.ALPACA_PAPER,
        "alpaca_api_key": API_KEY,
        "alpaca_secret_key": SECRET_KEY,
        "alpaca_trading_url": url,
    }
    values.update(overrides)
    return load_config({}, **values)


def dependencies(
    config: Config,
    clock: Clock,
    broker: Broker | None,
    *,
    book_id: str = ALPACA_PAPER,
    market_data: FrameMarketData | None = None,
    notifier: Notifier | None = None,
    hooks: CycleHooks = NO_HOOKS,
) -> CycleDependencies:
    return CycleDependencies(
        config=config,
        clock=clock,
        book=BookRecorder(Ledger(config.ledger_dir), book_id),
        broker=broker,
        market=market_data or market(),
        notifier=notifier or RecordingNotifier(),
        artifacts_dir=config.artifacts_dir,
        state_dir=config.state_dir,
        hooks=hooks,
    )


def run_step(home: Path, url: str, now: dt.datetime, hooks: CycleHooks = NO_HOOKS) -> CycleReport:
    """One cycle of the scenario at ``now`` against the fake Alpaca at ``url`` (a fresh process state)."""
    from avwap.execution.alpaca_broker import AlpacaBroker, AlpacaSettings

    config = paper_config(home, url)
    settings = AlpacaSettings(
        API_KEY, SECRET_KEY, url_override=url, timeout_seconds=5.0, retry_wait_seconds=0.01
    )
    with AlpacaBroker(settings) as broker:
        return run_cycle(dependencies(config, FixedClock(now), broker, hooks=hooks))


class SimScenario:
    """The scenario on the simulated broker: bars are fed to the broker as the simulated clock reaches
    their end, then the cycle runs at the requested instant (the demo's arrangement, on hand-made bars)."""

    def __init__(
        self,
        home: Path,
        *,
        symbols: tuple[str, ...] = tuple(LEVELS),
        breakouts: dict[str, dt.time] | None = None,
        environ: dict[str, str] | None = None,
        days: tuple[dt.date, ...] = (DAY,),
        **overrides: Any,
    ) -> None:
        from avwap.core.clock import SimulatedClock
        from avwap.execution.sim_broker import SimBroker, SimBrokerSettings
        from avwap.ledger.paths import PAPER_SIM

        values: dict[str, Any] = {"home": home, "execution_mode": ExecutionMode.PAPER_SIM}
        self.config = load_config(environ or {}, **{**values, **overrides})
        self.clock = SimulatedClock(nyse().session_open(days[0]) - dt.timedelta(hours=1))
        intraday = pd.concat([intraday_frame(symbols, day, breakouts) for day in days], ignore_index=True)
        self.bars_by_start = dict(iter(intraday.groupby("timestamp")))
        self.broker = SimBroker(self.clock, SimBrokerSettings(starting_cash=self.config.starting_cash))
        self.notifier = RecordingNotifier()
        self.market = FrameMarketData(daily_frame(symbols, days[0]), intraday, "5m")
        self.deps = dependencies(
            self.config,
            self.clock,
            self.broker,
            book_id=PAPER_SIM,
            market_data=self.market,
            notifier=self.notifier,
        )
        self._fed: set[pd.Timestamp] = set()

    def feed_until(self, moment: dt.datetime) -> None:
        """Give the broker every bar that ended by ``moment`` (in time order, each once)."""
        step = dt.timedelta(minutes=5)
        for start in sorted(self.bars_by_start):
            end = start.to_pydatetime() + step
            if start in self._fed or end > moment:
                continue
            self.clock.set(max(end, self.clock.now()))
            self.broker.on_bar_frame(self.bars_by_start[start], step)
            self._fed.add(start)

    def run_at(self, moment: dt.datetime) -> CycleReport:
        self.feed_until(moment)
        self.clock.set(moment)
        return run_cycle(self.deps)

    def records(self) -> list[Any]:
        return Ledger(self.config.ledger_dir).read_book(self.deps.book.book_id)


def kill_self(detail: dict[str, Any]) -> None:
    """SIGKILL: no cleanup, no flush, exactly like a power cut for everything not yet on disk."""
    os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--now", required=True, help="ISO instant, e.g. 2026-04-01T14:30:00+00:00")
    parser.add_argument("--kill-at", default=None, help="hook point at which to SIGKILL this process")
    parser.add_argument("--purpose", default=None, help="only kill at an order of this purpose (ENTRY, STOP)")
    arguments = parser.parse_args(argv)
    hooks: CycleHooks = NO_HOOKS
    if arguments.kill_at:
        where = {"purpose": arguments.purpose} if arguments.purpose else {}
        hooks = HookAt(arguments.kill_at, kill_self, **where)
    report = run_step(arguments.home, arguments.url, dt.datetime.fromisoformat(arguments.now), hooks)
    sys.stdout.write(json.dumps(to_plain(report.to_dict()), sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
