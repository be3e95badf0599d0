"""The ledger root: routes typed records to ``<root>/<book_id>/<date_ny>.jsonl`` and reads books back typed.

Public API::

    Ledger(root)
      .store(book_or_stream, date_ny) -> LedgerStore
      .append(record) -> Envelope                      typed record, routed by its book_id and date_ny
      .append_together(records) -> list[Envelope]      same book and date, one write: all or none
      .batch(book_or_stream, date_ny) -> context manager of LedgerBatch
      .append_stream(stream, date_ny, payload) -> Envelope   plain JSON payload to a non-book stream
      .read_book(book_id) -> list[Record]              canonical order (dates, then lines)
    read_book_records(root, book_id) -> list[Record]   fails closed on a missing or cut day (see links)
    read_linked(root, book_or_stream) -> Iterator[(Path, list[Envelope])]   every file, links checked
    read_file_records(path) -> list[Record]
    decode_envelope(path, envelope) -> Record          a bad record is a LedgerIntegrityError at its line
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from avwap.core.errors import LedgerIntegrityError
from avwap.ledger.chain import Envelope
from avwap.ledger.links import LinkChecker
from avwap.ledger.paths import BOOK_IDS, ledger_file, list_ledger_files, validate_name
from avwap.ledger.records import Record, RecordValidationError, decode_record
from avwap.ledger.store import LedgerBatch, LedgerStore


def decode_envelope(path: Path, envelope: Envelope) -> Record:
    """The typed record of ``envelope``; a record that breaks its contract fails closed at its line."""
    try:
        return decode_record(envelope.record)
    except RecordValidationError as error:
        raise LedgerIntegrityError(str(path), envelope.seq, f"invalid record: {error}") from None


def read_file_records(path: Path) -> list[Record]:
    """Typed records of one book ledger file, in line order."""
    return [decode_envelope(path, envelope) for envelope in LedgerStore(path).read_envelopes()]


def read_linked(root: Path, book_or_stream: str) -> Iterator[tuple[Path, list[Envelope]]]:
    """Each file of a book or stream in date order with its envelopes, after checking that it links to its
    predecessor; after the last file, the head. Raises :class:`LedgerIntegrityError` on a missing or
    truncated file, so no fold can silently see fewer records."""
    files = list_ledger_files(root, validate_name(book_or_stream))
    checker = LinkChecker(Path(root) / book_or_stream)  # after the listing (see LinkChecker)
    for path in files:
        envelopes = LedgerStore(path).read_envelopes()
        problem = checker.add(path, envelopes)
        if problem is not None:
            raise problem
        yield path, envelopes
    problem = checker.finish()
    if problem is not None:
        raise problem


def read_book_records(root: Path, book_id: str) -> list[Record]:
    """Typed records of a book in the canonical order: files by date, then lines."""
    records: list[Record] = []
    for path, envelopes in read_linked(root, book_id):
        for envelope in envelopes:
            record = decode_envelope(path, envelope)
            if record.book_id != book_id:
                message = f"a {record.book_id} record in the {book_id} book"
                raise LedgerIntegrityError(str(path), envelope.seq, message)
            records.append(record)
    return records


class Ledger:
    """All ledgers under one root folder (``Config.ledger_dir``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._stores: dict[tuple[str, dt.date], LedgerStore] = {}

    def __repr__(self) -> str:
        return f"Ledger({str(self.root)!r})"

    def store(self, book_or_stream: str, date_ny: dt.date) -> LedgerStore:
        """The file's store, kept per (book, date): a store holds only its path (the tail cache and the
        checks live under the file lock), and building paths per append was a cycle hot spot."""
        key = (book_or_stream, date_ny)
        store = self._stores.get(key)
        if store is None or type(date_ny) is not dt.date:  # ledger_file refuses a datetime, every time
            store = LedgerStore(ledger_file(self.root, book_or_stream, date_ny))
            self._stores[key] = store
        return store

    def append(self, record: Record) -> Envelope:
        """Append a typed record to its book's file for its ``date_ny`` (durable on return)."""
        return self.store(record.book_id, record.date_ny).append(record)

    def append_together(self, records: list[Record]) -> list[Envelope]:
        """Append records of one book and NY date with a single write (all or none survive a crash)."""
        if not records:
            return []
        first = records[0]
        if any(record.book_id != first.book_id or record.date_ny != first.date_ny for record in records):
            raise ValueError("records appended together must share their book and NY date")
        with self.store(first.book_id, first.date_ny).batch() as batch:
            return batch.append_group(list(records))

    @contextmanager
    def batch(self, book_or_stream: str, date_ny: dt.date) -> Iterator[LedgerBatch]:
        """Several appends to one file under one lock and one fsync."""
        with self.store(book_or_stream, date_ny).batch() as batch:
            yield batch

    def append_stream(self, stream: str, date_ny: dt.date, payload: Mapping[str, Any]) -> Envelope:
        """Append a plain JSON object to a non-book stream (REGIME_E1, PORTFOLIO_DECISIONS, ...)."""
        if stream in BOOK_IDS:
            raise ValueError(f"{stream} is a book: append typed records with Ledger.append")
        return self.store(stream, date_ny).append(payload)

    def read_book(self, book_id: str) -> list[Record]:
        return read_book_records(self.root, book_id)
