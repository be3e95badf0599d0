"""The backtest's market data: :class:`FrameMarketData` plus the daily resolution's freshness answer.

The cycle's data-freshness check (:mod:`avwap.execution.data_freshness`) defers entries on watched symbols
without a recent closed *intraday* bar. A session at daily resolution has no intraday bars by definition, so
for such a session (:meth:`BacktestMarketData.trade_daily`) a symbol counts as fresh exactly when the store
has its daily bar of the session (it trades today: no halt, no delisting); :meth:`newest_bar_end` then
answers the decision instant for it and None for the others, which the check treats as stale, as in
production. Nothing about the day's prices is revealed; bars the strategy and the stop policy read are
unchanged (daily bars strictly before the session).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from avwap.data.bars import normalize_bars
from avwap.data.resample import resample_session
from avwap.data.store import BarStore
from avwap.execution.market_data import FrameMarketData
from avwap.exits.bar_arrays import BarArrays, empty_arrays

EMPTY = empty_arrays()
BAR_MINUTES = 5


def five_minute_bars(
    store: BarStore,
    symbols: Sequence[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """5-minute bars from the store; 1-minute bars are resampled (session-aligned) when no 5m exist."""
    bars = store.read("5m", symbols=symbols, start=start, end=end)
    if not bars.empty:
        return bars
    minutes = store.read("1m", symbols=symbols, start=start, end=end)
    if minutes.empty:
        return bars
    days = minutes["timestamp"].dt.date
    parts = [resample_session(frame, BAR_MINUTES) for _, frame in minutes.groupby([minutes["symbol"], days])]
    return normalize_bars(pd.concat(parts, ignore_index=True))


class BacktestMarketData(FrameMarketData):
    daily_traded: frozenset[str] | None = None  # symbols with a daily bar today, during a 1d session

    def trade_daily(self, traded: frozenset[str] | None) -> None:
        """Enter a daily-resolution session (``traded``: its symbols) or, with None, an intraday one."""
        self.daily_traded = traded

    def session_arrays(self, symbol: str, day: dt.date, now: dt.datetime) -> BarArrays:
        """No intraday bars of ``symbol`` on ``day``: the shared empty arrays (the stop policy asks for them
        every cycle; building an empty frame each time was most of a daily session's cost). The rows index,
        not the lazily built series: a series not built yet still has bars."""
        if (symbol, day) not in self._intraday_rows:
            return EMPTY
        return super().session_arrays(symbol, day, now)

    def newest_bar_end(self, symbol: str, day: dt.date, now: dt.datetime) -> dt.datetime | None:
        if self.daily_traded is None:
            return super().newest_bar_end(symbol, day, now)
        return now if symbol in self.daily_traded else None
