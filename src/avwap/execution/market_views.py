"""What some market data can do beyond :class:`~avwap.execution.market_data.MarketData`: optional, typed.

The cycle works with any ``MarketData``. Market data that keeps its bars in memory (``FrameMarketData``: the
demo, the backtest, the tests) can also answer the hot questions without rebuilding frames every cycle; the
cycle asks :func:`keeps_arrays` / :func:`sees_visible_bars` (type guards over these protocols) instead of
probing for attributes, so the optional capabilities are named, typed and checked by mypy. The answer is
memoized per class: a runtime protocol ``isinstance`` costs some 20 µs, and the entry pre-checks ask once per
candidate per cycle.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Protocol, TypeGuard, runtime_checkable

from avwap.execution.market_protocol import MarketData

if TYPE_CHECKING:
    from avwap.exits.bar_arrays import BarArrays  # numpy: imported only where arrays are built


@runtime_checkable
class ArrayMarketData(MarketData, Protocol):
    """Serves the exit policy's bars as arrays it keeps (no frame conversion per cycle)."""

    def session_arrays(self, symbol: str, day: dt.date, now: dt.datetime) -> BarArrays: ...

    def daily_arrays(self, symbol: str, before: dt.date) -> BarArrays: ...


@runtime_checkable
class VisibleBarsMarketData(MarketData, Protocol):
    """Says cheaply how many intraday bars have ended by now and their highest close (entry pre-checks)."""

    def visible_count(self, symbol: str, day: dt.date, now: dt.datetime) -> int: ...

    def visible_highest_close(self, symbol: str, day: dt.date, now: dt.datetime) -> float | None: ...


@functools.cache
def _supports(kind: type, capability: type) -> bool:
    return issubclass(kind, capability)


def keeps_arrays(market: MarketData) -> TypeGuard[ArrayMarketData]:
    """True when ``market`` is an :class:`ArrayMarketData`."""
    return _supports(type(market), ArrayMarketData)


def sees_visible_bars(market: MarketData) -> TypeGuard[VisibleBarsMarketData]:
    """True when ``market`` is a :class:`VisibleBarsMarketData`."""
    return _supports(type(market), VisibleBarsMarketData)
