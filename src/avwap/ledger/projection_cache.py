"""Rebuild a book's state from its ledger, optionally through a disposable cache.

The cache (``<cache_dir>/<BOOK>.projection.json``, written atomically) stores the folded state and, per
ledger file, the ``seq`` and ``hash`` of its last line. Because every line's hash commits to all lines
before it, an unchanged (seq, hash) pair means an unchanged file. On rebuild, cached files other than the
last are checked in O(1) by peeking at their last line; the last cached file (usually today's) is re-read
and folded from just after the cached line; newer files are folded in full. Any mismatch, or a cache
that cannot be read, means a full rebuild from the ledger: the cache is never trusted over the ledger, and
deleting it yields exactly the same state. Every file folded is checked against its predecessor's end and
the folder's head (:mod:`avwap.ledger.links`), from the cache's marks when the predecessor was not re-read:
a deleted or cut day raises :class:`~avwap.core.errors.LedgerIntegrityError` with or without the cache.

Public API::

    rebuild_book(root, book_id, *, cache_dir=None) -> BookState
    cache_path(cache_dir, book_id) -> Path
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

import msgspec

from avwap.core.canonical import canonical_json
from avwap.core.errors import LedgerIntegrityError
from avwap.core.files import atomic_write_bytes
from avwap.ledger.chain import ChainTail
from avwap.ledger.links import LinkChecker
from avwap.ledger.paths import list_ledger_files, validate_name
from avwap.ledger.projection import fold_book
from avwap.ledger.projection_state import BookState
from avwap.ledger.router import decode_envelope
from avwap.ledger.store import LedgerStore, peek_last_envelope

logger = logging.getLogger(__name__)

CACHE_FORMAT: Final = 2  # 2: positions keyed by position id (lots), no longer by symbol


class FileMark(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How far the cached state has folded one ledger file."""

    name: str
    seq: int
    hash: str


class ProjectionCache(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    format: int
    book_id: str
    files: tuple[FileMark, ...]
    state: BookState


def cache_path(cache_dir: Path, book_id: str) -> Path:
    return Path(cache_dir) / f"{validate_name(book_id)}.projection.json"


def _load(path: Path, book_id: str) -> ProjectionCache | None:
    try:
        cache = msgspec.json.decode(path.read_bytes(), type=ProjectionCache)
    except FileNotFoundError:
        return None
    except (OSError, msgspec.DecodeError) as error:
        logger.warning("projection cache %s unreadable (%s); rebuilding from the ledger", path, error)
        return None
    if cache.format != CACHE_FORMAT or cache.book_id != book_id:
        return None
    return cache


def _unchanged(path: Path, mark: FileMark) -> bool:
    """O(1): the file still ends at the cached line."""
    peeked = peek_last_envelope(path)
    tail = (
        ChainTail() if peeked is None and path.stat().st_size == 0 else (peeked[1].tail if peeked else None)
    )
    return tail == ChainTail(mark.seq, mark.hash)


def _resume(files: list[Path], cache: ProjectionCache | None) -> tuple[BookState | None, list[FileMark]]:
    """The cached state and the marks of files that need no re-reading, or (None, []) to start over."""
    if cache is None or not cache.files or len(cache.files) > len(files):
        return None, []
    for path, mark in zip(files, cache.files, strict=False):
        if path.name != mark.name:
            return None, []
    for path, mark in zip(files[: len(cache.files) - 1], cache.files[:-1], strict=True):
        if not _unchanged(path, mark):
            return None, []
    return cache.state, list(cache.files[:-1])


def rebuild_book(root: Path, book_id: str, *, cache_dir: Path | None = None) -> BookState:
    """Fold the ledger of ``book_id`` under ``root``; with ``cache_dir``, reuse and refresh the cache."""
    files = list_ledger_files(root, book_id)
    folder = Path(root) / book_id
    cache = _load(cache_path(cache_dir, book_id), book_id) if cache_dir is not None else None
    state, marks = _resume(files, cache)
    if state is not None and cache is not None:
        checker = LinkChecker(folder)
        for mark in marks:
            checker.add_unchanged(mark.name, ChainTail(mark.seq, mark.hash))
        resumed = _fold_files(files[len(marks) :], state, marks, checker, skip=cache.files[-1])
        if resumed is not None:
            state, marks = resumed
        else:
            logger.warning("projection cache of %s is stale; rebuilding from the ledger", book_id)
            state = None
    if state is None:
        full = _fold_files(files, BookState(book_id=book_id), [], LinkChecker(folder), skip=None)
        assert full is not None  # without a skip mark there is nothing to mismatch
        state, marks = full
    if cache_dir is not None and (cache is None or tuple(marks) != cache.files or cache.state != state):
        fresh = ProjectionCache(CACHE_FORMAT, book_id, tuple(marks), state)
        atomic_write_bytes(cache_path(cache_dir, book_id), canonical_json(fresh))
    return state


def _raise_if(problem: LedgerIntegrityError | None) -> None:
    if problem is not None:
        raise problem


def _fold_files(
    files: list[Path],
    state: BookState,
    marks: list[FileMark],
    checker: LinkChecker,
    *,
    skip: FileMark | None,
) -> tuple[BookState, list[FileMark]] | None:
    """Fold ``files`` onto ``state``; the first file's lines up to ``skip`` are already in ``state``.

    Returns None when ``skip`` no longer matches the first file (the cache is stale).
    """
    marks = list(marks)
    for index, path in enumerate(files):
        envelopes = LedgerStore(path).read_envelopes()
        _raise_if(checker.add(path, envelopes))
        start = 0
        if index == 0 and skip is not None:
            start = skip.seq
            covered = envelopes[start - 1].hash if 0 < start <= len(envelopes) else None
            if start > len(envelopes) or (start > 0 and covered != skip.hash):
                return None
        records = [decode_envelope(path, envelope) for envelope in envelopes[start:]]
        try:
            state = fold_book(records, state.book_id, state)
        except LedgerIntegrityError as error:  # the fold knows records, not files: say which file
            raise LedgerIntegrityError(str(path), error.line_number, str(error)) from None
        last = envelopes[-1].tail if envelopes else ChainTail()
        marks.append(FileMark(path.name, last.seq, last.hash))
    _raise_if(checker.finish())
    return state, marks
