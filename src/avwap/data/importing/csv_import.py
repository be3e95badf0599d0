"""CSV import: files of one family (an :class:`ImportSpec`) -> clean canonical bars + quarantined rows.

Each file is read in blocks (:func:`avwap.data.importing.csv_source.read_source`: take the symbol, parse
numbers (x volume multiplier) and timestamps (format, zone)), and each block is validated at once
(:func:`avwap.data.importing.accumulate.accumulate`: bar-end -> bar-start, Lean hour label, grid check,
regular-session filter, :func:`validate_bars`' rules, duplicates looked for within each file across
blocks), keeping only the rows that survive: memory follows the valid bars, not the rows read. The kept
rows of all files are then combined (the later file wins a bar both hold). Bad rows are quarantined with
reason codes and their 1-based source line numbers; only an unreadable file or a file that plainly belongs
to another family raises :class:`DataError`. Every bad row is counted, but only a bounded sample of them
(``sample_rows`` per file and reason) is kept with its text, so a file of millions of bad rows costs no more
than its counts. The result is the same as validating every row of the batch at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from avwap.data.bar_time import regular_session_mask
from avwap.data.bars import BAR_COLUMNS, empty_bars, normalize_bars
from avwap.data.importing.accumulate import FILE_COLUMN, FileRows, accumulate, empty_rows, flag_rows
from avwap.data.importing.csv_source import SourceTotals, check_fraction, read_source
from avwap.data.importing.result import BatchImportResult, FileReport, ImportResult
from avwap.data.importing.spec import ImportSpec
from avwap.data.quarantine import DEFAULT_SAMPLE_ROWS

ProgressCallback = Callable[[int, int, Path], None]
ImportedFile = tuple[Path, FileRows, SourceTotals]


def _raw_lines(path: Path, wanted: set[int]) -> dict[int, str]:
    """The text of the 1-based lines ``wanted`` of ``path``, streamed: the file is never held in memory."""
    found: dict[int, str] = {}
    last = max(wanted, default=0)
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if number > last:
                break
            if number in wanted:
                text = line.rstrip(b"\n").rstrip(b"\r").decode("utf-8", errors="replace")
                found[number] = text.removeprefix("\ufeff") if number == 1 else text
    return found


def _quarantined(
    path: Path, malformed_lines: Sequence[tuple[int, str]], rows: pd.DataFrame | None
) -> pd.DataFrame:
    """The file's sampled rejected rows plus its sampled malformed lines, in line order, with the raw
    source text."""
    malformed = pd.DataFrame(
        {
            "line": [line for line, _ in malformed_lines],
            "reasons": [("MALFORMED_ROW",)] * len(malformed_lines),
            "raw": [text for _, text in malformed_lines],
        }
    )
    if rows is None:
        rows = malformed.iloc[:0]
    if len(rows):
        lines = _raw_lines(path, set(rows["line"].tolist()))
        rows = rows.assign(raw=[lines.get(line, "") for line in rows["line"]])
    columns = ["line", *BAR_COLUMNS, "reasons", "raw"]
    parts = [part for part in (rows, malformed) if len(part)]
    if not parts:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    combined = pd.concat(parts, ignore_index=True).reindex(columns=columns)
    return combined.sort_values("line", kind="mergesort").reset_index(drop=True)


def _with_malformed(counts: dict[str, int], totals: SourceTotals) -> dict[str, int]:
    """``counts`` plus the file's malformed lines, sorted by code."""
    if totals.malformed:
        counts = {**counts, "MALFORMED_ROW": totals.malformed}
    return dict(sorted(counts.items()))


def _report(imported: ImportedFile, spec: ImportSpec, no_flags: pd.DataFrame) -> FileReport:
    path, rows, totals = imported
    samples = pd.concat(rows.samples, ignore_index=True) if rows.samples else None
    return FileReport(
        path=path,
        spec_name=spec.name,
        frequency=spec.frequency,
        quarantined=_quarantined(path, totals.malformed_sample, samples),
        flags=pd.concat(rows.flags, ignore_index=True) if rows.flags else no_flags,
        rows_read=totals.rows + totals.malformed,
        rows_imported=rows.rows_imported,
        rows_outside_session=rows.rows_outside_session,
        rows_quarantined=rows.rows_rejected + totals.malformed,
        reason_counts=_with_malformed(rows.every_reason, totals),
        first_reason_counts=_with_malformed(rows.first_reason, totals),
    )


def _check_batch(files: Sequence[ImportedFile], spec: ImportSpec) -> None:
    """What one pass over every row of the batch would have raised after reading it: most bar starts of a
    file off the grid, then a day outside the calendar (the earliest) for the session filter."""
    for path, rows, totals in files:
        if rows.rows_off_grid:
            check_fraction(
                path, spec, rows.rows_off_grid, totals.rows, f"bar starts off the {spec.frequency} grid"
            )
    outside = [rows.outside_calendar for _, rows, _ in files if rows.outside_calendar is not None]
    if outside:
        regular_session_mask(np.array([min(outside)[1]], dtype=np.int64), spec.frequency)  # raises DataError


def _origins(paths: Sequence[Path], kept: pd.DataFrame) -> pd.DataFrame:
    """Where each kept bar came from: ``symbol``, ``timestamp``, ``source`` (resolved path), ``line``."""
    names = np.array([path.resolve().as_posix() for path in paths], dtype=object)
    unique = kept.drop_duplicates(subset=["symbol", "timestamp"], keep="last")
    return pd.DataFrame(
        {
            "symbol": unique["symbol"].to_numpy(),
            "timestamp": unique["timestamp"].to_numpy(),
            "source": names[unique[FILE_COLUMN].to_numpy(dtype=np.int64)],
            "line": unique["line"].to_numpy(dtype=np.int64),
        }
    )


def _combine(files: Sequence[ImportedFile]) -> tuple[pd.DataFrame, int, pd.DataFrame]:
    """The batch's bars (a bar in two files: the later file wins), the rows that lost, and the origins."""
    pieces = [piece for _, rows, _ in files for piece in rows.kept]
    kept = pd.concat(pieces, ignore_index=True) if pieces else empty_rows()
    del pieces
    for _, rows, _ in files:
        rows.kept.clear()
    bars = normalize_bars(kept) if len(kept) else empty_bars()  # it takes the bar columns (a copy)
    superseded = 0
    if bars.duplicated(subset=["symbol", "timestamp"]).any():
        losers = kept.duplicated(subset=["symbol", "timestamp"], keep="last").to_numpy()
        superseded = int(losers.sum())
        bars = normalize_bars(kept.loc[~losers, list(BAR_COLUMNS)])
    return bars, superseded, _origins([path for path, _, _ in files], kept)


def import_many(
    paths: Sequence[Path],
    spec: ImportSpec,
    progress: ProgressCallback | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
) -> BatchImportResult:
    """Import ``paths`` in order with one spec; ``progress(done, total, path)`` is called after each file.

    Each file's report keeps at most ``sample_rows`` rejected rows per reason code (with their text); the
    counts cover every row (``QUARANTINE_SAMPLE_ROWS`` in the configuration)."""
    files: list[ImportedFile] = []
    for index, path in enumerate(map(Path, paths)):
        consume = functools.partial(accumulate, spec=spec, file_index=index, sample_rows=sample_rows)
        rows, totals = read_source(path, spec, consume, sample_rows=sample_rows)
        files.append((path, rows, totals))
        if progress is not None:
            progress(index + 1, len(paths), path)
    if not files:
        return BatchImportResult((), empty_bars())
    _check_batch(files, spec)
    no_flags = flag_rows(empty_rows(), np.zeros(0, dtype=bool))
    reports = tuple(_report(imported, spec, no_flags) for imported in files)
    bars, superseded, origins = _combine(files)
    return BatchImportResult(reports, bars, superseded, origins)


def import_csv(path: Path, spec: ImportSpec, sample_rows: int = DEFAULT_SAMPLE_ROWS) -> ImportResult:
    """Import one CSV file described by ``spec``; see the module docstring for the pipeline."""
    batch = import_many([Path(path)], spec, sample_rows=sample_rows)
    return ImportResult(report=batch.reports[0], bars=batch.bars)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders replaced by their ``*.csv`` files (sorted by name)."""
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(path.glob("*.csv")) if path.is_dir() else [path])
    return files


__all__ = ["BatchImportResult", "FileReport", "ImportResult", "expand_paths", "import_csv", "import_many"]
