"""``avwap backup OUT`` and ``avwap restore IN``: whole-home copies that are never taken as good half-written.

Backup: the home is copied into ``OUT/.partial-backup-NNNNNN`` (ledgers through
:func:`~avwap.ledger.manifest.copy_ledger`, consistent while the loop appends; every other file as is),
the copied ledgers' chains, links and heads are verified (the fast path of ``verify --all``; any failure
aborts: a backup never preserves damage silently),
a manifest of sha256 sums is written, everything is fsynced, and only then is the folder renamed to
``OUT/backup-NNNNNN``. A killed backup leaves a ``.partial-*`` folder that nothing lists, and that the
next backup removes. The newest ``keep`` generations are kept.

Restore: the archive's manifest and its ledger chains are checked before anything is written (the first
bad file is named); a home that holds anything is refused unless ``force``. The archive is copied to
``<home>.partial-restore``, checked again, fsynced, and renamed into place (with ``force``, the old home
is first renamed aside and removed last). A killed restore leaves either the old home or the new one,
plus a ``.partial-restore`` folder that is never a home and is removed by the next restore.

Public API::

    create_backup(home, out, *, keep=7, hook=None) -> Path
    list_backups(out) -> list[Path]                      complete generations, oldest first
    restore_backup(archive, home, *, force=False, hook=None) -> dict   the archive's manifest
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from avwap.core.errors import DataError, LedgerIntegrityError
from avwap.core.files import TEMP_SUFFIX
from avwap.ledger.atomic import detect_code_version
from avwap.ledger.manifest import check_manifest, copy_ledger, fsync_tree, write_manifest
from avwap.ledger.verify_all import verify_chains

Hook = Callable[[str], None]  # called with a stage name; tests kill the process there
FORMAT: Final = "avwap-backup-v1"
_GENERATION = re.compile(r"^backup-(\d{6})$")
PARTIAL_PREFIX: Final = ".partial-"


def list_backups(out: Path) -> list[Path]:
    """Complete backups (renamed into place, so holding a manifest) in generation order."""
    out = Path(out)
    if not out.is_dir():
        return []
    return sorted(path for path in out.iterdir() if path.is_dir() and _GENERATION.fullmatch(path.name))


def _ignore_temps(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name.endswith(TEMP_SUFFIX) and name.startswith(".")]


def _check_ledger(folder: Path) -> None:
    if not folder.is_dir():
        return
    for report in verify_chains(folder)[0]:
        if report.integrity_failure:
            raise LedgerIntegrityError(report.path, report.bad_line or 0, f"{report.status}: {report.reason}")


def create_backup(home: Path, out: Path, *, keep: int = 7, hook: Hook | None = None) -> Path:
    home, out = Path(home), Path(out)
    if keep < 1:
        raise ValueError("keep at least one backup generation")
    if not home.is_dir():
        raise DataError(f"no home to back up at {home}")
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(f"{PARTIAL_PREFIX}*"):
        shutil.rmtree(stale)  # a killed earlier backup: never a generation
    existing = list_backups(out)
    number = int(_GENERATION.fullmatch(existing[-1].name).group(1)) + 1 if existing else 1  # type: ignore[union-attr]
    final = out / f"backup-{number:06d}"
    partial = out / f"{PARTIAL_PREFIX}{final.name}"
    partial.mkdir()
    try:
        _fill(home, partial, number, hook)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # a refused or failed backup leaves nothing behind
        raise
    partial.rename(final)
    for old in list_backups(out)[:-keep]:
        shutil.rmtree(old)
    return final


def _fill(home: Path, partial: Path, number: int, hook: Hook | None) -> None:
    copy_ledger(home / "ledger", partial / "ledger")
    for entry in sorted(home.iterdir()):
        if entry.name == "ledger":
            continue
        if entry.is_dir():
            shutil.copytree(entry, partial / entry.name, ignore=_ignore_temps)
        elif entry.is_file():
            shutil.copy2(entry, partial / entry.name)
    if hook is not None:
        hook("copied")
    _check_ledger(partial / "ledger")
    write_manifest(partial, {"format": FORMAT, "code_version": detect_code_version(), "generation": number})
    if hook is not None:
        hook("manifest")
    fsync_tree(partial)


def restore_backup(
    archive: Path, home: Path, *, force: bool = False, hook: Hook | None = None
) -> dict[str, Any]:
    archive, home = Path(archive), Path(home)
    manifest = check_manifest(archive)  # before anything is written
    if manifest.get("format") != FORMAT:
        raise DataError(f"{archive}: not an avwap backup (format {manifest.get('format')!r})")
    _check_ledger(archive / "ledger")
    if home.exists() and any(home.iterdir()) and not force:
        raise DataError(f"{home} is not empty; restore over it only with --force")
    partial = home.with_name(f"{PARTIAL_PREFIX}restore-{home.name}")
    if partial.exists():
        shutil.rmtree(partial)  # a killed earlier restore
    shutil.copytree(archive, partial)
    (partial / "manifest.json").unlink()
    if hook is not None:
        hook("copied")
    _check_ledger(partial / "ledger")
    fsync_tree(partial)
    aside = home.with_name(f"{PARTIAL_PREFIX}replaced-{home.name}")
    if home.exists():
        if aside.exists():
            shutil.rmtree(aside)
        home.rename(aside)
    if hook is not None:
        hook("swapping")
    partial.rename(home)
    if aside.exists():
        shutil.rmtree(aside)
    return manifest
