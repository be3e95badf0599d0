"""Cache keys for the dashboard: what a page read, summarised cheaply enough to check on every request.

A ledger folder's ``HEAD.json`` names its newest file, last seq and last hash, and every line's hash commits
to all before it; with the (name, size, mtime, ctime, inode) of every ledger file, a new record, a repair or
an edit of an older day changes the key (even one that keeps the size and sets the mtime back). Artifact
folders are keyed by the same stats of their listing. Nothing here
is trusted over the files: a key that changes means a fresh read.

Public API::

    ledger_signature(root) -> tuple          heads and file stats of every ledger folder
    folder_signature(folder) -> tuple        (name, size, mtime, ctime, inode) of a folder's files
    MemoCache(limit)                         get_or_build(key, build)
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar

from avwap.ledger.links import HEAD_NAME

T = TypeVar("T")
DEFAULT_LIMIT: Final = 64


Signature = tuple[tuple[str, int, int, int, int], ...]


def folder_signature(folder: Path) -> Signature:
    """(name, size, mtime_ns, ctime_ns, inode) of each file: the ctime too, because an edit that keeps the
    size and sets the mtime back (``touch -d``) still moves the ctime, which no user can set back."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return ()
    found = []
    for entry in entries:
        try:
            stat = entry.stat()
        except OSError:
            continue
        found.append((entry.name, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino))
    return tuple(sorted(found))


def _head(folder: Path) -> bytes:
    try:
        return (folder / HEAD_NAME).read_bytes()
    except OSError:
        return b""


def ledger_signature(root: Path) -> tuple[tuple[str, bytes, Signature], ...]:
    try:
        folders = sorted(entry.name for entry in os.scandir(root) if entry.is_dir())
    except OSError:
        return ()
    return tuple((name, _head(root / name), folder_signature(root / name)) for name in folders)


class MemoCache:
    """Values by key, the oldest dropped beyond ``limit``. Starlette runs sync routes in a thread pool, so
    the dictionary is guarded by a lock (a value is built outside it: two threads may build the same one)."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._values: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_build(self, key: Any, build: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self.hits += 1
                self._values.move_to_end(key)
                return self._values[key]  # type: ignore[no-any-return]
            self.misses += 1
        value = build()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.limit:
                self._values.popitem(last=False)
        return value


__all__ = ["MemoCache", "folder_signature", "ledger_signature"]
