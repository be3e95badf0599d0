"""Append-only JSONL ledger files with a tamper-evident chain (see :mod:`avwap.ledger.chain`).

Writing: the file is opened ``O_RDWR | O_APPEND | O_CREAT`` (read access lets the writer learn the tail from
the very descriptor it locks and appends to), an exclusive ``flock`` is taken, the current tail is learned,
the whole line goes out in one ``os.write``, then ``fsync`` (deferred to the end of the run under a
backtest run folder, :func:`avwap.core.files.deferred_durability`), then unlock. The tail is cached per
file and validated under the lock by (device, inode, size): when another process appended meanwhile,
only the new bytes are read and checked, so an append costs O(1) in the file length.

Reading takes a shared ``flock``. A torn last line (a crash mid-write) is appended to
``<name>.jsonl.quarantine`` next to the file, fsynced, then truncated away with a warning; a bad line in the
middle, a sequence gap or a broken chain raises :class:`~avwap.core.errors.LedgerIntegrityError`.

Public API::

    LedgerStore(path)                                  one ledger file
      .append(record) -> Envelope                      record: a typed Record or a JSON-ready mapping
      .batch() -> context manager of LedgerBatch       lock held for the batch, one fsync at the end
      .read_envelopes() -> list[Envelope]              file order; repairs a torn tail first
      .read_records() -> list[dict]                    the plain records
      .tail() -> ChainTail
      .repair() -> bool                                quarantine a torn tail now; True if one was found
    LedgerBatch.append(record) -> Envelope
    LedgerBatch.append_group(records) -> list[Envelope]  one write for all: a crash keeps all or none
    peek_last_envelope(path) -> (size, Envelope) | None   O(1) look at the end of a file (from links)

Files of one folder are linked (see :mod:`avwap.ledger.links`): the first append to a new day file reads
the predecessor's last line and writes ``HEAD.json`` durably before the line; every batch then checks that
the head names this file (an older day can no longer grow) and, after its fsync, moves the head forward.

Under a backtest run folder only, a day file stays open and locked between batches (:mod:`avwap.ledger.held`):
a batch then skips the open, lock, tail and head checks it would repeat; its bytes are the same.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from avwap.core.canonical import to_plain
from avwap.core.files import deferral_epoch, deferred_root, fsync, fsync_folder
from avwap.ledger import held as held_files
from avwap.ledger.chain import Anchor, ChainScan, ChainTail, Envelope, scan, seal_plain
from avwap.ledger.links import (
    Head,
    check_append,
    head_path,
    peek_last_envelope,
    start_anchor,
    write_head,
    write_head_to,
)
from avwap.ledger.paths import ledger_date, quarantine_path
from avwap.ledger.records import encode_record

logger = logging.getLogger(__name__)

_READ_CHUNK = 1 << 20

__all__ = ["LedgerBatch", "LedgerStore", "peek_last_envelope"]


class _TailMark(NamedTuple):
    device: int
    inode: int
    size: int
    tail: ChainTail


# Per-process cache of file tails, keyed by absolute path; trusted only after the (device, inode, size)
# check made under the file lock, so a stale entry costs a re-read, never a wrong seq.
_TAILS: dict[str, _TailMark] = {}


def _read_from(descriptor: int, start: int) -> bytes:
    chunks: list[bytes] = []
    position = start
    while chunk := os.pread(descriptor, _READ_CHUNK, position):
        chunks.append(chunk)
        position += len(chunk)
    return b"".join(chunks)


def _cached_tail(path: Path, descriptor: int) -> ChainTail | None:
    """The cached tail of ``path`` (open as ``descriptor``, locked) when the file is unchanged since."""
    mark = _TAILS.get(str(Path(path).absolute()))
    if mark is None:
        return None
    status = os.fstat(descriptor)
    unchanged = (mark.device, mark.inode, mark.size) == (status.st_dev, status.st_ino, status.st_size)
    return mark.tail if unchanged else None


def _plain_record(record: Any) -> dict[str, Any]:
    if isinstance(record, msgspec.Struct):
        return encode_record(record)  # type: ignore[arg-type]
    if isinstance(record, Mapping):
        plain = to_plain(record)
        assert isinstance(plain, dict)
        return plain
    raise TypeError(f"a ledger record must be a Record or a mapping, got {type(record).__name__}")


class LedgerBatch:
    """Appends lines while its :meth:`LedgerStore.batch` holds the lock; use only inside that block."""

    def __init__(self, store: LedgerStore, descriptor: int, tail: ChainTail) -> None:
        self._store = store
        self._descriptor = descriptor
        self.tail = tail
        self.written = 0
        self.size = 0  # bytes written

    def _anchor(self) -> Anchor | None:
        """The first line's anchor, learned (and the head started) only when a first line is written.
        In a backtest run folder the predecessor's end is the one this process cached, when the file is
        still the one it wrote (same device, inode and size): it appended every line of it itself."""
        if self.tail.seq != 0:
            return None
        known = _cached_tail if self._store._deferred_root() is not None else None
        return start_anchor(self._store.path, known=known)

    def append(self, record: Any) -> Envelope:
        """Append one record (a typed Record or a JSON-ready mapping) and return its envelope."""
        plain = _plain_record(record)
        self._store.check_date(plain)
        envelope, line = seal_plain(plain, self.tail, self._anchor())
        view = memoryview(line)
        while view:  # regular files take the whole line at once; the loop only guards a short write
            view = view[os.write(self._descriptor, view) :]
        self.tail = envelope.tail
        self.written += 1
        self.size += len(line)
        return envelope

    def append_group(self, records: list[Any]) -> list[Envelope]:
        """Append several records with one ``write`` call (records that only make sense together, such as
        a fill and the position it opens): a killed process leaves all of them or none. A power loss can
        still tear the group; the torn last line is quarantined on open."""
        envelopes: list[Envelope] = []
        lines: list[bytes] = []
        tail = self.tail
        plains = [_plain_record(record) for record in records]
        for plain in plains:
            self._store.check_date(plain)
        anchor = self._anchor() if plains else None
        for plain in plains:
            envelope, line = seal_plain(plain, tail, anchor)
            envelopes.append(envelope)
            lines.append(line)
            tail = envelope.tail
        data = b"".join(lines)
        view = memoryview(data)
        while view:
            view = view[os.write(self._descriptor, view) :]
        self.tail = tail
        self.written += len(envelopes)
        self.size += len(data)
        return envelopes


class LedgerStore:
    """One append-only ledger file; cheap to create, safe to share between threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._key = str(self.path.absolute())
        self._held_key = os.path.abspath(self.path)  # normalized, as the held files' registry keys them
        self._folder_key = os.path.dirname(self._held_key)
        self._file_date = ledger_date(self.path)
        self._deferral: tuple[int, str | None] | None = None

    def __repr__(self) -> str:
        return f"LedgerStore({str(self.path)!r})"

    def check_date(self, record: Mapping[str, Any]) -> None:
        """Refuse a record whose ``date_ny`` is not this file's date (misrouting would split a day)."""
        value = record.get("date_ny")
        if self._file_date is not None and value is not None and value != self._file_date.isoformat():
            raise ValueError(f"record date_ny {value} does not belong in {self.path} ({self._file_date})")

    def append(self, record: Any) -> Envelope:
        """Append one record durably (written and fsynced before returning)."""
        with self.batch() as batch:
            return batch.append(record)

    @contextmanager
    def batch(self) -> Iterator[LedgerBatch]:
        """Hold the lock for several appends and fsync once at the end (also when the block raises)."""
        root = self._deferred_root()
        if root is not None:
            held = held_files.held_file(self._held_key)
            if held is not None:
                with held.guard:
                    if held.open:
                        with self._held_batch(held) as batch:
                            yield batch
                        return
            held_files.release_folder_except(self._folder_key, self._held_key)
        with self._locked_batch(root) as batch:
            yield batch

    @contextmanager
    def _held_batch(self, held: held_files.HeldFile) -> Iterator[LedgerBatch]:
        """A batch on a file this process kept locked since its last batch (a backtest run folder): the
        tail and the head are the ones it wrote, so nothing is re-read; no fsync (deferred)."""
        batch = LedgerBatch(self, held.descriptor, held.tail)
        try:
            yield batch
        except BaseException:
            _TAILS.pop(self._key, None)  # a failed write may have left a partial line
            held_files.release(self._held_key)  # the next batch takes the checked path
            raise
        if batch.written:
            write_head_to(held.head_descriptor, Head(self.path.name, batch.tail.seq, batch.tail.hash))
            held.tail, held.size = batch.tail, held.size + batch.size
            _TAILS[self._key] = _TailMark(held.device, held.inode, held.size, held.tail)

    @contextmanager
    def _locked_batch(self, root: str | None) -> Iterator[LedgerBatch]:
        """Open, lock, learn and check the tail, append, fsync, move the head, close; under a deferred
        ``root``, keep the file open and locked instead of closing it (see :mod:`avwap.ledger.held`)."""
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        try:
            descriptor = os.open(self.path, flags, 0o644)
        except FileNotFoundError:  # the first file of a book or stream: create its folder
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, flags, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            tail, fresh = self._tail_under_lock(descriptor)
            if tail.seq > 0:
                check_append(self.path, tail, fresh)
            batch = LedgerBatch(self, descriptor, tail)
            first_seq = batch.tail.seq + 1
            try:
                yield batch
            except BaseException:
                _TAILS.pop(self._key, None)  # a failed write may have left a partial line
                raise
            finally:
                if batch.written:
                    fsync(descriptor, self.path)
                    if first_seq == 1:
                        fsync_folder(self.path.parent)  # make the new file's directory entry durable
            if batch.written and self._file_date is not None:
                # Only after the fsync: the head may lag the file (a crash here), never lead it.
                write_head(self.path.parent, Head(self.path.name, batch.tail.seq, batch.tail.hash))
            self._remember(descriptor, batch.tail)
            if root is not None and batch.tail.seq > 0 and self._hold(root, descriptor, batch.tail):
                return  # kept open and locked for the next batch
        finally:
            if held_files.held_file(self._held_key) is None:
                os.close(descriptor)  # closing releases the flock

    def _deferred_root(self) -> str | None:
        """The deferred-durability folder this dated file lies under (None: live), kept until one is
        registered or released."""
        if self._file_date is None:
            return None
        epoch = deferral_epoch()
        if self._deferral is None or self._deferral[0] != epoch:
            self._deferral = (epoch, deferred_root(self._held_key))
        return self._deferral[1]

    def _hold(self, root: str, descriptor: int, tail: ChainTail) -> bool:
        """Keep the checked, locked file open for the run (the head names it: written or checked above)."""
        try:
            head_descriptor = os.open(head_path(self.path.parent), os.O_WRONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        mark = _TAILS[self._key]
        held = held_files.HeldFile(
            descriptor, head_descriptor, tail, mark.size, mark.device, mark.inode, self._folder_key
        )
        held_files.hold(root, self._held_key, held)
        return True

    def read_envelopes(self) -> list[Envelope]:
        """Every envelope in file order; a torn tail is quarantined first. [] when the file is absent."""
        result = self._read_shared()
        if result is not None and result.torn is not None:
            self.repair()
            result = self._read_shared()
        if result is None:
            return []
        if result.error is not None:
            raise result.error
        return result.envelopes

    def read_records(self) -> list[dict[str, Any]]:
        """The plain records in file order."""
        return [envelope.record for envelope in self.read_envelopes()]

    def tail(self) -> ChainTail:
        """The current end of the chain (validated under the lock)."""
        if not self.path.exists():
            return ChainTail()
        with self.batch() as batch:
            return batch.tail

    def repair(self) -> bool:
        """Quarantine and truncate a torn last line now; True when there was one."""
        if not self.path.exists():
            return False
        held_files.release(self._held_key)  # a held file is locked by this process: release it, then repair
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            _TAILS.pop(self._key, None)
            before = os.fstat(descriptor).st_size
            tail, _ = self._tail_under_lock(descriptor)
            self._remember(descriptor, tail)
            return os.fstat(descriptor).st_size != before
        finally:
            os.close(descriptor)

    def _read_shared(self) -> ChainScan | None:
        held = held_files.held_file(self._held_key)
        if held is not None:
            with held.guard:  # this process holds the exclusive lock: read through its descriptor
                if held.open:
                    return scan(_read_from(held.descriptor, 0), path=str(self.path))
        try:
            descriptor = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH)
            result = scan(_read_from(descriptor, 0), path=str(self.path))
            if result.torn is None and result.error is None:
                self._remember(descriptor, result.tail)
            return result
        finally:
            os.close(descriptor)

    def _remember(self, descriptor: int, tail: ChainTail) -> None:
        status = os.fstat(descriptor)
        _TAILS[self._key] = _TailMark(status.st_dev, status.st_ino, status.st_size, tail)

    def _tail_under_lock(self, descriptor: int) -> tuple[ChainTail, bool]:
        """Learn the tail while holding LOCK_EX: cached, extended by new bytes, or re-read in full
        (then ``True``: nothing this process knew vouches for the file, so the head must)."""
        status = os.fstat(descriptor)
        mark = _TAILS.get(self._key)
        same_file = mark is not None and (mark.device, mark.inode) == (status.st_dev, status.st_ino)
        if mark is not None and same_file and mark.size == status.st_size:
            return mark.tail, False
        if mark is not None and same_file and mark.size < status.st_size:
            start, tail = mark.size, mark.tail
        else:
            start, tail = 0, ChainTail()
        result = scan(_read_from(descriptor, start), tail, path=str(self.path), offset=start, keep=False)
        if result.error is not None:
            _TAILS.pop(self._key, None)
            raise result.error
        if result.torn is not None:
            self._quarantine(descriptor, start + result.valid_length, result)
        self._remember(descriptor, result.tail)
        return result.tail, start == 0

    def _quarantine(self, descriptor: int, keep_length: int, result: ChainScan) -> None:
        torn = result.torn or b""
        target = quarantine_path(self.path)
        with target.open("ab") as handle:
            handle.write(torn if torn.endswith(b"\n") else torn + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.ftruncate(descriptor, keep_length)
        os.fsync(descriptor)
        logger.warning(
            "ledger %s: torn last line (%s, %d bytes) after seq %d moved to %s and truncated",
            self.path,
            result.torn_reason,
            len(torn),
            result.tail.seq,
            target,
        )
