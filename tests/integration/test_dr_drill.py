"""The disaster recovery drill of docs/RUNBOOK.md section 16, run as written by ``scripts/dr_drill.py``: the
real CLI restores a backup into an empty home, verifies it, has PAPER_SIM's reconciliation refused (exit 3),
rebuilds every derived file and shows the book, and the new home is byte-identical to the old one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DRILL = Path(__file__).resolve().parents[2] / "scripts" / "dr_drill.py"


def test_the_drill_restores_a_demo_home_byte_for_byte(demo_home_once: Path, tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, str(DRILL), str(demo_home_once), str(tmp_path / "drill")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    output = finished.stdout
    assert output.rstrip().endswith("DRILL OK")
    assert "new home byte-identical to the old one: True" in output
    assert "exit 3 (expected 3)" in output  # PAPER_SIM's broker exists only inside the replay
    assert "OK: every chain, link, head and seal verifies" in output
    assert "is not empty; restore over it only with --force" in output
    assert "; this checkout " in output and ": same" in output  # step 1: the code that wrote the backup


def test_the_drill_fails_on_a_home_whose_ledger_was_altered(demo_home_once: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    subprocess.run(["cp", "-a", str(demo_home_once), str(old)], check=True)
    ledger = sorted((old / "ledger" / "PAPER_SIM").glob("*.jsonl"))[0]
    ledger.write_bytes(ledger.read_bytes().replace(b'"amount":"100000"', b'"amount":"900000"', 1))
    finished = subprocess.run(
        [sys.executable, str(DRILL), str(old), str(tmp_path / "drill")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 1, finished.stdout
    assert "old server: nightly backup" in finished.stdout and "(expected 0)" in finished.stdout
    assert finished.stdout.rstrip().endswith("DRILL FAILED")
