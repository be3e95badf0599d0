"""What an import produced: per-file reports (quarantine, flags, counts) and the clean bars."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from avwap.data.quarantine import QuarantineRecord


def count_reasons(reasons: pd.Series) -> dict[str, int]:
    """Rows per reason code (a row with two reasons counts under both), sorted by code."""
    return dict(sorted(Counter(code for codes in reasons for code in codes).items()))


@dataclass(frozen=True)
class FileReport:
    """One imported file, without its bars.

    ``quarantined`` has one row per rejected source row: ``line`` (1-based line in the file), the parsed bar
    columns, ``reasons`` (tuple of codes, see :mod:`avwap.data.validation`) and ``raw`` (the exact source
    line). ``flags`` has ``line``, the bar columns, ``flag`` and ``quarantined``. Rows outside the regular
    session (when the spec keeps only the regular session) are counted in ``rows_outside_session``.
    """

    path: Path
    spec_name: str
    frequency: str
    quarantined: pd.DataFrame
    flags: pd.DataFrame
    rows_read: int
    rows_imported: int
    rows_outside_session: int

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantined)

    @property
    def reason_counts(self) -> dict[str, int]:
        return count_reasons(self.quarantined["reasons"])

    @property
    def flag_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(self.flags["flag"]).items()))

    @property
    def source(self) -> str:
        """The file's resolved path: the key of its quarantine records."""
        return self.path.resolve().as_posix()

    def quarantine_records(self) -> list[QuarantineRecord]:
        """The quarantined rows as records for :mod:`avwap.data.quarantine`, in line order."""
        rows = self.quarantined
        records = [
            QuarantineRecord(
                source=self.source,
                line=int(line),
                reasons=tuple(reasons),
                symbol=None if pd.isna(symbol) else str(symbol),
                timestamp=None if pd.isna(timestamp) else timestamp.isoformat(),
                raw=str(raw),
                flags=("ZERO_VOLUME",) if volume == 0 else (),
            )
            for line, reasons, symbol, timestamp, raw, volume in zip(
                rows["line"].tolist(),
                rows["reasons"].tolist(),
                rows["symbol"].tolist(),
                rows["timestamp"].tolist(),
                rows["raw"].tolist(),
                rows["volume"].tolist(),
                strict=True,
            )
        ]
        return sorted(records, key=QuarantineRecord.sort_key)

    def summary(self) -> dict[str, Any]:
        """Counts for people and JSON output."""
        return {
            "file": self.path.as_posix(),
            "preset": self.spec_name,
            "frequency": self.frequency,
            "rows_read": self.rows_read,
            "rows_imported": self.rows_imported,
            "rows_quarantined": self.rows_quarantined,
            "rows_outside_session": self.rows_outside_session,
            "quarantined_by_reason": self.reason_counts,
            "flags": self.flag_counts,
        }


@dataclass(frozen=True)
class ImportResult:
    """One imported file: its canonical clean ``bars`` and its :class:`FileReport`."""

    report: FileReport
    bars: pd.DataFrame

    @property
    def quarantined(self) -> pd.DataFrame:
        return self.report.quarantined

    @property
    def flags(self) -> pd.DataFrame:
        return self.report.flags

    @property
    def rows_read(self) -> int:
        return self.report.rows_read

    @property
    def rows_imported(self) -> int:
        return self.report.rows_imported

    @property
    def rows_quarantined(self) -> int:
        return self.report.rows_quarantined

    @property
    def rows_outside_session(self) -> int:
        return self.report.rows_outside_session

    @property
    def reason_counts(self) -> dict[str, int]:
        return self.report.reason_counts

    @property
    def flag_counts(self) -> dict[str, int]:
        return self.report.flag_counts


@dataclass(frozen=True)
class BatchImportResult:
    """Many files imported with one spec: a report per file and the combined canonical bars.

    When two files hold the same (symbol, timestamp), the later file wins (as separate upserts would);
    ``rows_superseded`` counts the rows that lost. ``origins`` says which source line each bar came from
    (what a later screen, like the ticker-reuse one, needs to quarantine rows by line).
    """

    reports: tuple[FileReport, ...]
    bars: pd.DataFrame
    rows_superseded: int = 0
    origins: pd.DataFrame | None = None  # symbol, timestamp, source, line of every bar in ``bars``

    def quarantine_records(self) -> list[QuarantineRecord]:
        records = [record for report in self.reports for record in report.quarantine_records()]
        return sorted(records, key=QuarantineRecord.sort_key)

    def summary(self) -> dict[str, Any]:
        """Totals over all files (reason counts are rows per reason)."""
        reasons: Counter[str] = Counter()
        flags: Counter[str] = Counter()
        for report in self.reports:
            reasons.update(report.reason_counts)
            flags.update(report.flag_counts)
        return {
            "files": len(self.reports),
            "rows_read": sum(report.rows_read for report in self.reports),
            "rows_imported": len(self.bars),
            "rows_quarantined": sum(report.rows_quarantined for report in self.reports),
            "rows_outside_session": sum(report.rows_outside_session for report in self.reports),
            "rows_superseded": self.rows_superseded,
            "quarantined_by_reason": dict(sorted(reasons.items())),
            "flags": dict(sorted(flags.items())),
        }
