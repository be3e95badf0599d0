"""FrameMarketData.daily_close: the binary search on ordered bars answers what the row mask answers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from avwap.data.bars import empty_bars
from avwap.execution.market_data import FrameMarketData


def daily_frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    template = empty_bars()
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime([day for _, day, _ in rows]).tz_localize("America/New_York"),
            "symbol": [symbol for symbol, _, _ in rows],
            **{column: [close for _, _, close in rows] for column in ("open", "high", "low", "close")},
            "volume": [1000.0] * len(rows),
        }
    )
    return frame.astype({column: template[column].dtype for column in template.columns if column in frame})


def test_daily_close_of_ordered_and_unordered_bars() -> None:
    rows = [("AAA", "2026-04-01", 10.004), ("AAA", "2026-04-02", 11.0), ("AAA", "2026-04-06", 12.5)]
    ordered = FrameMarketData(daily_frame(rows), empty_bars())
    shuffled = FrameMarketData(daily_frame([rows[2], rows[0], rows[1]]), empty_bars())
    for market in (ordered, shuffled):
        assert market.daily_close("AAA", dt.date(2026, 4, 1)) == Decimal("10.00")
        assert market.daily_close("AAA", dt.date(2026, 4, 6)) == Decimal("12.50")
        assert market.daily_close("AAA", dt.date(2026, 4, 3)) is None  # between bars
        assert market.daily_close("AAA", dt.date(2026, 3, 31)) is None  # before the first
        assert market.daily_close("AAA", dt.date(2026, 4, 7)) is None  # after the last
        assert market.daily_close("BBB", dt.date(2026, 4, 1)) is None
