"""Recovery time of one year of trading: `avwap restore` + `avwap ledger verify --all` + `avwap rebuild`.

1. **A year of trading with its bars** (measured end to end): the home of ``avwap demo --sessions 252``
   (:func:`avwap.demo.run.run_demo`): the embedded synthetic market with 5-minute bars on its last 252
   sessions (:func:`avwap.demo.run.demo_market_spec`; 300 stocks, about three years of daily history), each
   session through the production scan, decisions, cycle, reconciliation and evening snapshot, sealed
   daily with the demo's key. Built once (``build_seconds``, not part of the recovery). Timed:
   ``create_backup`` of that home (ledgers, bars, artifacts, reports), ``restore_backup`` into an empty new
   home (manifest and every chain checked before writing), ``verify_all`` (every chain, link, head, seal and
   HMAC) and ``rebuild_home`` of the restored home (every derived file deleted and rebuilt: the scan as of
   each morning, the decisions checked against the ledger, snapshots, attribution, reports, projection
   caches). Afterwards every file of the restored, rebuilt home must be byte-identical to the original's.
   ``recovery_seconds_year`` = restore + verify --all + rebuild, all measured on that year.
2. **A busy book** (the ledger part at scale): the >= 1 M-record year of ``bench_ledger_verify`` (252
   sessions x 4 folders x 1,000 lines, sealed daily), restored and verified with ``verify --all``. It has
   no bars (nothing to rebuild): it shows how restore and verify grow with a busier book.

CPU seconds are reported next to wall seconds (the shared host is loaded; its load average is recorded).
``python benchmarks/bench_recovery.py --smoke``: a 2-session demo home and a 3-day ledger (under a minute).
``--year-home DIR``: measure an existing ``avwap demo --sessions 252`` home (the DR drill's old server)
instead of building one; it is only read.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from avwap.demo.rebuild import DemoProducers
from avwap.demo.replay import DEMO_PRESET, demo_config
from avwap.demo.run import run_demo
from avwap.jobs.rebuild import rebuild_home
from avwap.ledger.backup import create_backup, restore_backup
from avwap.ledger.manifest import tree_digests, tree_megabytes
from avwap.ledger.verify_all import verify_all
from avwap.scanning.job import rescan
from bench_ledger_verify import FULL, KEY, SMOKE, build_home

YEAR_SESSIONS = {"full": 252, "smoke": 2}


def _timed(action: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _hashes(home: Path) -> dict[str, str]:
    return tree_digests(home, ignore=frozenset({"execute.lock"}))  # the lock file holds a pid


def _year(scratch: Path, sessions: int, existing: Path | None) -> dict[str, Any]:
    original = existing or scratch / "old-server" / "home"
    build_wall = build_cpu = 0.0
    if existing is None:
        _, build_wall, build_cpu = _timed(lambda: run_demo({}, original, sessions=sessions))
    else:
        sessions = len(list((original / "artifacts" / "snapshots" / DEMO_PRESET.book_id).glob("*.json")))
    before = _hashes(original)
    megabytes = tree_megabytes(original)
    archive, backup_wall, backup_cpu = _timed(lambda: create_backup(original, scratch / "backups", keep=1))
    home = scratch / "new-server" / "home"
    _, restore_wall, restore_cpu = _timed(lambda: restore_backup(archive, home))
    config = demo_config({}, home)
    report, verify_wall, verify_cpu = _timed(
        lambda: verify_all(config.ledger_dir, DEMO_PRESET.audit_key, workers=2)
    )
    if report.first_break is not None:
        raise AssertionError(f"the restored year must verify: {report.first_break}")
    scan_seconds = [0.0]  # the share of the rebuild spent re-running the morning scans

    def scan(day: Any) -> None:
        _, wall, _ = _timed(lambda: rescan(config, day))
        scan_seconds[0] += wall

    outcome, rebuild_wall, rebuild_cpu = _timed(
        lambda: rebuild_home(
            config, lambda plan: DemoProducers(config, config.data_dir, plan, imported=False), scan=scan
        )
    )
    after = _hashes(home)
    differing = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    if not outcome.ok or differing:
        raise AssertionError(
            "restore + rebuild must reproduce the home: "
            f"{outcome.mismatches} {outcome.missing} {differing[:5]}"
        )
    return {
        "year_sessions": sessions,
        "year_build_seconds": round(build_wall, 1),
        "year_build_cpu_seconds": round(build_cpu, 1),
        "year_files": len(before),
        "year_megabytes": round(megabytes, 1),
        "year_ledger_records": report.records,
        "year_ledger_files": len(report.files),
        "backup_seconds": round(backup_wall, 2),
        "backup_cpu_seconds": round(backup_cpu, 2),
        "backup_mb_per_second": round(megabytes / backup_wall, 1),
        "restore_seconds": round(restore_wall, 2),
        "restore_cpu_seconds": round(restore_cpu, 2),
        "restore_mb_per_second": round(megabytes / restore_wall, 1),
        "verify_all_seconds": round(verify_wall, 2),
        "verify_all_cpu_seconds_main_process": round(verify_cpu, 2),
        "rebuilt_files": len(outcome.rebuilt),
        "rebuild_seconds": round(rebuild_wall, 2),
        "rebuild_cpu_seconds": round(rebuild_cpu, 2),
        "rebuild_seconds_per_session": round(rebuild_wall / sessions, 3),
        "rebuild_scan_seconds": round(scan_seconds[0], 2),
        "byte_identical": not differing,
        "recovery_seconds_year": round(restore_wall + verify_wall + rebuild_wall, 1),
        "recovery_cpu_seconds_year": round(restore_cpu + verify_cpu + rebuild_cpu, 1),
    }


def _busy_ledgers(scratch: Path, sizes: dict[str, int]) -> dict[str, Any]:
    home = scratch / "busy"
    records, sessions = build_home(home / "ledger", sizes["days"], sizes["lines_per_file"])
    archive = create_backup(home, scratch / "busy-backups", keep=1)
    restored = scratch / "busy-restored"
    _, restore_wall, restore_cpu = _timed(lambda: restore_backup(archive, restored))
    report, verify_wall, verify_cpu = _timed(lambda: verify_all(restored / "ledger", KEY, workers=2))
    if report.first_break is not None or report.records != records:
        raise AssertionError(f"the restored busy year must verify: {report.first_break}")
    return {
        "busy_ledger_sessions": len(sessions),
        "busy_ledger_records": records,
        "busy_ledger_megabytes": round(tree_megabytes(home), 1),
        "busy_restore_seconds": round(restore_wall, 2),
        "busy_restore_cpu_seconds": round(restore_cpu, 2),
        "busy_verify_all_seconds": round(verify_wall, 2),
        "busy_verify_all_cpu_seconds_main_process": round(verify_cpu, 2),
        "busy_verify_records_per_second": round(records / verify_wall),
    }


def run(*, smoke: bool = False, year_home: Path | None = None) -> dict[str, Any]:
    """``year_home``: a home made by ``avwap demo --sessions 252`` to measure instead of building one (it is
    only read: backed up, then restored and rebuilt elsewhere)."""
    size = "smoke" if smoke else "full"
    with tempfile.TemporaryDirectory(prefix="bench-recovery-") as folder:
        scratch = Path(folder)
        result: dict[str, Any] = {"smoke": smoke, **_year(scratch, YEAR_SESSIONS[size], year_home)}
        result.update(_busy_ledgers(scratch, SMOKE if smoke else FULL))
    result["load_average"] = [round(value, 2) for value in os.getloadavg()]
    result["cpus"] = len(os.sched_getaffinity(0))
    return result


if __name__ == "__main__":
    import json

    arguments = sys.argv[1:]
    existing = Path(arguments[arguments.index("--year-home") + 1]) if "--year-home" in arguments else None
    print(json.dumps(run(smoke="--smoke" in arguments, year_home=existing), indent=2))
