"""Harnesses that let ONE broker contract suite run against every adapter (Lean's abstract brokerage test).

A harness exposes the broker under test plus two market levers the suite needs: ``set_price`` (a reference
price for marking and market-order checks, without filling anything) and ``fill`` (execute part or all of
an order at a price). The simulator gets them through bars; the Alpaca adapter through the fake server.
Both start at 2026-04-01 10:00 New York with $100,000 cash, and every lever moves the clock one minute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Protocol

import pytest
from tests.fakes.alpaca_server import DEFAULT_NOW, FakeAlpaca, adapter_settings, running_fake_alpaca

from avwap.core.clock import SimulatedClock
from avwap.execution.alpaca_broker import AlpacaBroker
from avwap.execution.broker import Broker, BrokerFill
from avwap.execution.fill_model import FillModel
from avwap.execution.sim_broker import SimBroker, SimBrokerSettings

STEP = dt.timedelta(minutes=1)
SYMBOLS = frozenset({"AAPL", "MSFT"})


class BrokerHarness(Protocol):
    name: str
    broker: Broker

    def set_price(self, symbol: str, price: Decimal) -> None: ...

    def fill(self, client_order_id: str, quantity: int, price: Decimal) -> None: ...


class SimHarness:
    """Bars with a 50% participation cap: a bar of volume ``2 × q`` fills exactly ``q`` shares."""

    name = "sim"

    def __init__(self) -> None:
        self.clock = SimulatedClock(DEFAULT_NOW)
        model = FillModel(participation_cap=Decimal("0.5"))
        self.sim = SimBroker(self.clock, SimBrokerSettings(fill_model=model, symbols=SYMBOLS))
        self.broker: Broker = self.sim

    def _bar(self, symbol: str, price: Decimal, volume: int) -> list[BrokerFill]:
        start = self.clock.now()
        self.clock.advance(STEP.total_seconds())
        return self.sim.on_bar(symbol, start, price, price, price, price, volume, start + STEP)

    def set_price(self, symbol: str, price: Decimal) -> None:
        assert self._bar(symbol, price, volume=0) == []  # no volume, no fills: only a mark

    def fill(self, client_order_id: str, quantity: int, price: Decimal) -> None:
        order = self.broker.get_order(client_order_id)
        assert order is not None
        fills = self._bar(order.symbol, price, volume=2 * quantity)
        assert [(fill.client_order_id, fill.quantity) for fill in fills] == [(client_order_id, quantity)]


class AlpacaHarness:
    """The real alpaca-py client against the fake server; fills come from the server's test helper."""

    name = "alpaca"

    def __init__(self, fake: FakeAlpaca, clock: SimulatedClock) -> None:
        self.fake, self.clock = fake, clock
        self.adapter = AlpacaBroker(adapter_settings(fake))
        self.broker: Broker = self.adapter

    def set_price(self, symbol: str, price: Decimal) -> None:
        self.clock.advance(STEP.total_seconds())
        self.fake.set_price(symbol, price)

    def fill(self, client_order_id: str, quantity: int, price: Decimal) -> None:
        self.clock.advance(STEP.total_seconds())
        self.fake.fill_order(client_order_id, quantity, price)


@pytest.fixture
def sim_harness() -> SimHarness:
    return SimHarness()


@pytest.fixture
def alpaca_harness() -> Iterator[AlpacaHarness]:
    clock = SimulatedClock(DEFAULT_NOW)
    with running_fake_alpaca(clock) as fake:
        harness = AlpacaHarness(fake, clock)
        try:
            yield harness
        finally:
            harness.adapter.close()


@pytest.fixture(params=["sim", pytest.param("alpaca", marks=pytest.mark.integration)])
def harness(request: pytest.FixtureRequest) -> BrokerHarness:
    """The broker under contract: parametrized over every adapter."""
    result: BrokerHarness = request.getfixturevalue(f"{request.param}_harness")
    return result
