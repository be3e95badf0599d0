"""Manifests of sha256 sums for backups and audit bundles, and consistent copies of a live ledger.

A manifest (``manifest.json``) maps every other file of a folder, by relative POSIX path, to its sha256
and size. :func:`check_manifest` names the first bad file (sorted order): changed, missing, or extra.

:func:`copy_ledger` copies ledger folders while the execution loop may append: per folder it copies
``HEAD.json`` first, then lists the day files and copies each under a shared ``flock`` (the writer appends
whole lines under an exclusive lock, so a copy ends at a line boundary). The head is thereby never ahead of
the copied files (it may lag, which verification accepts); a day started after the head was read is
simply not in the copy, or is complete up to some line.

Public API::

    MANIFEST_NAME
    file_sha256(path) -> str
    write_manifest(folder, extra=None) -> dict           hashes every file under folder, writes manifest.json
    check_manifest(folder) -> dict                       the manifest; DataError naming the first bad file
    copy_ledger(source_root, target_root, *, until=None) copy every folder (files dated <= until)
    fsync_tree(folder)                                   fsync every file and folder (before a rename)
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Final

from avwap.core.canonical import pretty_json
from avwap.core.errors import DataError
from avwap.ledger.links import HEAD_NAME
from avwap.ledger.paths import ledger_date, list_ledger_files, list_ledger_names

MANIFEST_NAME: Final = "manifest.json"
_CHUNK: Final = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def tree_digests(folder: Path, *, ignore: frozenset[str] = frozenset()) -> dict[str, str]:
    """sha256 of every file under ``folder`` by its relative POSIX path (file names in ``ignore`` left out):
    what a restored or rebuilt home is compared by."""
    return {
        path.relative_to(folder).as_posix(): file_sha256(path)
        for path in sorted(Path(folder).rglob("*"))
        if path.is_file() and path.name not in ignore
    }


def tree_megabytes(folder: Path) -> float:
    """The size of every file under ``folder``, in MB (10^6 bytes)."""
    return sum(path.stat().st_size for path in Path(folder).rglob("*") if path.is_file()) / 1e6


def _files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and path.relative_to(folder).as_posix() != MANIFEST_NAME
    )


def write_manifest(folder: Path, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    folder = Path(folder)
    files = {
        path.relative_to(folder).as_posix(): {"sha256": file_sha256(path), "size": path.stat().st_size}
        for path in _files(folder)
    }
    manifest = {**(extra or {}), "files": files}
    (folder / MANIFEST_NAME).write_text(pretty_json(manifest), encoding="utf-8")
    return manifest


def check_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of ``folder`` after checking every file against it; the first bad file is named."""
    folder = Path(folder)
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        listed: dict[str, dict[str, Any]] = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(f"{folder / MANIFEST_NAME}: missing or unreadable manifest ({error})") from None
    present = {path.relative_to(folder).as_posix(): path for path in _files(folder)}
    for name in sorted(set(listed) | set(present)):
        if name not in present:
            raise DataError(f"{folder / name}: listed in the manifest but missing")
        if name not in listed:
            raise DataError(f"{folder / name}: not in the manifest (added after it was written)")
        path, expected = present[name], listed[name]
        if path.stat().st_size != expected.get("size") or file_sha256(path) != expected.get("sha256"):
            raise DataError(f"{folder / name}: sha256 differs from the manifest (corrupted or altered)")
    return manifest


def _copy_locked(source: Path, target: Path) -> None:
    descriptor = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH)  # a whole-line prefix: the writer appends under LOCK_EX
        with os.fdopen(os.dup(descriptor), "rb") as reader, target.open("wb") as writer:
            while chunk := reader.read(_CHUNK):
                writer.write(chunk)
    finally:
        os.close(descriptor)


def copy_ledger(
    source_root: Path,
    target_root: Path,
    *,
    until: dt.date | None = None,
    complete: frozenset[str] = frozenset(),
) -> int:
    """Copy every ledger folder (day files dated <= ``until`` when given, except the folders named in
    ``complete``, copied whole); returns the files copied."""
    copied = 0
    for name in list_ledger_names(source_root):
        source, target = Path(source_root) / name, Path(target_root) / name
        target.mkdir(parents=True, exist_ok=True)
        head = source / HEAD_NAME
        if head.is_file() and (until is None or name in complete):
            (target / HEAD_NAME).write_bytes(head.read_bytes())  # first: never ahead of the copied files
        for path in list_ledger_files(source_root, name):
            day = ledger_date(path)
            if until is not None and name not in complete and day is not None and day > until:
                continue
            _copy_locked(path, target / path.name)
            copied += 1
    return copied


def fsync_tree(folder: Path) -> None:
    for path in sorted(Path(folder).rglob("*"), reverse=True):
        descriptor = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
