"""Renderings of a :class:`~avwap.execution.reconcile_schema.ReconciliationReport`.

* :func:`write_report`: the canonical JSON artifact ``artifacts/reconciliation/<BOOK>/<YYYY-MM-DD>.json``
  (one per book and NY date), written atomically with a provenance block whose ``data_hash`` is
  :func:`inputs_hash` of the two sides compared; :func:`read_report` reads it back, strictly.
* :func:`render_table`: a plain-text table for terminals, logs and alerts.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Final

import msgspec

from avwap.core.canonical import content_hash, to_plain
from avwap.core.errors import DataError
from avwap.execution.reconcile_schema import (
    BrokerSnapshot,
    LedgerExpectation,
    ReconciliationReport,
    SnapshotFailure,
)
from avwap.ledger.atomic import Provenance, atomic_write_json
from avwap.ledger.paths import validate_name

ARTIFACT_KIND: Final = "reconciliation_report"
ARTIFACT_FOLDER: Final = "reconciliation"


def report_path(artifacts_dir: Path, book_id: str, date_ny: dt.date) -> Path:
    """Where the report of ``book_id`` for ``date_ny`` lives."""
    return Path(artifacts_dir) / ARTIFACT_FOLDER / validate_name(book_id) / f"{date_ny.isoformat()}.json"


def inputs_hash(expectation: LedgerExpectation, snapshot: BrokerSnapshot | SnapshotFailure) -> str:
    """sha256 of the canonical JSON of both sides: the report's ``data_hash``."""
    return content_hash({"ledger": expectation, "broker": snapshot})


def write_report(
    artifacts_dir: Path, report: ReconciliationReport, provenance: Provenance
) -> tuple[Path, str]:
    """Write the report atomically; returns its path and the file's sha256."""
    if provenance.as_of_date_ny != report.date_ny:
        raise ValueError(f"provenance is dated {provenance.as_of_date_ny}, the report {report.date_ny}")
    path = report_path(artifacts_dir, report.book_id, report.date_ny)
    digest = atomic_write_json(path, {"kind": ARTIFACT_KIND, "report": report}, provenance)
    return path, digest


def read_report(path: Path) -> ReconciliationReport:
    """The report stored at ``path``; a malformed or foreign file is a :class:`DataError`."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(document, dict) or document.get("kind") != ARTIFACT_KIND:
            raise DataError(f"{path} is not a reconciliation report")
        return msgspec.convert(document["report"], ReconciliationReport, strict=False)
    except (OSError, ValueError, KeyError, msgspec.ValidationError) as error:
        raise DataError(f"{path}: unreadable reconciliation report: {error}") from error


def _text(value: object) -> str:
    return "-" if value is None else str(to_plain(value))


DRIFT_COLUMNS: Final = ("code", "symbol", "reference", "ledger", "broker", "detail")


def drift_rows(report: ReconciliationReport) -> list[tuple[str, str, str, str, str, str]]:
    """One row of text per drift item, in the report's order (the table and the HTML form show these)."""
    return [
        (
            str(item.code),
            item.symbol or "-",
            item.reference,
            _text(item.ledger_value),
            _text(item.broker_value),
            item.detail,
        )
        for item in report.items
    ]


def render_table(report: ReconciliationReport) -> str:
    """The report as aligned plain text: a header, then one row per drift item."""
    header = f"Reconciliation {report.book_id} {report.date_ny.isoformat()} as of {_text(report.as_of)}"
    if not report.complete:
        return f"{header}\nINCOMPLETE ({report.incomplete_code}): {report.incomplete_reason}\n"
    counts = ", ".join(f"{code} {count}" for code, count in report.counts.items() if count)
    lines = [header, f"drift: {len(report.items)} item(s){f' ({counts})' if counts else ''}"]
    if not report.cash_checked:
        lines.append("cash: not compared (the ledger records no funding)")
    if not report.items:
        return "\n".join([*lines, "no drift"]) + "\n"
    rows = [DRIFT_COLUMNS, *drift_rows(report)]
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)]
        lines.append("  ".join([*cells, row[5]]).rstrip())
    return "\n".join(lines) + "\n"
