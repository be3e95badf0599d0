"""Parity (D1) for PAPER_SIM: the exit simulator, run over the same bars with the same policy code, produces
exactly the exits the demo replay's ledger records — same exit price, same exit bar, same working stops.

A small synthetic market (40 symbols, daily history from 2025-08, 5-minute bars for the last two weeks) is
replayed for 5 sessions through the backtest engine's demo preset (:func:`avwap.demo.replay.demo_engine`:
the real cycle, simulated broker). The rules that make both agree by construction are in docs/STOPS.md
("Parity").
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from avwap.analytics.exit_metrics import exit_parity
from avwap.analytics.trades import CLOSED, Trade, reconstruct_trades
from avwap.backtest.engine import BacktestResult
from avwap.backtest.market import BAR_MINUTES, five_minute_bars
from avwap.cli.main import build_app
from avwap.data.store import BarStore
from avwap.data.synthetic import SyntheticMarketSpec, ensure_market
from avwap.demo.home import prepare_demo_home
from avwap.demo.replay import demo_config, demo_engine
from avwap.demo.report import trade_bars, write_report
from avwap.exits.bar_arrays import bar_arrays
from avwap.exits.rules import StopRules, stop_rules
from avwap.exits.simulator import OPEN, STOPPED, SimulatedEntry, SimulatedExit, simulate_intraday
from avwap.ledger.atomic import build_provenance
from avwap.ledger.records import OrderReplaced, OrderSubmitted, Record
from avwap.ledger.router import Ledger
from avwap.presentation.exit_report import charted_trade, exit_section, stop_steps
from avwap.strategies.registry import uses_daily_stops

SPEC = SyntheticMarketSpec(
    seed=7, symbols=40, daily_start=dt.date(2025, 8, 1), intraday_start=dt.date(2026, 11, 16)
)
SESSIONS = 5


@dataclass(frozen=True)
class Replayed:
    trades: list[Trade]
    simulated: dict[str, SimulatedExit]
    records: list[Record]
    home: Path
    result: BacktestResult


def simulate(trade: Trade, intraday: pd.DataFrame, daily: pd.DataFrame, rules: StopRules) -> SimulatedExit:
    entry = SimulatedEntry(
        trade.position_id, trade.symbol, trade.entry_time, trade.entry_price, trade.entry_quantity,
        trade.initial_stop,
    )  # fmt: skip
    return simulate_intraday(
        entry,
        bar_arrays(intraday, trade.symbol),
        bar_arrays(daily, trade.symbol),
        rules,
        daily_stops=uses_daily_stops(trade.strategy_id),  # S2_AVWAP_SWING keeps daily stops intraday too
    )


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    home = prepare_demo_home(tmp_path_factory.mktemp("parity") / "home")
    config = demo_config({}, home)
    ensure_market(SPEC, config.data_dir)
    result = demo_engine(config, config.data_dir, SESSIONS).run()
    records = Ledger(config.ledger_dir).read_book("PAPER_SIM")
    store = BarStore(config.data_dir)
    intraday, daily = five_minute_bars(store), store.read("1d")
    rules = stop_rules(config)
    trades = reconstruct_trades(records)
    simulated = {trade.position_id: simulate(trade, intraday, daily, rules) for trade in trades}
    return Replayed(trades, simulated, records, home, result)


def working_stops(records: list[Record]) -> dict[str, list[tuple[dt.datetime, Decimal]]]:
    """Per position: (instant, stop price) each time the ledger's broker stop was set or moved."""
    owner: dict[str, str] = {}
    stops: dict[str, list[tuple[dt.datetime, Decimal]]] = {}
    for record in records:
        if isinstance(record, OrderSubmitted) and record.purpose == "STOP" and record.position_id:
            assert record.stop_price is not None
            owner[record.client_order_id] = record.position_id
            stops.setdefault(record.position_id, []).append((record.ts, record.stop_price))
        elif isinstance(record, OrderReplaced) and record.client_order_id in owner:
            owner[record.new_client_order_id] = position = owner[record.client_order_id]
            stops[position].append((record.ts, record.new_price))
    return stops


def divergences(
    trade: Trade, simulated: SimulatedExit, stops: list[tuple[dt.datetime, Decimal]]
) -> list[str]:
    """Every way the real and simulated exits of one position differ, each with its cause."""
    found = []
    real = trade.status == CLOSED
    if real != (simulated.outcome == STOPPED):
        found.append(f"outcome: ledger {trade.status}, simulator {simulated.outcome}")
    if real and simulated.outcome == STOPPED:
        if trade.exit_price != simulated.exit_price:
            found.append(f"exit price: ledger {trade.exit_price}, simulator {simulated.exit_price}")
        if trade.exit_time != simulated.exit_bar_end:
            found.append(
                f"exit bar: ledger fill at {trade.exit_time}, simulated bar ends {simulated.exit_bar_end}"
            )
        if trade.exit_reason != "STOP":
            found.append(f"exit reason: ledger {trade.exit_reason}")
    simulated_stops = [(revision.at, revision.stop) for revision in simulated.revisions]
    if stops != simulated_stops:
        found.append(f"working stops: ledger {stops}, simulator {simulated_stops}")
    return [f"{trade.symbol} {trade.position_id}: {item}" for item in found]


def test_the_replay_trades_enough_to_compare(replayed: Replayed) -> None:
    closed = [trade for trade in replayed.trades if trade.status == CLOSED]
    assert len(closed) >= 15
    assert any(trade.stop_revisions >= 1 for trade in closed)  # stops ratcheted, not just initial stops
    assert any(trade.exit_date_ny != trade.entry_date_ny for trade in closed)  # held overnight


def test_simulated_exits_equal_the_ledgers_exits_exactly(replayed: Replayed) -> None:
    stops = working_stops(replayed.records)
    problems = [
        problem
        for trade in replayed.trades
        for problem in divergences(
            trade, replayed.simulated[trade.position_id], stops.get(trade.position_id, [])
        )
    ]
    assert problems == [], "\n".join(problems)
    assert all(
        replayed.simulated[t.position_id].outcome == OPEN for t in replayed.trades if t.status != CLOSED
    )


def test_exit_parity_reports_no_divergence_without_any_tolerance(replayed: Replayed) -> None:
    report = exit_parity(replayed.trades, list(replayed.simulated.values()))
    assert report.ok, report.divergences
    assert report.compared == report.matched == len(replayed.trades)


def test_the_exit_section_shows_every_closed_trade_and_a_day_of_stop_steps(replayed: Replayed) -> None:
    market = replayed.result.market
    assert market is not None
    bars = trade_bars(market, replayed.trades, replayed.result.sessions)
    section = exit_section(replayed.trades, replayed.records, bars, BAR_MINUTES)
    (table,) = section.tables
    closed = [trade for trade in replayed.trades if trade.status == CLOSED]
    assert len(table.rows) == len(closed)
    assert sorted(row[-1] for row in table.rows) == sorted(str(trade.net_pnl) for trade in closed)
    chosen = charted_trade(replayed.trades)
    assert chosen is not None and chosen.exit_date_ny == chosen.entry_date_ny and chosen.stop_revisions >= 1
    (chart,) = section.charts
    steps = [float(price) for _, price in stop_steps(replayed.records, chosen.position_id)]
    drawn = [value for value in chart.lines[0].values if value is not None]
    assert sorted(set(drawn)) == sorted(set(steps)) and drawn == sorted(drawn)  # every step, never down
    assert [marker.label.split()[0] for marker in chart.markers] == ["buy", "exit"]
    assert chart.markers[-1].price == float(chosen.exit_price or 0)
    assert len(chart.labels) == 78 and chart.candles is not None


def test_exits_report_and_simulate_work_against_the_replay_home(replayed: Replayed) -> None:
    first, last = replayed.result.sessions[0].isoformat(), replayed.result.sessions[-1].isoformat()
    span = ["--from", first, "--to", last, "--home", str(replayed.home)]
    runner = CliRunner()
    report = runner.invoke(build_app(), ["exits", "report", *span, "--json"])
    assert report.exit_code == 0, report.output
    closed = [trade for trade in replayed.trades if trade.status == CLOSED]
    data = json.loads(report.output)
    assert data["summary"]["trades"] == len(data["trades"]) == len(closed)
    assert {row["position_id"] for row in data["trades"]} == {trade.position_id for trade in closed}
    simulate_run = runner.invoke(build_app(), ["exits", "simulate", *span, "--json"])
    assert simulate_run.exit_code == 0, simulate_run.output
    assert json.loads(simulate_run.output)["ok"] is True


def test_the_demo_report_carries_the_exit_section_byte_stably(replayed: Replayed, tmp_path: Path) -> None:
    provenance = build_provenance("0" * 64, "1" * 64, replayed.result.sessions[-1])
    first = write_report(tmp_path / "a.html", replayed.result, replayed.records, "meta", provenance)
    second = write_report(tmp_path / "b.html", replayed.result, replayed.records, "meta", provenance)
    html = first.read_text(encoding="utf-8")
    assert first.read_bytes() == second.read_bytes()
    exits = html[html.index("<h2>Exits: stops and exit quality</h2>") :]
    assert "Exit quality per trade" in exits and exits.count("<svg") == 1 and "stop in force" in exits
