"""One session through the production cycle, at either resolution (the backtest engine and the demo).

Time is a :class:`~avwap.core.clock.SimulatedClock`; the broker is the simulated broker; the cycle
(:func:`avwap.execution.cycle.run_cycle`), control plane, stop policy and ledgers are production's. Only
what the broker is fed, and when the cycle runs, differs between the two resolutions:

* **5m** (:func:`trade_intraday_session`): the clock moves from bar close to bar close; each 5-minute bar of
  the watched symbols is fed once the clock has reached its end, then a cycle runs (S1's 10-minute trigger,
  intraday stop policy). One more cycle after the close records the last fills and expired DAY orders.
* **1d** (:func:`trade_daily_session`): one cycle when the entry window opens (plus the entry delay bound),
  seeing daily bars through the previous close only; entries rest as DAY buy-stops at their level, stops as
  the usual resting sell stops. After the close, the day's daily bar is fed to the broker as one bar that
  starts at that decision instant (so the orders are eligible on it) and ends at the close; the fill model
  fills a buy-stop at ``max(open, level)`` and a sell stop at ``min(open, stop)`` (the one stop-fill rule,
  :mod:`avwap.exits.stop_fill`), costs on top. A cycle after the close records the fills and places the
  stops of new positions (daily swing-low stops of the stop rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final

import pandas as pd

from avwap.core.calendar import nyse
from avwap.core.clock import SimulatedClock
from avwap.core.config import Config
from avwap.execution.book import BookRecorder
from avwap.execution.context import CycleDependencies
from avwap.execution.cycle import CycleReport, run_cycle
from avwap.execution.market_protocol import MarketData
from avwap.execution.sim_broker import SimBroker
from avwap.integrations.slack.notifier import RecordingNotifier
from avwap.ledger import record_ids
from avwap.ledger.record_enums import CashMovementKind
from avwap.ledger.records import CashMovement
from avwap.strategies.s1_trigger import entry_window


def replay_dependencies(
    config: Config, clock: SimulatedClock, book: BookRecorder, broker: SimBroker, market: MarketData
) -> CycleDependencies:
    """The production cycle's dependencies for a replay (the demo, the backtest): a simulated clock and
    broker, in-memory market data, and a recording notifier in place of Slack."""
    return CycleDependencies(
        config=config,
        clock=clock,
        book=book,
        broker=broker,
        market=market,
        notifier=RecordingNotifier(),
        artifacts_dir=config.artifacts_dir,
        state_dir=config.state_dir,
    )


def fund_once(
    book: BookRecorder, clock: SimulatedClock, day: dt.date, amount: Decimal, *, reference: str, reason: str
) -> None:
    """Deposit ``amount`` into a replayed book on ``day`` unless that deposit is already recorded (the
    simulated broker starts with the same cash)."""
    movement = record_ids.cash_movement_id(
        book_id=book.book_id, date_ny=day, kind=CashMovementKind.DEPOSIT, amount=amount, reference=reference
    )
    if movement in book.state.movement_ids:
        return
    book.record(
        CashMovement(
            book_id=book.book_id,
            date_ny=day,
            ts=clock.now(),
            movement_id=movement,
            kind=CashMovementKind.DEPOSIT,
            amount=amount,
            reason=reason,
        )
    )


BAR_MINUTES: Final = 5
BAR_STEP: Final = dt.timedelta(minutes=BAR_MINUTES)

Watched = Callable[[], tuple[str, ...]]


def after_close(deps: CycleDependencies, clock: SimulatedClock, day: dt.date) -> CycleReport:
    """The cycle after the close: expired DAY orders and the last fills are recorded."""
    clock.set(nyse().session_close(day) + BAR_STEP)
    return run_cycle(deps)


def trade_intraday_session(
    deps: CycleDependencies,
    clock: SimulatedClock,
    broker: SimBroker,
    *,
    bars_by_start: Mapping[Any, pd.DataFrame],  # bar start (pd.Timestamp) -> that bar of every symbol
    day: dt.date,
    watched: Watched,
) -> list[CycleReport]:
    """``day`` bar by bar: feed each closed 5-minute bar of the watched symbols, then run a cycle."""
    reports = []
    for start in nyse().bar_starts(day, BAR_MINUTES):
        clock.set(start + BAR_STEP)
        bars = bars_by_start.get(pd.Timestamp(start))
        if bars is not None:
            broker.on_bar_frame(bars.loc[bars["symbol"].isin(watched())], BAR_STEP)
        reports.append(run_cycle(deps))
    reports.append(after_close(deps, clock, day))
    return reports


def daily_decision_instant(deps: CycleDependencies, day: dt.date) -> dt.datetime:
    """When the daily cycle decides: the entry window's start plus the entry-delay bound (every intent's
    deterministic delay has then passed, so each candidate is decided in this one cycle)."""
    start, _ = entry_window(day)
    return start + dt.timedelta(seconds=max(0, deps.config.entry_delay_max_seconds))


def trade_daily_session(
    deps: CycleDependencies,
    clock: SimulatedClock,
    broker: SimBroker,
    *,
    day_bars: pd.DataFrame,
    day: dt.date,
    watched: Watched,
) -> list[CycleReport]:
    """``day`` at daily resolution (module docstring); ``day_bars``: the day's daily bars (any symbols)."""
    decided = daily_decision_instant(deps, day)
    clock.set(decided)
    reports = [run_cycle(deps)]
    close = nyse().session_close(day)
    clock.set(close)
    bars = day_bars.loc[day_bars["symbol"].isin(watched())].copy()
    if not bars.empty:
        bars["timestamp"] = pd.Timestamp(decided)
        broker.on_bar_frame(bars, close - decided)
    reports.append(after_close(deps, clock, day))
    return reports
