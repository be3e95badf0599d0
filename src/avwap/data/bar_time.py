"""Bar clocks: parse timestamp text, convert to New York bar-START instants, filter the regular session.

Pure, vectorized functions over int64 nanosecond arrays (``NAT`` marks a missing value). Zone conversions
use pandas and the tz database; only the regular-session filter consults the NYSE calendar (open and close
of each session, early closes included).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import pyarrow as pa

from avwap.core.calendar import nyse
from avwap.core.errors import CalendarError, DataError
from avwap.data.bars import FREQUENCY_MINUTES, NEW_YORK

if TYPE_CHECKING:  # pandas is imported where frames are built: the scan reads Arrow → numpy without it
    import pandas as pd

NAT: Final = np.iinfo(np.int64).min
MINUTE_NS: Final = 60 * 1_000_000_000
DAY_NS: Final = 24 * 60 * MINUTE_NS
LEAN_HOUR_LABEL_MINUTE: Final = 9 * 60  # Lean's "09:00" hour bar ...
LEAN_FIRST_HOUR_START: Final = 9 * 60 + 30  # ... starts at the 09:30 open


def parse_clock(
    texts: pa.ChunkedArray | pa.Array, formats: tuple[str, ...]
) -> tuple[np.ndarray, bool, np.ndarray]:
    """Parse ``texts`` with the first format that reads every non-empty value (else the one that reads most).

    Returns int64 ns values (wall clock, or UTC instants when the chosen format has ``%z``), whether they
    are UTC, and a mask of non-empty texts that did not parse.
    """
    best: tuple[np.ndarray, bool, np.ndarray] | None = None
    for text_format in formats:
        values, is_utc, failed = parse_clock_as(texts, text_format)
        if best is None or failed.sum() < best[2].sum():
            best = (values, is_utc, failed)
        if not failed.any():
            break
    assert best is not None  # ImportSpec refuses an empty format list
    return best


def parse_clock_as(
    texts: pa.ChunkedArray | pa.Array, text_format: str
) -> tuple[np.ndarray, bool, np.ndarray]:
    """:func:`parse_clock` with one format: values, whether UTC, and the non-empty texts that failed."""
    import pyarrow.compute as pc  # ~40 ms to import: imports need it, the scan's store reads do not

    trimmed = pc.utf8_trim_whitespace(texts)
    present = np.asarray(pc.greater(pc.utf8_length(trimmed), 0), dtype=bool)
    parsed = pc.strptime(trimmed, format=text_format, unit="ns", error_is_null=True)
    values = pc.fill_null(pc.cast(parsed, pa.int64()), NAT).to_numpy(zero_copy_only=False)
    return values.astype(np.int64), "%z" in text_format, present & (values == NAT)


def instants_ns(values: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """int64 ns of datetime-like ``values``: UTC instants if aware, wall clock if naive, NaT -> ``NAT``."""
    import pandas as pd

    index = pd.DatetimeIndex(values)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return np.asarray(index.to_numpy(dtype="datetime64[ns]").view(np.int64))


def wall_to_utc(wall: np.ndarray, timezone: str) -> tuple[np.ndarray, np.ndarray]:
    """UTC instants of naive wall-clock times in ``timezone``, and a mask of wall times that do not exist
    or occur twice there (DST changes); those become ``NAT``."""
    import pandas as pd

    localized = pd.DatetimeIndex(wall.view("datetime64[ns]")).tz_localize(
        timezone, ambiguous="NaT", nonexistent="NaT"
    )
    utc = instants_ns(localized)
    return utc, (utc == NAT) & (wall != NAT)


def utc_to_wall(utc: np.ndarray, timezone: str) -> np.ndarray:
    """Naive wall-clock times in ``timezone`` of UTC instants (``NAT`` stays ``NAT``)."""
    import pandas as pd

    index = pd.DatetimeIndex(utc.view("datetime64[ns]")).tz_localize("UTC").tz_convert(timezone)
    return instants_ns(index.tz_localize(None))


def _minute_of_day(wall: np.ndarray) -> np.ndarray:
    return (wall % DAY_NS) // MINUTE_NS


def bar_starts(
    clock: np.ndarray, is_utc: np.ndarray, *, timezone: str, frequency: str, label: str, hour_label: str
) -> tuple[np.ndarray, np.ndarray]:
    """Bar-start instants (int64 ns UTC) from parsed clocks, and the mask of ambiguous local times.

    Daily bars start at 00:00 New York on the date written in the source. Bar-end labels move back one bar
    length. Lean's hourly "09:00" label is the 09:30-09:59 bar, so it starts at 09:30 (other hours on the
    hour).
    """
    missing = clock == NAT
    if frequency == "1d":
        wall = np.where(is_utc, utc_to_wall(clock, timezone), clock)
        midnight = np.where(missing, NAT, wall - wall % DAY_NS)
        starts, _ = wall_to_utc(midnight, NEW_YORK)  # midnight always exists in New York (DST moves at 02:00)
        return starts, np.zeros(len(clock), dtype=bool)
    localized, ambiguous = wall_to_utc(clock, timezone)
    ambiguous &= ~is_utc
    starts = np.where(is_utc, clock, localized)
    valid = starts != NAT
    if label == "end":
        starts = np.where(valid, starts - FREQUENCY_MINUTES[frequency] * MINUTE_NS, NAT)
    if hour_label == "lean":
        first_hour = valid & (_minute_of_day(utc_to_wall(starts, NEW_YORK)) == LEAN_HOUR_LABEL_MINUTE)
        starts = np.where(first_hour, starts + 30 * MINUTE_NS, starts)
    return starts, ambiguous


def misaligned(starts: np.ndarray, frequency: str) -> np.ndarray:
    """Intraday bar starts off the frequency grid in New York time (an hourly bar may start at 09:30)."""
    if frequency == "1d":
        return np.zeros(len(starts), dtype=bool)
    wall = utc_to_wall(starts, NEW_YORK)
    minute = _minute_of_day(wall)
    off_grid = (minute % FREQUENCY_MINUTES[frequency] != 0) | (wall % MINUTE_NS != 0)
    if frequency == "1h":
        off_grid &= minute != LEAN_FIRST_HOUR_START
    return np.asarray(off_grid & (starts != NAT), dtype=bool)


def _session_bounds(days: list[object]) -> tuple[np.ndarray, np.ndarray]:
    """UTC open/close (int64 ns) per day; closed days get an empty interval."""
    import pandas as pd

    calendar = nyse()
    opens = np.zeros(len(days), dtype=np.int64)
    closes = np.zeros(len(days), dtype=np.int64)
    for index, day in enumerate(days):
        if calendar.is_session(day):  # type: ignore[arg-type]
            opens[index] = pd.Timestamp(calendar.session_open(day)).value  # type: ignore[arg-type]
            closes[index] = pd.Timestamp(calendar.session_close(day)).value  # type: ignore[arg-type]
    return opens, closes


def earliest_outside_calendar(starts: np.ndarray) -> tuple[np.datetime64, int] | None:
    """The earliest New York day of ``starts`` outside the calendar's range, with one start on it: the day
    :func:`regular_session_mask` complains about (so a caller that filters in parts can report the same)."""
    present = starts[starts != NAT]
    wall = utc_to_wall(present, NEW_YORK)
    days = (wall - wall % DAY_NS).view("datetime64[ns]").astype("datetime64[D]")
    calendar = nyse()
    outside = (days < np.datetime64(calendar.first_date)) | (days > np.datetime64(calendar.last_date))
    if not outside.any():
        return None
    position = int(np.flatnonzero(outside)[np.argmin(days[outside])])
    return days[position], int(present[position])


def regular_session_mask(starts: np.ndarray, frequency: str) -> np.ndarray:
    """True for bars inside the NYSE regular session: intraday bars with open <= start < close, daily bars
    on session dates. Rows without a timestamp are True (validation quarantines them)."""
    present = starts != NAT
    inside = np.ones(len(starts), dtype=bool)
    if not present.any():
        return inside
    wall = utc_to_wall(starts[present], NEW_YORK)
    day_values = (wall - wall % DAY_NS).view("datetime64[ns]").astype("datetime64[D]")
    unique_days = np.unique(day_values)
    try:
        opens, closes = _session_bounds(list(unique_days.astype(object)))
    except CalendarError as error:
        raise DataError(f"cannot apply the regular-session filter: {error}") from None
    position = np.searchsorted(unique_days, day_values)
    if frequency == "1d":
        inside[present] = closes[position] != 0
    else:
        inside[present] = (starts[present] >= opens[position]) & (starts[present] < closes[position])
    return inside
