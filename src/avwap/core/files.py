"""Crash-safe whole-file replacement: after a crash at any point the target holds the complete old or the
complete new content, never a torn file.

Write a temp file in the target's folder, fsync it, ``os.replace`` it over the target, then fsync the folder
so the rename itself survives. A temp file orphaned by a crash never collides with a later write (unique
names). Used by the ledger's artifacts and by the bar store.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Final

TEMP_SUFFIX: Final = ".tmp"
STAGE_WRITTEN: Final = "written"  # temp file complete and fsynced, target untouched
STAGE_REPLACED: Final = "replaced"  # target replaced, folder not yet fsynced

Hook = Callable[[str, Path], None]


def fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_write_bytes(path: Path, data: bytes, *, hook: Hook | None = None) -> None:
    """Replace ``path`` with ``data`` atomically and durably.

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
            os.fsync(handle.fileno())
        os.chmod(temp_path, 0o644)  # mkstemp creates 0600; artifacts are meant to be read
        if hook is not None:
            hook(STAGE_WRITTEN, target)
        os.replace(temp_path, target)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    if hook is not None:
        hook(STAGE_REPLACED, target)
    fsync_folder(target.parent)
