"""The execution loop's lock: one ``<state>/execute.lock`` held (exclusive ``flock``) while ``avwap execute``
runs, so that commands which must not run beside it (``avwap rebuild``, ``avwap decommission
close-positions``) can refuse instead of racing it.

The kernel drops a ``flock`` when its holder dies, so a crashed loop never leaves a stale lock behind.

Public API::

    EXECUTE_LOCK_NAME                      "execute.lock"
    execute_lock_path(state_dir) -> Path
    hold_execute_lock(state_dir, holder)   context manager; ConfigurationError when already held
    execute_lock_holder(state_dir) -> str | None   who holds it (the file's text), None when free
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from avwap.core.errors import ConfigurationError

EXECUTE_LOCK_NAME: Final = "execute.lock"


def execute_lock_path(state_dir: Path) -> Path:
    return Path(state_dir) / EXECUTE_LOCK_NAME


@contextmanager
def hold_execute_lock(state_dir: Path, holder: str) -> Iterator[None]:
    """Hold the lock for the ``with`` block; ``holder`` (e.g. "avwap execute pid 123") is written into the
    file for the refusal messages. A second holder is refused (``ConfigurationError`` naming
    ``AVWAP_STATE_DIR``), never made to wait."""
    path = execute_lock_path(state_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as error:  # a missing or read-only state folder: a configuration problem, said as one
        raise ConfigurationError(
            "AVWAP_STATE_DIR", f"cannot take the execution lock {path}: {error}"
        ) from error
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigurationError("AVWAP_STATE_DIR", _held_message(path, descriptor)) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, holder.encode("utf-8"), 0)
        yield
    finally:
        os.close(descriptor)  # releases the flock


def execute_lock_holder(state_dir: Path) -> str | None:
    """The holder's text when the lock is held right now; None when it is free (or was never taken)."""
    path = execute_lock_path(state_dir)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder_text(descriptor) or "another process"
        return None
    finally:
        os.close(descriptor)


def _holder_text(descriptor: int) -> str:
    return os.pread(descriptor, 200, 0).decode("utf-8", "replace").strip()


def _held_message(path: Path, descriptor: int) -> str:
    holder = _holder_text(descriptor) or "another process"
    return f"{path} is held by {holder}: the execution loop is running (stop avwap-execute first)"
