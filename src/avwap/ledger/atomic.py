"""Crash-safe whole-file writes for artifacts, snapshots and caches, each carrying a provenance block.

:func:`atomic_write_bytes` writes a temporary file in the target's folder, fsyncs it, ``os.replace``-s it over
the target and fsyncs the folder: after a crash at any point the target holds either the complete old or the
complete new content. A temp file orphaned by a crash never collides with a later write (unique names).

Public API::

    atomic_write_bytes(path, data, *, hook=None) -> None                 (from avwap.core.files)
    atomic_write_json(path, payload, provenance, *, hook=None) -> str   sorted JSON; returns the sha256
    Provenance(code_version, config_hash, data_hash, as_of_date_ny, ruleset_version)     frozen record
    build_provenance(config_hash, data_hash, as_of_date_ny, *, code_version=None, ruleset_version=None)
    detect_code_version() -> str       ``<package version>+<git describe --always --dirty>``, computed once
"""

from __future__ import annotations

import datetime as dt
import functools
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from avwap import __version__
from avwap.core.canonical import pretty_json, sha256_hex
from avwap.core.files import Hook, atomic_write_bytes


class Provenance(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Where an artifact came from: code, configuration, input data and the NY date it describes, and the
    ruleset version in force (left out when none was ever activated, so older artifacts keep their bytes)."""

    code_version: str
    config_hash: str
    data_hash: str
    as_of_date_ny: dt.date
    ruleset_version: str | None = None


@functools.cache
def detect_code_version() -> str:
    """The package version plus ``git describe --always --dirty`` of the checkout, when there is one."""
    try:
        described = subprocess.run(
            ["git", "--no-optional-locks", "describe", "--always", "--dirty"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        described = ""  # not a checkout (installed wheel) or no git: the package version must do
    return f"{__version__}+{described}" if described else __version__


def build_provenance(
    config_hash: str,
    data_hash: str,
    as_of_date_ny: dt.date,
    *,
    code_version: str | None = None,
    ruleset_version: str | None = None,
) -> Provenance:
    """A provenance block; pass ``code_version`` to pin it (tests, reproducible rebuilds)."""
    version = detect_code_version() if code_version is None else code_version
    return Provenance(version, config_hash, data_hash, as_of_date_ny, ruleset_version or None)


def atomic_write_json(
    path: Path, payload: Mapping[str, Any], provenance: Provenance, *, hook: Hook | None = None
) -> str:
    """Write ``payload`` plus a ``provenance`` block as stable pretty JSON; return the file's sha256."""
    if "provenance" in payload:
        raise ValueError("payload already has a 'provenance' key; pass the provenance separately")
    data = pretty_json({**payload, "provenance": provenance}).encode("utf-8")
    atomic_write_bytes(path, data, hook=hook)
    return sha256_hex(data)
