"""Canonical bar frames from the generator's arrays, and content digests of frames.

The arrays are already in (symbol, timestamp) order once their symbol axis is sorted, so the frames are
built column by column without a sort; :func:`avwap.data.bars.normalize_bars` would return them unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from avwap.data.bars import BAR_COLUMNS, NEW_YORK
from avwap.data.synthetic.daily import DailyArrays
from avwap.data.synthetic.intraday import IntradayArrays

TIMESTAMP_DTYPE = pd.DatetimeTZDtype("ns", NEW_YORK)


def _timestamps(nanoseconds: np.ndarray) -> pd.Series:
    """UTC epoch nanoseconds as a canonical America/New_York timestamp column."""
    index = pd.DatetimeIndex(nanoseconds.astype("datetime64[ns]"), tz="UTC").tz_convert(NEW_YORK)
    return pd.Series(index, dtype=TIMESTAMP_DTYPE)


def _frame(symbols: np.ndarray, nanoseconds: np.ndarray, columns: Sequence[np.ndarray]) -> pd.DataFrame:
    data = {"symbol": pd.Series(symbols, dtype=object), "timestamp": _timestamps(nanoseconds)}
    for name, values in zip(BAR_COLUMNS[2:], columns, strict=True):
        data[name] = pd.Series(np.ascontiguousarray(values, dtype=np.float64))
    return pd.DataFrame(data)


def session_midnights(dates: Sequence[dt.date]) -> np.ndarray:
    """Epoch nanoseconds of 00:00 New York on each date (the daily bar label)."""
    labels = pd.DatetimeIndex([pd.Timestamp(day) for day in dates]).tz_localize(NEW_YORK)
    return np.asarray(labels.asi8, dtype=np.int64)  # type: ignore[attr-defined]


def daily_frame(symbols: Sequence[str], dates: Sequence[dt.date], bars: DailyArrays) -> pd.DataFrame:
    """The daily bar frame of (session, symbol) arrays whose symbol axis is sorted."""
    sessions = len(dates)
    symbol_column = np.repeat(np.asarray(symbols, dtype=object), sessions)
    stamps = np.tile(session_midnights(dates), len(symbols))
    values = [array.T.ravel() for array in (bars.open, bars.high, bars.low, bars.close, bars.volume)]
    return _frame(symbol_column, stamps, values)


def intraday_frame(symbols: Sequence[str], bar_starts: np.ndarray, bars: IntradayArrays) -> pd.DataFrame:
    """The intraday bar frame of symbol-major rows (symbol, session) over a padded bar grid.

    ``bar_starts`` holds epoch nanoseconds of each session's bar starts, shape (sessions, max bars).
    """
    rows_per_symbol = bar_starts.shape[0]
    counts = bars.valid.reshape(len(symbols), -1).sum(axis=1)
    symbol_column = np.repeat(np.asarray(symbols, dtype=object), counts)
    stamps = np.tile(bar_starts, (len(symbols), 1))[bars.valid]
    if stamps.size and rows_per_symbol * len(symbols) != bars.valid.shape[0]:
        raise ValueError("intraday rows do not match symbols x sessions")
    values = [array[bars.valid] for array in (bars.open, bars.high, bars.low, bars.close, bars.volume)]
    return _frame(symbol_column, stamps, values)


def frame_digest(frame: pd.DataFrame) -> str:
    """sha256 of a bar frame's content (symbols, UTC nanoseconds, float64 bytes), independent of pandas'
    own hashing, which changes between versions."""
    digest = hashlib.sha256()
    digest.update("\n".join(frame["symbol"].tolist()).encode("utf-8"))
    digest.update(np.ascontiguousarray(frame["timestamp"].array.asi8, dtype="<i8").tobytes())
    for column in BAR_COLUMNS[2:]:
        digest.update(np.ascontiguousarray(frame[column].to_numpy(), dtype="<f8").tobytes())
    return digest.hexdigest()
