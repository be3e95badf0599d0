"""What the execution cycle may see of the market: bars that have *closed* by the decision instant.

:class:`MarketData` is the seam; :class:`FrameMarketData` serves canonical bar frames held in memory (the
demo, the backtest and tests), :func:`from_store` loads them from the Parquet bar store. A bar is visible at
``now`` only when ``start + length <= now``, so no consumer can look ahead.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Protocol, cast

import pandas as pd

from avwap.core.money import round_price
from avwap.data.bars import FREQUENCY_MINUTES, empty_bars


class MarketData(Protocol):
    def session_bars(self, symbol: str, day: dt.date, now: dt.datetime) -> pd.DataFrame:
        """Intraday bars of ``symbol`` on session ``day`` that ended by ``now`` (time order)."""
        ...

    def daily_bars(self, symbol: str, before: dt.date) -> pd.DataFrame:
        """Daily bars of ``symbol`` strictly before ``before`` (time order)."""
        ...

    def last_price(self, symbol: str, now: dt.datetime) -> Decimal | None:
        """The close of the latest bar (intraday, else daily) that ended by ``now``."""
        ...


class FrameMarketData:
    """Market data from in-memory canonical frames (daily + one intraday frequency)."""

    def __init__(self, daily: pd.DataFrame, intraday: pd.DataFrame, frequency: str = "5m") -> None:
        self.bar_length = pd.Timedelta(minutes=FREQUENCY_MINUTES[frequency])
        self._daily = {str(symbol): frame.reset_index(drop=True) for symbol, frame in daily.groupby("symbol")}
        self._intraday: dict[tuple[str, dt.date], pd.DataFrame] = {}
        if not intraday.empty:
            days = intraday["timestamp"].dt.date
            for key, frame in intraday.groupby([intraday["symbol"], days]):
                symbol, day = cast(tuple[str, dt.date], key)
                self._intraday[(str(symbol), day)] = frame.reset_index(drop=True)

    def symbols(self) -> list[str]:
        return sorted(self._daily)

    def session_bars(self, symbol: str, day: dt.date, now: dt.datetime) -> pd.DataFrame:
        frame = self._intraday.get((symbol, day))
        if frame is None:
            return empty_bars()
        ends = frame["timestamp"] + self.bar_length
        visible: pd.DataFrame = frame.loc[ends <= pd.Timestamp(now)].reset_index(drop=True)
        return visible

    def daily_bars(self, symbol: str, before: dt.date) -> pd.DataFrame:
        frame = self._daily.get(symbol)
        if frame is None:
            return empty_bars()
        return cast(pd.DataFrame, frame.loc[frame["timestamp"].dt.date < before].reset_index(drop=True))

    def last_price(self, symbol: str, now: dt.datetime) -> Decimal | None:
        from avwap.core.calendar import ny_date

        day = ny_date(now)
        intraday = self.session_bars(symbol, day, now)
        if not intraday.empty:
            return round_price(float(intraday["close"].iloc[-1]))
        daily = self.daily_bars(symbol, day)
        if daily.empty:
            return None
        return round_price(float(daily["close"].iloc[-1]))

    def daily_close(self, symbol: str, day: dt.date) -> Decimal | None:
        """The official daily close of ``day`` (for end-of-day marks)."""
        frame = self._daily.get(symbol)
        if frame is None:
            return None
        rows = frame.loc[frame["timestamp"].dt.date == day, "close"]
        return round_price(float(rows.iloc[-1])) if len(rows) else None


def from_store(
    data_root: Path, start: dt.date, end: dt.date, intraday_frequency: str = "5m"
) -> FrameMarketData:
    """Load daily bars through ``end`` and intraday bars of ``start..end`` from the bar store."""
    from avwap.data.store import BarStore

    store = BarStore(data_root)
    daily = store.read("1d", end=end)
    intraday = store.read(intraday_frequency, start=start, end=end)
    return FrameMarketData(daily, intraday, intraday_frequency)
