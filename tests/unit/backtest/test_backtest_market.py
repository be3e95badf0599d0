"""The backtest's market data answers the stop policy exactly as the production FrameMarketData does."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from avwap.backtest.market import BacktestMarketData
from avwap.execution.market_data import FrameMarketData

DAY = dt.date(2026, 11, 20)


def bars(symbol: str, count: int) -> pd.DataFrame:
    starts = pd.date_range("2026-11-20 14:30", periods=count, freq="5min", tz="UTC")
    prices = np.linspace(10.0, 11.0, count)
    return pd.DataFrame(
        {
            "symbol": symbol,
            "timestamp": starts,
            "open": prices,
            "high": prices + 0.1,
            "low": prices - 0.1,
            "close": prices,
            "volume": 1000.0,
        }
    )


def test_the_first_question_about_a_symbol_day_sees_its_bars() -> None:
    """The empty-arrays shortcut must look at the rows index: the series are built lazily, so checking the
    built ones answered "no bars" to the first question of every symbol and day (the stop policy then
    moved a stop one bar late; found when the demo became a preset of the engine)."""
    intraday = bars("AAA", 6)
    daily = intraday.iloc[:1].assign(timestamp=pd.Timestamp("2026-11-19", tz="America/New_York"))
    now = dt.datetime(2026, 11, 20, 14, 50, tzinfo=dt.UTC)
    backtest = BacktestMarketData(daily, intraday, "5m")
    production = FrameMarketData(daily, intraday, "5m")
    first = backtest.session_arrays("AAA", DAY, now)
    assert len(first.close) == 4
    assert np.array_equal(first.close, production.session_arrays("AAA", DAY, now).close)
    assert len(backtest.session_arrays("BBB", DAY, now).close) == 0  # no bars: the shared empty arrays
