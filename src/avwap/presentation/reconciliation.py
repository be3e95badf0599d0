"""The reconciliation report as HTML (roadmap D3.3): the ledger against the broker for one book and day.

The same figures as the JSON artifact and the plain-text table (``avwap portfolio reconcile``): a status line,
the counts by drift code, then one row per drift item. Written beside the artifact by the reconcile job
(``reports/reconciliation/<BOOK>/<date>.html``), self-contained and byte-stable like every other report.
"""

from __future__ import annotations

from pathlib import Path

from avwap.core.canonical import to_plain
from avwap.core.files import atomic_write_bytes
from avwap.execution.reconcile_render import DRIFT_COLUMNS, drift_rows
from avwap.execution.reconcile_schema import ReconciliationReport
from avwap.ledger.atomic import Provenance
from avwap.ledger.paths import validate_name
from avwap.presentation.report import Section, Table, render_report

REPORT_FOLDER = "reconciliation"


def _text(value: object) -> str:
    return "-" if value is None else str(to_plain(value))


def status_line(report: ReconciliationReport) -> str:
    if not report.complete:
        return f"INCOMPLETE ({report.incomplete_code}): {report.incomplete_reason}"
    if not report.items:
        return "Complete: the ledger and the broker agree (no drift)."
    return f"Complete: {len(report.items)} drift item(s)."


def reconciliation_section(report: ReconciliationReport) -> Section:
    """One book and day: status, counts by code (non-zero), and the drift items in the report's order."""
    paragraphs = [status_line(report)]
    if report.complete and not report.cash_checked:
        paragraphs.append("Cash not compared: the ledger records no funding of this book.")
    tables = []
    counts = [[code, str(count)] for code, count in report.counts.items() if count]
    if counts:
        tables.append(Table("Drift by code", ["drift code", "items"], counts))
    if report.items:
        tables.append(Table("Drift items", DRIFT_COLUMNS, [list(row) for row in drift_rows(report)]))
    return Section(f"Reconciliation {report.book_id} {report.date_ny.isoformat()}", tables=tables,
                   paragraphs=paragraphs)  # fmt: skip


def html_path(reports_dir: Path, report: ReconciliationReport) -> Path:
    return (
        Path(reports_dir)
        / REPORT_FOLDER
        / validate_name(report.book_id)
        / f"{report.date_ny.isoformat()}.html"
    )


def write_reconciliation_html(
    reports_dir: Path, report: ReconciliationReport, provenance: Provenance
) -> Path:
    """Render and write the report atomically; returns its path."""
    meta = (
        f"as of {_text(report.as_of)} · code {provenance.code_version} · config {provenance.config_hash[:12]}"
    )
    html = render_report(
        f"Reconciliation {report.book_id} {report.date_ny.isoformat()}",
        meta,
        [reconciliation_section(report)],
        provenance,
    )
    path = html_path(reports_dir, report)
    atomic_write_bytes(path, html.encode("utf-8"))
    return path
