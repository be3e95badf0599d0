"""Follow a book's ledger as it grows: verified, typed and folded, re-reading only what changed.

A reader that refreshes often (the dashboard, on every page) would otherwise verify and fold the whole book
each time a record is appended. :class:`BookFollower` keeps, per day file, what the last clean refresh read
(its lines, typed records and report) under a stamp (inode, size, mtime_ns, ctime_ns), and the folded state
after the newest file. On refresh:

- a closed day (any file but the newest read) is reused only when its stamp is unchanged AND its last line,
  peeked in O(1), is still the line last verified (ctime cannot be set back by a user, so an edit that keeps
  the size and restores the mtime still changes the stamp); anything else re-verifies the whole book;
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
    FollowedBook(book_id, records, state, reports, read)       state None unless every report is OK
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from avwap.core.errors import LedgerIntegrityError
from avwap.ledger.chain import ChainTail, Envelope
from avwap.ledger.links import LinkChecker, peek_last_envelope
from avwap.ledger.paths import list_ledger_files
from avwap.ledger.projection_fold import FoldAccumulator
from avwap.ledger.projection_state import BookState
from avwap.ledger.records import Record, RecordValidationError, decode_record
from avwap.ledger.verify import FileReport, FileStatus, _verify_alone, _with_problem

Stamp = tuple[int, int, int, int]  # inode, size, mtime_ns, ctime_ns


@dataclass(frozen=True)
class FollowedBook:
    """One refresh: ``records`` in canonical order and ``state`` their fold, both empty/None unless every
    report is OK; ``read`` names the files verified in this refresh (the others were reused)."""

    book_id: str
    records: tuple[Record, ...]
    state: BookState | None
    reports: tuple[FileReport, ...]
    read: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.reports)


@dataclass(frozen=True)
class _KeptFile:
    name: str
    stamp: Stamp
    envelopes: tuple[Envelope, ...]
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


def _closed_unchanged(path: Path, kept: _KeptFile) -> bool:
    if _stamp(path) != kept.stamp:
        return False
    peeked = peek_last_envelope(path)
    tail = peeked[1].tail if peeked is not None else (ChainTail() if kept.stamp[1] == 0 else None)
    return tail == kept.tail


class BookFollower:
    """The verified, folded view of one book folder, refreshed incrementally (see the module docstring).
    Not thread-safe: callers serialise :meth:`refresh` (the dashboard holds one lock per follower)."""

    def __init__(self, root: Path, book_id: str) -> None:
        self.root = Path(root)
        self.book_id = book_id
        self._kept: list[_KeptFile] = []
        self._state: BookState | None = None

    def forget(self) -> None:
        """Drop everything kept: the next refresh verifies and folds the whole book."""
        self._kept, self._state = [], None

    def _reusable(self, files: list[Path]) -> int:
        """How many leading kept files stand as they were; -1 when a closed day changed (start over)."""
        kept = self._kept
        if self._state is None or len(files) < len(kept):
            return -1
        for index, (path, item) in enumerate(zip(files, kept, strict=False)):
            if path.name != item.name:
                return -1
            if not _closed_unchanged(path, item):
                return index if index == len(kept) - 1 else -1
        return len(kept)

    def refresh(self) -> FollowedBook:
        files = list_ledger_files(self.root, self.book_id)
        checker = LinkChecker(self.root / self.book_id)  # after the listing (see LinkChecker)
        reuse = self._reusable(files)
        if reuse < 0:
            self.forget()
            reuse = 0
        kept = [
            _check_links(checker, self.root / self.book_id / item.name, item) for item in self._kept[:reuse]
        ]
        growing = self._kept[reuse] if reuse < len(self._kept) else None  # the newest kept file, changed
        fold = _Fold(self.book_id, self._state) if files[reuse:] else None
        for path in files[reuse:]:
            previous, growing = growing, None
            fresh = _verify(path, previous)
            if fresh is None:  # the newest kept file no longer holds the lines verified before
                self.forget()
                return self.refresh()
            fresh = _check_links(checker, path, fresh)
            if fold is not None and all(item.report.ok for item in kept):
                fresh = fold.add(path, fresh, previous)
            kept.append(fresh)
        kept = _finish(checker, kept, self.root / self.book_id)
        reports = tuple(item.report for item in kept)
        read = tuple(path.name for path in files[reuse:])
        if not all(report.ok for report in reports):
            self.forget()
            return FollowedBook(self.book_id, (), None, reports, read)
        if fold is not None:
            self._state = fold.accumulator.freeze()
        self._kept = kept
        records = tuple(record for item in kept for record in item.records)
        return FollowedBook(self.book_id, records, self._state, reports, read)


class _Fold:
    """The book's fold continued from the state kept (one :class:`FoldAccumulator`)."""

    def __init__(self, book_id: str, state: BookState | None) -> None:
        self.book_id = book_id
        self.accumulator = FoldAccumulator(state or BookState(book_id=book_id))

    def add(self, path: Path, item: _KeptFile, previous: _KeptFile | None) -> _KeptFile:
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
                problem = LedgerIntegrityError(str(path), envelope.seq, message)
                report = _with_problem(item.report, FileStatus.INVALID_RECORD, problem)
                return _KeptFile(item.name, item.stamp, item.envelopes, (), report)
            records.append(record)
        return _KeptFile(item.name, item.stamp, item.envelopes, tuple(records), item.report)


def _verify(path: Path, previous: _KeptFile | None) -> _KeptFile | None:
    """``path`` verified alone in full (chain, records); None when ``previous`` (its earlier reading) is
    no longer a prefix of it. Records are decoded by :class:`_Fold`."""
    stamp = _stamp(path) or (0, 0, 0, 0)
    report, envelopes = _verify_alone(path)
    if previous is not None:
        start = len(previous.envelopes)
        if start > len(envelopes) or (start and envelopes[start - 1].hash != previous.tail.hash):
            return None
    return _KeptFile(path.name, stamp, tuple(envelopes), (), report)


def _check_links(checker: LinkChecker, path: Path, item: _KeptFile) -> _KeptFile:
    """The folder-wide checks of one file (its link to the previous file, the head's claim on it), as
    :func:`avwap.ledger.verify.verify_path` makes them."""
    envelopes = list(item.envelopes)
    report = item.report
    link = checker.link(path, envelopes)
    if link is not None:
        report = _with_problem(report, FileStatus.BROKEN_LINK, link)
    claim = checker.head_claim(path, envelopes)
    if claim is not None:
        report = _with_problem(report, FileStatus.HEAD_MISMATCH, claim)
    checker.add_unchanged(path.name, item.tail)
    return item if report is item.report else _KeptFile(item.name, item.stamp, item.envelopes, (), report)


def _finish(checker: LinkChecker, kept: list[_KeptFile], folder: Path) -> list[_KeptFile]:
    problem = checker.finish()
    if problem is None:
        return kept
    for index, item in enumerate(kept):
        if str(folder / item.name) == problem.path:
            marked = _with_problem(item.report, FileStatus.HEAD_MISMATCH, problem)
            return [
                *kept[:index],
                _KeptFile(item.name, item.stamp, item.envelopes, (), marked),
                *kept[index + 1 :],
            ]
    reason = str(problem).removeprefix(f"{problem.path}:{problem.line_number}: ")
    head = FileReport(problem.path, FileStatus.HEAD_MISMATCH, 0, 0, "", None, reason)
    return [*kept, _KeptFile(Path(problem.path).name, (0, 0, 0, 0), (), (), head)]


__all__ = ["BookFollower", "FollowedBook"]
