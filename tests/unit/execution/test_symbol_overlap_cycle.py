"""Two strategies in one symbol, cycle by cycle on the simulated broker (issue 11, S2_ALLOW_SYMBOL_OVERLAP=1).

A test strategy ``T_LOT`` enters AAA at 09:45 (stop $49.00); S1 confirms its breakout-and-hold on AAA at 10:10
and, with the flag on, opens its own lot beside T_LOT's (stop from S1's intraday policy, $48.40). Each lot
gets its own broker stop order sized to its own quantity; the broker's netted position is their sum. A
process killed while the second lot's stop is being placed (before it is sent, or after the broker took it
but before the ledger heard back) converges on restart to the uninterrupted run: one stop order per lot,
never a duplicate, nothing missing. Without the flag, the second strategy never enters a held symbol.
"""

from __future__ import annotations

import collections
import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.integration.crash_driver import DAY, SimScenario, dependencies, write_watchlist
from tests.integration.test_crash_recovery import assert_lifecycle_complete
from tests.unit.strategies.test_strategy_plugin import TINY_MODULE

from avwap.core.calendar import NEW_YORK
from avwap.execution import hooks
from avwap.execution.broker import OrderType
from avwap.execution.hooks import HookAt
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.projection import fold_book, state_bytes
from avwap.ledger.record_enums import OrderPurpose
from avwap.ledger.records import Alert, OrderSubmitted, Record
from avwap.ledger.router import Ledger
from avwap.strategies import registry

S1, LOT = "S1_AVWAP_CORE", "T_LOT"
START = dt.datetime.combine(DAY, dt.time(9, 45), NEW_YORK).astimezone(dt.UTC)
CYCLES = 16  # every 5 minutes, 09:45 to 11:00
WIDE = {
    "MAX_NOTIONAL_PER_SYMBOL": "100000",
    "MAX_GROSS_EXPOSURE": "1000000",
    "MAX_RISK_PER_TRADE": "100",
    "MAX_RISK_PER_TRADE_PCT": "100",
    "STARTING_CASH": "100000",
}


@pytest.fixture
def lot_strategy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A registered test strategy that wants AAA at $50.50 with a $49.00 stop (intraday stop policy)."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    source = TINY_MODULE.replace("T_TINY", LOT)
    source = source.replace('Decimal("10.00")', 'Decimal("50.50")').replace(
        'Decimal("9.50")', 'Decimal("49.00")'
    )
    (folder / "overlap_lot_strategy.py").write_text(source)
    monkeypatch.delitem(sys.modules, "overlap_lot_strategy", raising=False)
    monkeypatch.setitem(registry.REGISTRY, LOT, "overlap_lot_strategy")
    monkeypatch.syspath_prepend(str(folder))
    return LOT


class Killed(BaseException):
    """The in-process stand-in for SIGKILL: nothing of the cycle after the hook point runs."""


def _kill(detail: dict[str, Any]) -> None:
    raise Killed(detail["client_order_id"])


def scenario(home: Path, overlap: bool) -> SimScenario:
    environ = {
        **WIDE,
        "ENABLED_STRATEGIES": f"{LOT},{S1}",
        "S2_ALLOW_SYMBOL_OVERLAP": "1" if overlap else "0",
    }
    result = SimScenario(home, symbols=("AAA",), environ=environ)
    write_watchlist(home / "artifacts", ("AAA",))
    return result


def restart(run: SimScenario, hook: HookAt | None = None) -> None:
    """A fresh process: the book is rebuilt from the ledger; the broker (its orders, positions) lives on."""
    if hook is None:
        run.deps = dependencies(run.config, run.clock, run.broker, book_id=PAPER_SIM, market_data=run.market)
    else:
        run.deps = dependencies(
            run.config, run.clock, run.broker, book_id=PAPER_SIM, market_data=run.market, hooks=hook
        )


def run_day(run: SimScenario, crash: tuple[str, dt.datetime] | None = None) -> str:
    """The day's cycles; ``crash`` = (point, moment): the cycle at ``moment`` is killed at the first stop
    order reaching ``point``, then the process restarts and runs it again. Returns the killed order's id."""
    killed = ""
    for index in range(CYCLES):
        moment = START + dt.timedelta(minutes=5 * index)
        if crash is not None and crash[1] == moment:
            restart(run, HookAt(crash[0], _kill, purpose=OrderPurpose.STOP, symbol="AAA"))
            with pytest.raises(Killed) as kill:
                run.run_at(moment)
            killed = str(kill.value)
            restart(run)
        run.run_at(moment)
    return killed


def stops_at_broker(run: SimScenario) -> dict[str, tuple[int, Decimal | None]]:
    return {
        order.client_order_id: (order.remaining_quantity, order.stop_price)
        for order in run.broker.open_orders()
        if order.order_type == OrderType.STOP
    }


def _submitted(records: list[Record]) -> collections.Counter[str]:
    return collections.Counter(r.client_order_id for r in records if isinstance(r, OrderSubmitted))


def test_two_lots_of_one_symbol_each_with_its_own_stop(home: Path, lot_strategy: str) -> None:
    run = scenario(home, overlap=True)
    run_day(run)
    state = run.deps.book.state
    lots = {lot.strategy_id: lot for lot in state.lots_of("AAA")}
    assert set(lots) == {LOT, S1}
    assert lots[LOT].stop_price == Decimal("49.00") and lots[S1].stop_price == Decimal("48.40")
    held = {position.symbol: position.quantity for position in run.broker.positions()}
    assert held == {"AAA": lots[LOT].quantity + lots[S1].quantity} == state.symbol_quantities()
    working = {
        order.position_id: (order.client_order_id, order.quantity, order.stop_price)
        for order in state.open_orders.values()
        if order.purpose == OrderPurpose.STOP
    }
    assert {key: (quantity, stop) for key, (_, quantity, stop) in working.items()} == {
        lot.position_id: (lot.quantity, lot.stop_price) for lot in lots.values()
    }
    assert stops_at_broker(run) == {client: (quantity, stop) for client, quantity, stop in working.values()}
    records = run.records()
    assert not [r for r in records if isinstance(r, Alert) and r.code == "RECONCILIATION_DRIFT"]
    assert set(_submitted(records).values()) == {1}


def test_without_the_flag_the_second_strategy_never_enters_a_held_symbol(
    home: Path, lot_strategy: str
) -> None:
    run = scenario(home, overlap=False)
    run_day(run)
    assert [lot.strategy_id for lot in run.deps.book.state.lots_of("AAA")] == [LOT]
    entries = [r for r in run.records() if isinstance(r, OrderSubmitted) and r.purpose == OrderPurpose.ENTRY]
    assert [r.strategy_id for r in entries] == [LOT]


@pytest.mark.parametrize(
    "point", [hooks.DURING_STOP_SUBMISSION, hooks.AFTER_SUBMIT_BEFORE_ACK_WRITE, hooks.AFTER_ACK_WRITE]
)
def test_a_kill_while_the_second_lot_is_protected_converges(
    tmp_path: Path, lot_strategy: str, point: str
) -> None:
    reference = scenario(tmp_path / "reference", overlap=True)
    run_day(reference)
    reference_records = reference.records()
    s1_stop = next(
        r
        for r in reference_records
        if isinstance(r, OrderSubmitted) and r.purpose == "STOP" and r.strategy_id == S1
    )
    crashed = scenario(tmp_path / "crashed", overlap=True)
    assert run_day(crashed, (point, s1_stop.ts)) == s1_stop.client_order_id  # the second lot's stop
    records = crashed.records()
    assert_lifecycle_complete(records)
    assert set(_submitted(records).values()) == {1}, "a stop order was recorded twice"
    assert _submitted(records) == _submitted(reference_records)
    assert stops_at_broker(crashed) == stops_at_broker(reference)  # one stop per lot at the broker
    assert len(stops_at_broker(crashed)) == 2
    assert state_bytes(fold_book(records, PAPER_SIM)) == state_bytes(fold_book(reference_records, PAPER_SIM))
    assert Ledger(crashed.config.ledger_dir).read_book(PAPER_SIM) == records
