"""The scan's read path: daily bars of many symbols from the bar store, fast.

Returns the same rows and dtypes as :meth:`avwap.data.store.BarStore.read` (a test holds them equal),
minus its final :func:`~avwap.data.bars.normalize_bars` pass, which upper-cases every symbol string and
re-sorts: about 0.8 s of a 3,000-symbol, 1.2M-row read, for files the store already wrote canonically
(upper-case symbols, New York timestamps, float64, sorted within each file). Symbols come through a
dictionary encoding so that pandas shares one string object per symbol instead of creating one per row.
Rows are in partition order; the scan's panel sorts them itself. :func:`read_daily_columns` reads the same
rows straight into numpy columns (no pandas), for the scan job.

Candidate for :class:`~avwap.data.store.BarStore` itself (e.g. a ``normalized=False`` read); kept here until
the data layer offers it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from avwap.core.errors import DataError
from avwap.data.bars import NEW_YORK
from avwap.data.store import DICTIONARY_SCHEMA, SCHEMA, BarStore, dictionary_codes, numpy_values
from avwap.data.store_time import Bound, ReadWindow, read_window
from avwap.signals.panel import VALUE_COLUMNS, BarColumns, FloatArray

if TYPE_CHECKING:
    import pandas as pd

DAILY = "1d"


def _files(store: BarStore, window: ReadWindow) -> list[Path]:
    return [path for path in store.partitions(DAILY) if window.keeps_partition(path.stem)]


def _cannot_read(files: list[Path], error: Exception) -> DataError:
    return DataError(f"cannot read bar partitions under {files[0].parent}: {error}")


FileColumns = tuple[list[str], npt.NDArray[np.intp], npt.NDArray[np.int64], dict[str, FloatArray]]


def _file_columns(path: Path, wanted: set[str], window: ReadWindow) -> FileColumns:
    """One partition's rows of ``wanted`` inside ``window``: raw symbol names, each row's name index, New
    instants (UTC ns), values. The symbols are read as Parquet stored them, dictionary-encoded (one string
    per symbol, not per row; and no pyarrow.compute, ~40 ms to import); a chunk's codes index the names
    of its own dictionary, offset by those of the chunks before it."""
    table = pq.ParquetFile(path, read_dictionary=["symbol"]).read()
    if not table.schema.remove_metadata().equals(DICTIONARY_SCHEMA):
        schema = pq.ParquetFile(path).schema_arrow  # as stored: what the message always showed
        raise DataError(f"bar partition {path} does not have the bar store's schema: {schema}")
    names: list[str] = []
    codes = [np.zeros(0, np.intp)]
    for chunk in table.column("symbol").chunks:
        codes.append(dictionary_codes(chunk) + len(names))
        names.extend(str(name) for name in chunk.dictionary.to_pylist())
    indices = np.concatenate(codes)
    keep = np.array([name in wanted for name in names], dtype=bool)[indices]
    stamps = table.column("timestamp").combine_chunks()
    instants = numpy_values(stamps, np.int64)  # UTC ns
    if window.lower_ns is not None:
        keep &= instants >= window.lower_ns
    if window.upper_ns is not None:
        keep &= instants < window.upper_ns
    values = {
        name: numpy_values(table.column(name).combine_chunks(), np.float64)[keep] for name in VALUE_COLUMNS
    }
    return names, indices[keep], instants[keep], values


def _new_york_dates(instants: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
    """The New York date of each instant (UTC ns), from zoneinfo, once per distinct instant (daily bars
    share a few hundred); the date pandas' ``tz_convert`` gives, without pandas or Arrow's tz database."""
    distinct, inverse = np.unique(instants, return_inverse=True)
    new_york = ZoneInfo(NEW_YORK)
    days = [dt.datetime.fromtimestamp(int(ns) // 1_000_000_000, new_york).date() for ns in distinct.tolist()]
    dates: npt.NDArray[np.datetime64] = np.array(days, dtype="datetime64[D]").reshape(-1)[inverse]
    return dates


def read_daily_columns(
    store: BarStore, symbols: Iterable[str], start: Bound | None = None, end: Bound | None = None
) -> BarColumns:
    """:func:`read_daily` as :class:`~avwap.signals.panel.BarColumns`, straight from Parquet to numpy: the
    scan job's read. It imports neither pandas nor ``pyarrow.dataset`` (which imports pandas: ~0.25 s of a
    short scan) and builds no frame; each (yearly) partition is read whole and filtered in numpy with the
    window's own bounds. Dates are New York dates (:func:`_new_york_dates`); symbols are
    coded as :func:`~avwap.signals.panel.build_panel` codes a frame's. A test holds the panels equal."""
    window = read_window(start, end)
    files = _files(store, window)
    wanted = set(symbols)
    try:
        parts = [_file_columns(path, wanted, window) for path in files]
    except (OSError, pa.ArrowInvalid) as error:
        raise _cannot_read(files, error) from None
    # the names each part uses (bincount, not np.unique, which imports numpy.ma: ~12 ms)
    present = sorted(
        {
            names[index]
            for names, indices, _, _ in parts
            for index in np.flatnonzero(np.bincount(indices, minlength=len(names))).tolist()
        }
    )
    upper, inverse = np.unique(
        np.array([name.upper() for name in present], dtype=object), return_inverse=True
    )
    code_of = dict(zip(present, inverse.tolist(), strict=True))
    codes = [
        np.array([code_of.get(name, -1) for name in names], dtype=np.intp)[indices]
        for names, indices, _, _ in parts
    ]
    instants = np.concatenate([np.zeros(0, np.int64), *(stamps for _, _, stamps, _ in parts)])
    values = {
        name: np.concatenate([np.zeros(0), *(columns[name] for _, _, _, columns in parts)])
        for name in VALUE_COLUMNS
    }
    dates = _new_york_dates(instants)
    all_codes = np.concatenate([np.zeros(0, np.intp), *codes])
    return BarColumns(all_codes, [str(name) for name in upper], dates, values)


def read_daily(
    store: BarStore, symbols: Iterable[str], start: Bound | None = None, end: Bound | None = None
) -> pd.DataFrame:
    """Daily bars of ``symbols`` (upper-case) with bar starts in ``[start, end]`` (inclusive NY dates)."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    from avwap.data.bars import empty_bars

    window = read_window(start, end)
    files = _files(store, window)
    if not files:
        return empty_bars()
    wanted = pa.array(sorted(set(symbols)), type=pa.string())
    expression = pc.field("symbol").isin(wanted) & window.expression()
    try:
        table = ds.dataset([str(path) for path in files], schema=SCHEMA, format="parquet").to_table(
            filter=expression
        )
    except (OSError, pa.ArrowInvalid) as error:
        raise _cannot_read(files, error) from None
    if not table.num_rows:
        return empty_bars()
    table = table.set_column(0, "symbol", pc.dictionary_encode(table.column("symbol")))
    frame: pd.DataFrame = table.to_pandas()
    frame["symbol"] = frame["symbol"].astype(object)
    return frame
