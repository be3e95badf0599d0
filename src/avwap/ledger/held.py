"""Day files kept open and locked between batches, only under a deferred-durability folder (a backtest run).

Live trading opens, locks, checks and closes a ledger file for every batch (:mod:`avwap.ledger.store`). A
backtest run folder (:func:`avwap.core.files.deferred_durability`) is written by one process for the whole
run, and that per-append ceremony was a quarter of its time. There, after a normal batch (every check
done), the writer keeps the file's descriptor and its exclusive ``flock`` (and a descriptor of the folder's
``HEAD.json``) until the next day's file of the same folder is started or the run ends. While it holds the
lock without a break, no other writer that follows the protocol can append to the file, start a newer day
(that needs a shared lock on this file) or move the head, so the tail and the head this process wrote are
still the truth: a held batch skips re-reading them. Readers in this process go through the held
descriptor (a second ``flock`` on another descriptor of the file would wait for this one forever); readers
in other processes wait, at most until the day's file is released. Any error in a held batch releases the
file, so the next batch takes the normal, fully checked path.

Public API::

    HeldFile                                     descriptor, head_descriptor, tail, size, guard (an RLock)
    held_file(key) -> HeldFile | None            key: the file's absolute path as a string
    hold(root, key, held)                        keep ``held`` until :func:`release` or the end of ``root``
    release(key)                                 close the file and its head descriptor (drops the lock)
    release_folder_except(folder_key, key)       release the folder's held file unless it is ``key``
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from avwap.core.files import at_end_of_deferral
from avwap.ledger.chain import ChainTail

__all__ = ["HeldFile", "held_file", "hold", "release", "release_folder_except"]


@dataclass(eq=False)
class HeldFile:
    """An open, exclusively locked day file and what this process last wrote to it and its head."""

    descriptor: int
    head_descriptor: int
    tail: ChainTail
    size: int
    device: int
    inode: int
    folder_key: str
    guard: threading.RLock = field(default_factory=threading.RLock)
    open: bool = True


_BY_FILE: dict[str, HeldFile] = {}
_BY_FOLDER: dict[str, str] = {}
_ROOTS_WATCHED: set[str] = set()
_REGISTRY_GUARD = threading.Lock()


def held_file(key: str) -> HeldFile | None:
    return _BY_FILE.get(key)


def hold(root: str, key: str, held: HeldFile) -> None:
    """Keep ``held`` (file ``key``) open until released or until the deferred block of ``root`` ends."""
    with _REGISTRY_GUARD:
        _BY_FILE[key] = held
        _BY_FOLDER[held.folder_key] = key
        if root not in _ROOTS_WATCHED:
            _ROOTS_WATCHED.add(root)
            at_end_of_deferral(root, lambda: _release_under(root))


def release(key: str) -> None:
    """Close the held file ``key`` (closing drops its ``flock``); nothing when it is not held."""
    with _REGISTRY_GUARD:
        held = _BY_FILE.pop(key, None)
        if held is None:
            return
        if _BY_FOLDER.get(held.folder_key) == key:
            del _BY_FOLDER[held.folder_key]
    with held.guard:  # a batch of another thread on this file finishes first
        held.open = False
        try:
            os.close(held.head_descriptor)
        finally:
            os.close(held.descriptor)


def release_folder_except(folder_key: str, key: str) -> None:
    """Before a batch on ``key``: release the other held file of its folder (a new day's first line reads
    its predecessor under a shared lock, which this process's exclusive one would block)."""
    current = _BY_FOLDER.get(folder_key)
    if current is not None and current != key:
        release(current)


def _release_under(root: str) -> None:
    with _REGISTRY_GUARD:
        _ROOTS_WATCHED.discard(root)
        keys = [key for key in _BY_FILE if key.startswith(root)]
    for key in keys:
        release(key)
