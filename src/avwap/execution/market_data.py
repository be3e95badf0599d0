"""What the execution cycle may see of the market: bars that have *closed* by the decision instant.

:class:`MarketData` is the seam; :class:`FrameMarketData` serves canonical bar frames held in memory (the
demo, the backtest, tests and the execution loop), :func:`from_store` loads them from the Parquet bar store. A
bar is visible at ``now`` only when ``start + length <= now``, so no consumer can look ahead.

Speed (a cycle asks for the same few hundred symbols every few minutes): per (symbol, day) the bar end
instants are precomputed as int64 nanoseconds, so "bars that ended by now" is a binary search and a row
slice, and the slice is reused until another bar becomes visible. Frames whose rows are not in time order
fall back to a boolean mask, so the answer is always the same rows in the same order.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from avwap.core.calendar import ny_date
from avwap.core.money import round_price
from avwap.data.bars import FREQUENCY_MINUTES, empty_bars
from avwap.exits.bar_arrays import BarArrays, bar_arrays, bar_arrays_from_values

_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)  # noqa: DTZ001 (naive like the moment it is subtracted from)
_MICROSECOND = dt.timedelta(microseconds=1)
_UNIX_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _nanoseconds(moment: dt.datetime) -> int:
    """Epoch nanoseconds of ``moment`` (UTC for an aware one), exactly as ``pd.Timestamp(moment).value``,
    without building a Timestamp: the stop policy and the freshness gate ask this for every symbol and
    cycle."""
    epoch = _EPOCH_NAIVE if moment.tzinfo is None else _EPOCH_UTC
    return (moment - epoch) // _MICROSECOND * 1000


def _utc_datetime(nanoseconds: int) -> dt.datetime:
    """The aware UTC datetime of epoch ``nanoseconds`` (bar ends: whole microseconds)."""
    return _EPOCH_UTC + dt.timedelta(microseconds=nanoseconds // 1000)


class _Series:
    """One symbol's bars of one day (intraday) or of all days (daily) with a sorted search key."""

    def __init__(self, frame: pd.DataFrame, keys: np.ndarray) -> None:
        self.frame = frame
        self.keys = keys
        self.ordered = bool(np.all(keys[1:] >= keys[:-1])) if len(keys) > 1 else True
        self.closes = frame["close"].to_numpy(dtype=np.float64)
        # running maximum of the closes: "did any visible bar close above x?" in O(1)
        self.highest_close = np.maximum.accumulate(self.closes)
        self._slices: dict[int, pd.DataFrame] = {}
        self._arrays: BarArrays | None = None

    def prefix(self, count: int) -> pd.DataFrame:
        """The first ``count`` rows (index 0..count-1), memoized by count."""
        cached = self._slices.get(count)
        if cached is None:
            cached = self.frame.iloc[:count]
            self._slices[count] = cached
        return cached

    def arrays(self, count: int, symbol: str) -> BarArrays:
        """:func:`bar_arrays` of :meth:`prefix` (views into arrays built once)."""
        if self._arrays is None:
            self._arrays = _series_arrays(self.frame, symbol)
        return self._arrays.window(0, count)


def _series_arrays(frame: pd.DataFrame, symbol: str) -> BarArrays:
    """:func:`bar_arrays` of one symbol's frame: when its aware timestamps already ascend strictly (every
    stored series), the arrays are the frame's columns as they are (the sort, the symbol mask and the zone
    conversion of :func:`bar_arrays` would change nothing); otherwise :func:`bar_arrays` itself."""
    stamps = frame["timestamp"]
    if isinstance(stamps.dtype, pd.DatetimeTZDtype) and bool((frame["symbol"] == symbol).all()):
        starts = np.asarray(stamps.dt.as_unit("ns").array.asi8, dtype=np.int64)
        if starts.size < 2 or bool(np.all(starts[1:] > starts[:-1])):
            return bar_arrays_from_values(
                starts,
                frame["open"].to_numpy(dtype=np.float64),
                frame["high"].to_numpy(dtype=np.float64),
                frame["low"].to_numpy(dtype=np.float64),
                frame["close"].to_numpy(dtype=np.float64),
            )
    return bar_arrays(frame, symbol)


def local_ordinals(stamps: pd.Series) -> np.ndarray:
    """``[day.toordinal() for day in stamps.dt.date]`` (the local calendar date of each timestamp, in its
    own zone) in one vectorized step: the wall-clock time floored to its day, counted from 0001-01-01."""
    wall = stamps.dt.tz_localize(None) if stamps.dt.tz is not None else stamps
    days = wall.to_numpy().astype("datetime64[D]").astype(np.int64)
    return days + _UNIX_EPOCH_ORDINAL


class FrameMarketData:
    """Market data from in-memory canonical frames (daily + one intraday frequency)."""

    def __init__(self, daily: pd.DataFrame, intraday: pd.DataFrame, frequency: str = "5m") -> None:
        self.bar_length = pd.Timedelta(minutes=FREQUENCY_MINUTES[frequency])
        self._daily: dict[str, _Series] = {}
        ordinals = local_ordinals(daily["timestamp"]) if not daily.empty else np.empty(0, dtype=np.int64)
        for symbol, positions in daily.groupby("symbol").indices.items():
            rows = daily.iloc[positions].reset_index(drop=True)
            self._daily[str(symbol)] = _Series(rows, ordinals[positions])
        # Intraday series are built on first use: a replay watches a few symbols a day, not all of them.
        self._intraday: dict[tuple[str, dt.date], _Series] = {}
        self._intraday_frame = intraday
        self._intraday_rows: dict[tuple[str, dt.date], np.ndarray] = {}
        self._intraday_ends = np.empty(0, dtype=np.int64)
        if not intraday.empty:
            stamps = intraday["timestamp"]
            # tz-aware timestamps hold UTC epoch nanoseconds: the bar end instants in one vectorized step
            self._intraday_ends = np.asarray(stamps.array.asi8, dtype=np.int64) + int(self.bar_length.value)
            groups = intraday.groupby([intraday["symbol"], stamps.dt.date], sort=False).indices
            for key, positions in groups.items():
                symbol, day = cast(tuple[str, dt.date], key)
                self._intraday_rows[(str(symbol), day)] = np.asarray(positions, dtype=np.int64)

    def _intraday_series(self, symbol: str, day: dt.date) -> _Series | None:
        series = self._intraday.get((symbol, day))
        if series is None:
            positions = self._intraday_rows.get((symbol, day))
            if positions is None:
                return None
            rows = self._intraday_frame.iloc[positions].reset_index(drop=True)
            series = _Series(rows, self._intraday_ends[positions])
            self._intraday[(symbol, day)] = series
        return series

    def symbols(self) -> list[str]:
        return sorted(self._daily)

    def visible_count(self, symbol: str, day: dt.date, now: dt.datetime) -> int:
        """How many intraday bars of ``symbol`` on ``day`` have ended by ``now`` (a cheap change detector)."""
        series = self._intraday_series(symbol, day)
        if series is None:
            return 0
        if series.ordered:
            return int(np.searchsorted(series.keys, _nanoseconds(now), side="right"))
        return int(np.count_nonzero(series.keys <= _nanoseconds(now)))

    def visible_highest_close(self, symbol: str, day: dt.date, now: dt.datetime) -> float | None:
        """The highest close among the intraday bars of ``symbol`` on ``day`` that ended by ``now``."""
        series = self._intraday_series(symbol, day)
        if series is None or not series.ordered:
            return None if series is None else float(np.max(series.frame["close"], initial=-np.inf))
        count = self.visible_count(symbol, day, now)
        return float(series.highest_close[count - 1]) if count else None

    def newest_bar_end(self, symbol: str, day: dt.date, now: dt.datetime) -> dt.datetime | None:
        series = self._intraday_series(symbol, day)
        if series is None:
            return None
        if series.ordered:
            count = int(np.searchsorted(series.keys, _nanoseconds(now), side="right"))
            return _utc_datetime(int(series.keys[count - 1])) if count else None
        visible = series.keys[series.keys <= _nanoseconds(now)]
        return _utc_datetime(int(visible.max())) if len(visible) else None

    def session_arrays(self, symbol: str, day: dt.date, now: dt.datetime) -> BarArrays:
        """:func:`bar_arrays` of :meth:`session_bars`, without rebuilding arrays every cycle."""
        series = self._intraday_series(symbol, day)
        if series is None or not series.ordered:
            return bar_arrays(self.session_bars(symbol, day, now), symbol)
        return series.arrays(self.visible_count(symbol, day, now), symbol)

    def daily_arrays(self, symbol: str, before: dt.date) -> BarArrays:
        """:func:`bar_arrays` of :meth:`daily_bars`, without rebuilding arrays every cycle."""
        series = self._daily.get(symbol)
        if series is None or not series.ordered:
            return bar_arrays(self.daily_bars(symbol, before), symbol)
        return series.arrays(int(np.searchsorted(series.keys, before.toordinal(), side="left")), symbol)

    def session_bars(self, symbol: str, day: dt.date, now: dt.datetime) -> pd.DataFrame:
        series = self._intraday_series(symbol, day)
        if series is None:
            return empty_bars()
        if series.ordered:
            return series.prefix(self.visible_count(symbol, day, now))
        mask = series.keys <= _nanoseconds(now)
        return series.frame.loc[mask].reset_index(drop=True)

    def daily_bars(self, symbol: str, before: dt.date) -> pd.DataFrame:
        series = self._daily.get(symbol)
        if series is None:
            return empty_bars()
        if series.ordered:
            return series.prefix(int(np.searchsorted(series.keys, before.toordinal(), side="left")))
        mask = series.keys < before.toordinal()
        return series.frame.loc[mask].reset_index(drop=True)

    def last_price(self, symbol: str, now: dt.datetime) -> Decimal | None:
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
        series = self._daily.get(symbol)
        if series is None:
            return None
        if series.ordered:  # the day's rows are contiguous: the last of them, found by binary search
            end = int(np.searchsorted(series.keys, day.toordinal(), side="right"))
            found = end > 0 and series.keys[end - 1] == day.toordinal()
            return round_price(float(series.closes[end - 1])) if found else None
        rows = series.frame.loc[series.keys == day.toordinal(), "close"]
        return round_price(float(rows.iloc[-1])) if len(rows) else None


def from_store(
    data_root: Path,
    start: dt.date,
    end: dt.date,
    intraday_frequency: str = "5m",
    *,
    symbols: list[str] | None = None,
    daily_start: dt.date | None = None,
) -> FrameMarketData:
    """Load daily bars through ``end`` (from ``daily_start`` when given) and intraday bars of
    ``start..end`` from the bar store, for ``symbols`` (all when None)."""
    from avwap.data.store import BarStore

    store = BarStore(data_root)
    daily = store.read("1d", symbols=symbols, start=daily_start, end=end)
    intraday = store.read(intraday_frequency, symbols=symbols, start=start, end=end)
    return FrameMarketData(daily, intraday, intraday_frequency)


class StoreMarketLoader:
    """The execution loop's market data: the bar store, re-read every cycle for the symbols that matter.

    The symbols are the cycle's watched symbols (:mod:`avwap.execution.watched`). Daily bars (``history_days``
    calendar days back) are read once per NY date and symbol set; today's intraday bars are re-read every
    cycle, so the bars the cycle's refresher (:mod:`avwap.execution.bar_refresh`) just wrote are seen.
    """

    def __init__(self, data_root: Path, frequency: str = "5m", history_days: int = 400) -> None:
        self.data_root = Path(data_root)
        self.frequency = frequency
        self.history_days = history_days
        self._daily: tuple[tuple[dt.date, tuple[str, ...]], pd.DataFrame] | None = None

    def load(self, today: dt.date, symbols: list[str]) -> FrameMarketData:
        from avwap.data.store import BarStore

        wanted = tuple(sorted(set(symbols)))
        if not wanted:
            return FrameMarketData(empty_bars(), empty_bars(), self.frequency)
        store = BarStore(self.data_root)
        key = (today, wanted)
        if self._daily is None or self._daily[0] != key:
            start = today - dt.timedelta(days=self.history_days)
            self._daily = (key, store.read("1d", symbols=wanted, start=start, end=today))
        intraday = store.read(self.frequency, symbols=wanted, start=today, end=today)
        return FrameMarketData(self._daily[1], intraday, self.frequency)
