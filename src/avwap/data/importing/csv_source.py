"""Read one CSV file (pyarrow's C++ reader) block by block into parsed row arrays with physical line numbers.

The file is read in blocks of whole lines (:data:`BLOCK_BYTES`, the header line repeated before each), so a
file of millions of rows never sits in memory at once: the caller gets one :class:`SourceChunk` per block
and keeps what it needs. Nothing here judges values: numbers that are not numbers, timestamps that do not
parse and rows with the wrong number of fields are marked for the validator. Only a file that cannot be
read, or that plainly belongs to another family (missing columns; most rows malformed or with unparseable
timestamps), raises :class:`DataError`. Every decision that concerns the whole file is taken over the whole
file, as if it were read at once: the timestamp format is the first that parses every row of the file (else
the one that parses most), and the fractions of bad rows count every block. Line numbers assume no quoted
field spans lines (true of every bar CSV we know).
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from avwap.core.errors import DataError
from avwap.data.bar_time import parse_clock_as
from avwap.data.importing.spec import VALUE_COLUMNS, ImportSpec
from avwap.data.validation import REASON_BITS

MAX_BAD_FRACTION: Final = 0.5  # more bad rows than this means the spec does not describe the file
BLOCK_BYTES: Final = 1024 * 1024  # ~30k bar rows: ~40 MB of work memory a block, per-block cost still small
Consumed = TypeVar("Consumed")
Block = tuple[pa.Table, np.ndarray, list[tuple[int, str]]]  # rows, their line numbers, malformed lines


@dataclass(frozen=True)
class SourceChunk:
    """Parsed rows of one block: symbol (as codes into the block's distinct names), source clock (int64 ns
    wall time, or UTC when ``clock_is_utc``; ``NAT`` where unparseable), prices and volume, 1-based line
    numbers and prior reason bits."""

    symbol_codes: np.ndarray
    symbol_names: np.ndarray
    clock: np.ndarray
    clock_is_utc: bool
    values: dict[str, np.ndarray]
    line: np.ndarray
    bits: np.ndarray

    def __len__(self) -> int:
        return len(self.line)

    @property
    def symbol(self) -> np.ndarray:
        """The symbol of each row (one string object per distinct name)."""
        return np.asarray(self.symbol_names[self.symbol_codes], dtype=object)


@dataclass
class SourceTotals:
    """What one file held besides its parsed rows: rows read (well-formed), the malformed lines (count, and
    the first ``sample_rows`` as (line, text)), and the timestamps that matched no format."""

    rows: int = 0
    malformed: int = 0
    malformed_sample: list[tuple[int, str]] = field(default_factory=list)
    unparseable_clock: int = 0
    first_unparseable: str = ""


class _FormatUndecided(Exception):
    """The timestamp format chosen on the first blocks fails on a later one: decide over the whole file."""


def nonempty_line_numbers(data: bytes) -> np.ndarray:
    """1-based numbers of the lines that are not empty (pyarrow skips empty lines)."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buffer == ord("\n"))
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(buffer)]))
    lengths = stops - starts
    carriage_return_only = (lengths == 1) & (buffer[np.minimum(starts, max(len(buffer) - 1, 0))] == ord("\r"))
    return np.flatnonzero((lengths > 0) & ~carriage_return_only) + 1


def _has_content(data: bytes) -> bool:
    return bool(data.strip(b"\r\n"))


def _blocks(path: Path, block_bytes: int) -> Iterator[tuple[bytes, int]]:
    """Whole lines of ``path`` (UTF-8 BOM dropped), about ``block_bytes`` at a time, each with the number of
    lines before it. The first block holds a non-empty line (the header) unless the file has none."""
    try:
        with path.open("rb") as handle:
            rest, lines_before, first = b"", 0, True
            while True:
                data = handle.read(block_bytes)
                if first and not rest and data.startswith(codecs.BOM_UTF8):
                    data = data[len(codecs.BOM_UTF8) :]
                block = rest + data
                if not data:
                    if block or first:
                        yield block, lines_before
                    return
                cut = block.rfind(b"\n") + 1
                if cut == 0 or (first and not _has_content(block[:cut])):
                    rest = block
                    continue
                yield block[:cut], lines_before
                lines_before += block.count(b"\n", 0, cut)
                rest, first = block[cut:], False
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror or error}") from None


def _header_line(block: bytes) -> bytes:
    """The first non-empty line of ``block`` with its line end."""
    start = 0
    while True:
        end = block.find(b"\n", start)
        stop = len(block) if end < 0 else end + 1
        if block[start:stop].rstrip(b"\n") not in (b"", b"\r") or end < 0:
            return block[start:stop]
        start = stop


def _read_table(path: Path, spec: ImportSpec, data: bytes, line_offset: int) -> Block:
    """Rows of ``data`` (one block; ``line_offset`` is added to its line numbers), their physical line
    numbers, and the malformed lines as (line, text)."""
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
    numbers = nonempty_line_numbers(data) + line_offset
    row_numbers = np.arange(len(numbers)) + 1  # pyarrow's row numbers count non-empty lines
    skipped = np.isin(row_numbers, [number for number, _ in invalid])
    if spec.has_header:
        skipped[:1] = True
    lines = numbers[~skipped]
    if len(lines) != table.num_rows:
        raise DataError(f"{path}: cannot map rows to line numbers (a quoted field spans lines?)")
    malformed = [(int(numbers[number - 1]), text) for number, text in invalid if 0 < number <= len(numbers)]
    return table, lines.astype(np.int64), malformed


def _tables(path: Path, spec: ImportSpec, block_bytes: int) -> Iterator[Block]:
    """:func:`_read_table` of each block; blocks after the first get the header line in front."""
    header = b""
    for block, lines_before in _blocks(path, block_bytes):
        if spec.has_header and not header:
            header = _header_line(block)
            yield _read_table(path, spec, block, lines_before)
        else:
            yield _read_table(path, spec, header + block, lines_before - (1 if header else 0))


def _floats(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """float64 values (NaN for empty) and a mask of non-empty texts that are not numbers."""
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_null(column.type):
        values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        return values.astype("float64"), np.zeros(len(values), dtype=bool)
    texts = pd.Series(column.to_numpy(zero_copy_only=False), dtype=object)
    values = pd.to_numeric(texts, errors="coerce").to_numpy(dtype="float64")
    return values, texts.notna().to_numpy() & np.isnan(values)


def _file_symbol(spec: ImportSpec, path: Path) -> str | DataError | None:
    """The one symbol of every row (explicit or from the file name), the error of a name without one, or
    None when the symbol is a column."""
    if spec.symbol is not None:
        return spec.symbol.strip().upper()
    if spec.symbol_column is not None:
        return None
    assert spec.symbol_pattern is not None  # ImportSpec guarantees one symbol source
    match = re.search(spec.symbol_pattern, path.name)
    if match is None:
        return DataError(
            f"cannot take a symbol from file name {path.name!r} with pattern {spec.symbol_pattern!r}; "
            "pass an explicit symbol"
        )
    return match.group("symbol").upper()


def _symbols(
    table: pa.Table, spec: ImportSpec, file_symbol: str | DataError | None
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's symbol as a code into the distinct names (stripped, upper case)."""
    if spec.symbol_column is None or file_symbol is not None:
        name = file_symbol if isinstance(file_symbol, str) else ""  # the file's error is raised at its end
        return np.zeros(table.num_rows, dtype=np.int64), np.array([name], dtype=object)
    texts = pc.utf8_upper(pc.utf8_trim_whitespace(table.column(spec.symbol_column))).combine_chunks()
    encoded = pc.dictionary_encode(texts)
    names = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), names


def check_fraction(path: Path, spec: ImportSpec, bad: int, total: int, what: str) -> None:
    """Raise when most rows fail a rule: then the spec is for another family, not a few bad rows."""
    if total and bad / total > MAX_BAD_FRACTION:
        raise DataError(
            f"{path} does not fit import spec {spec.name!r}: {bad} of {total} rows have {what} "
            f"(timestamp formats {list(spec.timestamp_formats)}, frequency {spec.frequency})"
        )


def _timestamp_texts(table: pa.Table, spec: ImportSpec) -> pa.ChunkedArray:
    first, *others = spec.timestamp_columns
    texts = table.column(first)
    for column in others:  # e.g. separate date and time columns joined as "2011-01-03 09:30"
        texts = pc.binary_join_element_wise(texts, table.column(column), " ")
    return texts


def _decide_format(path: Path, spec: ImportSpec, block_bytes: int) -> int:
    """The format of the whole file: the first that parses every row, else the first that parses most."""
    failures = np.zeros(len(spec.timestamp_formats), dtype=np.int64)
    for table, _, _ in _tables(path, spec, block_bytes):
        texts = _timestamp_texts(table, spec)
        for index, text_format in enumerate(spec.timestamp_formats):
            failures[index] += int(parse_clock_as(texts, text_format)[2].sum())
    perfect = np.flatnonzero(failures == 0)
    return int(perfect[0]) if len(perfect) else int(np.argmin(failures))


def _clock(
    texts: pa.ChunkedArray, spec: ImportSpec, chosen: int | None
) -> tuple[np.ndarray, bool, np.ndarray, int]:
    """Parse with the ``chosen`` format, or (first block, undecided) with the first format that parses
    every row of the block (none: :class:`_FormatUndecided`)."""
    if chosen is not None:
        return (*parse_clock_as(texts, spec.timestamp_formats[chosen]), chosen)
    for index, text_format in enumerate(spec.timestamp_formats):
        values, is_utc, failed = parse_clock_as(texts, text_format)
        if not failed.any():
            return values, is_utc, failed, index
    raise _FormatUndecided


def _chunks(
    path: Path,
    spec: ImportSpec,
    chosen: int | None,
    totals: SourceTotals,
    *,
    sample_rows: int,
    block_bytes: int,
) -> Iterator[SourceChunk]:
    file_symbol = _file_symbol(spec, path)
    decided = chosen is not None
    for table, lines, malformed in _tables(path, spec, block_bytes):
        totals.rows += len(lines)
        totals.malformed += len(malformed)
        totals.malformed_sample.extend(malformed[: max(sample_rows - len(totals.malformed_sample), 0)])
        texts = _timestamp_texts(table, spec)
        clock, clock_is_utc, unparseable_clock, chosen = _clock(texts, spec, chosen)
        if not decided and unparseable_clock.any():
            raise _FormatUndecided
        if unparseable_clock.any():
            if not totals.unparseable_clock:
                totals.first_unparseable = str(texts[int(np.flatnonzero(unparseable_clock)[0])].as_py())
            totals.unparseable_clock += int(unparseable_clock.sum())
        bits = np.where(unparseable_clock, REASON_BITS["UNPARSEABLE_TIMESTAMP"], 0).astype(np.int64)
        values = {}
        for key in VALUE_COLUMNS:
            values[key], unparseable = _floats(table.column(spec.columns[key]))
            bits |= np.where(unparseable, REASON_BITS["UNPARSEABLE_VALUE"], 0)
        values["volume"] = values["volume"] * spec.volume_multiplier
        codes, names = _symbols(table, spec, file_symbol)
        yield SourceChunk(codes, names, clock, clock_is_utc, values, lines, bits)


def _check(path: Path, spec: ImportSpec, totals: SourceTotals) -> None:
    total = totals.rows + totals.malformed
    if totals.malformed > MAX_BAD_FRACTION * total:
        raise DataError(
            f"{path} does not fit import spec {spec.name!r}: {totals.malformed} of {total} rows have the "
            f"wrong number of fields (delimiter {spec.delimiter!r})"
        )
    if totals.unparseable_clock:
        check_fraction(
            path,
            spec,
            totals.unparseable_clock,
            totals.rows,
            f"timestamps that match no format (first: {totals.first_unparseable!r})",
        )
    file_symbol = _file_symbol(spec, path)
    if isinstance(file_symbol, DataError):
        raise file_symbol


def read_source(
    path: Path,
    spec: ImportSpec,
    consume: Callable[[Iterable[SourceChunk]], Consumed],
    *,
    sample_rows: int,
    block_bytes: int | None = None,
) -> tuple[Consumed, SourceTotals]:
    """Feed the parsed blocks of ``path`` to ``consume`` (no validation, no session filter) and return what
    it returned with the file's totals, after the whole-file checks. When the timestamp format the first
    block chose fails on a later block, the format is decided over the whole file and ``consume`` is called
    again on a fresh read (it must keep no state between calls)."""
    block_bytes = BLOCK_BYTES if block_bytes is None else block_bytes
    chosen = 0 if len(spec.timestamp_formats) == 1 else None
    while True:
        totals = SourceTotals()
        try:
            consumed = consume(
                _chunks(path, spec, chosen, totals, sample_rows=sample_rows, block_bytes=block_bytes)
            )
        except _FormatUndecided:
            chosen = _decide_format(path, spec, block_bytes)
            continue
        _check(path, spec, totals)
        return consumed, totals
