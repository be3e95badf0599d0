"""Reading ledger rows for ``avwap ledger show`` / ``trace`` and the dashboard (one reader for both).

Public API::

    ledger_rows(root, book, day, kind) -> list[dict]   every record with its folder, date, seq and hash
    trace_ledger(root, identifier) -> Lineage           DataError when no record carries the id
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from avwap.core.errors import DataError
from avwap.ledger.lineage import LedgerRow, Lineage, trace
from avwap.ledger.paths import ledger_date, list_ledger_names, validate_name
from avwap.ledger.router import read_linked


def ledger_rows(root: Path, book: str | None, day: dt.date | None, kind: str | None) -> list[dict[str, Any]]:
    """Rows of one book or stream (every one when ``book`` is None), optionally of one day and record type.
    A missing or cut day raises :class:`~avwap.core.errors.LedgerIntegrityError` (fail closed)."""
    names = [validate_name(book)] if book else list_ledger_names(root)
    rows: list[dict[str, Any]] = []
    for name in names:
        for path, envelopes in read_linked(root, name):
            file_day = ledger_date(path)
            if day is not None and file_day != day:
                continue
            for envelope in envelopes:
                if kind is None or envelope.record.get("type") == kind:
                    row = {"name": name, "date": file_day, "seq": envelope.seq, "hash": envelope.hash}
                    rows.append({**row, "record": envelope.record})
    return rows


def trace_ledger(root: Path, identifier: str) -> Lineage:
    """The lineage of ``identifier`` over every book and stream under ``root``."""
    rows = [
        LedgerRow(row["name"], row["date"], row["seq"], row["record"])
        for row in ledger_rows(root, None, None, None)
    ]
    lineage = trace(rows, identifier)
    if not lineage.rows:
        raise DataError(f"no ledger record under {root} carries the id {identifier!r}")
    return lineage


__all__ = ["ledger_rows", "trace_ledger"]
