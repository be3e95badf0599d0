"""What an import produced: per-file reports (quarantine, flags, counts) and the clean bars."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from avwap.data.quarantine import QuarantineRecord

OUTSIDE_SESSION: Final = "OUTSIDE_REGULAR_SESSION"
SUPERSEDED: Final = "SUPERSEDED_BY_LATER_FILE"


@dataclass(frozen=True)
class FileReport:
    """One imported file, without its bars.

    ``quarantined`` is a sample of the rejected source rows, at most the import's ``sample_rows`` per reason
    code (every rejected row when there are fewer): ``line`` (1-based line in the file), the parsed bar
    columns, ``reasons`` (tuple of codes, see :mod:`avwap.data.validation`) and ``raw`` (the exact source
    line). ``rows_quarantined`` and ``reason_counts`` count every rejected row. ``flags`` has ``line``, the
    bar columns, ``flag`` and ``quarantined``. Rows outside the regular session (when the spec keeps only
    the regular session) are counted in ``rows_outside_session``. Every row read is accounted for:
    ``rows_read == rows_imported + rows_quarantined + rows_outside_session``.
    """

    path: Path
    spec_name: str
    frequency: str
    quarantined: pd.DataFrame
    flags: pd.DataFrame
    rows_read: int
    rows_imported: int
    rows_outside_session: int
    rows_quarantined: int
    reason_counts: dict[str, int]
    first_reason_counts: dict[str, int]

    @property
    def rows_sampled(self) -> int:
        """Rejected rows kept with their text (the rest are only counted)."""
        return len(self.quarantined)

    @property
    def rows_dropped(self) -> int:
        """Rows read but not imported: quarantined or outside the regular session."""
        return self.rows_quarantined + self.rows_outside_session

    @property
    def dropped_by_reason(self) -> dict[str, int]:
        """Rows read but not imported, by reason; a quarantined row counts once, under its first reason
        (so the values add up to :attr:`rows_dropped`); ``OUTSIDE_REGULAR_SESSION`` counts the rows the
        session filter left out."""
        dropped = Counter(self.first_reason_counts)
        if self.rows_outside_session:
            dropped[OUTSIDE_SESSION] = self.rows_outside_session
        return dict(sorted(dropped.items()))

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
            "rows_dropped": self.rows_dropped,
            "dropped_by_reason": self.dropped_by_reason,
            "quarantine_rows_recorded": self.rows_sampled,
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

    @property
    def rows_dropped(self) -> int:
        return self.report.rows_dropped

    @property
    def dropped_by_reason(self) -> dict[str, int]:
        return self.report.dropped_by_reason


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
        dropped: Counter[str] = Counter()
        flags: Counter[str] = Counter()
        for report in self.reports:
            reasons.update(report.reason_counts)
            dropped.update(report.dropped_by_reason)
            flags.update(report.flag_counts)
        if self.rows_superseded:
            dropped[SUPERSEDED] = self.rows_superseded
        return {
            "files": len(self.reports),
            "rows_read": sum(report.rows_read for report in self.reports),
            "rows_imported": len(self.bars),
            "rows_quarantined": sum(report.rows_quarantined for report in self.reports),
            "rows_outside_session": sum(report.rows_outside_session for report in self.reports),
            "rows_superseded": self.rows_superseded,
            "quarantined_by_reason": dict(sorted(reasons.items())),
            "rows_dropped": sum(dropped.values()),
            "dropped_by_reason": dict(sorted(dropped.items())),
            "quarantine_rows_recorded": sum(report.rows_sampled for report in self.reports),
            "flags": dict(sorted(flags.items())),
        }
