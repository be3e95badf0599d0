"""``avwap ledger verify --all`` over one year of a busy book: >= 1 M chained records, sealed each day.

The home is synthetic and deterministic (no randomness: record fields are functions of the line number):
252 sessions x 4 folders (the PAPER_SIM book, three streams) x ~1,000 lines, each line ~330 bytes, written
with the ledger's own ``seal`` (chained across files, ``HEAD.json`` per folder) and one ``AuditSeal`` per
day under a fixed benchmark key. Timed: ``verify_all`` (every chain, link, head, seal and HMAC) with one
process and with two workers, ``repeats`` times each, alternated (best and median reported: a shared host's
other jobs only ever add time); ``records_per_second`` is records / best seconds of the better, and
``records_per_cpu_second`` records / CPU seconds of the one-process run (wall time on a loaded shared host
says more about the host than the code). Target: >= 1 M records/s. Backup and restore (``avwap backup`` /
``avwap restore``) of that home are timed too, in MB/s, when the backup module is present.

``python benchmarks/bench_ledger_verify.py --smoke`` runs a 3-day, small home (seconds).
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from avwap.core.calendar import nyse
from avwap.core.clock import FixedClock
from avwap.ledger.audit import seal_day
from avwap.ledger.audit_key import AuditKey
from avwap.ledger.chain import Anchor, ChainTail, seal
from avwap.ledger.links import Head, write_head
from avwap.ledger.paths import ledger_file
from avwap.ledger.verify_all import verify_all

KEY = AuditKey(b"bench-audit-key-fixed-not-secret-000000")
FOLDERS = ("BOOK_EVENTS", "ALERTS", "EXIT_EVENTS", "PORTFOLIO_DECISIONS")
FULL = {"days": 252, "lines_per_file": 1000, "repeats": 3}
SMOKE = {"days": 3, "lines_per_file": 40, "repeats": 1}


def _record(folder: str, day: dt.date, number: int) -> dict[str, Any]:
    symbol = f"S{number % 500:04d}"
    return {
        "type": "Fill" if folder == "BOOK_EVENTS" else "Event",
        "book_id": folder,
        "date_ny": day.isoformat(),
        "ts": f"{day.isoformat()}T14:{number % 60:02d}:00Z",
        "symbol": symbol,
        "quantity": 1 + number % 97,
        "price": f"{100 + number % 250}.{number % 100:02d}",
        "order_id": f"ord_{folder}_{day.isoformat()}_{number:08d}",
        "strategy_id": "S1_AVWAP_CORE",
        "note": "synthetic benchmark line",
    }


def build_home(root: Path, days: int, lines_per_file: int) -> tuple[int, list[dt.date]]:
    sessions = nyse().sessions(dt.date(2025, 1, 2), dt.date(2026, 12, 31))[:days]
    records = 0
    for folder in FOLDERS:
        anchor = Anchor()
        for day in sessions:
            path = ledger_file(root, folder, day)
            path.parent.mkdir(parents=True, exist_ok=True)
            tail = ChainTail()
            lines = []
            for number in range(lines_per_file):
                envelope, line = seal(_record(folder, day, number), tail, anchor if number == 0 else None)
                lines.append(line)
                tail = envelope.tail
            path.write_bytes(b"".join(lines))
            anchor = Anchor(path.name, tail.seq, tail.hash)
            records += lines_per_file
        write_head(root / folder, Head(anchor.file or "", anchor.seq, anchor.hash))
    for day in sessions:
        clock = FixedClock(dt.datetime(day.year, day.month, day.day, 22, tzinfo=dt.UTC))
        seal_day(root, day, KEY, clock)
    return records + len(sessions), sessions


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process and its finished children (the worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _size(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def run(*, smoke: bool = False) -> dict[str, Any]:
    sizes = SMOKE if smoke else FULL
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as folder:
        home = Path(folder) / "home"
        root = home / "ledger"
        started = time.perf_counter()
        records, sessions = build_home(root, sizes["days"], sizes["lines_per_file"])
        build_seconds = time.perf_counter() - started
        walls: dict[int, list[float]] = {1: [], 2: []}
        cpus: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(sizes["repeats"]):  # alternated, so a burst of the host's other work hits both
            for workers in (1, 2):
                started, used = time.perf_counter(), _cpu_seconds()
                report = verify_all(root, KEY, workers=workers)
                walls[workers].append(time.perf_counter() - started)
                cpus[workers].append(_cpu_seconds() - used)
                if report.first_break is not None or report.records != records:
                    raise AssertionError(f"the synthetic home must verify: {report.first_break}")
        timings = {workers: min(values) for workers, values in walls.items()}
        cpu = {workers: min(values) for workers, values in cpus.items()}
        best = min(timings.values())
        megabytes = _size(home) / 1e6
        result: dict[str, Any] = {
            "smoke": smoke,
            "days": len(sessions),
            "folders": len(FOLDERS),
            "records": records,
            "megabytes": round(megabytes, 1),
            "build_seconds": round(build_seconds, 2),
            "verify_seconds_one_process": round(timings[1], 3),
            "verify_seconds_two_workers": round(timings[2], 3),
            "records_per_second": round(records / best),
            "repeats": sizes["repeats"],
            "verify_seconds_median": {
                str(workers): round(statistics.median(values), 3) for workers, values in walls.items()
            },
            # CPU seconds (this process + worker processes): what the work costs, whatever the host's load
            "verify_cpu_seconds_one_process": round(cpu[1], 3),
            "verify_cpu_seconds_two_workers": round(cpu[2], 3),
            "records_per_cpu_second": round(records / cpu[1]),
            "load_average": [round(value, 2) for value in os.getloadavg()],
            "target_records_per_second": 1_000_000,
            "cpus": len(os.sched_getaffinity(0)),
        }
        result.update(_backup_restore(home, Path(folder), megabytes))
        return result


def _backup_restore(home: Path, scratch: Path, megabytes: float) -> dict[str, Any]:
    try:
        from avwap.ledger.backup import create_backup, restore_backup
    except ImportError:
        return {"backup": "not built"}
    started = time.perf_counter()
    archive = create_backup(home, scratch / "backups", keep=2)
    backup_seconds = time.perf_counter() - started
    started = time.perf_counter()
    restore_backup(archive, scratch / "restored")
    restore_seconds = time.perf_counter() - started
    return {
        "backup_mb_per_second": round(megabytes / backup_seconds, 1),
        "restore_mb_per_second": round(megabytes / restore_seconds, 1),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(smoke="--smoke" in sys.argv), indent=2))
