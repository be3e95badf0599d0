"""Session parity: one full session through ``avwap execute`` in ALPACA_PAPER, against the fake Alpaca
trading and market-data servers, trades exactly like the same session in PAPER_SIM.

The session is 2026-11-25 of a small synthetic market (40 symbols): five entries, three stop exits, stops
ratcheted several times. Both books start from the same candidates artifact and $100,000 and run the demo's
configuration: S1_AVWAP_CORE and S2_AVWAP_SWING in their sleeves (S1 takes the five entries, one symbol both
want is resolved by priority, S2's one intent is rejected by the day's entry cap).

* PAPER_SIM: the demo (the backtest engine's demo preset, :func:`avwap.demo.replay.demo_engine`), the
  simulated broker fed bar by bar.
* ALPACA_PAPER: what ``avwap execute --loop`` assembles (:func:`avwap.cli.execute_command.assemble`: Alpaca
  broker, bar store refreshed each cycle through alpaca-py), run by the loop every 300 seconds of a simulated
  clock from 09:35 to 16:05. The bar store starts with the daily history only (what the nightly sync
  leaves); every intraday bar of the session arrives through the loop's own refresh from the fake data
  server, which serves only bars closed by the simulated now. The fake trading server fills orders with
  the simulator's own fill rules (:class:`avwap.execution.fill_model.FillModel`) as each bar closes.

Compared: every fill (symbol, side, quantity, price, time), every decision (symbol, outcome, quantity,
reasons), every trade (entry and exit price, quantity, time, exit reason, initial and final stop) and every
working stop set or moved (time, price). No divergence is tolerated; ids (which name the book) are not
compared.

A second ALPACA_PAPER run of the same session takes a 30-minute data-feed outage (HTTP 500 from 10:30 to
11:00): every cycle runs, each failed refresh is noted and alerted, symbols are stale (no entries) once their
newest bar is 15 minutes old, and the store catches up without a gap when the feed returns.

Where the fake trading server still differs from the simulated broker (none of it is exercised here, so
parity is exact; a session that hits one would diverge for that reason): the fake never expires DAY orders at
the close (avwap's entries are market orders filled on the next bar, its stops are GTC); it reserves buying
power for a working market buy at the symbol's current price, the simulator at the price when the order was
placed; it charges no commission (the demo's fill model charges none either).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.fakes.alpaca_data_server import FakeAlpacaData, Fault, running_fake_alpaca_data
from tests.fakes.alpaca_server import API_KEY, SECRET_KEY, FakeAlpaca, running_fake_alpaca

from avwap.analytics.trades import reconstruct_trades
from avwap.cli.execute_command import assemble
from avwap.control.reasons import INTRADAY_DATA_STALE
from avwap.core.calendar import NEW_YORK, nyse
from avwap.core.clock import SimulatedClock
from avwap.core.config import Config, load_config
from avwap.core.execution_mode import ExecutionMode
from avwap.core.money import to_decimal
from avwap.data.store import BarStore
from avwap.data.synthetic import SyntheticMarketSpec, ensure_market
from avwap.demo.home import prepare_demo_home
from avwap.demo.replay import DEMO_DEFAULTS, demo_config, demo_engine
from avwap.execution.cycle import CycleReport
from avwap.execution.fill_model import SimBar
from avwap.execution.runner import Assembly, LoopSettings, Runner, StopFlag
from avwap.execution.watched import watched_symbols
from avwap.integrations.slack.messages import AlertEvent
from avwap.integrations.slack.notifier import RecordingNotifier
from avwap.ledger.paths import ALPACA_PAPER, PAPER_SIM
from avwap.ledger.records import Decision, Fill, OrderReplaced, OrderSubmitted, Record
from avwap.ledger.router import Ledger
from avwap.ledger.verify import verify_path
from avwap.watchlist.artifact import candidates_path, read_candidates

DAY = dt.date(2026, 11, 25)
SPEC = SyntheticMarketSpec(
    seed=7, symbols=40, daily_start=dt.date(2025, 8, 1), daily_end=DAY, intraday_start=dt.date(2026, 11, 11)
)
STEP = dt.timedelta(minutes=5)
CYCLES = 79  # 09:35 .. 16:00 (one per 5-minute bar) and 16:05, like the replay


@dataclass(frozen=True)
class AlpacaRun:
    records: list[Record]
    reports: list[CycleReport]
    data_requests: int
    alerts: list[AlertEvent]
    home: Path


@dataclass(frozen=True)
class Session:
    paper_sim: list[Record]
    alpaca_paper: list[Record]
    reports: list[CycleReport]
    data_requests: int


class BarFeeder:
    """The loop's sleeper: moves the simulated clock, then hands every bar that has just closed to the fake
    trading server (for the symbols the book watches, as the replay does for its simulated broker)."""

    def __init__(
        self, clock: SimulatedClock, trading: FakeAlpaca, data: FakeAlpacaData, intraday: pd.DataFrame
    ) -> None:
        self.clock = clock
        self.trading = trading
        self.data = data
        self.outage: tuple[dt.datetime, dt.datetime] | None = (
            None  # the data feed answers 500 in [start, end)
        )
        self.bars = sorted(intraday.groupby("timestamp"), key=lambda item: item[0])
        self.fed = 0
        self.assembly: Assembly | None = None
        self.candidates: tuple[str, ...] = ()

    def watched(self) -> tuple[str, ...]:
        deps = None if self.assembly is None else self.assembly.current
        return self.candidates if deps is None else watched_symbols(self.candidates, deps.book.state)

    def feed(self) -> None:
        while self.fed < len(self.bars):
            start, frame = self.bars[self.fed]
            begin = start.to_pydatetime().astimezone(dt.UTC)
            if begin + STEP > self.clock.now():
                return
            for row in frame.loc[frame["symbol"].isin(self.watched())].itertuples(index=False):
                prices = [
                    to_decimal(float(value)).normalize() for value in (row.open, row.high, row.low, row.close)
                ]
                self.trading.on_bar(
                    SimBar(str(row.symbol), begin, begin + STEP, *prices, to_decimal(float(row.volume)))
                )
            self.fed += 1

    def sleep(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.feed()
        self.data.faults.clear()
        if self.outage is not None and self.outage[0] <= self.clock.now() < self.outage[1]:
            self.data.queue_fault(Fault.server_error())  # this cycle's refresh fails


def paper_sim(root: Path) -> tuple[Config, list[Record]]:
    home = prepare_demo_home(root / "paper_sim")
    config = demo_config({}, home)
    ensure_market(SPEC, config.data_dir)
    replay = demo_engine(config, config.data_dir, 1)
    assert replay.sessions == [DAY]
    replay.run()
    return config, Ledger(config.ledger_dir).read_book(PAPER_SIM)


def alpaca_config(home: Path, trading: FakeAlpaca, data: FakeAlpacaData) -> Config:
    caps = {attribute: value for _, (attribute, value) in DEMO_DEFAULTS.items()}  # the demo's caps
    return load_config(
        {},
        home=home,
        execution_mode=ExecutionMode.ALPACA_PAPER,
        alpaca_api_key=API_KEY,
        alpaca_secret_key=SECRET_KEY,
        alpaca_trading_url=trading.url,
        alpaca_data_url=data.url,
        alpaca_data_feed="iex",
        **caps,
    )


def alpaca_paper(root: Path, sim: Config, outage: tuple[dt.datetime, dt.datetime] | None = None) -> AlpacaRun:
    source = BarStore(sim.data_dir)
    daily, intraday = (
        source.read("1d", end=nyse().previous_session(DAY)),
        source.read("5m", start=DAY, end=DAY),
    )
    clock = SimulatedClock(nyse().session_open(DAY) + STEP)
    with (
        running_fake_alpaca(clock, starting_cash=sim.starting_cash) as trading,
        running_fake_alpaca_data(clock=clock, keys=(API_KEY, SECRET_KEY)) as data,
    ):
        data.add_frame(intraday, timeframe="5Min")
        config = alpaca_config(root / ("alpaca_outage" if outage else "alpaca_paper"), trading, data)
        BarStore(config.data_dir).write(daily, "1d")  # the nightly sync's work; no intraday bar of today
        artifact = candidates_path(config.artifacts_dir, DAY)
        artifact.parent.mkdir(parents=True)
        shutil.copyfile(candidates_path(sim.artifacts_dir, DAY), artifact)
        feeder = BarFeeder(clock, trading, data, intraday)
        feeder.outage = outage
        feeder.candidates = tuple(
            item.symbol for item in read_candidates(config.artifacts_dir, DAY).candidates
        )
        notifier = RecordingNotifier()
        feeder.assembly = assemble(config, clock, notifier)
        feeder.feed()  # the 09:30 bar has closed: the first cycle runs at 09:35
        reports: list[CycleReport] = []
        settings = LoopSettings(poll_seconds=300, max_cycles=CYCLES)
        outcome = Runner(
            feeder.assembly, settings, sleeper=feeder, stop=StopFlag(), on_report=reports.append
        ).run()
        assert (outcome.cycles, outcome.failed_cycles, outcome.error) == (CYCLES, 0, None)
        records = Ledger(config.ledger_dir).read_book(ALPACA_PAPER)
        return AlpacaRun(records, reports, data.request_count(), list(notifier.events), config.home)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Config, list[Record]]:
    root = tmp_path_factory.mktemp("session")
    sim_config, sim_records = paper_sim(root)
    return root, sim_config, sim_records


@pytest.fixture(scope="module")
def session(simulated: tuple[Path, Config, list[Record]]) -> Iterator[Session]:
    root, sim_config, sim_records = simulated
    run = alpaca_paper(root, sim_config)
    yield Session(sim_records, run.records, run.reports, run.data_requests)


def fills(records: list[Record]) -> list[tuple[Any, ...]]:
    return sorted(
        (item.ts, item.symbol, str(item.side), item.quantity, item.price)
        for item in records
        if isinstance(item, Fill)
    )


def decided(records: list[Record]) -> list[tuple[Any, ...]]:
    return [
        (item.ts, item.symbol, str(item.outcome), item.approved_quantity, item.reason_codes)
        for item in records
        if isinstance(item, Decision)
    ]


def trades(records: list[Record]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            trade.symbol,
            trade.status,
            trade.entry_time,
            trade.entry_quantity,
            trade.entry_price,
            trade.exit_time,
            trade.exit_quantity,
            trade.exit_price,
            trade.exit_reason,
            trade.initial_stop,
            trade.final_stop,
            trade.stop_revisions,
        )
        for trade in reconstruct_trades(records)
    )


def stops(records: list[Record]) -> list[tuple[dt.datetime, str, Decimal | None]]:
    """Every protective stop set (submitted) or moved (replaced): when, on what, at which price."""
    symbols: dict[str, str] = {}
    found = []
    for item in records:
        if isinstance(item, OrderSubmitted) and str(item.purpose) == "STOP":
            symbols[item.client_order_id] = item.symbol
            found.append((item.ts, item.symbol, item.stop_price))
        elif isinstance(item, OrderReplaced) and item.client_order_id in symbols:
            symbols[item.new_client_order_id] = symbols[item.client_order_id]
            found.append((item.ts, symbols[item.client_order_id], item.new_price))
    return found


def test_the_session_trades_enough_to_compare(session: Session) -> None:
    closed = [trade for trade in trades(session.paper_sim) if trade[1] == "CLOSED"]
    assert len(trades(session.paper_sim)) >= 4 and len(closed) >= 2
    assert len(stops(session.paper_sim)) > len(trades(session.paper_sim))  # stops were also moved


def test_alpaca_paper_trades_exactly_like_paper_sim(session: Session) -> None:
    assert fills(session.alpaca_paper) == fills(session.paper_sim)
    assert decided(session.alpaca_paper) == decided(session.paper_sim)
    assert trades(session.alpaca_paper) == trades(session.paper_sim)
    assert stops(session.alpaca_paper) == stops(session.paper_sim)


def test_the_loop_saw_the_session_only_through_its_own_refresh(session: Session) -> None:
    stale = [
        event for report in session.reports for event in report.events if event.kind == "intraday_data_stale"
    ]
    problems = [
        event
        for report in session.reports
        for event in report.events
        if event.kind == "market_data_unavailable"
    ]
    assert stale == [] and problems == []
    assert 78 <= session.data_requests <= 2 * CYCLES  # about one incremental request per closed bar


def ny(hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), NEW_YORK).astimezone(dt.UTC)


def test_a_feed_outage_is_alerted_blocks_entries_on_stale_symbols_and_the_loop_catches_up(
    simulated: tuple[Path, Config, list[Record]],
) -> None:
    root, sim_config, _ = simulated
    run = alpaca_paper(root, sim_config, outage=(ny(10, 30), ny(11, 0)))  # asserts 79 cycles, none failed

    def when(kind: str) -> list[dt.datetime]:
        return [report.now for report in run.reports if any(e.kind == kind for e in report.events)]

    assert when("market_data_unavailable") == [ny(10, 30) + k * STEP for k in range(6)]
    # The last bar stored before the outage ended at 10:25: stale once more than 15 minutes old.
    assert when("intraday_data_stale") == [ny(10, 45), ny(10, 50), ny(10, 55)]
    stale_cycles = {ny(10, 45), ny(10, 50), ny(10, 55)}
    assert not [item for item in run.records if isinstance(item, Decision) and item.ts in stale_cycles]
    titles = [event.title for event in run.alerts]
    assert any(title.startswith("market data unavailable: BrokerUnavailableError") for title in titles)
    assert any(INTRADAY_DATA_STALE in event.reason_codes for event in run.alerts)
    # Caught up: every watched symbol has the whole session in the store, without a gap.
    bars = BarStore(run.home / "data").read("5m", start=DAY, end=DAY)
    assert set(bars.groupby("symbol").size()) == {78}
    assert all(report.ok for report in verify_path(run.home / "ledger"))
