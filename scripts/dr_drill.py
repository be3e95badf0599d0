"""Disaster recovery drill (docs/RUNBOOK.md section 16): the runbook's commands, in order, with the real CLI.

The "old server" is an existing home OLD, e.g. a year of trading made by ``avwap demo --home OLD --sessions
252``. Under WORK the drill takes a backup of OLD (``avwap backup``, as the old server did every night), then,
on the "new server" (an empty ``WORK/new/home``, ``KILL_SWITCH=1``, the audit key file outside the home):
restore, refuse a second restore over the restored home, verify, verify --all, reconcile against the broker,
rebuild, show the book and run the doctor. Each command is printed with its exit code, its wall and CPU
seconds (the child's user + system time) and its first output lines; the load average is printed at the
start and the end. Afterwards every file of the new home must be byte-identical to OLD's.

A demo home seals its days with the demo's public key (``DEMO_AUDIT_KEY``), so the drill writes that key to
``WORK/etc/audit.key`` (0600); for another home it copies the key file ``AVWAP_AUDIT_KEY_FILE`` names.
PAPER_SIM has no broker outside the replay: its reconciliation is refused with exit 3, which the runbook
expects.

Usage: ``python scripts/dr_drill.py OLD WORK`` (WORK must not exist). Exit 0 and ``DRILL OK`` when every
command ended with the expected code and the homes are byte-identical, else 1.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from avwap.ledger.manifest import tree_digests, tree_megabytes

AVWAP = Path(sys.executable).with_name("avwap")


def _hashes(home: Path) -> dict[str, str]:
    return tree_digests(home, ignore=frozenset({"execute.lock"}))  # the lock file holds a pid


def _step(title: str, arguments: list[str], environment: dict[str, str], expected: int) -> tuple[bool, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    finished = subprocess.run(
        [str(AVWAP), *arguments], env=environment, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    good = finished.returncode == expected
    print(f"\n## {title}\n$ avwap {' '.join(arguments)}")
    print(f"exit {finished.returncode} (expected {expected}), {wall:.2f} s wall, {cpu:.2f} s CPU")
    lines = [line for line in (finished.stdout + finished.stderr).splitlines() if line.strip()]
    for line in lines[:6] + (["  ...", *lines[-3:]] if len(lines) > 9 else lines[6:]):
        print(f"  | {line}")
    problems = [line for line in lines[6:-3] if line.startswith(("MISMATCH", "MISSING"))]
    for line in problems[:5]:  # a rebuild's problems are never hidden by the shortening above
        print(f"  | {line}")
    if len(problems) > 5:
        print(f"  | ... {len(problems)} MISMATCH/MISSING lines in all")
    return good, wall


def _compare_code_versions(archive: Path) -> None:
    """Step 1: the new server runs the code version that wrote the backup, or its rebuild reports every
    decisions batch as MISMATCH (each artifact's provenance names the version)."""
    import json

    from avwap.ledger.atomic import detect_code_version

    manifest = archive / "manifest.json"
    written = json.loads(manifest.read_bytes()).get("code_version") if manifest.is_file() else None
    here = detect_code_version()
    verdict = "same" if written == here else "DIFFERENT: expect MISMATCH from the rebuild"
    print(f"  backup written by code {written}; this checkout {here}: {verdict}")


def main(old: Path, work: Path) -> int:
    from avwap.demo.home import MARKER
    from avwap.demo.replay import DEMO_PRESET
    from avwap.ledger.audit_key import DEMO_AUDIT_SECRET, KEY_VARIABLE

    work.mkdir(parents=True)
    key = work / "etc" / "audit.key"
    key.parent.mkdir()
    if (old / MARKER).is_file():
        key.write_bytes(DEMO_AUDIT_SECRET)
    else:  # the server's own key, a copy kept off the server (docs/RUNBOOK.md section 16)
        key.write_bytes(Path(os.environ[KEY_VARIABLE]).read_bytes())
    key.chmod(0o600)
    backups, home = work / "backups", work / "new" / "home"
    print(f"load average at start: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    base = {name: value for name, value in os.environ.items() if not name.startswith(("AVWAP_", "KILL_"))}
    old_server = {**base, "AVWAP_HOME": str(old)}
    new_server = {**base, "AVWAP_HOME": str(home), "AVWAP_AUDIT_KEY_FILE": str(key), "KILL_SWITCH": "1"}
    results = [_step("old server: nightly backup", ["backup", str(backups), "--keep", "14"], old_server, 0)]
    archive = backups / "backup-000001"
    print(f"  backup: {tree_megabytes(archive):.1f} MB in {results[0][1]:.2f} s")
    _compare_code_versions(archive)
    steps: list[tuple[str, list[str], int]] = [
        ("3. restore", ["restore", str(archive)], 0),
        ("3. restore again: a home that is not empty is refused", ["restore", str(archive)], 4),
        ("4. verify", ["ledger", "verify"], 0),
        ("4. verify --all", ["ledger", "verify", "--all"], 0),
        ("5. reconcile against the broker", ["portfolio", "reconcile", "--book", DEMO_PRESET.book_id], 3),
        ("6. rebuild", ["rebuild"], 0),
        ("7. resume: the book as restored", ["portfolio", "show", "--book", DEMO_PRESET.book_id], 0),
    ]
    for title, arguments, expected in steps:
        results.append(_step(title, arguments, new_server, expected))
    print(f"  restore: {tree_megabytes(home):.1f} MB in {results[1][1]:.2f} s")
    identical = _hashes(home) == _hashes(old)
    print(f"\nnew home byte-identical to the old one: {identical}")
    print(f"load average at end: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    if identical and all(good for good, _ in results):
        print("DRILL OK")
        return 0
    print("DRILL FAILED")
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()))
