"""Time bounds of bar-store reads, and the New York date that picks a bar's partition."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from avwap.core.errors import DataError
from avwap.data.bars import NEW_YORK

if TYPE_CHECKING:  # pandas is imported where frames are built: the scan reads Arrow → numpy without it
    import pandas as pd
    import pyarrow.dataset as ds

    Bound = dt.date | dt.datetime | pd.Timestamp
else:
    Bound = dt.date | dt.datetime  # a pd.Timestamp is a datetime
EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
TIMESTAMP_TYPE = pa.timestamp("ns", tz=NEW_YORK)


def partition_days(timestamps: pd.Series) -> np.ndarray:
    """The New York date (datetime64[D]) of each bar start: the key of its partition."""
    import pandas as pd

    wall = pd.DatetimeIndex(timestamps).tz_convert(NEW_YORK).tz_localize(None)
    return wall.to_numpy().astype("datetime64[D]")


def _midnight_ns(day: dt.date) -> int:
    """00:00 New York of ``day`` in ns since the epoch (what ``pd.Timestamp(day).tz_localize(NEW_YORK)``
    gives: midnight is never in a DST gap or fold in New York), without importing pandas."""
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(NEW_YORK))
    return (midnight - EPOCH) // dt.timedelta(microseconds=1) * 1000


def _instant_ns(moment: dt.datetime) -> int:
    import pandas as pd

    if moment.tzinfo is None:
        raise DataError(f"read bounds must be dates or timezone-aware datetimes, got naive {moment}")
    return int(pd.Timestamp(moment).value)


def _ny_day(moment: dt.datetime) -> dt.date:
    import pandas as pd

    return pd.Timestamp(moment).tz_convert(NEW_YORK).date()


@dataclass(frozen=True)
class ReadWindow:
    """Inclusive New York date range of partitions and the [lower, upper) instant range of bars."""

    first_day: dt.date | None = None
    last_day: dt.date | None = None
    lower_ns: int | None = None
    upper_ns: int | None = None

    def keeps_partition(self, stem: str) -> bool:
        """Whether a partition named ``YYYY`` (daily) or ``YYYY-MM-DD`` (intraday) can hold matching bars."""
        if len(stem) == 4:
            first, last = dt.date(int(stem), 1, 1), dt.date(int(stem), 12, 31)
        else:
            first = last = dt.date.fromisoformat(stem)
        return (self.first_day is None or last >= self.first_day) and (
            self.last_day is None or first <= self.last_day
        )

    def expression(self) -> ds.Expression:
        """A pyarrow filter on ``timestamp`` (always true when unbounded)."""
        import pyarrow.compute as pc  # ~40 ms to import: not on the scan's numpy read path

        expression = pc.scalar(True)
        if self.lower_ns is not None:
            expression = expression & (
                pc.field("timestamp") >= pa.scalar(self.lower_ns, pa.int64()).cast(TIMESTAMP_TYPE)
            )
        if self.upper_ns is not None:
            expression = expression & (
                pc.field("timestamp") < pa.scalar(self.upper_ns, pa.int64()).cast(TIMESTAMP_TYPE)
            )
        return expression


def read_window(start: Bound | None, end: Bound | None) -> ReadWindow:
    """A :class:`ReadWindow` from inclusive bounds: a date means that whole New York day, an aware datetime
    means a bar-start instant."""
    first_day = last_day = None
    lower = upper = None
    if isinstance(start, dt.datetime):
        lower, first_day = _instant_ns(start), _ny_day(start)
    elif start is not None:
        lower, first_day = _midnight_ns(start), start
    if isinstance(end, dt.datetime):
        upper, last_day = _instant_ns(end) + 1, _ny_day(end)
    elif end is not None:
        upper, last_day = _midnight_ns(end + dt.timedelta(days=1)), end
    return ReadWindow(first_day, last_day, lower, upper)
