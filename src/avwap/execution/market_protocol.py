"""The market-data seam of the cycle (a protocol only: importing it loads no pandas, so an idle cycle stays
light). Implementations live in :mod:`avwap.execution.market_data`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pandas as pd


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

    def newest_bar_end(self, symbol: str, day: dt.date, now: dt.datetime) -> dt.datetime | None:
        """When the newest intraday bar of ``symbol`` on ``day`` that ended by ``now`` ended (None: none)."""
        ...
