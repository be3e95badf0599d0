"""FrameMarketData's vectorized set-up equals the per-row forms it replaced: the local date ordinals of
the daily series and the stop policy's arrays (``bar_arrays``) of each series."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd
import pytest

from avwap.execution.market_data import FrameMarketData, _series_arrays, local_ordinals
from avwap.exits.bar_arrays import bar_arrays

Unit = Literal["s", "ms", "us", "ns"]


def stamps(zone: str | None, unit: Unit) -> pd.Series:
    moments = pd.date_range("2015-12-30 00:00", periods=6, freq="D", tz=zone).as_unit(unit)
    evening = pd.DatetimeIndex([moment + pd.Timedelta(hours=23, minutes=59) for moment in moments])
    return pd.Series(moments.append(evening))


@pytest.mark.parametrize("zone", ["America/New_York", "UTC", None])
@pytest.mark.parametrize("unit", ["ns", "us", "s"])
def test_local_ordinals_are_the_local_dates_ordinals(zone: str | None, unit: Unit) -> None:
    series = stamps(zone, unit)
    expected = [day.toordinal() for day in series.dt.date]
    assert local_ordinals(series).tolist() == expected


def frame(symbol: str, order: list[int], unit: Unit = "ns") -> pd.DataFrame:
    days = pd.date_range("2026-03-02", periods=len(order), freq="D", tz="America/New_York").as_unit(unit)
    prices = np.arange(len(order), dtype=np.float64) + 10.5
    return pd.DataFrame(
        {
            "symbol": symbol,
            "timestamp": days[order],
            "open": prices[order],
            "high": prices[order] + 1,
            "low": prices[order] - 1,
            "close": prices[order] + 0.25,
            "volume": 100,
        }
    )


@pytest.mark.parametrize("unit", ["ns", "us"])
@pytest.mark.parametrize("order", [[0, 1, 2, 3, 4], [0], [], [1, 0, 2, 4, 3]])
def test_series_arrays_equal_bar_arrays(unit: Unit, order: list[int]) -> None:
    bars = frame("XYZ", order, unit)
    fast, slow = _series_arrays(bars, "XYZ"), bar_arrays(bars, "XYZ")
    for name in ("start_ns", "open", "high", "low", "close"):
        assert getattr(fast, name).dtype == getattr(slow, name).dtype
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name))


def test_the_daily_series_answer_as_before() -> None:
    daily = pd.concat([frame("B", [0, 1, 2, 3, 4]), frame("A", [0, 1, 2])], ignore_index=True)
    market = FrameMarketData(daily, daily.iloc[:0])
    assert market.symbols() == ["A", "B"]
    before = dt.date(2026, 3, 5)
    assert len(market.daily_bars("B", before)) == 3 and len(market.daily_arrays("B", before)) == 3
    assert market.daily_bars("B", before)["timestamp"].dt.date.tolist() == [
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 3),
        dt.date(2026, 3, 4),
    ]
    assert str(market.daily_close("A", dt.date(2026, 3, 4))) == "12.75"
