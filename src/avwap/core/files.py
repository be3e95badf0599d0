"""Crash-safe whole-file replacement: after a crash at any point the target holds the complete old or the
complete new content, never a torn file.

Write a temp file in the target's folder, fsync it, ``os.replace`` it over the target, then fsync the folder
so the rename itself survives. A temp file orphaned by a crash never collides with a later write (unique
names). Used by the ledger's artifacts and by the bar store.

Durability is deferred, never dropped, under a folder registered with :func:`deferred_durability` (a
backtest run folder: disposable, rebuilt by rerunning): :func:`fsync` skips the per-write ``fsync`` of files
below it and the block ends with one ``os.sync``. The bytes written, their order and every rename are the
same; only when they reach the disk changes. Everything else (live trading, the demo, the bar store) keeps
the per-write ``fsync``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

TEMP_SUFFIX: Final = ".tmp"
STAGE_WRITTEN: Final = "written"  # temp file complete and fsynced, target untouched
STAGE_REPLACED: Final = "replaced"  # target replaced, folder not yet fsynced

Hook = Callable[[str, Path], None]

# Absolute folders (with a trailing separator) whose writes are made durable once, at the end of the block
# that registered them; empty in live trading, so the check below costs one truth test there.
_DEFERRED_ROOTS: list[str] = []
# What to do when a deferred block ends, before its ``os.sync`` (the ledger closes the day files it kept
# open and locked for the run), per registered folder.
_AT_END: dict[str, list[Callable[[], None]]] = {}
# Bumped whenever a folder is registered or released, so a caller may keep a deferred_root answer per path
# until it changes (the ledger asks it for every batch).
_EPOCH: list[int] = [0]


def deferral_epoch() -> int:
    """A number that changes whenever :func:`deferred_durability` registers or releases a folder."""
    return _EPOCH[0]


def deferred_root(path: str | os.PathLike[str]) -> str | None:
    """The registered folder (with a trailing separator) that ``path`` lies under; None when durable."""
    if not _DEFERRED_ROOTS:
        return None
    name = os.path.join(os.path.abspath(path), "")  # the registered folder itself is under it too
    return next((root for root in reversed(_DEFERRED_ROOTS) if name.startswith(root)), None)


def is_durable(path: str | os.PathLike[str]) -> bool:
    """False when ``path`` lies under a folder registered with :func:`deferred_durability`."""
    return deferred_root(path) is None


def at_end_of_deferral(root: str, action: Callable[[], None]) -> None:
    """Run ``action`` when the :func:`deferred_durability` block of ``root`` (as :func:`deferred_root`
    names it) ends, before its ``os.sync``; also when the block ends by an error."""
    _AT_END.setdefault(root, []).append(action)


def fsync(descriptor: int, path: str | os.PathLike[str]) -> None:
    """``os.fsync(descriptor)`` (of the file or folder at ``path``) unless ``path`` is deferred."""
    if is_durable(path):
        os.fsync(descriptor)


@contextmanager
def deferred_durability(root: Path) -> Iterator[None]:
    """Within the block, writes below ``root`` skip their per-write ``fsync``; at its end (also on an
    error) one ``os.sync`` flushes them. For disposable folders only (a backtest run folder)."""
    prefix = os.path.join(os.path.abspath(root), "")
    _DEFERRED_ROOTS.append(prefix)
    _EPOCH[0] += 1
    try:
        yield
    finally:
        _DEFERRED_ROOTS.remove(prefix)
        _EPOCH[0] += 1
        try:
            for action in _AT_END.pop(prefix, []) if prefix not in _DEFERRED_ROOTS else []:
                action()
        finally:
            os.sync()


def fsync_folder(folder: Path) -> None:
    if not is_durable(folder):
        return
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_write_bytes(path: Path, data: bytes, *, hook: Hook | None = None, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically and durably (durable at the end of the block when ``path``
    is under a :func:`deferred_durability` folder). ``mode``: the file's permissions (0o600 for secrets:
    the temp file is created 0600, so a secret is never readable by others, not even for an instant).

    ``hook(stage, path)`` is called at :data:`STAGE_WRITTEN` and :data:`STAGE_REPLACED`; it exists so that
    tests can kill the process at those exact points.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    temp_path = Path(temp_name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            fsync(handle.fileno(), target)
        os.chmod(temp_path, mode)  # mkstemp creates 0600; artifacts are meant to be read
        if hook is not None:
            hook(STAGE_WRITTEN, target)
        os.replace(temp_path, target)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    if hook is not None:
        hook(STAGE_REPLACED, target)
    fsync_folder(target.parent)
