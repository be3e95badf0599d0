"""The idle cycle's market data: answers exactly what the store loader's empty frames answer, built lazily."""

from __future__ import annotations

import copy
import datetime as dt

from avwap.data.bars import empty_bars
from avwap.execution.market_data import FrameMarketData
from avwap.execution.runner import EmptyMarketData, empty_market

DAY = dt.date(2026, 4, 1)
NOW = dt.datetime(2026, 4, 1, 15, 0, tzinfo=dt.UTC)


def test_empty_market_answers_like_empty_frames() -> None:
    lazy, frames = empty_market(), FrameMarketData(empty_bars(), empty_bars(), "5m")
    assert lazy._frames is None  # nothing built until asked
    assert lazy.session_bars("AAPL", DAY, NOW).equals(frames.session_bars("AAPL", DAY, NOW))
    assert lazy.daily_bars("AAPL", DAY).equals(frames.daily_bars("AAPL", DAY))
    assert list(lazy.daily_bars("AAPL", DAY).dtypes) == list(frames.daily_bars("AAPL", DAY).dtypes)
    assert lazy.last_price("AAPL", NOW) is None is frames.last_price("AAPL", NOW)
    assert lazy.visible_count("AAPL", DAY, NOW) == frames.visible_count("AAPL", DAY, NOW) == 0
    assert lazy.visible_highest_close("AAPL", DAY, NOW) is None
    assert lazy.session_arrays("AAPL", DAY, NOW).close.size == 0
    assert isinstance(lazy.frames(), FrameMarketData) and lazy.frequency == "5m"


def test_empty_market_copies_without_building_or_recursing() -> None:
    market = EmptyMarketData()
    duplicate = copy.deepcopy(market)
    assert duplicate._frames is None and market._frames is None
