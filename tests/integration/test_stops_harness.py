"""Cycle-level stop scenarios on hand-made bars: the harness the ``test_stops_*`` files share, and its checks.

:class:`StopScenario` runs the real execution cycle (``run_cycle``) with a :class:`SimulatedClock`,
:class:`FrameMarketData` and the simulated broker (fed each 5-minute bar once the clock reaches its end, as in
the demo) — or any other broker (the Alpaca adapter on FakeAlpaca). One symbol, ``STP``, on 2026-04-01
(Wednesday) and 2026-04-02; its bars follow docs/STOPS.md's worked example: daily swing low 98.40 (initial
stop 98.30), intraday higher low 99.80 confirmed at 10:30 (stop 99.70). Each 5-minute bar: open = low + 0.10,
close = low + 0.25, high = max(low + 0.30, close), unless a test overrides a bar.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pytest

from avwap.core.calendar import NEW_YORK, nyse
from avwap.core.clock import SimulatedClock
from avwap.core.config import Config, load_config
from avwap.core.execution_mode import ExecutionMode
from avwap.data.bars import normalize_bars
from avwap.execution.book import BookRecorder
from avwap.execution.broker import Broker, BrokerFill
from avwap.execution.context import CycleDependencies
from avwap.execution.cycle import CycleReport, establish_facts, run_cycle
from avwap.execution.entries import submit_entry
from avwap.execution.fill_model import FillModel
from avwap.execution.market_data import FrameMarketData
from avwap.execution.sim_broker import SimBroker, SimBrokerSettings
from avwap.integrations.slack.notifier import RecordingNotifier
from avwap.ledger import record_ids
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.record_enums import STOP_SETTING_KINDS, CashMovementKind, DecisionOutcome, Side
from avwap.ledger.records import (
    CashMovement,
    Decision,
    ExitEvent,
    OrderReplaced,
    OrderSubmitted,
    Record,
    TradeIntent,
)
from avwap.ledger.router import Ledger

SYMBOL: Final = "STP"
DAY: Final = dt.date(2026, 4, 1)
NEXT_DAY: Final = dt.date(2026, 4, 2)
STRATEGY: Final = "S1_AVWAP_CORE"
INITIAL_STOP: Final = Decimal("98.30")
DAILY_LOWS: Final = (99.0, 98.8, 98.40, 98.9, 99.2, 99.5)  # the last six sessions before DAY
# docs/STOPS.md's bars from 09:30 to 10:35, then a slow climb whose dips make higher lows.
EXAMPLE_LOWS: Final = (
    99.90, 99.70, 99.50, 99.60, 99.75, 100.00, 100.10, 100.05, 99.95, 99.80, 99.90, 100.20, 100.40, 100.50,
)  # fmt: skip


def ny(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    """A New York wall-clock instant as UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), NEW_YORK).astimezone(dt.UTC)


def climbing_lows(count: int, start: float = 100.40) -> list[float]:
    """``count`` lows rising 0.05 a bar, with a 0.30 dip every sixth bar (a higher low each time)."""
    return [round(start + 0.05 * index - (0.30 if index % 6 == 3 else 0.0), 2) for index in range(count)]


def session_lows(day: dt.date = DAY) -> list[float]:
    """A full session of lows: the worked example, then :func:`climbing_lows`."""
    count = len(nyse().bar_starts(day, 5))
    return [*EXAMPLE_LOWS, *climbing_lows(count - len(EXAMPLE_LOWS), 100.55)]


@dataclasses.dataclass(frozen=True)
class Bar:
    """An explicit bar (to gap through a stop, or to shape one bar)."""

    open: float
    high: float
    low: float
    close: float


def intraday_frame(
    lows_by_day: dict[dt.date, Sequence[float | Bar | None]], symbol: str = SYMBOL, volume: float = 1_000.0
) -> pd.DataFrame:
    """5-minute bars; ``None`` leaves a bar out (missing data), a :class:`Bar` is used as it is."""
    rows = []
    for day, lows in sorted(lows_by_day.items()):
        for start, value in zip(nyse().bar_starts(day, 5), lows, strict=False):
            if value is None:
                continue
            if isinstance(value, Bar):
                prices = (value.open, value.high, value.low, value.close)
            else:
                close = round(value + 0.25, 2)
                prices = (round(value + 0.10, 2), round(max(value + 0.30, close), 2), value, close)
            rows.append((symbol, pd.Timestamp(start).tz_convert(NEW_YORK), *prices, volume))
    return _frame(rows)


def daily_frame(symbol: str = SYMBOL, before: dt.date = DAY, sessions: int = 30) -> pd.DataFrame:
    """Daily bars of the ``sessions`` sessions before ``before``: lows 99.60, then :data:`DAILY_LOWS`."""
    calendar = nyse()
    days = calendar.sessions(calendar.sessions_back(before, sessions), calendar.previous_session(before))
    lows = [99.6] * (len(days) - len(DAILY_LOWS)) + list(DAILY_LOWS)
    rows = [
        (symbol, pd.Timestamp(dt.datetime.combine(day, dt.time(), NEW_YORK)), low + 0.5, low + 1.0, low,
         low + 0.6, 1_000_000.0)
        for day, low in zip(days, lows, strict=True)
    ]  # fmt: skip
    return _frame(rows)


def with_daily_bar(daily: pd.DataFrame, day: dt.date, low: float, symbol: str = SYMBOL) -> pd.DataFrame:
    """``daily`` plus the daily bar of ``day`` (so the next session sees it)."""
    stamp = pd.Timestamp(dt.datetime.combine(day, dt.time(), NEW_YORK))
    row = _frame([(symbol, stamp, low + 0.5, low + 1.0, low, low + 0.6, 1_000_000.0)])
    return normalize_bars(pd.concat([daily, row], ignore_index=True))


def _frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    columns = ["symbol", "timestamp", "open", "high", "low", "close", "volume"]
    return normalize_bars(pd.DataFrame(rows, columns=columns))


class ScriptedBroker:
    """A :class:`Broker` that delegates, with scripted misbehaviour: ``faults[method]`` is a queue of
    exceptions raised (once each) before delegating, ``before[method]`` runs before delegating, and
    ``duplicate_fills`` reports every fill twice."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.faults: dict[str, list[Exception]] = {}
        self.before: dict[str, Callable[[], None]] = {}
        self.duplicate_fills = False
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if not callable(target) or name.startswith("_"):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            if name in self.before:
                self.before.pop(name)()
            queue = self.faults.get(name)
            if queue:
                raise queue.pop(0)
            return target(*args, **kwargs)

        return call

    def fills(self, since: dt.datetime | None) -> list[BrokerFill]:
        self.calls.append("fills")
        found: list[BrokerFill] = self.inner.fills(since)
        if self.duplicate_fills:
            found = sorted([*found, *found], key=lambda item: (item.timestamp, item.fill_id))
        return found


class StopScenario:
    """One book (PAPER_SIM unless told otherwise) driven cycle by cycle over hand-made bars."""

    def __init__(
        self,
        home: Path,
        *,
        intraday: pd.DataFrame,
        daily: pd.DataFrame | None = None,
        environ: dict[str, str] | None = None,
        fill_model: FillModel | None = None,
        broker: Any = None,
        book_id: str = PAPER_SIM,
        config: Config | None = None,
        start: dt.datetime | None = None,
        clock: SimulatedClock | None = None,
    ) -> None:
        self.config = config or load_config(
            environ or {}, home=home, execution_mode=ExecutionMode.PAPER_SIM, dry_run=False
        )
        self.clock = clock or SimulatedClock(start or ny(9, 0))
        self.intraday = intraday
        self.daily = daily if daily is not None else daily_frame()
        self.market = FrameMarketData(self.daily, intraday, "5m")
        self.sim: SimBroker | None = None
        if broker is None:
            self.sim = SimBroker(self.clock, SimBrokerSettings(fill_model=fill_model or FillModel()))
            broker = ScriptedBroker(self.sim)
        self.broker: Broker = broker
        self.book_id = book_id
        self.notifier = RecordingNotifier()
        self.deps = CycleDependencies(
            config=self.config,
            clock=self.clock,
            book=BookRecorder(Ledger(self.config.ledger_dir), book_id),
            broker=self.broker,
            market=self.market,
            notifier=self.notifier,
            artifacts_dir=self.config.artifacts_dir,
            state_dir=self.config.state_dir,
        )
        self._bars = sorted(
            (
                (stamp.to_pydatetime().astimezone(dt.UTC), str(symbol), row)
                for stamp, symbol, row in zip(
                    intraday["timestamp"], intraday["symbol"], intraday.itertuples(index=False), strict=True
                )
            ),
            key=lambda item: (item[0], item[1]),
        )
        self._fed = 0
        self.reports: list[CycleReport] = []
        self.fund()

    # ------------------------------------------------------------------ driving

    def fund(self, amount: Decimal = Decimal("100000")) -> None:
        movement = record_ids.cash_movement_id(
            book_id=self.book_id, date_ny=DAY, kind=CashMovementKind.DEPOSIT, amount=amount, reference="test"
        )
        if movement not in self.deps.book.state.movement_ids:
            self.deps.book.record(
                CashMovement(
                    book_id=self.book_id,
                    date_ny=DAY,
                    ts=self.clock.now(),
                    movement_id=movement,
                    kind=CashMovementKind.DEPOSIT,
                    amount=amount,
                )
            )

    def feed_until(self, moment: dt.datetime) -> None:
        """Feed the simulated broker every bar that has ended by ``moment`` (clock at each bar's end)."""
        if self.sim is None:
            return
        step = dt.timedelta(minutes=5)
        while self._fed < len(self._bars) and self._bars[self._fed][0] + step <= moment:
            start, symbol, row = self._bars[self._fed]
            if start + step > self.clock.now():
                self.clock.set(start + step)
            open_, high, low, close, volume = (float(row[index]) for index in range(2, 7))
            self.sim.on_bar(symbol, start, open_, high, low, close, volume, start + step)
            self._fed += 1

    def run_at(self, moment: dt.datetime) -> CycleReport:
        self.feed_until(moment)
        self.clock.set(moment)
        report = run_cycle(self.deps)
        self.reports.append(report)
        return report

    def run_every(self, first: dt.datetime, last: dt.datetime, minutes: int = 5) -> list[CycleReport]:
        """Cycles at ``first``, ``first + minutes`` … up to ``last`` (inclusive)."""
        reports, moment = [], first
        while moment <= last:
            reports.append(self.run_at(moment))
            moment += dt.timedelta(minutes=minutes)
        return reports

    def run_session(self, day: dt.date = DAY, first: dt.datetime | None = None) -> None:
        """One cycle at every 5-minute bar close of ``day`` (from ``first``), and one after the close."""
        for start in nyse().bar_starts(day, 5):
            end = start + dt.timedelta(minutes=5)
            if first is None or end >= first:
                self.run_at(end)
        self.run_at(nyse().session_close(day) + dt.timedelta(minutes=5))

    def enter(self, quantity: int, *, symbol: str = SYMBOL, stop: Decimal = INITIAL_STOP) -> TradeIntent:
        """Record an approved entry intent and send its market order now (what the entry half would do)."""
        facts = establish_facts(self.deps)
        book = self.book_id
        intent_id = record_ids.intent_id(
            book_id=book,
            strategy_id=STRATEGY,
            date_ny=facts.today,
            symbol=symbol,
            side=Side.BUY,
            setup="TEST",
        )
        intent = TradeIntent(
            **facts.stamp(book),
            strategy_id=STRATEGY,
            intent_id=intent_id,
            symbol=symbol,
            side=Side.BUY,
            quantity=quantity,
            entry_price=Decimal("100.00"),
            stop_price=stop,
            risk_per_share=Decimal("100.00") - stop,
            notional=Decimal("100.00") * quantity,
            setup="TEST",
            model_version="test",
            data_version="test",
        )
        decision = Decision(
            **facts.stamp(book),
            strategy_id=STRATEGY,
            decision_id=record_ids.decision_id(
                intent_id=intent_id,
                outcome=DecisionOutcome.APPROVE,
                approved_quantity=quantity,
                reason_codes=(),
            ),
            intent_id=intent_id,
            symbol=symbol,
            outcome=DecisionOutcome.APPROVE,
            approved_quantity=quantity,
        )
        self.deps.book.record(intent, decision)
        submit_entry(self.deps, facts, intent, decision)
        return intent

    def restart(self) -> None:
        """A new process: the book is rebuilt from the ledger files; broker, clock and market live on."""
        self.deps.book = BookRecorder(Ledger(self.config.ledger_dir), self.book_id)

    # ---------------------------------------------------------------- reading

    def records(self) -> list[Record]:
        return Ledger(self.config.ledger_dir).read_book(self.book_id)

    def alerts(self) -> list[str]:
        return [str(event.kind) for event in self.notifier.events]


def of_type(records: Iterable[Record], kind: type[Any]) -> list[Any]:
    return [record for record in records if isinstance(record, kind)]


def exit_kinds(records: Iterable[Record]) -> list[str]:
    return [str(record.kind) for record in of_type(records, ExitEvent)]


def stop_orders(records: Iterable[Record]) -> list[tuple[str, Decimal | None, int | None]]:
    """(client id, stop price, quantity) of every stop order the ledger submitted or replaced, in order."""
    found: list[tuple[str, Decimal | None, int | None]] = []
    for record in records:
        if isinstance(record, OrderSubmitted) and record.purpose == "STOP":
            found.append((record.client_order_id, record.stop_price, record.quantity))
        elif isinstance(record, OrderReplaced):
            found.append((record.new_client_order_id, record.new_price, None))
    return found


def assert_never_loosens(records: Sequence[Record]) -> None:
    """Per position, stop-setting events and stop order prices never go down (in ledger order)."""
    by_position: dict[str, list[Decimal]] = {}
    orders: dict[str, str] = {}
    for record in records:
        if isinstance(record, ExitEvent) and record.kind in STOP_SETTING_KINDS and record.stop_price:
            by_position.setdefault(record.position_id, []).append(record.stop_price)
        elif isinstance(record, OrderSubmitted) and record.purpose == "STOP" and record.stop_price:
            assert record.position_id is not None
            orders[record.client_order_id] = record.position_id
            by_position.setdefault(record.position_id, []).append(record.stop_price)
        elif isinstance(record, OrderReplaced) and record.client_order_id in orders:
            position = orders[record.new_client_order_id] = orders[record.client_order_id]
            by_position[position].append(record.new_price)
    for position, prices in by_position.items():
        assert prices == sorted(prices), f"{position}: the stop loosened: {prices}"


def assert_one_working_stop(scenario: StopScenario, quantity: int, price: Decimal | None = None) -> None:
    working = [order for order in scenario.broker.open_orders() if order.order_type == "STOP"]
    assert len(working) == 1, working
    assert working[0].remaining_quantity == quantity
    if price is not None:
        assert working[0].stop_price == price


# ------------------------------------------------------------------------------------ harness checks


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_the_bars_are_the_worked_example_then_a_climb() -> None:
    frame = intraday_frame({DAY: session_lows()})
    assert len(frame) == 78 and frame["low"].iloc[:14].tolist() == list(EXAMPLE_LOWS)
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()


def test_a_position_gets_its_entry_stop_then_ratchets_and_never_loosens(home: Path) -> None:
    scenario = StopScenario(home, intraday=intraday_frame({DAY: session_lows()}))
    scenario.run_at(ny(9, 55))
    scenario.enter(10)
    scenario.run_session(first=ny(10, 0))
    records = scenario.records()
    assert exit_kinds(records)[:4] == [
        "STOP_SKIPPED_TOO_EARLY",  # 10:00, the entry fill's cycle
        "STOP_SKIPPED_MIN_BARS",  # 10:05
        "STOP_RESOLVED",  # 10:10
        "STOP_SUBMITTED",
    ]
    assert exit_kinds(records).count("STOP_RATCHET") == exit_kinds(records).count("STOP_REPLACED") >= 2
    assert_never_loosens(records)
    position = scenario.deps.book.state.lots_of(SYMBOL)[0]
    assert_one_working_stop(scenario, 10, scenario.deps.book.exit_book().positions[SYMBOL].stop_price)
    assert position.quantity == 10 and "STOP_MISSING" not in scenario.alerts()
