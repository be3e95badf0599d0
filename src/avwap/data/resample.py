"""Resampling of intraday bars to longer bars aligned on the session open (pure).

A 10-minute bar starting 09:30 aggregates the 5-minute bars starting 09:30 and 09:35. A longer bar is
*closed* only when its full span has elapsed; :func:`closed_bars` drops a trailing bar that is still forming
so that no decision is ever made intrabar.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from avwap.core.calendar import nyse
from avwap.data.bars import BAR_COLUMNS, normalize_bars


def resample_session(frame: pd.DataFrame, minutes: int) -> pd.DataFrame:
    """Aggregate one symbol-session of shorter bars into ``minutes`` bars aligned on the session open."""
    if frame.empty:
        return frame.loc[:, list(BAR_COLUMNS)].copy()
    first = frame["timestamp"].iloc[0]
    session_open = pd.Timestamp(nyse().session_open(first.date())).tz_convert(first.tz)
    offsets = ((frame["timestamp"] - session_open) // pd.Timedelta(minutes=minutes)).to_numpy()
    starts = session_open + pd.to_timedelta(offsets * minutes, unit="min")
    grouped = frame.assign(bucket=starts).groupby(["symbol", "bucket"], sort=True)
    result = grouped.agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
    ).reset_index()
    result = result.rename(columns={"bucket": "timestamp"})
    return normalize_bars(result)


def closed_bars(frame: pd.DataFrame, minutes: int, now: dt.datetime) -> pd.DataFrame:
    """Bars of ``frame`` (``minutes`` long) whose end is at or before ``now`` (session close caps the end)."""
    if frame.empty:
        return frame
    ends = frame["timestamp"] + pd.Timedelta(minutes=minutes)
    day = frame["timestamp"].iloc[0].date()
    close = pd.Timestamp(nyse().session_close(day)).tz_convert(ends.dt.tz)
    ends = ends.where(ends <= close, close)
    mask = np.asarray(ends <= pd.Timestamp(now).tz_convert(ends.dt.tz))
    return frame.loc[mask].reset_index(drop=True)
