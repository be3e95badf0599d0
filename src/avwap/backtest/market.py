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

from avwap.execution.market_data import FrameMarketData
from avwap.exits.bar_arrays import BarArrays, empty_arrays

EMPTY = empty_arrays()


class BacktestMarketData(FrameMarketData):
    daily_traded: frozenset[str] | None = None  # symbols with a daily bar today, during a 1d session

    def trade_daily(self, traded: frozenset[str] | None) -> None:
        """Enter a daily-resolution session (``traded``: its symbols) or, with None, an intraday one."""
        self.daily_traded = traded

    def session_arrays(self, symbol: str, day: dt.date, now: dt.datetime) -> BarArrays:
        """No intraday bars of ``symbol`` on ``day``: the shared empty arrays (the stop policy asks for them
        every cycle; building an empty frame each time was most of a daily session's cost)."""
        if (symbol, day) not in self._intraday:
            return EMPTY
        return super().session_arrays(symbol, day, now)

    def newest_bar_end(self, symbol: str, day: dt.date, now: dt.datetime) -> dt.datetime | None:
        if self.daily_traded is None:
            return super().newest_bar_end(symbol, day, now)
        return now if symbol in self.daily_traded else None
