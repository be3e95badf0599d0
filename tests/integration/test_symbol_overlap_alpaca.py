"""Two strategies in one symbol through the live cycle and the real alpaca-py SDK (issue 11), against the fake
Alpaca on 127.0.0.1: each lot gets its own sell stop at the broker, sized to the lot (Alpaca takes several
sell orders of one symbol while their total is at most the position); the broker's one netted position is
reconciled with the lots' sum every cycle; when one lot's stop fills, the fill is that lot's and the other
lot, its quantity and its stop order, are untouched."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from tests.fakes.alpaca_server import FakeAlpaca, running_fake_alpaca
from tests.integration.crash_driver import API_KEY, DAY, SECRET_KEY, dependencies, write_watchlist
from tests.unit.strategies.test_strategy_plugin import TINY_MODULE

from avwap.core.calendar import NEW_YORK
from avwap.core.clock import FixedClock, SimulatedClock
from avwap.core.config import Config, load_config
from avwap.core.execution_mode import ExecutionMode
from avwap.execution.cycle import run_cycle
from avwap.ledger.paths import ALPACA_PAPER
from avwap.ledger.projection import fold_book
from avwap.ledger.record_enums import OrderPurpose
from avwap.ledger.records import Alert, Fill, PositionClosed
from avwap.ledger.router import Ledger
from avwap.strategies import registry

S1, LOT = "S1_AVWAP_CORE", "T_ALPACA_LOT"
START = dt.datetime.combine(DAY, dt.time(9, 45), NEW_YORK).astimezone(dt.UTC)
ENTRY_PRICE = Decimal("50.50")


@pytest.fixture
def lot_strategy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A test strategy routed to ALPACA_PAPER that wants AAA at $50.50 with a $49.00 stop."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    source = TINY_MODULE.replace("T_TINY", LOT).replace('("DRY_RUN", "PAPER_SIM")', '("ALPACA_PAPER",)')
    source = source.replace('Decimal("10.00")', 'Decimal("50.50")').replace(
        'Decimal("9.50")', 'Decimal("49.00")'
    )
    (folder / "alpaca_lot_strategy.py").write_text(source)
    monkeypatch.delitem(sys.modules, "alpaca_lot_strategy", raising=False)
    monkeypatch.setitem(registry.REGISTRY, LOT, "alpaca_lot_strategy")
    monkeypatch.syspath_prepend(str(folder))
    return LOT


def config(home: Path, url: str) -> Config:
    environ = {
        "ENABLED_STRATEGIES": f"{LOT},{S1}",
        "S2_ALLOW_SYMBOL_OVERLAP": "1",
        "MAX_NOTIONAL_PER_SYMBOL": "100000",
        "MAX_GROSS_EXPOSURE": "1000000",
        "MAX_RISK_PER_TRADE_PCT": "100",
    }
    return load_config(
        environ,
        home=home,
        execution_mode=ExecutionMode.ALPACA_PAPER,
        alpaca_api_key=API_KEY,
        alpaca_secret_key=SECRET_KEY,
        alpaca_trading_url=url,
    )


def cycle(home: Path, fake: FakeAlpaca, clock: SimulatedClock, now: dt.datetime) -> None:
    """One cycle at ``now`` (a fresh process); then the fake fills every new entry at the entry price."""
    from avwap.execution.alpaca_broker import AlpacaBroker, AlpacaSettings

    clock.set(now)
    url = fake.url
    settings = AlpacaSettings(
        API_KEY, SECRET_KEY, url_override=url, timeout_seconds=5.0, retry_wait_seconds=0.01
    )
    with AlpacaBroker(settings) as broker:
        run_cycle(dependencies(config(home, url), FixedClock(now), broker))
    clock.set(now + dt.timedelta(seconds=30))
    for order in sorted(fake.orders.values(), key=lambda item: item.client_order_id):
        if order.side == "buy" and order.status == "new":
            fake.fill_order(order.client_order_id, order.qty, ENTRY_PRICE)


def sell_stops(fake: FakeAlpaca) -> dict[str, tuple[int, Decimal | None]]:
    return {
        order.client_order_id: (order.qty - order.filled_qty, order.stop_price)
        for order in fake.orders.values()
        if order.side == "sell" and order.type == "stop" and order.status in ("new", "accepted")
    }


def test_two_lots_at_alpaca_each_with_its_own_stop_and_one_stop_fills(
    tmp_path: Path, lot_strategy: str
) -> None:
    home = tmp_path / "home"
    write_watchlist(home / "artifacts", ("AAA",))
    clock = SimulatedClock(START)
    with running_fake_alpaca(clock) as fake:
        fake.set_price("AAA", ENTRY_PRICE)
        for index in range(16):  # every 5 minutes, 09:45 to 11:00
            cycle(home, fake, clock, START + dt.timedelta(minutes=5 * index))
        ledger = Ledger(home / "ledger")
        records = ledger.read_book(ALPACA_PAPER)
        state = fold_book(records, ALPACA_PAPER)
        lots = {lot.strategy_id: lot for lot in state.lots_of("AAA")}
        assert set(lots) == {LOT, S1}
        stops = {
            order.position_id: order
            for order in state.open_orders.values()
            if order.purpose == OrderPurpose.STOP and order.symbol == "AAA"
        }
        assert {key: (order.quantity, order.stop_price) for key, order in stops.items()} == {
            lot.position_id: (lot.quantity, lot.stop_price) for lot in lots.values()
        }
        assert sell_stops(fake) == {
            order.client_order_id: (order.quantity, order.stop_price) for order in stops.values()
        }
        assert fake.holdings["AAA"][0] == sum(lot.quantity for lot in lots.values())
        # S1's stop fills at the broker; the next cycle records it against S1's lot only.
        s1_stop = stops[lots[S1].position_id]
        lot_stop = stops[lots[LOT].position_id]
        fake.fill_order(s1_stop.client_order_id, s1_stop.quantity, s1_stop.stop_price or Decimal("48.40"))
        cycle(home, fake, clock, START + dt.timedelta(minutes=80))
        records = ledger.read_book(ALPACA_PAPER)
        after = fold_book(records, ALPACA_PAPER)
        assert [lot.strategy_id for lot in after.lots_of("AAA")] == [LOT]
        assert after.positions[lots[LOT].position_id] == state.positions[lots[LOT].position_id]
        assert sell_stops(fake) == {lot_stop.client_order_id: (lot_stop.quantity, lot_stop.stop_price)}
        (stop_fill,) = [
            r for r in records if isinstance(r, Fill) and r.client_order_id == s1_stop.client_order_id
        ]
        assert (stop_fill.strategy_id, stop_fill.position_id) == (S1, lots[S1].position_id)
        (closed,) = [r for r in records if isinstance(r, PositionClosed)]
        assert (closed.strategy_id, closed.position_id) == (S1, lots[S1].position_id)
        assert not [r for r in records if isinstance(r, Alert) and r.code == "RECONCILIATION_DRIFT"]
