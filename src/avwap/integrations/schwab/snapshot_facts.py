"""What a read-only Schwab snapshot holds before it is recorded (issue 13, M1-D), and how it is recorded.

Both sources (:mod:`avwap.integrations.schwab.csv_export` and :mod:`avwap.integrations.schwab.api_snapshot`)
produce :class:`SnapshotFacts`; :func:`snapshot_record` turns them into the ledger's frozen
:class:`~avwap.ledger.records.BrokerSnapshotRecorded` under a stable ``snapshot_id`` (a pure function of
the facts: the same export recorded twice has the same id). :func:`append_snapshot` appends it to the
``BROKER_SNAPSHOTS`` stream; :func:`read_snapshots` reads a book's snapshots back.

Measurement only: nothing here places, changes or blocks an order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from avwap.core.calendar import ny_date
from avwap.core.ids import stable_id
from avwap.ledger.paths import BROKER_SNAPSHOTS, ledger_file, list_ledger_files
from avwap.ledger.record_enums import SnapshotSource
from avwap.ledger.records import (
    BrokerSnapshotRecorded,
    SnapshotOrder,
    SnapshotPosition,
    SnapshotTransaction,
    encode_record,
)
from avwap.ledger.router import decode_envelope, read_linked
from avwap.ledger.store import LedgerStore


@dataclass(frozen=True)
class SnapshotFacts:
    source: SnapshotSource
    account: str  # masked: last digits only
    as_of: dt.datetime
    cash: Decimal | None
    total_value: Decimal | None
    positions: tuple[SnapshotPosition, ...]
    orders: tuple[SnapshotOrder, ...] = ()
    transactions: tuple[SnapshotTransaction, ...] = ()
    window_start: dt.datetime | None = None
    source_sha256: str = ""


def mask_account(number: str) -> str:
    """``...1234``: enough to tell accounts apart, never the whole number (it stays out of ledgers)."""
    digits = "".join(character for character in str(number) if character.isalnum())
    return f"...{digits[-4:]}" if digits else "unknown"


def snapshot_record(
    facts: SnapshotFacts, *, book_id: str, recorded_at: dt.datetime
) -> BrokerSnapshotRecorded:
    """The ledger record of ``facts``; ``date_ny`` is the New York date of ``as_of``."""
    fields = {
        "book_id": book_id,
        "date_ny": ny_date(facts.as_of),
        "ts": recorded_at,
        "source": facts.source,
        "account": facts.account,
        "as_of": facts.as_of,
        "cash": facts.cash,
        "total_value": facts.total_value,
        "positions": tuple(sorted(facts.positions, key=lambda item: item.symbol)),
        "orders": facts.orders,
        "transactions": facts.transactions,
        "window_start": facts.window_start,
        "source_sha256": facts.source_sha256,
    }
    draft = BrokerSnapshotRecorded(snapshot_id="snp_draft", **fields)  # type: ignore[arg-type]
    content = {key: value for key, value in encode_record(draft).items() if key not in ("ts", "snapshot_id")}
    return BrokerSnapshotRecorded(snapshot_id=stable_id("snp", content), **fields)  # type: ignore[arg-type]


def append_snapshot(ledger_root: Path, record: BrokerSnapshotRecorded) -> Path:
    """Append to the ``BROKER_SNAPSHOTS`` stream (append-only, hash-chained, fsynced); the file's path."""
    path = ledger_file(ledger_root, BROKER_SNAPSHOTS, record.date_ny)
    path.parent.mkdir(parents=True, exist_ok=True)
    LedgerStore(path).append(record)
    return path


def read_snapshots(ledger_root: Path, book_id: str) -> list[BrokerSnapshotRecorded]:
    """Every snapshot of ``book_id``, oldest first (a cut or broken stream fails closed)."""
    if not list_ledger_files(ledger_root, BROKER_SNAPSHOTS):
        return []
    found = []
    for path, envelopes in read_linked(ledger_root, BROKER_SNAPSHOTS):
        for envelope in envelopes:
            record = decode_envelope(path, envelope)
            if isinstance(record, BrokerSnapshotRecorded) and record.book_id == book_id:
                found.append(record)
    return found
