"""Follow a book's ledger as it grows: verified, typed and folded, re-reading only what changed.

A reader that refreshes often (the dashboard, on every page) would otherwise verify and fold the whole book
each time a record is appended. :class:`BookFollower` keeps, per day file, what the last clean refresh read
(its lines, typed records and report) under a stamp (inode, size, mtime_ns, ctime_ns), and the folded state
after the newest file. On refresh:

- a closed day (any file but the newest read) is reused only when its stamp is unchanged AND it still ends,
  byte for byte, with the last line verified (one ``pread``; its hash commits to every earlier line); ctime
  cannot be set back by a user, so an edit that keeps the size and restores the mtime still changes the
  stamp; anything else re-verifies the whole book;
- the newest file read, when it changed, is re-verified in full (chain, records) and must still hold the
  lines verified before (same hash at the old last seq); only the lines after them are decoded and folded;
- newer files are verified and folded in full;
- every file, reused or read, goes through the folder's link and head checks (:class:`LinkChecker`), and a
  refresh that is not clean keeps nothing, so the next one starts over.

Nothing here re-implements a rule: chain and record checks are :mod:`avwap.ledger.verify`'s, links and head
:mod:`avwap.ledger.links`', the fold :class:`~avwap.ledger.projection_fold.FoldAccumulator`. A
full refresh gives what ``verify_path(folder)``, ``read_book_records`` and ``fold_book`` give (tested).
Limits: an edit of a closed day that keeps its size, mtime, ctime and inode is not seen until the book is
re-verified (``avwap ledger verify``, or :meth:`BookFollower.forget`); undated files and subfolders of the
book folder are not read (books hold none; ``avwap ledger verify`` covers them).

Public API::

    BookFollower(root, book_id).refresh() -> FollowedBook      .forget() drops what was kept
    FollowedBook(book_id, records, state, reports, read, files, tails)   state None unless all is OK
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from avwap.core.canonical import canonical_json
from avwap.core.errors import LedgerIntegrityError
from avwap.ledger.chain import ChainTail, Envelope, line_fields
from avwap.ledger.links import LinkChecker
from avwap.ledger.paths import dated_file_names, validate_name
from avwap.ledger.projection_fold import FoldAccumulator
from avwap.ledger.projection_state import BookState
from avwap.ledger.records import Record, RecordValidationError, decode_record
from avwap.ledger.verify import FileReport, FileStatus, verify_alone, with_problem

Stamp = tuple[int, int, int, int]  # inode, size, mtime_ns, ctime_ns


@dataclass(frozen=True)
class FollowedBook:
    """One refresh: ``records`` in canonical order and ``state`` their fold, both empty/None unless every
    report is OK; ``read`` names the files verified in this refresh (the others were reused), ``files`` every
    day file listed."""

    book_id: str
    records: tuple[Record, ...]
    state: BookState | None
    reports: tuple[FileReport, ...]
    read: tuple[str, ...]
    files: tuple[str, ...]  # the day files listed, in date order
    tails: tuple[tuple[str, int, str], ...] = ()  # (name, last seq, last hash) of each file, when OK

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.reports)


@dataclass(frozen=True)
class _KeptFile:
    path: Path
    stamp: Stamp
    last_line: bytes  # the bytes of the last line verified (b"" for an empty file)
    envelopes: list[Envelope]  # never mutated (a list: what LinkChecker takes)
    records: tuple[Record, ...]
    report: FileReport

    @property
    def tail(self) -> ChainTail:
        return self.envelopes[-1].tail if self.envelopes else ChainTail()


def _stamp(path: Path) -> Stamp | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def _line_bytes(envelope: Envelope) -> bytes:
    """The line of ``envelope`` as the file holds it (a verified line is its envelope's canonical JSON)."""
    return canonical_json(line_fields(envelope)) + b"\n"


def _closed_unchanged(item: _KeptFile) -> bool:
    """O(1): same inode, size, mtime and ctime, and the file still ends with the line verified."""
    if _stamp(item.path) != item.stamp:
        return False
    size, length = item.stamp[1], len(item.last_line)
    try:
        descriptor = os.open(item.path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return os.pread(descriptor, length, size - length) == item.last_line
    finally:
        os.close(descriptor)


class BookFollower:
    """The verified, folded view of one book folder, refreshed incrementally (see the module docstring).
    Not thread-safe: callers serialise :meth:`refresh` (the dashboard holds one lock per follower)."""

    def __init__(self, root: Path, book_id: str) -> None:
        self.root = Path(root)
        self.book_id = book_id
        self.folder = self.root / validate_name(book_id)
        self._kept: list[_KeptFile] = []
        self._state: BookState | None = None

    def forget(self) -> None:
        """Drop everything kept: the next refresh verifies and folds the whole book."""
        self._kept, self._state = [], None

    def _reusable(self, names: list[str]) -> int:
        """How many leading kept files stand as they were; -1 when a closed day changed (start over)."""
        kept = self._kept
        if self._state is None or len(names) < len(kept):
            return -1
        for index, (name, item) in enumerate(zip(names, kept, strict=False)):
            if name != item.path.name:
                return -1
            if not _closed_unchanged(item):
                return index if index == len(kept) - 1 else -1
        return len(kept)

    def refresh(self) -> FollowedBook:
        names = dated_file_names(self.folder)
        checker = LinkChecker(self.folder)  # after the listing (see LinkChecker)
        reuse = self._reusable(names)
        if reuse < 0:
            self.forget()
            reuse = 0
        kept = [_check_links(checker, item) for item in self._kept[:reuse]]
        growing = self._kept[reuse] if reuse < len(self._kept) else None  # the newest kept file, changed
        fold = _Fold(self.book_id, self._state) if names[reuse:] else None
        sound = all(item.report.ok for item in kept)  # a fold goes on only over sound files
        for name in names[reuse:]:
            previous, growing = growing, None
            fresh = _verify(self.folder / name, previous)
            if fresh is None:  # the newest kept file no longer holds the lines verified before
                self.forget()
                return self.refresh()
            fresh = _check_links(checker, fresh)
            if fold is not None and sound:
                fresh = fold.add(fresh, previous)
            sound = sound and fresh.report.ok
            kept.append(fresh)
        kept = _finish(checker, kept, self.folder)
        reports = tuple(item.report for item in kept)
        read = tuple(names[reuse:])
        if not all(report.ok for report in reports):
            self.forget()
            return FollowedBook(self.book_id, (), None, reports, read, tuple(names))
        if fold is not None:
            self._state = fold.accumulator.freeze()
        elif self._state is None:  # a folder without day files: the empty book
            self._state = BookState(book_id=self.book_id)
        self._kept = kept
        records = tuple(record for item in kept for record in item.records)
        tails = tuple((item.path.name, item.tail.seq, item.tail.hash) for item in kept)
        return FollowedBook(self.book_id, records, self._state, reports, read, tuple(names), tails)


class _Fold:
    """The book's fold continued from the state kept (one :class:`FoldAccumulator`)."""

    def __init__(self, book_id: str, state: BookState | None) -> None:
        self.book_id = book_id
        self.accumulator = FoldAccumulator(state or BookState(book_id=book_id))

    def add(self, item: _KeptFile, previous: _KeptFile | None) -> _KeptFile:
        """Decode and fold the lines of ``item`` after those of ``previous`` (its earlier reading, already
        folded); a record the fold refuses (a duplicated order) is reported at its line, as
        ``avwap ledger verify`` reports it."""
        if not item.report.ok:
            return item
        start = len(previous.envelopes) if previous is not None else 0
        records = list(previous.records) if previous is not None else []
        for envelope in item.envelopes[start:]:
            try:
                record = decode_record(envelope.record)
                self.accumulator.apply(record)
            except (LedgerIntegrityError, RecordValidationError, ValueError) as error:
                message = str(error).removeprefix(f"<{self.book_id} book>:0: ")
                problem = LedgerIntegrityError(str(item.path), envelope.seq, message)
                report = with_problem(item.report, FileStatus.INVALID_RECORD, problem)
                return replace(item, report=report)
            records.append(record)
        return replace(item, records=tuple(records))


def _verify(path: Path, previous: _KeptFile | None) -> _KeptFile | None:
    """``path`` verified alone in full (chain, records); None when ``previous`` (its earlier reading) is
    no longer a prefix of it. Records are decoded by :class:`_Fold`."""
    stamp = _stamp(path) or (0, 0, 0, 0)
    report, envelopes = verify_alone(path)
    if previous is not None:
        start = len(previous.envelopes)
        if start > len(envelopes) or (start and envelopes[start - 1].hash != previous.tail.hash):
            return None
    last_line = _line_bytes(envelopes[-1]) if envelopes and report.ok else b""
    return _KeptFile(path, stamp, last_line, envelopes, (), report)


def _check_links(checker: LinkChecker, item: _KeptFile) -> _KeptFile:
    """The folder-wide checks of one file (its link to the previous file, the head's claim on it), as
    :func:`avwap.ledger.verify.verify_path` makes them."""
    report = item.report
    link = checker.link(item.path, item.envelopes)
    if link is not None:
        report = with_problem(report, FileStatus.BROKEN_LINK, link)
    claim = checker.head_claim(item.path, item.envelopes)
    if claim is not None:
        report = with_problem(report, FileStatus.HEAD_MISMATCH, claim)
    checker.add_unchanged(item.path.name, item.tail)
    return item if report is item.report else replace(item, records=(), report=report)


def _finish(checker: LinkChecker, kept: list[_KeptFile], folder: Path) -> list[_KeptFile]:
    problem = checker.finish()
    if problem is None:
        return kept
    for index, item in enumerate(kept):
        if str(item.path) == problem.path:
            marked = with_problem(item.report, FileStatus.HEAD_MISMATCH, problem)
            return [*kept[:index], replace(item, records=(), report=marked), *kept[index + 1 :]]
    reason = str(problem).removeprefix(f"{problem.path}:{problem.line_number}: ")
    head = FileReport(problem.path, FileStatus.HEAD_MISMATCH, 0, 0, "", None, reason)
    return [*kept, _KeptFile(Path(problem.path), (0, 0, 0, 0), b"", [], (), head)]


__all__ = ["BookFollower", "FollowedBook"]
