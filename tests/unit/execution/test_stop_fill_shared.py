"""One stop-fill rule: the simulated broker's fill model and the exit simulators call the same function,
so they agree on every bar, gaps through the stop included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from avwap.execution import fill_model
from avwap.execution.broker import OrderSide, OrderType
from avwap.execution.fill_model import FillModel, OrderTerms, SimBar
from avwap.exits import simulator, simulator_daily, stop_fill
from avwap.exits.bar_arrays import bar_arrays_from_values, instant_ns
from avwap.exits.rules import StopRules
from avwap.exits.simulator import STOPPED, SimulatedEntry

START = dt.datetime(2026, 4, 1, 14, 0, tzinfo=dt.UTC)
STOP = Decimal("95.00")
# (open, high, low, close): untouched, touched at the stop, gapped down through it, opened exactly at it
BARS = [
    ("97.00", "98.00", "95.50", "97.50"),
    ("96.00", "96.50", "94.80", "95.20"),
    ("92.10", "93.00", "91.50", "92.80"),
    ("95.00", "95.40", "94.00", "94.20"),
    ("93.37", "94.99", "93.01", "94.50"),
]


def test_both_import_the_one_rule() -> None:
    assert fill_model.stop_trigger is stop_fill.stop_trigger
    assert simulator.stop_trigger is stop_fill.stop_trigger
    assert simulator_daily.stop_fill_price is simulator.stop_fill_price


@pytest.mark.parametrize("prices", BARS)
def test_fill_model_and_exit_simulator_agree_bar_by_bar(prices: tuple[str, str, str, str]) -> None:
    open_, high, low, close = (Decimal(value) for value in prices)
    sim_bar = SimBar("MSFT", START, START + dt.timedelta(minutes=5), open_, high, low, close, Decimal(1000))
    broker = FillModel().decide(OrderTerms(OrderSide.SELL, OrderType.STOP, stop_price=STOP), sim_bar)
    simulated = simulator.stop_fill_price(float(open_), float(low), STOP)
    assert broker.price == simulated == stop_fill.stop_trigger(STOP, open_, low)


def test_a_gap_through_the_stop_fills_at_the_open_in_the_broker_and_in_both_simulators() -> None:
    """Daily bars: the stop (initial 95.00) is gapped through on the third session after the entry."""
    days = [dt.datetime(2026, 3, day, tzinfo=dt.UTC) for day in (23, 24, 25, 26, 27)]
    opens = np.array([100.0, 99.0, 98.0, 92.1, 90.0])
    lows = np.array([99.0, 97.5, 96.8, 91.5, 89.0])
    daily = bar_arrays_from_values([instant_ns(day) for day in days], opens, opens + 1, lows, opens)
    entry = SimulatedEntry("pos_x", "MSFT", days[0] + dt.timedelta(hours=15), Decimal("100"), 10, STOP)
    # no swing low in 5 bars: the working stop stays the initial one
    result = simulator_daily.simulate_daily_position(entry, daily, rules=StopRules(daily_lookback=5))
    gap = SimBar(
        "MSFT", days[3], days[3] + dt.timedelta(days=1), Decimal("92.1"), Decimal("93.1"), Decimal("91.5"),
        Decimal("92.1"), Decimal(1000),
    )  # fmt: skip
    broker = FillModel().decide(OrderTerms(OrderSide.SELL, OrderType.STOP, stop_price=STOP), gap)
    assert (result.outcome, result.exit_time, result.exit_price) == (STOPPED, days[3], Decimal("92.1"))
    assert broker.price == result.exit_price


def test_buy_stops_follow_the_mirrored_rule() -> None:
    bar = SimBar(
        "MSFT", START, START + dt.timedelta(minutes=5), Decimal("101.5"), Decimal("102"), Decimal("101"),
        Decimal("101.8"), Decimal(1000),
    )  # fmt: skip
    decided = FillModel().decide(OrderTerms(OrderSide.BUY, OrderType.STOP, stop_price=Decimal("100")), bar)
    assert decided.price == stop_fill.stop_trigger(Decimal("100"), bar.open, bar.high, selling=False)
    assert decided.price == Decimal("101.50")
