"""The backtrader parity oracle's rule pieces (benchmarks/backtrader_oracle.py) against avwap's, on seeded
random inputs: the swing-low stop, sizing, fill prices and commissions. The real-data parity test skips
without ../shared/data; these keep the oracle's pieces checked everywhere."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np

from avwap.control.sizing import SizedEntry, size_entry
from avwap.core.money import round_price
from avwap.execution.broker import OrderSide, OrderType
from avwap.execution.fill_model import FillModel, OrderTerms, SimBar
from avwap.exits.bar_arrays import bar_arrays_from_values
from avwap.exits.candidates import daily_stop
from avwap.exits.rules import StopRules

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

from backtrader_oracle import (
    OracleSettings,
    PerShareCommission,
    TickBroker,
    entry_size,
    swing_low_stop,
    to_tick,
)

RANDOM = np.random.default_rng(20261206)


def _lows(length: int) -> list[float]:
    steps = RANDOM.normal(0, 0.3, length).cumsum()
    grid = np.round((40 + steps) * 10) / 10  # a coarse grid: equal lows (double bottoms) are common
    lows: list[float] = np.round(grid + RANDOM.choice([0, 0, 0.005], length), 3).tolist()  # some half-cents
    return lows


def test_swing_low_stop_equals_avwaps_daily_stop() -> None:
    rules, settings = StopRules(), OracleSettings()
    found = 0
    for length in [*range(0, 12), *RANDOM.integers(12, 260, 300).tolist()]:
        lows = _lows(length)
        highs = [low + 1.0 for low in lows]
        arrays = bar_arrays_from_values(np.arange(length, dtype=np.int64), highs, highs, lows, highs)
        expected = daily_stop(arrays, rules)
        mine = swing_low_stop(lows, settings)
        assert mine == (None if expected is None else expected.price), length
        found += mine is not None
    assert found > 250


def test_entry_size_equals_avwaps_sizing() -> None:
    settings = OracleSettings()
    sized = 0
    for _ in range(2000):
        equity = Decimal(str(round(float(RANDOM.uniform(1_000, 250_000)), 2)))
        avwap = Decimal(str(round(float(RANDOM.uniform(2, 400)), 4)))
        level = round_price(avwap, "up")
        stop = round_price(level - Decimal(str(round(float(RANDOM.uniform(-0.5, 4)), 2))), "down")
        distance = (level - avwap) / avwap * 100
        expected = size_entry(equity, level, distance, stop if stop > 0 else None)
        shares = expected.shares if isinstance(expected, SizedEntry) else 0
        assert entry_size(equity, level, avwap, stop if stop > 0 else None, settings) == shares
        sized += shares > 0
    assert sized > 500


def _bar(open_: float, high: float, low: float) -> SimBar:
    start = dt.datetime(2016, 4, 1, 13, 30, tzinfo=dt.UTC)
    prices = [Decimal(repr(value)) for value in (open_, high, low, (high + low) / 2)]
    end = start + dt.timedelta(hours=6)
    return SimBar("X", start, end, prices[0], prices[1], prices[2], prices[3], Decimal(1000))


def test_fill_prices_and_commissions_equal_the_fill_model() -> None:
    cases: list[tuple[str, str, str]] = [("0", "0", "0"), ("5", "0.005", "0.25"), ("12.5", "0.01", "1")]
    for bps, per_share, minimum in cases:
        model = FillModel(
            slippage_bps=Decimal(bps),
            commission_per_share=Decimal(per_share),
            commission_minimum=Decimal(minimum),
        )
        broker = TickBroker(slippage_bps=float(bps))
        commission = PerShareCommission(per_share=float(per_share), minimum=float(minimum))
        for _ in range(300):
            low = round(float(RANDOM.uniform(0.5, 300)), 2)
            high = round(low * float(RANDOM.uniform(1, 1.08)), 2)
            open_ = round(float(RANDOM.uniform(low, high)), 2)
            stop = float(
                round_price(Decimal(repr(float(RANDOM.uniform(low * 0.97, high * 1.03)))), "nearest")
            )
            for side, up in ((OrderSide.BUY, True), (OrderSide.SELL, False)):
                terms = OrderTerms(side, OrderType.STOP, stop_price=Decimal(repr(stop)))
                expected = model.decide(terms, _bar(open_, high, low)).price
                trigger = max(open_, stop) if up else min(open_, stop)  # backtrader's own trigger rule
                touched = high >= stop if up else low <= stop
                mine = broker._slip_up(high, trigger) if up else broker._slip_down(low, trigger)
                assert (Decimal(repr(mine)) if touched else None) == expected
            shares = int(RANDOM.integers(1, 400))
            assert Decimal(repr(commission.getcommission(shares, 10.0))) == model.commission(
                shares, Decimal(0)
            )
    assert to_tick(Decimal("0.99995"), up=True) == Decimal("1.00")
