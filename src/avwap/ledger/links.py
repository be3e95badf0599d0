"""Links between the day files of one book or stream, and its head pointer: nothing can vanish unnoticed.

A file's first line commits to the end (name, last seq, last hash) of the previous non-empty file of the same
folder, or to the genesis (see :mod:`avwap.ledger.chain`). That catches a deleted day and a predecessor cut
at a line boundary, but not a cut of the *newest* file, which has no successor yet. For that, each folder
holds ``HEAD.json`` = the newest file's (name, seq, hash), overwritten in place after every fsynced batch,
and written durably *before* the first line of a new file. The head is a lower bound: a crash between a
batch's fsync and the head update leaves the head one batch behind, which is allowed; a file shorter than
the head, a head naming a missing file, a head older than the newest file with lines, or no head at all
beside ledger files are integrity failures. Threat model and limits: docs/LEDGER.md.

Public API::

    HEAD_NAME, Head(file, seq, hash), head_path(folder), read_head(folder), write_head(folder, head, durable=)
    write_head_to(descriptor, head)           the same in-place write through an open HEAD.json (held files)
    peek_last_envelope(path) -> (size, Envelope) | None    O(1) look at the end of a file
    start_anchor(path, known=) -> Anchor      for a new file: checks the head, writes the "started" head
    check_append(path, tail, fresh) -> None   before appending to a non-empty file: refuses late or cut files
    link_problem(anchor, previous) -> str | None
    LinkChecker(folder)                        the read-side checks, file by file in date order
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Final

import msgspec

from avwap.core.canonical import canonical_json
from avwap.core.errors import LedgerIntegrityError
from avwap.core.files import atomic_write_bytes, fsync, fsync_folder
from avwap.ledger import held as held_files
from avwap.ledger.chain import GENESIS_ANCHOR, Anchor, ChainTail, Envelope, envelope_of, scan
from avwap.ledger.paths import ledger_date, newest_ledger_names

HEAD_NAME: Final = "HEAD.json"
KnownTail = Callable[[Path, int], ChainTail | None]
_PEEK_WINDOW = 1 << 16
_HEAD_SIZE = 256  # bytes, padded: well inside one 512-byte sector


class Head(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The newest file of a folder and how far it was known to be durable (seq 0: started, no line yet;
    ``hash`` is then the file's anchor hash)."""

    file: str
    seq: int
    hash: str


def head_path(folder: Path) -> Path:
    return Path(folder) / HEAD_NAME


def read_head(folder: Path) -> Head | None:
    """The folder's head; None when absent; an unreadable head is an integrity failure."""
    path = head_path(folder)
    try:
        return msgspec.json.decode(path.read_bytes(), type=Head)
    except FileNotFoundError:
        return None
    except (OSError, msgspec.DecodeError) as error:
        raise LedgerIntegrityError(str(path), 0, f"unreadable head pointer: {error}") from None


def _head_bytes(head: Head) -> bytes:
    data = canonical_json(head)
    if len(data) >= _HEAD_SIZE:
        raise ValueError(f"a head pointer must fit in {_HEAD_SIZE} bytes: {data!r}")
    return data + b" " * (_HEAD_SIZE - 1 - len(data)) + b"\n"


def write_head(folder: Path, head: Head, *, durable: bool = False) -> None:
    """Overwrite ``HEAD.json`` in place: a fixed-size record at offset 0 (one disk sector, so a power cut
    leaves the old or the new content, never a torn one; no rename, so no journal transaction per batch).
    Without ``durable`` it is not fsynced: a power cut may keep the previous, lower and still valid head. The
    file is created atomically the first time; a new file's first head is written ``durable``."""
    path = head_path(folder)
    data = _head_bytes(head)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        atomic_write_bytes(path, data)  # temp file, fsync, rename, folder fsync
        return
    try:
        os.pwrite(descriptor, data, 0)
        if os.fstat(descriptor).st_size != _HEAD_SIZE:
            os.ftruncate(descriptor, _HEAD_SIZE)
        if durable:
            fsync(descriptor, path)
    finally:
        os.close(descriptor)
    if durable:
        fsync_folder(Path(folder))  # the new file the head names must survive a power cut too


def write_head_to(descriptor: int, head: Head) -> None:
    """:func:`write_head` (not durable) through ``descriptor``, a ``HEAD.json`` already created and sized
    that this process keeps open with the day file it holds locked (:mod:`avwap.ledger.held`)."""
    os.pwrite(descriptor, _head_bytes(head), 0)


def _last_line(descriptor: int, size: int) -> bytes:
    window = _PEEK_WINDOW
    while True:
        start = max(0, size - window)
        data = os.pread(descriptor, size - start, start)
        cut = data.rfind(b"\n", 0, len(data) - 1)
        if cut != -1 or start == 0:
            return data[cut + 1 :]
        window *= 4  # a record longer than the window: look further back


def _peek(descriptor: int, path: Path) -> tuple[int, Envelope] | None:
    size = os.fstat(descriptor).st_size
    line = _last_line(descriptor, size)
    if not line.endswith(b"\n"):
        return None
    try:
        parsed = json.loads(line)
        result = scan(line, ChainTail(parsed["seq"] - 1, parsed["prev_hash"]), path=str(path))
    except (ValueError, KeyError, TypeError):
        return None
    if result.error is not None or result.torn is not None:
        return None
    return size, envelope_of(parsed)


def peek_last_envelope(path: Path) -> tuple[int, Envelope] | None:
    """(file size, last envelope) read from the end of ``path`` in O(1), without walking the chain.

    Meant for cheap "has this file changed?" checks; the line's own hash is checked but not its link to
    earlier lines. None when the file is absent, empty or does not end in a sound line.
    """
    held = held_files.held_file(os.path.abspath(path))
    if held is not None:
        with held.guard:  # this process holds the file's exclusive lock: look through its descriptor
            if held.open:
                return _peek(held.descriptor, Path(path))
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH)
        return _peek(descriptor, Path(path))
    finally:
        os.close(descriptor)


def _tail_of(descriptor: int, path: Path) -> ChainTail:
    """The end of the valid lines of an open file: its last line, or (torn end) a full scan."""
    peeked = _peek(descriptor, path)
    if peeked is not None:
        return peeked[1].tail
    size = os.fstat(descriptor).st_size
    result = scan(os.pread(descriptor, size, 0), path=str(path), keep=False)
    if result.error is not None:
        raise result.error
    return result.tail  # a torn last line is not part of the chain; it is quarantined on the next open


def start_anchor(path: Path, *, known: KnownTail | None = None) -> Anchor:
    """The anchor of the first line of the new file ``path`` (called under its exclusive lock).

    The predecessor (newest earlier file with a line) is read under a shared lock held until the durable
    "started" head names ``path``: from then on an append to the predecessor is refused
    (:func:`check_append`), so the anchor can never go stale. ``known(previous, descriptor)``: the
    predecessor's end when the caller already knows it for that very file (else None: its last line is
    read)."""
    path = Path(path)
    if ledger_date(path) is None:
        return GENESIS_ANCHOR  # an undated file outside the folder layout stands alone
    folder = path.parent
    head = read_head(folder)
    for previous in (folder / name for name in newest_ledger_names(folder, before=path.name)):
        descriptor = os.open(previous, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH)
            tail = (known(previous, descriptor) if known is not None else None) or _tail_of(
                descriptor, previous
            )
            if tail.seq == 0:
                continue  # an empty file holds nothing to commit to
            anchor = Anchor(previous.name, tail.seq, tail.hash)
            _check_head_before_start(path, head, anchor)
            write_head(folder, Head(path.name, 0, anchor.hash), durable=True)
            return anchor
        finally:
            os.close(descriptor)
    _check_head_before_start(path, head, GENESIS_ANCHOR)
    write_head(folder, Head(path.name, 0, GENESIS_ANCHOR.hash), durable=True)
    return GENESIS_ANCHOR


def _check_head_before_start(path: Path, head: Head | None, anchor: Anchor) -> None:
    where = str(head_path(path.parent))
    if head is None:
        if anchor.file is not None:
            raise LedgerIntegrityError(where, 0, f"missing although {anchor.file} holds ledger lines")
        return
    if head.file > path.name:
        message = f"names the later file {head.file}: appending to {path.name} would break its anchor"
        raise LedgerIntegrityError(where, 0, message)
    if head.file == path.name and head.seq > 0:
        message = f"records {path.name} up to seq {head.seq}, but the file is empty (truncated)"
        raise LedgerIntegrityError(str(path), 1, message)
    if head.file == anchor.file:
        problem = _tail_versus_head(ChainTail(anchor.seq, anchor.hash), head)
        if problem is not None:
            raise LedgerIntegrityError(str(path.parent / anchor.file), anchor.seq, problem)


def _tail_versus_head(tail: ChainTail, head: Head) -> str | None:
    if tail.seq < head.seq:
        return f"truncated: the file ends at seq {tail.seq} but {HEAD_NAME} records seq {head.seq}"
    if tail.seq == head.seq and head.seq > 0 and tail.hash != head.hash:
        return f"its last line (seq {head.seq}) differs from the one {HEAD_NAME} records"
    return None


def check_append(path: Path, tail: ChainTail, fresh: bool) -> None:
    """Before appending to the non-empty file ``path``: the head must name it (an older day cannot grow
    under its successor's anchor) and the file must reach the head's line (``fresh``: the tail was just
    re-read, so the line the head records is compared too, not only its seq)."""
    path = Path(path)
    if ledger_date(path) is None:
        return
    head = read_head(path.parent)
    where = str(head_path(path.parent))
    if head is None:
        raise LedgerIntegrityError(where, 0, f"missing although {path.name} holds ledger lines")
    if head.file != path.name:
        message = f"names {head.file}, not {path.name} which holds lines: refusing to append"
        raise LedgerIntegrityError(where, 0, message)
    if head.seq > 0:
        problem = _tail_versus_head(tail, head)
        if problem is None and fresh and tail.seq > head.seq:  # cached tails were checked when learned
            problem = _hash_at_problem(path, head)
        if problem is not None:
            raise LedgerIntegrityError(str(path), min(tail.seq, head.seq), problem)


def _hash_at_problem(path: Path, head: Head) -> str | None:
    envelopes = scan(path.read_bytes(), path=str(path)).envelopes
    if len(envelopes) < head.seq or envelopes[head.seq - 1].hash != head.hash:
        return f"line {head.seq} differs from the one {HEAD_NAME} records (the file was rewritten)"
    return None


def link_problem(anchor: Anchor | None, previous: Anchor | None) -> str | None:
    """Why a file whose first line carries ``anchor`` cannot follow ``previous`` (the end of the previous
    non-empty file, None when there is none); None when the link holds."""
    if anchor is None:
        return None
    if previous is None:
        if anchor.file is None:
            return None
        return f"predecessor {anchor.file} is missing (the first line commits to {anchor.describe()})"
    if anchor.file is None:
        return f"the first line commits to the genesis, but {previous.file} precedes this file"
    if anchor.file != previous.file:
        if anchor.file > (previous.file or ""):
            return f"predecessor {anchor.file} is missing (the first line commits to {anchor.describe()})"
        return f"the first line commits to {anchor.file}, but the previous file is {previous.file}"
    if previous.seq < anchor.seq:
        return (
            f"predecessor {anchor.file} was truncated: it ends at seq {previous.seq}, "
            f"the first line commits to seq {anchor.seq}"
        )
    if previous.seq > anchor.seq:
        return (
            f"predecessor {anchor.file} has lines after seq {anchor.seq}, "
            "the end this file's first line commits to"
        )
    if previous.hash != anchor.hash:
        return f"predecessor {anchor.file}'s last line differs from the one the first line commits to"
    return None


class LinkChecker:
    """Read-side checks of one folder: feed every file in date order, then :meth:`finish`.

    Each method returns the first problem as a :class:`LedgerIntegrityError` (None when sound); readers
    raise it, verification reports it. Create it *after* listing the files: the head only moves forward,
    so a head read after the listing names a listed file or a newer one."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.previous: Anchor | None = None
        self.head_error: LedgerIntegrityError | None = None
        try:
            self.head = read_head(self.folder)
        except LedgerIntegrityError as error:
            self.head, self.head_error = None, error
        self.head_seen = False
        self.newest_with_lines = ""

    def add(self, path: Path, envelopes: list[Envelope]) -> LedgerIntegrityError | None:
        """A file read in full (its valid lines): its link, then the head's claim on it."""
        problem = self.link(path, envelopes) or self.head_claim(path, envelopes)
        self.add_unchanged(path.name, envelopes[-1].tail if envelopes else ChainTail())
        return problem

    def link(self, path: Path, envelopes: list[Envelope]) -> LedgerIntegrityError | None:
        """Does the file's first line commit to the end of the previous file fed?"""
        problem = link_problem(envelopes[0].anchor, self.previous) if envelopes else None
        return None if problem is None else LedgerIntegrityError(str(path), 1, problem)

    def head_claim(self, path: Path, envelopes: list[Envelope]) -> LedgerIntegrityError | None:
        """When the head names this file: does the file still reach the line it records?"""
        head = self.head
        if head is None or head.file != path.name or head.seq == 0:
            return None
        tail = envelopes[-1].tail if envelopes else ChainTail()
        shortfall = _tail_versus_head(tail, head)
        if shortfall is None and envelopes[head.seq - 1].hash != head.hash:
            shortfall = f"line {head.seq} differs from the one {HEAD_NAME} records"
        return (
            None if shortfall is None else LedgerIntegrityError(str(path), min(tail.seq, head.seq), shortfall)
        )

    def add_unchanged(self, name: str, tail: ChainTail) -> LedgerIntegrityError | None:
        """A file known unchanged since it was last read in full (a projection cache hit)."""
        if self.head is not None and self.head.file == name:
            self.head_seen = True
        if tail.seq > 0:
            self.previous = Anchor(name, tail.seq, tail.hash)
            self.newest_with_lines = name
        return None

    def _moved_on(self) -> bool:
        """The head was read before a writer started a newer day (files were listed first, and a new day
        gets its head before its first line): a second look tells a race from a stale head."""
        try:
            current = read_head(self.folder)
        except LedgerIntegrityError:
            return False
        return current is not None and current.file >= self.newest_with_lines

    def finish(self) -> LedgerIntegrityError | None:
        """Checks that need every file: the head exists, names an existing file, no newer file has lines."""
        where = str(head_path(self.folder))
        if self.head_error is not None:
            return self.head_error
        if self.head is None:
            if self.newest_with_lines and not self._moved_on():
                return LedgerIntegrityError(
                    where, 0, f"missing although {self.newest_with_lines} holds lines"
                )
            return None
        if not self.head_seen and not (self.folder / self.head.file).is_file():
            message = (
                f"names {self.head.file} (seq {self.head.seq}), which is missing: the newest day was deleted"
            )
            return LedgerIntegrityError(where, 0, message)
        if self.newest_with_lines > self.head.file and not self._moved_on():
            message = f"names {self.head.file}, older than {self.newest_with_lines} which holds lines"
            return LedgerIntegrityError(where, 0, message)
        return None
