"""Read-only verification of ledger files: chain, sequence, parse, routing and (in books) record contracts.

Verification never modifies a file (a torn tail is reported, not repaired; opening the file with
:class:`~avwap.ledger.store.LedgerStore` repairs it). Per file it reports the FIRST bad line.

Statuses: ``OK``; ``TORN_TAIL`` (a crash mid-write; repairable by quarantine, not an integrity failure);
``CORRUPT`` (bad line in the middle, broken chain, sequence gap); ``MISROUTED`` (a record whose ``date_ny``
is not its file's date, or a book record whose ``book_id`` is not its folder); ``INVALID_RECORD`` (a record
in a book folder that breaks its contract, see :mod:`avwap.ledger.records`).

Public API::

    verify_file(path, *, book_records=None) -> FileReport
    verify_path(path) -> list[FileReport]        a file, a book/stream folder, or a whole ledger root
    FileReport.ok / .integrity_failure / .location ("path:line")
"""

from __future__ import annotations

import enum
import fcntl
import os
from pathlib import Path

import msgspec

from avwap.ledger.chain import Envelope, scan
from avwap.ledger.paths import BOOK_IDS, LEDGER_SUFFIX, ledger_date
from avwap.ledger.records import RecordValidationError, decode_record


class FileStatus(enum.StrEnum):
    OK = "OK"
    TORN_TAIL = "TORN_TAIL"
    CORRUPT = "CORRUPT"
    MISROUTED = "MISROUTED"
    INVALID_RECORD = "INVALID_RECORD"


class FileReport(msgspec.Struct, frozen=True):
    """Verification result of one ledger file; ``bad_line`` is 1-based, None when the file is OK."""

    path: str
    status: FileStatus
    records: int
    last_seq: int
    last_hash: str
    bad_line: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status is FileStatus.OK

    @property
    def integrity_failure(self) -> bool:
        """True for anything worse than a torn tail: execution must fail closed."""
        return self.status not in (FileStatus.OK, FileStatus.TORN_TAIL)

    @property
    def location(self) -> str:
        return self.path if self.bad_line is None else f"{self.path}:{self.bad_line}"


def _read_locked(path: Path) -> bytes:
    descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH)  # never read half of a line being appended
        with os.fdopen(os.dup(descriptor), "rb") as handle:
            return handle.read()
    finally:
        os.close(descriptor)


def _record_problem(envelope: Envelope, path: Path, book_id: str | None) -> tuple[FileStatus, str] | None:
    record = envelope.record
    file_day = ledger_date(path)
    if file_day is not None and "date_ny" in record and record["date_ny"] != file_day.isoformat():
        return (
            FileStatus.MISROUTED,
            f"record date_ny {record['date_ny']!r} does not match file date {file_day}",
        )
    if book_id is None:
        return None
    if record.get("book_id") != book_id:
        return FileStatus.MISROUTED, f"record book_id {record.get('book_id')!r} in the {book_id} book"
    try:
        decode_record(record)
    except RecordValidationError as error:
        return FileStatus.INVALID_RECORD, str(error)
    return None


def verify_file(path: Path, *, book_records: bool | None = None) -> FileReport:
    """Verify one ledger file. ``book_records`` (default: the folder is a known book id) also checks records
    against their typed contracts and the folder's book id."""
    path = Path(path)
    book_id = (
        path.parent.name
        if (book_records or (book_records is None and path.parent.name in BOOK_IDS))
        else None
    )
    result = scan(_read_locked(path), path=str(path))

    def report(status: FileStatus, bad_line: int | None = None, reason: str = "") -> FileReport:
        tail = result.tail
        return FileReport(str(path), status, len(result.envelopes), tail.seq, tail.hash, bad_line, reason)

    for envelope in result.envelopes:
        problem = _record_problem(envelope, path, book_id)
        if problem is not None:
            return report(problem[0], envelope.seq, problem[1])
    if result.error is not None:
        line = result.error.line_number
        return report(FileStatus.CORRUPT, line, str(result.error).removeprefix(f"{path}:{line}: "))
    if result.torn is not None:
        return report(FileStatus.TORN_TAIL, result.tail.seq + 1, f"torn last line: {result.torn_reason}")
    return report(FileStatus.OK)


def verify_path(path: Path) -> list[FileReport]:
    """Verify a ledger file, or every ``*.jsonl`` under a folder (a book, a stream or a ledger root)."""
    path = Path(path)
    if path.is_file():
        return [verify_file(path)]
    if not path.is_dir():
        raise FileNotFoundError(f"no ledger file or folder at {path}")
    return [verify_file(file) for file in sorted(path.rglob(f"*{LEDGER_SUFFIX}")) if file.is_file()]
