"""Bars as plain arrays for the stop policy: one symbol, ascending bar starts as UTC int64 nanoseconds.

The policy is called every cycle for every position, so it works on numpy arrays, not DataFrames. Build a
:class:`BarArrays` once per symbol from the canonical bar frame (:mod:`avwap.data.bars`) and let the policy
slice what is closed at its decision instant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from avwap.core.calendar import NEW_YORK

if TYPE_CHECKING:
    import pandas as pd

NANOS_PER_SECOND: Final = 1_000_000_000
MINUTE_NS: Final = 60 * NANOS_PER_SECOND
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def instant_ns(moment: dt.datetime) -> int:
    """A timezone-aware instant as integer nanoseconds since the epoch (exact, no float)."""
    if moment.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * NANOS_PER_SECOND + delta.microseconds * 1_000


def from_ns(value: int) -> dt.datetime:
    """Integer nanoseconds since the epoch as a UTC datetime (microsecond precision)."""
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=value // 1_000)


def ny_midnight_ns(day: dt.date) -> int:
    """The instant 00:00 New York on ``day``: the label of that session's daily bar."""
    return instant_ns(dt.datetime.combine(day, dt.time(), NEW_YORK))


@dataclass(frozen=True)
class BarArrays:
    """Bars of one symbol; every array has the same length and ``start_ns`` ascends strictly."""

    start_ns: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray

    def __len__(self) -> int:
        return int(self.start_ns.size)

    def window(self, first: int, stop: int) -> BarArrays:
        """Bars ``first .. stop-1`` (views, no copy)."""
        return BarArrays(
            self.start_ns[first:stop],
            self.open[first:stop],
            self.high[first:stop],
            self.low[first:stop],
            self.close[first:stop],
        )

    def between(self, lower_ns: int, upper_ns: int) -> BarArrays:
        """Bars whose start is in ``[lower_ns, upper_ns)``."""
        first = int(np.searchsorted(self.start_ns, lower_ns, side="left"))
        stop = int(np.searchsorted(self.start_ns, upper_ns, side="left"))
        return self.window(first, stop)


def empty_arrays() -> BarArrays:
    """No bars (a halted symbol, a day without data)."""
    return bar_arrays_from_values(np.empty(0, dtype=np.int64), *(np.empty(0) for _ in range(4)))


def bar_arrays_from_values(
    start_ns: npt.ArrayLike,
    open_: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
) -> BarArrays:
    """Arrays from raw values (checked: equal lengths, strictly ascending starts)."""
    starts = np.asarray(start_ns, dtype=np.int64)
    prices = [np.asarray(values, dtype=np.float64) for values in (open_, high, low, close)]
    if any(values.shape != starts.shape for values in prices) or starts.ndim != 1:
        raise ValueError("bar arrays must be one-dimensional and of equal length")
    if starts.size > 1 and not bool(np.all(np.diff(starts) > 0)):
        raise ValueError("bar starts must ascend strictly (one symbol, no duplicates)")
    return BarArrays(starts, *prices)


def bar_arrays(frame: pd.DataFrame, symbol: str | None = None) -> BarArrays:
    """Arrays of one symbol from a canonical bar frame (``symbol`` picks it from a many-symbol frame)."""
    import pandas as pd  # here: the execution cycle imports this module, and an idle cycle needs no pandas

    if symbol is not None:
        frame = frame.loc[frame["symbol"] == symbol]
    elif frame["symbol"].nunique() > 1:
        raise ValueError("the frame holds several symbols: name the one to use")
    ordered = frame.sort_values("timestamp", kind="mergesort")
    utc = pd.DatetimeIndex(ordered["timestamp"]).tz_convert("UTC").tz_localize(None)
    starts = utc.as_unit("ns").to_numpy().astype(np.int64)
    return bar_arrays_from_values(
        starts,
        ordered["open"].to_numpy(dtype=np.float64),
        ordered["high"].to_numpy(dtype=np.float64),
        ordered["low"].to_numpy(dtype=np.float64),
        ordered["close"].to_numpy(dtype=np.float64),
    )
