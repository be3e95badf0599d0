"""``avwap backup OUT`` and ``avwap restore IN`` (see :mod:`avwap.ledger.backup` and docs/RUNBOOK.md,
"Disaster recovery drill").

``avwap backup OUT [--keep N]`` copies the home into ``OUT/backup-NNNNNN`` while the loop may run (ledgers
under their locks, verified, manifest of sha256 sums, renamed into place only when complete), keeping the
newest N. ``avwap restore IN [--force]`` checks the manifest and every chain before writing anything and
refuses a non-empty home without ``--force``. Exit codes: 0 done, 4 bad archive or refused home (the first
bad file is named), 5 a broken chain in the home or the archive.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from avwap.cli.output import console, load_cli_config, run_guarded

HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (default: AVWAP_HOME or ./var).")
OUT_ARGUMENT = typer.Argument(..., help="Folder holding the backup generations.")
ARCHIVE_ARGUMENT = typer.Argument(..., help="A backup-NNNNNN folder made by avwap backup.")
KEEP_OPTION = typer.Option(7, "--keep", min=1, help="Backup generations to keep in OUT.")
FORCE_OPTION = typer.Option(False, "--force", help="Replace a home that is not empty.")


def register(app: typer.Typer) -> None:
    @app.command("backup")
    def backup(
        out: Path = OUT_ARGUMENT,
        keep: int = KEEP_OPTION,
        home: Path | None = HOME_OPTION,
    ) -> None:
        """Back the home up (consistent while the loop runs); keep the newest --keep generations."""
        from avwap.ledger.backup import create_backup

        def body() -> None:
            archive = create_backup(load_cli_config(home=home).home, out, keep=keep)
            files = len(json.loads((archive / "manifest.json").read_text(encoding="utf-8"))["files"])
            console.print(f"backup {archive} complete: {files} files, chains verified, manifest written")

        run_guarded(body)

    @app.command("restore")
    def restore(
        archive: Path = ARCHIVE_ARGUMENT,
        force: bool = FORCE_OPTION,
        home: Path | None = HOME_OPTION,
    ) -> None:
        """Restore a backup into the home after checking its manifest and chains."""
        from avwap.ledger.backup import restore_backup

        def body() -> None:
            target = load_cli_config(home=home).home
            manifest = restore_backup(archive, target, force=force)
            console.print(f"restored {archive} into {target}: {len(manifest['files'])} files verified")

        run_guarded(body)
