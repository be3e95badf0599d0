"""``avwap decommission close-positions``: open positions closed as MARKET exits through the one exit path
(:mod:`avwap.execution.exit_orders`), on the simulated broker (PAPER_SIM) and on the Alpaca adapter against
the fake Alpaca server; DRY_RUN lists and sends nothing; refused while the execution loop runs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fakes.alpaca_server import running_fake_alpaca
from tests.integration.test_stops_alpaca import AlpacaStops
from tests.integration.test_stops_harness import (
    DAY,
    SYMBOL,
    StopScenario,
    intraday_frame,
    ny,
    of_type,
    session_lows,
)
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.core.clock import SimulatedClock
from avwap.core.process_lock import hold_execute_lock
from avwap.execution.cycle import establish_facts
from avwap.execution.exit_orders import DECOMMISSION_CLOSE, close_positions
from avwap.ledger.record_enums import OrderPurpose, OrderType, Side
from avwap.ledger.records import Note, OrderCanceled, OrderSubmitted, PositionClosed, Record


def closing_records(records: list[Record]) -> tuple[Note, OrderCanceled, OrderSubmitted]:
    (note,) = [item for item in of_type(records, Note) if item.code == DECOMMISSION_CLOSE]
    (canceled,) = of_type(records, OrderCanceled)
    (exit_order,) = [item for item in of_type(records, OrderSubmitted) if item.purpose == OrderPurpose.EXIT]
    return note, canceled, exit_order


def test_paper_sim_positions_close_as_market_exits_and_the_cycle_records_the_fill(home: Path) -> None:
    scenario = StopScenario(home, intraday=intraday_frame({DAY: session_lows()}))
    scenario.run_at(ny(9, 55))
    scenario.enter(10)
    scenario.run_every(ny(10, 0), ny(10, 25))
    stop = next(order for order in scenario.deps.book.state.open_orders.values() if order.purpose == "STOP")
    scenario.clock.set(ny(10, 27))
    facts = establish_facts(scenario.deps)
    sent = close_positions(scenario.deps, facts, scenario.broker, reason="wind down")
    assert len(sent) == 1
    # a second call while the exit is working sends nothing more
    assert (
        close_positions(scenario.deps, establish_facts(scenario.deps), scenario.broker, reason="again") == []
    )
    note, canceled, exit_order = closing_records(scenario.records())
    assert note.symbol == SYMBOL and note.detail["reason"] == "wind down"
    assert note.detail["client_order_id"] == exit_order.client_order_id == sent[0]
    assert canceled.client_order_id == stop.client_order_id
    assert (exit_order.side, exit_order.order_type, exit_order.quantity) == (Side.SELL, OrderType.MARKET, 10)
    scenario.run_every(ny(10, 30), ny(10, 40))  # the next bar fills it; the cycle records the close
    (closed,) = of_type(scenario.records(), PositionClosed)
    assert closed.symbol == SYMBOL
    assert scenario.deps.book.state.positions == {} and scenario.deps.book.state.open_orders == {}


@pytest.fixture
def alpaca(tmp_path: Path) -> Iterator[AlpacaStops]:
    clock = SimulatedClock(ny(9, 0))
    with running_fake_alpaca(clock) as fake:
        fake.set_price(SYMBOL, "100.00")
        stops = AlpacaStops(tmp_path / "home", fake, clock)
        try:
            yield stops
        finally:
            stops.adapter.close()


def test_alpaca_positions_close_through_the_real_adapter(alpaca: AlpacaStops) -> None:
    alpaca.open_with_stop()
    scenario = alpaca.scenario
    scenario.clock.set(ny(10, 27))
    (client_id,) = close_positions(scenario.deps, establish_facts(scenario.deps), scenario.broker, reason="x")
    # the fake saw the stop canceled and a market sell of the whole position
    assert alpaca.adapter.open_orders()[0].client_order_id == client_id
    assert [order.order_type for order in alpaca.adapter.open_orders()] == [OrderType.MARKET]
    alpaca.fake.fill_order(client_id, 10, "99.50")
    scenario.run_at(ny(10, 30))
    (closed,) = of_type(scenario.records(), PositionClosed)
    assert closed.symbol == SYMBOL and scenario.deps.book.state.positions == {}
    alpaca.ledger_consistent()


@pytest.fixture
def demo_copy(demo_home_once: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(demo_home_once, copy)
    return copy


def ledger_bytes(home: Path) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in sorted((home / "ledger").rglob("*")) if path.is_file()}


def test_dry_run_lists_the_exits_and_records_nothing(demo_copy: Path) -> None:
    before = ledger_bytes(demo_copy)
    environment = {"AVWAP_HOME": str(demo_copy)}
    app = build_app()
    listed = CliRunner().invoke(
        app, ["decommission", "close-positions", "--book", "PAPER_SIM", "--json"], env=environment
    )
    assert listed.exit_code == 0, listed.output
    outcome = json.loads(listed.stdout)
    assert outcome["sent"] is False and outcome["client_order_ids"] == [] and outcome["mode"] == "DRY_RUN"
    from avwap.core.config import load_config
    from avwap.jobs.decommission import open_items

    expected = open_items(load_config({}, home=demo_copy), "PAPER_SIM")
    assert expected and [item["symbol"] for item in outcome["positions"]] == [
        item.symbol for item in expected
    ]
    text = CliRunner().invoke(
        app, ["decommission", "close-positions", "--book", "PAPER_SIM", "--dry-run"], env=environment
    )
    assert text.exit_code == 0 and "would be sent; nothing sent" in text.output
    assert "kill switch is OFF" in text.output
    status = CliRunner().invoke(app, ["decommission", "status", "--json"], env=environment)
    assert status.exit_code == 1 and json.loads(status.stdout)["positions"]  # open positions: not done
    assert ledger_bytes(demo_copy) == before


def test_close_positions_is_refused_while_the_execution_loop_runs(demo_copy: Path) -> None:
    with hold_execute_lock(demo_copy / "state", "avwap execute pid 77"):
        result = CliRunner().invoke(
            build_app(),
            ["decommission", "close-positions", "--book", "PAPER_SIM"],
            env={"AVWAP_HOME": str(demo_copy)},
        )
    assert result.exit_code == 3 and "avwap execute pid 77" in result.output


def test_the_command_closes_an_alpaca_paper_book_against_the_fake_server(alpaca: AlpacaStops) -> None:
    """End to end: `avwap decommission close-positions` in ALPACA_PAPER builds the execution plane's
    Alpaca broker (alpaca-py against the fake), synchronizes, and sends the exit."""
    from tests.fakes.alpaca_server import API_KEY, SECRET_KEY

    alpaca.open_with_stop()
    scenario = alpaca.scenario
    scenario.clock.set(ny(10, 27))
    environment = {
        "AVWAP_HOME": str(scenario.config.home),
        "EXECUTION_MODE": "ALPACA_PAPER",
        "DRY_RUN": "0",
        "ALPACA_API_KEY": API_KEY,
        "ALPACA_SECRET_KEY": SECRET_KEY,
        "ALPACA_TRADING_URL": alpaca.fake.url,
    }
    result = CliRunner().invoke(build_app(), ["decommission", "close-positions", "--json"], env=environment)
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert (
        outcome["sent"] is True and outcome["book_id"] == "ALPACA_PAPER" and outcome["mode"] == "ALPACA_PAPER"
    )
    (client_id,) = outcome["client_order_ids"]
    assert [order.client_order_id for order in alpaca.adapter.open_orders()] == [client_id]
    scenario.restart()  # the command wrote the ledger from its own process state
    note, _, exit_order = closing_records(scenario.records())
    assert exit_order.client_order_id == client_id and note.code == DECOMMISSION_CLOSE
