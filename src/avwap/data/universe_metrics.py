"""Liquidity metrics per symbol from daily bars, offline, and the seam for a network metrics provider.

Metrics of a symbol at ``as_of`` use its daily bars in the last ``lookback`` NYSE sessions ending at
``as_of``: the last close, the average volume and the average dollar volume (mean of close × volume per bar).
A symbol needs a bar in every one of those sessions; otherwise it has no metrics, which means "unknown", never
"illiquid" (the universe rules decide what unknown means). Nothing here touches the network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from avwap.core.calendar import nyse
from avwap.core.errors import CalendarError, DataError
from avwap.data.store import BarStore


@dataclass(frozen=True)
class SymbolMetrics:
    """Liquidity figures of one symbol over its lookback window (``source``: where they came from)."""

    symbol: str
    last_close: float
    avg_volume: float
    avg_dollar_volume: float
    bars: int
    last_date: dt.date
    source: str


class MetricsProvider(Protocol):
    """Anything that can produce metrics for symbols (the bar store offline, or a network provider)."""

    def metrics(self, symbols: Sequence[str], as_of: dt.date, lookback: int) -> Mapping[str, SymbolMetrics]:
        """Metrics of the symbols it knows; symbols it cannot measure are simply absent."""
        ...


def lookback_sessions(as_of: dt.date, lookback: int) -> tuple[dt.date, dt.date]:
    """First and last session of the ``lookback`` sessions ending at ``as_of`` (or the session before it)."""
    if lookback < 1:
        raise DataError(f"the liquidity lookback must be at least one session, got {lookback}")
    calendar = nyse()
    try:
        last = as_of if calendar.is_session(as_of) else calendar.previous_session(as_of)
        return calendar.sessions_back(last, lookback - 1), last
    except CalendarError as error:
        raise DataError(f"cannot place the liquidity window: {error}") from None


def metrics_from_bars(
    bars: pd.DataFrame, as_of: dt.date, lookback: int, source: str = "store"
) -> dict[str, SymbolMetrics]:
    """Metrics of every symbol in ``bars`` (canonical daily frame) with a full window at ``as_of``."""
    first, last = lookback_sessions(as_of, lookback)
    days = bars["timestamp"].dt.date
    window = bars.loc[(days >= first) & (days <= last)]
    result = {}
    for symbol, group in window.groupby("symbol", sort=True):
        if len(group) < lookback:
            continue  # a missing session: unknown, not illiquid
        close = group["close"].to_numpy(dtype="float64")
        volume = group["volume"].to_numpy(dtype="float64")
        result[str(symbol)] = SymbolMetrics(
            symbol=str(symbol),
            last_close=float(close[-1]),
            avg_volume=float(np.mean(volume)),
            avg_dollar_volume=float(np.mean(close * volume)),
            bars=len(group),
            last_date=group["timestamp"].iloc[-1].date(),
            source=source,
        )
    return result


class StoreMetricsProvider:
    """Metrics from the daily bars of a :class:`BarStore` (offline)."""

    def __init__(self, store: BarStore) -> None:
        self._store = store

    def metrics(self, symbols: Sequence[str], as_of: dt.date, lookback: int) -> dict[str, SymbolMetrics]:
        first, last = lookback_sessions(as_of, lookback)
        bars = self._store.read("1d", symbols=symbols, start=first, end=last)
        return metrics_from_bars(bars, as_of, lookback, source="store")
