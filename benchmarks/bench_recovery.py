"""Recovery time of one year of ledgers: `avwap restore` + `avwap ledger verify --all` + `avwap rebuild`.

Two homes, because no single synthetic home has both a busy year of ledgers and the bars to rebuild from:

1. **Ledgers**: the one-year, >= 1 M-record home of ``bench_ledger_verify`` (252 sessions x 4 folders x
   1,000 lines, sealed daily). Timed: ``restore_backup`` of a backup of it (manifest sha256 and every
   chain checked before writing, temp folder + rename) and ``verify_all`` with two workers (every chain,
   link, head, seal and HMAC).
2. **Rebuild**: a demo home of ``sessions`` sessions (the embedded synthetic market has ~25 sessions of
   5-minute bars, so not a year) built once, untimed; then ``rebuild_home`` (every derived file deleted
   and rebuilt: scan as of each morning, decisions checked against the ledger, snapshots, attribution,
   reports) is timed and must leave every file byte-identical. ``rebuild_seconds_per_session`` x 252 is the
   year's rebuild **estimate** (the scan and the evening files are per-session work; the demo's book is
   small, so a busier book adds its fold, which is linear in records).

``recovery_seconds_year_estimate`` = restore + verify --all + 252 x rebuild per session. CPU seconds are
reported next to wall seconds (the shared host is loaded; its load average is recorded).

``python benchmarks/bench_recovery.py --smoke``: a 3-day ledger home and a 2-session demo (under a minute).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from avwap.demo.rebuild import DemoProducers
from avwap.demo.replay import demo_config
from avwap.demo.run import run_demo
from avwap.jobs.rebuild import rebuild_home
from avwap.ledger.backup import create_backup, restore_backup
from avwap.ledger.verify_all import verify_all
from avwap.scanning.job import rescan
from bench_ledger_verify import FULL, KEY, SMOKE, build_home

YEAR_SESSIONS = 252
DEMO_SESSIONS = {"full": 20, "smoke": 2}


def _timed(action: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _hashes(home: Path) -> dict[str, str]:
    return {
        path.relative_to(home).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(home.rglob("*"))
        if path.is_file() and path.name != "execute.lock"
    }


def _ledgers(scratch: Path, sizes: dict[str, int]) -> dict[str, Any]:
    home = scratch / "year"
    records, sessions = build_home(home / "ledger", sizes["days"], sizes["lines_per_file"])
    archive = create_backup(home, scratch / "backups", keep=1)
    restored = scratch / "restored"
    _, restore_wall, restore_cpu = _timed(lambda: restore_backup(archive, restored))
    report, verify_wall, verify_cpu = _timed(lambda: verify_all(restored / "ledger", KEY, workers=2))
    if report.first_break is not None or report.records != records:
        raise AssertionError(f"the restored year must verify: {report.first_break}")
    return {
        "ledger_sessions": len(sessions),
        "ledger_records": records,
        "ledger_megabytes": round(sum(p.stat().st_size for p in home.rglob("*") if p.is_file()) / 1e6, 1),
        "restore_seconds": round(restore_wall, 2),
        "restore_cpu_seconds": round(restore_cpu, 2),
        "verify_all_seconds": round(verify_wall, 2),
        "verify_all_cpu_seconds_main_process": round(verify_cpu, 2),
        "verify_records_per_second": round(records / verify_wall),
    }


def _rebuild(scratch: Path, sessions: int) -> dict[str, Any]:
    home = scratch / "demo" / "home"
    run_demo({}, home, sessions=sessions)
    before = _hashes(home)
    config = demo_config({}, home)
    outcome, wall, cpu = _timed(
        lambda: rebuild_home(
            config,
            lambda plan: DemoProducers(config, config.data_dir, plan, imported=False),
            scan=lambda day: rescan(config, day),
        )
    )
    identical = _hashes(home) == before
    if not outcome.ok or not identical:
        raise AssertionError(f"the rebuild must reproduce the home: {outcome.mismatches} {outcome.missing}")
    return {
        "demo_sessions": sessions,
        "rebuilt_files": len(outcome.rebuilt),
        "rebuild_seconds": round(wall, 2),
        "rebuild_cpu_seconds": round(cpu, 2),
        "rebuild_seconds_per_session": round(wall / sessions, 3),
        "byte_identical": identical,
    }


def run(*, smoke: bool = False) -> dict[str, Any]:
    sizes = SMOKE if smoke else FULL
    with tempfile.TemporaryDirectory(prefix="bench-recovery-") as folder:
        scratch = Path(folder)
        result: dict[str, Any] = {"smoke": smoke, **_ledgers(scratch, sizes)}
        result.update(_rebuild(scratch, DEMO_SESSIONS["smoke" if smoke else "full"]))
    rebuild_year = result["rebuild_seconds_per_session"] * YEAR_SESSIONS
    result["rebuild_seconds_year_estimate"] = round(rebuild_year, 1)
    result["recovery_seconds_year_estimate"] = round(
        result["restore_seconds"] + result["verify_all_seconds"] + rebuild_year, 1
    )
    result["load_average"] = [round(value, 2) for value in os.getloadavg()]
    result["cpus"] = len(os.sched_getaffinity(0))
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(smoke="--smoke" in sys.argv), indent=2))
