"""CSV import: files of one family (an :class:`ImportSpec`) -> clean canonical bars + quarantined rows.

Per file (:func:`avwap.data.csv_source.read_source`): read with pyarrow, take the symbol, parse numbers
(x volume multiplier) and timestamps (format, zone, bar-end -> bar-start, Lean hour label, grid check).
Then once for the whole batch, vectorized: regular-session filter, :func:`validate_bars` (duplicates are
looked for within each file), and the per-file reports. Bad rows are quarantined with reason codes and
their 1-based source line numbers; only an unreadable file or a file that plainly belongs to another family
raises :class:`DataError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from avwap.data.bar_time import bar_starts, instants_ns, misaligned, regular_session_mask
from avwap.data.bars import BAR_COLUMNS, NEW_YORK, empty_bars, normalize_bars
from avwap.data.csv_source import SourceRows, check_fraction, read_source
from avwap.data.import_result import BatchImportResult, FileReport, ImportResult
from avwap.data.import_spec import ImportSpec
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


def _source_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    return [line.rstrip("\r") for line in text.split("\n")]


def _quarantined(source: SourceRows, rows: pd.DataFrame | None, with_malformed: bool = True) -> pd.DataFrame:
    """The file's rejected rows plus its malformed lines, in line order, with the raw source text."""
    malformed_lines = source.malformed if with_malformed else ()
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
        lines = _source_lines(source.path)
        rows = rows.assign(raw=[lines[line - 1] if line <= len(lines) else "" for line in rows["line"]])
    columns = ["line", *BAR_COLUMNS, "reasons", "raw"]
    parts = [part for part in (rows, malformed) if len(part)]
    if not parts:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    combined = pd.concat(parts, ignore_index=True).reindex(columns=columns)
    return combined.sort_values("line", kind="mergesort").reset_index(drop=True)


def _reports(
    sources: Sequence[SourceRows],
    spec: ImportSpec,
    frame: pd.DataFrame,
    validation: ValidationResult,
    outside: np.ndarray,
) -> tuple[FileReport, ...]:
    count = len(sources)
    imported = np.bincount(frame[FILE_COLUMN].to_numpy()[validation.kept], minlength=count)
    outside_counts = np.bincount(outside, minlength=count)
    quarantined = dict(tuple(validation.quarantined.groupby(FILE_COLUMN, sort=False)))
    flags = {
        index: rows.drop(columns=FILE_COLUMN).reset_index(drop=True)
        for index, rows in validation.flags.groupby(FILE_COLUMN, sort=False)
    }
    no_rows = _quarantined(sources[0], validation.quarantined.iloc[:0], with_malformed=False)
    no_flags = validation.flags.iloc[:0].drop(columns=FILE_COLUMN)
    reports = []
    for index, source in enumerate(sources):
        rows = quarantined.get(index)
        reports.append(
            FileReport(
                path=source.path,
                spec_name=spec.name,
                frequency=spec.frequency,
                quarantined=no_rows if rows is None and not source.malformed else _quarantined(source, rows),
                flags=flags.get(index, no_flags),
                rows_read=len(source) + len(source.malformed),
                rows_imported=int(imported[index]),
                rows_outside_session=int(outside_counts[index]),
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
    sources: Sequence[SourceRows], spec: ImportSpec
) -> tuple[tuple[FileReport, ...], pd.DataFrame, int, pd.DataFrame]:
    frame, bits = _combine(sources, spec)
    inside = np.ones(len(frame), dtype=bool)
    if spec.session_policy == "regular":
        inside = regular_session_mask(instants_ns(frame["timestamp"]), spec.frequency)
    outside = frame[FILE_COLUMN].to_numpy()[~inside]
    frame = frame.loc[inside].reset_index(drop=True)
    validation = validate_bars(frame, bits[inside], duplicate_scope=(FILE_COLUMN,))
    reports = _reports(sources, spec, frame, validation, outside)
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
    paths: Sequence[Path], spec: ImportSpec, progress: ProgressCallback | None = None
) -> BatchImportResult:
    """Import ``paths`` in order with one spec; ``progress(done, total, path)`` is called after each file."""
    sources = []
    for index, path in enumerate(paths):
        sources.append(read_source(Path(path), spec))
        if progress is not None:
            progress(index + 1, len(paths), Path(path))
    if not sources:
        return BatchImportResult((), empty_bars())
    reports, bars, superseded, origins = _batch(sources, spec)
    return BatchImportResult(reports, bars, superseded, origins)


def import_csv(path: Path, spec: ImportSpec) -> ImportResult:
    """Import one CSV file described by ``spec``; see the module docstring for the pipeline."""
    batch = import_many([Path(path)], spec)
    return ImportResult(report=batch.reports[0], bars=batch.bars)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders replaced by their ``*.csv`` files (sorted by name)."""
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(path.glob("*.csv")) if path.is_dir() else [path])
    return files


__all__ = ["BatchImportResult", "FileReport", "ImportResult", "expand_paths", "import_csv", "import_many"]
