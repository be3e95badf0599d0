"""CSV import: files of one family (an :class:`ImportSpec`) -> clean canonical bars + quarantined rows.

Per file (:func:`avwap.data.importing.csv_source.read_source`): read with pyarrow, take the symbol, parse
numbers (x volume multiplier) and timestamps (format, zone, bar-end -> bar-start, Lean hour label, grid
check).
Then once for the whole batch, vectorized: regular-session filter, :func:`validate_bars` (duplicates are
looked for within each file), and the per-file reports. Bad rows are quarantined with reason codes and
their 1-based source line numbers; only an unreadable file or a file that plainly belongs to another family
raises :class:`DataError`. Every bad row is counted, but only a bounded sample of them (``sample_rows`` per
file and reason) is kept with its text, so a file of millions of bad rows costs no more than its counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from avwap.data.bar_time import bar_starts, instants_ns, misaligned, regular_session_mask
from avwap.data.bars import BAR_COLUMNS, NEW_YORK, empty_bars, normalize_bars
from avwap.data.importing.csv_source import SourceRows, check_fraction, read_source
from avwap.data.importing.result import BatchImportResult, FileReport, ImportResult
from avwap.data.importing.spec import ImportSpec
from avwap.data.quarantine import DEFAULT_SAMPLE_ROWS
from avwap.data.validation import REASON_BITS, ValidationResult, validate_bars

ProgressCallback = Callable[[int, int, Path], None]
FILE_COLUMN = "file"


def _clock_bits(
    sources: Sequence[SourceRows], spec: ImportSpec, files: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bar starts (int64 ns UTC) for all rows and their clock reason bits; a file whose bars are mostly off
    the frequency grid is of another family (:class:`DataError`)."""
    clock = np.concatenate([source.clock for source in sources])
    is_utc = np.repeat([source.clock_is_utc for source in sources], [len(source) for source in sources])
    starts, ambiguous = bar_starts(
        clock,
        is_utc,
        timezone=spec.timezone,
        frequency=spec.frequency,
        label=spec.label,
        hour_label=spec.hour_label,
    )
    off_grid = misaligned(starts, spec.frequency)
    if off_grid.any():
        for index in np.unique(files[off_grid]):
            check_fraction(
                sources[index].path,
                spec,
                off_grid[files == index],
                f"bar starts off the {spec.frequency} grid",
            )
    bits = np.where(ambiguous, REASON_BITS["AMBIGUOUS_LOCAL_TIME"], 0) | np.where(
        off_grid, REASON_BITS["MISALIGNED_TIMESTAMP"], 0
    )
    return starts, bits.astype(np.int64)


def _combine(sources: Sequence[SourceRows], spec: ImportSpec) -> tuple[pd.DataFrame, np.ndarray]:
    """One frame for all files (with a ``file`` index column) and the prior reason bits."""
    files = np.repeat(np.arange(len(sources)), [len(source) for source in sources])
    starts, clock_bits = _clock_bits(sources, spec, files)
    frame = pd.DataFrame(
        {
            "symbol": np.concatenate([source.symbol for source in sources]),
            "timestamp": pd.DatetimeIndex(starts.view("datetime64[ns]"))
            .tz_localize("UTC")
            .tz_convert(NEW_YORK),
            **{key: np.concatenate([source.values[key] for source in sources]) for key in sources[0].values},
            "line": np.concatenate([source.line for source in sources]),
            FILE_COLUMN: files,
        }
    )
    return frame, np.concatenate([source.bits for source in sources]) | clock_bits


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
    source: SourceRows, rows: pd.DataFrame | None, sample_rows: int, with_malformed: bool = True
) -> pd.DataFrame:
    """The file's sampled rejected rows plus (up to ``sample_rows``) malformed lines, in line order, with the
    raw source text."""
    malformed_lines = source.malformed[:sample_rows] if with_malformed else ()
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
        lines = _raw_lines(source.path, set(rows["line"].tolist()))
        rows = rows.assign(raw=[lines.get(line, "") for line in rows["line"]])
    columns = ["line", *BAR_COLUMNS, "reasons", "raw"]
    parts = [part for part in (rows, malformed) if len(part)]
    if not parts:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    combined = pd.concat(parts, ignore_index=True).reindex(columns=columns)
    return combined.sort_values("line", kind="mergesort").reset_index(drop=True)


def _counts_by_file(
    files: np.ndarray, masks: np.ndarray, count: int, first_only: bool
) -> list[dict[str, int]]:
    """Rejected rows per file and reason code: every code of a row, or (``first_only``) only its first."""
    lowest = masks & -masks  # the lowest set bit is the first code in REASON_CODES order
    per_file: list[dict[str, int]] = [{} for _ in range(count)]
    for code, bit in REASON_BITS.items():
        hits = lowest == bit if first_only else (masks & bit) != 0
        if not hits.any():
            continue
        for index, number in enumerate(np.bincount(files[hits], minlength=count).tolist()):
            if number:
                per_file[index][code] = number
    return per_file


def _with_malformed(counts: dict[str, int], source: SourceRows) -> dict[str, int]:
    """``counts`` plus the file's malformed lines, sorted by code."""
    if source.malformed:
        counts = {**counts, "MALFORMED_ROW": len(source.malformed)}
    return dict(sorted(counts.items()))


def _reports(
    sources: Sequence[SourceRows],
    spec: ImportSpec,
    frame: pd.DataFrame,
    validation: ValidationResult,
    outside: np.ndarray,
    *,
    sample_rows: int,
) -> tuple[FileReport, ...]:
    count = len(sources)
    files = frame[FILE_COLUMN].to_numpy()
    imported = np.bincount(files[validation.kept], minlength=count)
    rejected = np.bincount(files[~validation.kept], minlength=count)
    outside_counts = np.bincount(outside, minlength=count)
    every_reason = _counts_by_file(files, validation.masks, count, first_only=False)
    first_reason = _counts_by_file(files, validation.masks, count, first_only=True)
    quarantined = dict(tuple(validation.quarantined.groupby(FILE_COLUMN, sort=False)))
    flags = {
        index: rows.drop(columns=FILE_COLUMN).reset_index(drop=True)
        for index, rows in validation.flags.groupby(FILE_COLUMN, sort=False)
    }
    no_rows = _quarantined(sources[0], validation.quarantined.iloc[:0], sample_rows, with_malformed=False)
    no_flags = validation.flags.iloc[:0].drop(columns=FILE_COLUMN)
    reports = []
    for index, source in enumerate(sources):
        rows = quarantined.get(index)
        reports.append(
            FileReport(
                path=source.path,
                spec_name=spec.name,
                frequency=spec.frequency,
                quarantined=(
                    no_rows
                    if rows is None and not source.malformed
                    else _quarantined(source, rows, sample_rows)
                ),
                flags=flags.get(index, no_flags),
                rows_read=len(source) + len(source.malformed),
                rows_imported=int(imported[index]),
                rows_outside_session=int(outside_counts[index]),
                rows_quarantined=int(rejected[index]) + len(source.malformed),
                reason_counts=_with_malformed(every_reason[index], source),
                first_reason_counts=_with_malformed(first_reason[index], source),
            )
        )
    return tuple(reports)


def _origins(sources: Sequence[SourceRows], kept: pd.DataFrame) -> pd.DataFrame:
    """Where each kept bar came from: ``symbol``, ``timestamp``, ``source`` (resolved path), ``line``."""
    names = np.array([source.path.resolve().as_posix() for source in sources], dtype=object)
    unique = kept.drop_duplicates(subset=["symbol", "timestamp"], keep="last")
    return pd.DataFrame(
        {
            "symbol": unique["symbol"].to_numpy(),
            "timestamp": unique["timestamp"].to_numpy(),
            "source": names[unique[FILE_COLUMN].to_numpy(dtype=np.int64)],
            "line": unique["line"].to_numpy(dtype=np.int64),
        }
    )


def _batch(
    sources: Sequence[SourceRows], spec: ImportSpec, sample_rows: int
) -> tuple[tuple[FileReport, ...], pd.DataFrame, int, pd.DataFrame]:
    frame, bits = _combine(sources, spec)
    inside = np.ones(len(frame), dtype=bool)
    if spec.session_policy == "regular":
        inside = regular_session_mask(instants_ns(frame["timestamp"]), spec.frequency)
    outside = frame[FILE_COLUMN].to_numpy()[~inside]
    frame = frame.loc[inside].reset_index(drop=True)
    validation = validate_bars(
        frame,
        bits[inside],
        duplicate_scope=(FILE_COLUMN,),
        sample_limit=sample_rows,
        sample_groups=frame[FILE_COLUMN].to_numpy(),
    )
    reports = _reports(sources, spec, frame, validation, outside, sample_rows=sample_rows)
    bars = validation.bars
    superseded = 0
    if bars.duplicated(
        subset=["symbol", "timestamp"]
    ).any():  # the same bar in two files: the later file wins
        kept = frame.loc[validation.kept]
        losers = kept.duplicated(subset=["symbol", "timestamp"], keep="last").to_numpy()
        superseded = int(losers.sum())
        bars = normalize_bars(kept.loc[~losers, list(BAR_COLUMNS)])
    return reports, bars, superseded, _origins(sources, frame.loc[validation.kept])


def import_many(
    paths: Sequence[Path],
    spec: ImportSpec,
    progress: ProgressCallback | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
) -> BatchImportResult:
    """Import ``paths`` in order with one spec; ``progress(done, total, path)`` is called after each file.

    Each file's report keeps at most ``sample_rows`` rejected rows per reason code (with their text); the
    counts cover every row (``QUARANTINE_SAMPLE_ROWS`` in the configuration)."""
    sources = []
    for index, path in enumerate(paths):
        sources.append(read_source(Path(path), spec))
        if progress is not None:
            progress(index + 1, len(paths), Path(path))
    if not sources:
        return BatchImportResult((), empty_bars())
    reports, bars, superseded, origins = _batch(sources, spec, sample_rows)
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
