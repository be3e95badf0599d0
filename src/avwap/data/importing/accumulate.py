"""One file's rows, block by block: bar starts, session filter, validation; keep survivors, count the rest.

A block's rows are validated as soon as they are read and only the rows that survive are kept (with their
line and file), so an import costs memory for its valid bars, not for the rows it reads. What the whole file
would have decided at once is tracked across blocks: the (symbol, bar start) keys already seen (a later row
with one is a ``DUPLICATE_TIMESTAMP``), the exact counts per reason, the first ``sample_rows`` rejected rows
per reason in line order, and the zero-volume flags.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from avwap.core.errors import DataError
from avwap.data.bar_time import NAT, bar_starts, earliest_outside_calendar, misaligned, regular_session_mask
from avwap.data.bars import BAR_COLUMNS, NEW_YORK
from avwap.data.importing.csv_source import SourceChunk
from avwap.data.importing.spec import VALUE_COLUMNS, ImportSpec
from avwap.data.validation import REASON_BITS, reason_masks, reason_names

FILE_COLUMN: Final = "file"
KEPT_COLUMNS: Final = (*BAR_COLUMNS, "line", FILE_COLUMN)
NO_STARTS: Final = np.zeros(0, dtype=np.int64)


class SeenKeys:
    """The (symbol, bar start) keys of one file's rows so far, as a sorted array of starts per symbol."""

    def __init__(self) -> None:
        self._starts: dict[str, np.ndarray] = {}

    def duplicated(self, codes: np.ndarray, names: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Rows (symbol ``names[codes]``, bar start) whose key came before, in an earlier block or earlier
        in this one; records the new keys. Rows without a start never match."""
        keyed = starts != NAT
        duplicated = pd.DataFrame({"symbol": codes, "start": starts}).duplicated(keep="first").to_numpy()
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        for code, name in enumerate(names.tolist()):
            rows = order[bounds[code] : bounds[code + 1]]
            if not len(rows):
                continue
            rows = rows[keyed[rows]]
            values = starts[rows]
            seen = self._starts.get(name, NO_STARTS)
            position = np.minimum(np.searchsorted(seen, values), max(len(seen) - 1, 0))
            hit = seen[position] == values if len(seen) else np.zeros(len(values), dtype=bool)
            duplicated[rows] |= hit
            new = np.unique(values[~hit])
            self._starts[name] = np.insert(seen, np.searchsorted(seen, new), new)
        return np.asarray(duplicated & keyed, dtype=bool)


@dataclass
class FileRows:
    """What one file left after validation: its kept rows (``KEPT_COLUMNS``, in line order), a sample of
    its rejected rows (input columns plus ``reasons``) and its zero-volume flags (or None), and counts."""

    kept: list[pd.DataFrame] = field(default_factory=list)
    samples: list[pd.DataFrame] = field(default_factory=list)
    flags: list[pd.DataFrame] = field(default_factory=list)
    rows_imported: int = 0
    rows_rejected: int = 0
    rows_outside_session: int = 0
    rows_off_grid: int = 0
    every_reason: dict[str, int] = field(default_factory=dict)
    first_reason: dict[str, int] = field(default_factory=dict)
    sampled: dict[str, int] = field(default_factory=dict)
    outside_calendar: tuple[np.datetime64, int] | None = None  # the session filter's error, deferred


def rows_frame(
    symbol: np.ndarray, starts: np.ndarray, values: dict[str, np.ndarray], line: np.ndarray, file_index: int
) -> pd.DataFrame:
    """The import's row frame: canonical bar columns (New York bar starts), ``line`` and ``file``."""
    return pd.DataFrame(
        {
            "symbol": symbol,
            "timestamp": pd.DatetimeIndex(starts.view("datetime64[ns]"))
            .tz_localize("UTC")
            .tz_convert(NEW_YORK),
            **values,
            "line": line,
            FILE_COLUMN: np.full(len(line), file_index, dtype=np.int64),
        }
    )


def empty_rows() -> pd.DataFrame:
    """:func:`rows_frame` without rows (the dtypes of an import's frames)."""
    values = {key: np.zeros(0, dtype="float64") for key in VALUE_COLUMNS}
    return rows_frame(np.zeros(0, dtype=object), NO_STARTS, values, NO_STARTS, 0)


def flag_rows(frame: pd.DataFrame, bad: np.ndarray) -> pd.DataFrame:
    """The zero-volume rows of ``frame`` with ``flag`` and whether they were ``quarantined``."""
    zero_volume = frame["volume"].to_numpy(dtype="float64") == 0
    flags = frame.loc[zero_volume].copy()
    flags["flag"] = "ZERO_VOLUME"
    flags["quarantined"] = bad[zero_volume]
    result: pd.DataFrame = flags.drop(columns=FILE_COLUMN).reset_index(drop=True)
    return result


def _session(starts: np.ndarray, spec: ImportSpec, rows: FileRows) -> np.ndarray:
    """Rows inside the regular session; a day outside the calendar is remembered (the batch reports the
    earliest, as one filter over every row would) and the block passes unfiltered."""
    if spec.session_policy != "regular":
        return np.ones(len(starts), dtype=bool)
    try:
        return regular_session_mask(starts, spec.frequency)
    except DataError:
        earliest = earliest_outside_calendar(starts)
        if earliest is None:
            raise
        if rows.outside_calendar is None or earliest[0] < rows.outside_calendar[0]:
            rows.outside_calendar = earliest
        return np.ones(len(starts), dtype=bool)


def _count(masks: np.ndarray, rows: FileRows) -> None:
    lowest = masks & -masks  # the lowest set bit is the first code in REASON_CODES order
    for code, bit in REASON_BITS.items():
        every, first = int(np.count_nonzero(masks & bit)), int(np.count_nonzero(lowest == bit))
        if every:
            rows.every_reason[code] = rows.every_reason.get(code, 0) + every
        if first:
            rows.first_reason[code] = rows.first_reason.get(code, 0) + first


def _sample(masks: np.ndarray, rows: FileRows, sample_rows: int) -> np.ndarray:
    """The rows among the first ``sample_rows`` of the file with one of their codes."""
    chosen = np.zeros(len(masks), dtype=bool)
    for code, bit in REASON_BITS.items():
        room = sample_rows - rows.sampled.get(code, 0)
        if room > 0:
            hits = np.flatnonzero(masks & bit)[:room]
            chosen[hits] = True
            rows.sampled[code] = rows.sampled.get(code, 0) + len(hits)
    return chosen


def _add(
    chunk: SourceChunk, spec: ImportSpec, rows: FileRows, keys: SeenKeys, *, index: int, limit: int
) -> None:
    starts, ambiguous = bar_starts(
        chunk.clock,
        np.full(len(chunk), chunk.clock_is_utc),
        timezone=spec.timezone,
        frequency=spec.frequency,
        label=spec.label,
        hour_label=spec.hour_label,
    )
    off_grid = misaligned(starts, spec.frequency)
    rows.rows_off_grid += int(np.count_nonzero(off_grid))
    bits = chunk.bits | np.where(ambiguous, REASON_BITS["AMBIGUOUS_LOCAL_TIME"], 0)
    bits |= np.where(off_grid, REASON_BITS["MISALIGNED_TIMESTAMP"], 0)
    inside = _session(starts, spec, rows)
    rows.rows_outside_session += len(inside) - int(np.count_nonzero(inside))
    codes, line = chunk.symbol_codes[inside], chunk.line[inside]
    values = {key: value[inside] for key, value in chunk.values.items()}
    frame = rows_frame(chunk.symbol_names[codes], starts[inside], values, line, index)
    duplicates = keys.duplicated(codes, chunk.symbol_names, starts[inside])
    masks = reason_masks(frame, duplicates=duplicates) | bits[inside]
    bad = masks != 0
    _count(masks, rows)
    rows.rows_rejected += int(np.count_nonzero(bad))
    rows.rows_imported += len(bad) - int(np.count_nonzero(bad))
    if not bad.all():
        rows.kept.append(frame.loc[~bad, list(KEPT_COLUMNS)])
    shown = _sample(masks, rows, limit)
    if shown.any():
        sample = frame.loc[shown].copy()
        sample["reasons"] = [reason_names(int(mask)) for mask in masks[shown]]
        rows.samples.append(sample)
    if (frame["volume"].to_numpy(dtype="float64") == 0).any():
        rows.flags.append(flag_rows(frame, bad))


def accumulate(
    chunks: Iterable[SourceChunk], spec: ImportSpec, file_index: int, sample_rows: int
) -> FileRows:
    """Validate the blocks of file number ``file_index`` in turn (see the module docstring)."""
    rows, keys = FileRows(), SeenKeys()
    for chunk in chunks:
        _add(chunk, spec, rows, keys, index=file_index, limit=sample_rows)
    return rows
