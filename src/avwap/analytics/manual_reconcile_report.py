"""The manual book's reconciliation as an artifact, a table and a Slack summary (issue 13, M1-D).

The artifact is ``<artifacts>/manual_reconciliation/<BOOK>/<as_of>.json``: canonical, pretty JSON with a
provenance block, written atomically; the same inputs give the same bytes (``data_hash`` commits to the ids
of every ticket, reply and snapshot read). The Slack summary is an :class:`AlertEvent` for the existing
notifier: ``RECONCILIATION_DRIFT`` (warning) when any finding is a warning, else a ``DAILY_SUMMARY``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from avwap.analytics.manual_reconcile import WARNING, Reconciliation
from avwap.core.canonical import content_hash, to_plain
from avwap.integrations.slack.messages import AlertEvent, AlertKind, alert_event
from avwap.ledger.atomic import Provenance, atomic_write_json
from avwap.ledger.paths import validate_name

ARTIFACT_FOLDER: Final = "manual_reconciliation"
SUMMARY_LINES: Final = 15
ROW_COLUMNS: Final = (
    "date", "symbol", "ticket", "reply", "broker", "codes", "strategy", "intent_id",
)  # fmt: skip


def report_payload(report: Reconciliation) -> dict[str, Any]:
    """The artifact's content (plain JSON values)."""
    return {
        "kind": "manual_reconciliation",
        "schema_version": 1,
        "status": report.status,
        **to_plain({key: value for key, value in dataclasses.asdict(report).items() if key != "rows"}),
        "rows": [to_plain(dataclasses.asdict(row)) for row in report.rows],
    }


def input_hash(ids: Sequence[str]) -> str:
    """What the report was computed from: the sorted ids of the records read."""
    return content_hash(sorted(ids))


def artifact_path(artifacts_dir: Path, report: Reconciliation) -> Path:
    name = f"{report.as_of.isoformat()}.json"
    return Path(artifacts_dir) / ARTIFACT_FOLDER / validate_name(report.book_id) / name


def write_report(artifacts_dir: Path, report: Reconciliation, provenance: Provenance) -> tuple[Path, str]:
    """Write the artifact atomically; its path and sha256."""
    path = artifact_path(artifacts_dir, report)
    return path, atomic_write_json(path, report_payload(report), provenance)


def table_rows(report: Reconciliation) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for row in report.rows:
        limit = f" LIMIT {row.limit_price}" if row.limit_price is not None else ""
        reply = f"{row.reply} {row.replied_quantity or ''}".strip() if row.reply else "-"
        if row.replied_price is not None:
            reply += f" @ {row.replied_price}"
        broker = f"{row.broker_filled} @ {row.broker_price}" if row.broker_order_id else "-"
        rows.append(
            (row.date_ny.isoformat(), row.symbol, f"{row.side} {row.quantity}{limit}", reply, broker,
             " ".join(row.codes) or "ok", row.strategy_id, row.intent_id)
        )  # fmt: skip
    return rows


def finding_lines(report: Reconciliation) -> list[str]:
    return [
        f"{item.severity:<7} {item.code:<28} {item.symbol or '-':<6} {item.message}"
        for item in report.findings
    ]


def summary_event(report: Reconciliation) -> AlertEvent:
    """The Slack summary of a reconciliation (no secrets: symbols, counts, codes, messages)."""
    warnings = sorted({item.code for item in report.findings if item.severity == WARNING})
    lines = finding_lines(report)
    if len(lines) > SUMMARY_LINES:
        lines = [*lines[:SUMMARY_LINES], f"... and {len(lines) - SUMMARY_LINES} more (see the report)"]
    drift = report.status == "DRIFT"
    return alert_event(
        AlertKind.RECONCILIATION_DRIFT if drift else AlertKind.DAILY_SUMMARY,
        f"{report.book_id} reconciliation {report.as_of.isoformat()}: {report.status}",
        report.as_of,
        fields={
            "book": report.book_id,
            "findings": len(report.findings),
            "snapshot": report.snapshot_id or "none",
            "snapshot as of": report.snapshot_as_of,
            "tickets": len(report.rows),
            "window": f"{report.since.isoformat()} .. {report.as_of.isoformat()}",
        },
        reason_codes=warnings,
        details=lines or ["tickets, replies and the broker agree"],
        dedupe_key=f"MANUAL_RECONCILE:{report.book_id}:{report.as_of.isoformat()}:"
        + content_hash(report_payload(report))[:16],
    )
