"""Read-only verification of ledger files: chain, sequence, parse, routing and (in books) record contracts.

Verification never modifies a file (a torn tail is reported, not repaired; opening the file with
:class:`~avwap.ledger.store.LedgerStore` repairs it). Per file it reports the FIRST bad line.

Statuses: ``OK``; ``TORN_TAIL`` (a crash mid-write; repairable by quarantine, not an integrity failure);
``CORRUPT`` (bad line in the middle, broken chain, sequence gap); ``MISROUTED`` (a record whose ``date_ny``
is not its file's date, or a book record whose ``book_id`` is not its folder); ``INVALID_RECORD`` (a record
in a book folder that breaks its contract, see :mod:`avwap.ledger.records`); ``BROKEN_LINK`` (the file's
first line does not commit to the end of the previous file: a day was deleted or cut at a line boundary);
``INVALID_RECORD`` also covers what the book's fold refuses, e.g. a duplicated ``OrderSubmitted``;
``HEAD_MISMATCH`` (the newest file is shorter than ``HEAD.json`` records, the head names a missing file, or
it is missing or unreadable; reported on the file, or on ``HEAD.json`` itself). See :mod:`avwap.ledger.links`.

Public API::

    verify_file(path, *, book_records=None) -> FileReport
    verify_path(path) -> list[FileReport]        a file, a book/stream folder, or a whole ledger root
                                                 (folders: every file's link and the head are checked)
    FileReport.ok / .integrity_failure / .location ("path:line")
"""

from __future__ import annotations

import enum
import fcntl
import os
from pathlib import Path

import msgspec

from avwap.core.errors import LedgerIntegrityError
from avwap.ledger.chain import ChainTail, Envelope, scan
from avwap.ledger.links import HEAD_NAME, LinkChecker, peek_last_envelope
from avwap.ledger.paths import BOOK_IDS, LEDGER_SUFFIX, ledger_date
from avwap.ledger.projection_fold import FoldAccumulator
from avwap.ledger.projection_state import BookState
from avwap.ledger.records import RecordValidationError, decode_record


class FileStatus(enum.StrEnum):
    OK = "OK"
    TORN_TAIL = "TORN_TAIL"
    CORRUPT = "CORRUPT"
    MISROUTED = "MISROUTED"
    INVALID_RECORD = "INVALID_RECORD"
    BROKEN_LINK = "BROKEN_LINK"
    HEAD_MISMATCH = "HEAD_MISMATCH"


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


def _record_problem(
    envelope: Envelope, file_day: str | None, book_id: str | None
) -> tuple[FileStatus, str] | None:
    """``file_day``: the file's date (ISO), parsed from its name once per file, not once per record."""
    record = envelope.record
    if file_day is not None and "date_ny" in record and record["date_ny"] != file_day:
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
    """Verify one ledger file on its own (chain, records). ``book_records`` (default: the folder is a known
    book id) also checks records against their typed contracts and the folder's book id. Links to the
    neighbouring files are checked by :func:`verify_path`."""
    return verify_alone(Path(path), book_records)[0]


def verify_alone(path: Path, book_records: bool | None = None) -> tuple[FileReport, list[Envelope]]:
    book_id = (
        path.parent.name
        if (book_records or (book_records is None and path.parent.name in BOOK_IDS))
        else None
    )
    result = scan(_read_locked(path), path=str(path))

    def report(status: FileStatus, bad_line: int | None = None, reason: str = "") -> FileReport:
        tail = result.tail
        return FileReport(str(path), status, len(result.envelopes), tail.seq, tail.hash, bad_line, reason)

    envelopes = result.envelopes
    day = ledger_date(path)
    file_day = None if day is None else day.isoformat()
    for envelope in envelopes:
        problem = _record_problem(envelope, file_day, book_id)
        if problem is not None:
            return report(problem[0], envelope.seq, problem[1]), envelopes
    if result.error is not None:
        line = result.error.line_number
        reason = str(result.error).removeprefix(f"{path}:{line}: ")
        return report(FileStatus.CORRUPT, line, reason), envelopes
    if result.torn is not None:
        reason = f"torn last line: {result.torn_reason}"
        return report(FileStatus.TORN_TAIL, result.tail.seq + 1, reason), envelopes
    return report(FileStatus.OK), envelopes


def with_problem(report: FileReport, status: FileStatus, error: LedgerIntegrityError) -> FileReport:
    """``report`` marked with a link or head problem, unless it already holds a worse one."""
    if report.integrity_failure:
        return report
    reason = str(error).removeprefix(f"{error.path}:{error.line_number}: ")
    return msgspec.structs.replace(report, status=status, bad_line=error.line_number, reason=reason)


class _BookFold:
    """Folds a book's records as verification reads them: what the fold refuses (a duplicated order, even
    correctly chained) is reported at its line, as every projection would refuse it."""

    def __init__(self, book_id: str) -> None:
        self.accumulator: FoldAccumulator | None = FoldAccumulator(BookState(book_id=book_id))

    def add(self, path: Path, envelopes: list[Envelope]) -> LedgerIntegrityError | None:
        if self.accumulator is None:
            return None
        for envelope in envelopes:
            try:
                self.accumulator.apply(decode_record(envelope.record))
            except (LedgerIntegrityError, RecordValidationError, ValueError) as error:
                self.accumulator = None  # later lines would fold onto a state already wrong
                return LedgerIntegrityError(
                    str(path), envelope.seq, str(error).removeprefix(f"<{path.parent.name} book>:0: ")
                )
        return None


def _head_report(folder: Path, error: LedgerIntegrityError) -> FileReport:
    reason = str(error).removeprefix(f"{error.path}:{error.line_number}: ")
    return FileReport(str(folder / HEAD_NAME), FileStatus.HEAD_MISMATCH, 0, 0, "", None, reason)


def _verify_folder(folder: Path, files: list[Path], only: Path | None = None) -> list[FileReport]:
    """Verify ``files`` (one folder, date order) with their links and the head; with ``only``, report that
    file alone, its predecessors taken at their last line (cheap) and the folder-wide head checks skipped."""
    checker = LinkChecker(folder)
    fold = _BookFold(folder.name) if folder.name in BOOK_IDS else None
    reports: list[FileReport] = []
    for path in files:
        if only is not None and path != only:
            peeked = peek_last_envelope(path)
            if peeked is None:  # a torn or odd end: walk the file for its last sound line
                scanned = verify_alone(path)[0]
                checker.add_unchanged(path.name, ChainTail(scanned.last_seq, scanned.last_hash))
            else:
                checker.add_unchanged(path.name, peeked[1].tail)
            continue
        report, envelopes = verify_alone(path)
        link = checker.link(path, envelopes)
        if link is not None:
            report = with_problem(report, FileStatus.BROKEN_LINK, link)
        claim = checker.head_claim(path, envelopes)
        if claim is not None:
            report = with_problem(report, FileStatus.HEAD_MISMATCH, claim)
        folded = fold.add(path, envelopes) if fold is not None and not report.integrity_failure else None
        if folded is not None:
            report = with_problem(report, FileStatus.INVALID_RECORD, folded)
        checker.add_unchanged(path.name, envelopes[-1].tail if envelopes else ChainTail())
        reports.append(report)
    if only is None and (finish := checker.finish()) is not None:
        owner = next((index for index, item in enumerate(reports) if item.path == finish.path), None)
        if owner is None:
            reports.append(_head_report(folder, finish))
        else:
            reports[owner] = with_problem(reports[owner], FileStatus.HEAD_MISMATCH, finish)
    return reports


def verify_path(path: Path) -> list[FileReport]:
    """Verify a ledger file, or every ``*.jsonl`` under a folder (a book, a stream or a ledger root).

    Dated day files are verified per folder in date order, each against its predecessor's end, and the
    folder against its ``HEAD.json``; a single file is checked against its predecessor and the head's claim.
    """
    path = Path(path)
    if path.is_file():
        if ledger_date(path) is None:
            return [verify_file(path)]
        earlier = [file for file in _dated(path.parent) if file.name <= path.name]
        return _verify_folder(path.parent, earlier, only=path)
    if not path.is_dir():
        raise FileNotFoundError(f"no ledger file or folder at {path}")
    files = [file for file in sorted(path.rglob(f"*{LEDGER_SUFFIX}")) if file.is_file()]
    folders = sorted({file.parent for file in files} | {head.parent for head in path.rglob(HEAD_NAME)})
    reports: list[FileReport] = []
    for folder in folders:
        dated = [file for file in files if file.parent == folder and ledger_date(file) is not None]
        reports += [verify_file(file) for file in files if file.parent == folder and file not in dated]
        reports += _verify_folder(folder, sorted(dated, key=lambda file: file.name))
    return reports


def _dated(folder: Path) -> list[Path]:
    return sorted(
        (file for file in folder.iterdir() if ledger_date(file) is not None and file.is_file()),
        key=lambda file: file.name,
    )
