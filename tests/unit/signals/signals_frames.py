"""Small deterministic daily bar frames for scan tests: one that passes every rule, and knobs to break one."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

AS_OF = dt.date(2024, 6, 14)  # a Friday


def weekdays_ending(as_of: dt.date, bars: int) -> pd.DatetimeIndex:
    """``bars`` weekdays ending on ``as_of``, as NY-midnight timestamps (the daily bar label)."""
    end = np.datetime64(as_of, "D")
    days = np.busday_offset(end, np.arange(-bars + 1, 1), roll="backward")
    return pd.DatetimeIndex(days.astype("datetime64[ns]")).tz_localize("America/New_York")


def trending_bars(
    symbol: str,
    *,
    as_of: dt.date = AS_OF,
    bars: int = 160,
    start: float = 50.0,
    drift: float = 0.003,
    range_pct: float = 0.02,
    volume: float = 2e6,
    close_location: float = 0.6,
) -> pd.DataFrame:
    """A smooth trend: close grows by ``drift`` a bar, each bar spans ``range_pct`` of the close with the
    close at ``close_location`` of the range, open at the previous close (no gaps), constant volume.

    With the defaults the symbol is tier A, liquid, calm, and its last bar is its 20-bar high whose AVWAP
    (the bar's typical price) sits just under the close: an eligible, near-AVWAP anchor.
    """
    closes = start * (1.0 + drift) ** np.arange(bars)
    span = closes * range_pct
    lows = closes - close_location * span
    highs = lows + span
    opens = np.concatenate([[closes[0]], closes[:-1]])
    return pd.DataFrame(
        {
            "symbol": symbol,
            "timestamp": weekdays_ending(as_of, bars),
            "open": opens,
            "high": np.maximum(highs, opens),
            "low": np.minimum(lows, opens),
            "close": closes,
            "volume": np.full(bars, volume),
        }
    )


def benchmark_bars(*, as_of: dt.date = AS_OF, bars: int = 260, drift: float = 0.001) -> pd.DataFrame:
    """SPY-like benchmark: gate open for a positive drift, closed for a negative one."""
    return trending_bars("SPY", as_of=as_of, bars=bars, start=400.0, drift=drift, volume=8e7)


def scale_last(frame: pd.DataFrame, bars: int, column: str, factor: float) -> pd.DataFrame:
    """A copy of ``frame`` with ``column`` of its last ``bars`` rows multiplied by ``factor``."""
    result = frame.copy()
    result.loc[result.index[-bars:], column] *= factor
    return result
