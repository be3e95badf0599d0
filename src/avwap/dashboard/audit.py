"""The Audit page: ledger verification per book (and stream) and day, as ``avwap ledger verify --json``
reports it (:func:`avwap.ledger.verify.verify_path`), and every reconciliation report with its status line
(the HTML report's :func:`avwap.presentation.reconciliation.status_line`).

Public API::

    VerificationRow, verification_rows(ledger_dir) -> list[VerificationRow]
    ReconciliationRow, reconciliation_rows(artifacts_dir, books) -> list[ReconciliationRow]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from avwap.core.errors import AvwapError
from avwap.execution.reconcile_render import read_report
from avwap.ledger.paths import ledger_date
from avwap.ledger.verify import verify_path
from avwap.presentation.reconciliation import status_line


@dataclass(frozen=True)
class VerificationRow:
    name: str
    day: dt.date | None
    file: str
    status: str
    records: int
    bad_line: int | None
    reason: str
    ok: bool


def verification_rows(ledger_dir: Path) -> list[VerificationRow]:
    if not ledger_dir.is_dir():
        return []
    rows = []
    for report in verify_path(ledger_dir):
        path = Path(report.path)
        rows.append(
            VerificationRow(
                path.parent.name,
                ledger_date(path),
                path.name,
                str(report.status),
                report.records,
                report.bad_line,
                report.reason,
                report.ok,
            )
        )
    return rows


@dataclass(frozen=True)
class ReconciliationRow:
    book_id: str
    day: str
    status: str
    drift: int
    complete: bool


def reconciliation_rows(artifacts_dir: Path, books: Sequence[str]) -> list[ReconciliationRow]:
    rows = []
    for book_id in books:
        folder = artifacts_dir / "reconciliation" / book_id
        for path in sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []:
            try:
                report = read_report(path)
            except (AvwapError, OSError, ValueError) as error:
                rows.append(ReconciliationRow(book_id, path.stem, f"unreadable: {error}", 0, False))
                continue
            rows.append(
                ReconciliationRow(
                    book_id, str(report.date_ny), status_line(report), len(report.items), report.complete
                )
            )
    return rows


__all__ = ["ReconciliationRow", "VerificationRow", "reconciliation_rows", "verification_rows"]
