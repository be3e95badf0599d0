"""``avwap backup`` / ``avwap restore``: consistent while the ledger is written, never half-written taken as
good (the process is SIGKILLed at injected points), a corrupted archive refused naming the first bad file."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tests.unit.ledger.factories import DAY, deposit
from tests.unit.ledger.test_audit import build_home

from avwap.core.errors import DataError
from avwap.ledger.backup import create_backup, list_backups, restore_backup
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.router import Ledger
from avwap.ledger.verify import verify_path

ROOT = Path(__file__).resolve().parents[2]


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def source(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    build_home(home)
    (home / "artifacts" / "snapshots").mkdir(parents=True)
    (home / "artifacts" / "snapshots" / "2026-04-01.json").write_text('{"equity": 1}\n')
    return home


def test_backup_then_restore_reproduces_the_home(source: Path, tmp_path: Path) -> None:
    archive = create_backup(source, tmp_path / "backups")
    assert archive.name == "backup-000001" and list_backups(tmp_path / "backups") == [archive]
    target = tmp_path / "new-server" / "home"
    manifest = restore_backup(archive, target)
    assert tree(target) == tree(source)
    assert all(report.ok for report in verify_path(target / "ledger"))
    assert "ledger/PAPER_SIM/2026-04-01.jsonl" in manifest["files"]


def test_generations_are_kept_up_to_keep(source: Path, tmp_path: Path) -> None:
    for _ in range(4):
        create_backup(source, tmp_path / "backups", keep=2)
    assert [path.name for path in list_backups(tmp_path / "backups")] == ["backup-000003", "backup-000004"]


def test_a_backup_taken_while_the_ledger_is_written_is_consistent(source: Path, tmp_path: Path) -> None:
    ledger = Ledger(source / "ledger")
    stop = threading.Event()

    def write() -> None:
        number = 0
        while not stop.is_set() and number < 400:
            ledger.append(deposit("1", reference=f"live-{number}", day=DAY.replace(day=3)))
            number += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        archives = [create_backup(source, tmp_path / "backups", keep=5) for _ in range(3)]
    finally:
        stop.set()
        writer.join()
    for archive in archives:  # create_backup verified each copy; restoring re-verifies it
        restore_backup(archive, tmp_path / f"restored-{archive.name}")


def test_a_corrupted_archive_is_refused_naming_the_first_bad_file(source: Path, tmp_path: Path) -> None:
    archive = create_backup(source, tmp_path / "backups")
    bad = archive / "ledger" / PAPER_SIM / "2026-04-01.jsonl"
    bad.write_bytes(bad.read_bytes().replace(b'"quantity":11', b'"quantity":12'))
    (archive / "ledger" / PAPER_SIM / "2026-04-02.jsonl").write_bytes(b"garbage\n")
    target = tmp_path / "target"
    with pytest.raises(DataError, match=r"PAPER_SIM/2026-04-01.jsonl: sha256 differs"):
        restore_backup(archive, target)
    assert not target.exists()


def test_a_non_empty_home_is_refused_without_force(source: Path, tmp_path: Path) -> None:
    archive = create_backup(source, tmp_path / "backups")
    target = tmp_path / "target"
    target.mkdir()
    (target / "something").write_text("x")
    with pytest.raises(DataError, match="not empty; restore over it only with --force"):
        restore_backup(archive, target)
    restore_backup(archive, target, force=True)
    assert tree(target) == tree(source)


DRIVER = """
import os, signal, sys
from pathlib import Path
from avwap.ledger.backup import create_backup, restore_backup
def hook(stage):
    if stage == sys.argv[2]:
        os.kill(os.getpid(), signal.SIGKILL)
if sys.argv[1] == "backup":
    create_backup(Path(sys.argv[3]), Path(sys.argv[4]), hook=hook)
else:
    restore_backup(Path(sys.argv[3]), Path(sys.argv[4]), force=True, hook=hook)
"""


def killed(*arguments: str) -> None:
    completed = subprocess.run([sys.executable, "-c", DRIVER, *arguments], cwd=ROOT, check=False)
    assert completed.returncode == -9  # SIGKILLed at the injected point


@pytest.mark.parametrize("stage", ["copied", "manifest"])
def test_a_killed_backup_is_never_taken_as_good(source: Path, tmp_path: Path, stage: str) -> None:
    out = tmp_path / "backups"
    killed("backup", stage, str(source), str(out))
    assert list_backups(out) == [] and any(out.glob(".partial-*"))
    archive = create_backup(source, out)  # the next backup removes the partial one
    assert list_backups(out) == [archive] and not any(out.glob(".partial-*"))


@pytest.mark.parametrize("stage", ["copied", "swapping"])
def test_a_killed_restore_leaves_the_old_home_or_none(source: Path, tmp_path: Path, stage: str) -> None:
    archive = create_backup(source, tmp_path / "backups")
    target = tmp_path / "target"
    target.mkdir()
    (target / "old").write_text("old home")
    killed("restore", stage, str(archive), str(target))
    if stage == "copied":
        assert tree(target) == {"old": b"old home"}  # untouched
    else:
        assert not target.exists()  # renamed aside: no half-restored home, rerun the restore
    restore_backup(archive, target, force=True)
    assert tree(target) == tree(source)
    assert not any(tmp_path.glob(".partial-*"))


def test_a_home_with_a_broken_chain_is_not_backed_up(source: Path, tmp_path: Path) -> None:
    from avwap.core.errors import LedgerIntegrityError

    path = source / "ledger" / PAPER_SIM / "2026-04-01.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"quantity":11', b'"quantity":12'))
    out = tmp_path / "backups"
    with pytest.raises(LedgerIntegrityError, match=r"PAPER_SIM/2026-04-01.jsonl:2"):
        create_backup(source, out)
    assert list(out.iterdir()) == []  # neither a generation nor a partial folder
