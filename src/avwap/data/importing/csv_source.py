"""Read one CSV file (pyarrow's C++ reader) into parsed row arrays, keeping each row's physical line number.

Nothing here judges values: numbers that are not numbers, timestamps that do not parse and rows with the
wrong number of fields are marked for the validator. Only a file that cannot be read, or that plainly belongs
to another family (missing columns; most timestamps unparseable or off the bar grid), raises
:class:`DataError`. Line numbers assume no quoted field spans lines (true of every bar CSV we know).
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from avwap.core.errors import DataError
from avwap.data.bar_time import parse_clock
from avwap.data.importing.spec import VALUE_COLUMNS, ImportSpec
from avwap.data.validation import REASON_BITS

MAX_BAD_FRACTION: Final = 0.5  # more bad rows than this means the spec does not describe the file


@dataclass(frozen=True)
class SourceRows:
    """Parsed rows of one file: symbol, source clock (int64 ns wall time, or UTC when ``clock_is_utc``;
    ``NAT`` where unparseable), prices and volume, 1-based line numbers, prior reason bits, and the
    malformed lines as (line, text)."""

    path: Path
    symbol: np.ndarray
    clock: np.ndarray
    clock_is_utc: bool
    values: dict[str, np.ndarray]
    line: np.ndarray
    bits: np.ndarray
    malformed: tuple[tuple[int, str], ...]

    def __len__(self) -> int:
        return len(self.line)


def nonempty_line_numbers(data: bytes) -> np.ndarray:
    """1-based numbers of the lines that are not empty (pyarrow skips empty lines)."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buffer == ord("\n"))
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(buffer)]))
    lengths = stops - starts
    carriage_return_only = (lengths == 1) & (buffer[np.minimum(starts, max(len(buffer) - 1, 0))] == ord("\r"))
    return np.flatnonzero((lengths > 0) & ~carriage_return_only) + 1


def _read_table(path: Path, spec: ImportSpec) -> tuple[pa.Table, np.ndarray, tuple[tuple[int, str], ...]]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror or error}") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    invalid: list[tuple[int, str]] = []

    def keep_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append((row.number or 0, row.text))
        return "skip"

    text_columns = [*spec.timestamp_columns, *([spec.symbol_column] if spec.symbol_column else [])]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                use_threads=False, column_names=None if spec.has_header else list(spec.column_names)
            ),
            parse_options=pacsv.ParseOptions(delimiter=spec.delimiter, invalid_row_handler=keep_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in text_columns},
                null_values=[""],  # "NA", "NULL", "TRUE" may be tickers: only empty fields are missing
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise DataError(f"cannot read {path} as CSV for import spec {spec.name!r}: {error}") from None
    try:
        table = table.rename_columns([name.strip() for name in table.column_names])
    except UnicodeDecodeError as error:  # column names are decoded lazily: a non-UTF-8 header lands here
        raise DataError(f"{path}: the header is not UTF-8 text ({error})") from None
    missing = [column for column in spec.required_columns() if column not in table.column_names]
    if missing:
        raise DataError(
            f"{path} does not fit import spec {spec.name!r}: missing columns {missing}; "
            f"the file has {table.column_names}"
        )
    numbers = nonempty_line_numbers(data)
    row_numbers = np.arange(len(numbers)) + 1  # pyarrow's row numbers count non-empty lines
    skipped = np.isin(row_numbers, [number for number, _ in invalid])
    if spec.has_header:
        skipped[:1] = True
    lines = numbers[~skipped]
    if len(lines) != table.num_rows:
        raise DataError(f"{path}: cannot map rows to line numbers (a quoted field spans lines?)")
    malformed = tuple(
        (int(numbers[number - 1]), text) for number, text in invalid if 0 < number <= len(numbers)
    )
    return table, lines, malformed


def _floats(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """float64 values (NaN for empty) and a mask of non-empty texts that are not numbers."""
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_null(column.type):
        values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        return values.astype("float64"), np.zeros(len(values), dtype=bool)
    texts = pd.Series(column.to_numpy(zero_copy_only=False), dtype=object)
    values = pd.to_numeric(texts, errors="coerce").to_numpy(dtype="float64")
    return values, texts.notna().to_numpy() & np.isnan(values)


def _symbols(table: pa.Table, spec: ImportSpec, path: Path) -> np.ndarray:
    if spec.symbol is not None:
        return np.full(table.num_rows, spec.symbol.strip().upper(), dtype=object)
    if spec.symbol_column is not None:
        stripped = pc.utf8_upper(pc.utf8_trim_whitespace(table.column(spec.symbol_column)))
        return np.asarray(stripped.to_numpy(zero_copy_only=False), dtype=object)
    assert spec.symbol_pattern is not None  # ImportSpec guarantees one symbol source
    match = re.search(spec.symbol_pattern, path.name)
    if match is None:
        raise DataError(
            f"cannot take a symbol from file name {path.name!r} with pattern {spec.symbol_pattern!r}; "
            "pass an explicit symbol"
        )
    return np.full(table.num_rows, match.group("symbol").upper(), dtype=object)


def check_fraction(path: Path, spec: ImportSpec, bad: np.ndarray, what: str) -> None:
    """Raise when most rows fail a rule: then the spec is for another family, not a few bad rows."""
    if len(bad) and bad.mean() > MAX_BAD_FRACTION:
        raise DataError(
            f"{path} does not fit import spec {spec.name!r}: {int(bad.sum())} of {len(bad)} rows have {what} "
            f"(timestamp formats {list(spec.timestamp_formats)}, frequency {spec.frequency})"
        )


def _timestamp_texts(table: pa.Table, spec: ImportSpec) -> pa.ChunkedArray:
    first, *others = spec.timestamp_columns
    texts = table.column(first)
    for column in others:  # e.g. separate date and time columns joined as "2011-01-03 09:30"
        texts = pc.binary_join_element_wise(texts, table.column(column), " ")
    return texts


def read_source(path: Path, spec: ImportSpec) -> SourceRows:
    """Read and parse ``path`` with ``spec`` (no validation, no session filter)."""
    table, lines, malformed = _read_table(path, spec)
    total = len(lines) + len(malformed)
    if len(malformed) > MAX_BAD_FRACTION * total:
        raise DataError(
            f"{path} does not fit import spec {spec.name!r}: {len(malformed)} of {total} rows have the wrong "
            f"number of fields (delimiter {spec.delimiter!r})"
        )
    texts = _timestamp_texts(table, spec)
    clock, clock_is_utc, unparseable_clock = parse_clock(texts, spec.timestamp_formats)
    if unparseable_clock.any():
        check_fraction(
            path,
            spec,
            unparseable_clock,
            f"timestamps that match no format (first: {_first(texts, unparseable_clock)!r})",
        )
    bits = np.where(unparseable_clock, REASON_BITS["UNPARSEABLE_TIMESTAMP"], 0).astype(np.int64)
    values = {}
    for key in VALUE_COLUMNS:
        values[key], unparseable = _floats(table.column(spec.columns[key]))
        bits |= np.where(unparseable, REASON_BITS["UNPARSEABLE_VALUE"], 0)
    values["volume"] = values["volume"] * spec.volume_multiplier
    symbol = _symbols(table, spec, path)
    return SourceRows(path, symbol, clock, clock_is_utc, values, lines.astype(np.int64), bits, malformed)


def _first(texts: pa.ChunkedArray, mask: np.ndarray) -> str:
    return str(texts[int(np.flatnonzero(mask)[0])].as_py())
