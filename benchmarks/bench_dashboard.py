"""The dashboard's Overview over one year of ledgers: server time per request and page weight.

The home: the year-long PAPER_SIM book of ``bench_attribution`` (2 strategies, ~4 entries a session, seeded)
and one snapshot per session (``snapshot_of_book``, what ``avwap portfolio snapshot`` writes). The app is the
real Starlette application, called in-process through httpx's ASGI transport (no socket: the server's own
time, the middleware, the page modules and the template).

Timed: ``cold_ms`` = the first Overview (the book verified, read and folded once, through the dashboard's
:class:`~avwap.ledger.follow.BookFollower`; its snapshots read); ``p50_ms`` / ``p95_ms`` over ``requests``
more Overviews (served from the caches keyed by the ledger head and file stats: each request still checks
the key, the kill switch, the config-check report, the jobs and the regime); ``after_new_record_ms`` = an
Overview right after a new ledger record (the book's key changed: the follower re-verifies the newest day
file, checks every closed day's stats and last line in O(1), folds only the new line; snapshots are not read
again). Targets: ``p95_ms`` ≤ 100, ``after_new_record_ms`` ≤ 100 and every page's weight (HTML + CSS + JS +
icon) ≤ 500 kB.

``python benchmarks/bench_dashboard.py smoke`` runs a small size (20 sessions).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from avwap.analytics.portfolio_snapshots import funding, snapshot_of_book, write_snapshot_artifact
from avwap.core.calendar import nyse
from avwap.core.clock import FixedClock
from avwap.core.config import load_config
from avwap.dashboard.app import create_app
from avwap.ledger.atomic import build_provenance
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.projection import fold_book
from avwap.ledger.record_enums import AlertLevel
from avwap.ledger.records import Alert, Record
from avwap.ledger.router import Ledger
from bench_attribution import build

FULL = {"sessions": 252, "requests": 100, "invalidations": 3}
SMOKE = {"sessions": 20, "requests": 20, "invalidations": 2}
TARGET_P95_MS = 100
TARGET_AFTER_NEW_RECORD_MS = 100
TARGET_PAGE_BYTES = 500_000
PAGES = ("/", "/positions", "/today", "/performance", "/audit")
ASSETS = ("/static/dashboard.css", "/static/dashboard.js", "/static/favicon.svg")


def write_snapshots(home: Path, marks: dict[dt.date, dict[str, Decimal]]) -> None:
    records = Ledger(home / "ledger").read_book(PAPER_SIM)
    by_day: dict[dt.date, list[Record]] = {}
    for record in records:
        by_day.setdefault(record.date_ny, []).append(record)
    state, seen, history = None, [], []
    for day in sorted(marks):
        state = fold_book(by_day.get(day, []), PAPER_SIM, state)
        seen += by_day.get(day, [])
        history = history or [funding(seen) or Decimal(0)]
        snapshot = snapshot_of_book(state, seen, day, marks=marks[day], equity_history=history)
        write_snapshot_artifact(
            home / "artifacts", snapshot, build_provenance("bench", "bench", day, code_version="b")
        )
        history.append(snapshot.equity)


async def measure(app: Any, sizes: dict[str, int], home: Path, clock: FixedClock) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:

        async def timed(path: str) -> tuple[float, int]:
            started = time.perf_counter()
            response = await client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (path, response.status_code, response.text[:500])
            return elapsed, len(response.content)

        cold, _ = await timed("/")
        warm = [(await timed("/"))[0] for _ in range(sizes["requests"])]
        invalidated = []
        for number in range(sizes["invalidations"]):
            alert = Alert(
                book_id=PAPER_SIM, date_ny=clock.now().date(), ts=clock.now(), level=AlertLevel.INFO,
                code="BENCH_ALERT", message=f"new record {number}",
            )  # fmt: skip
            Ledger(home / "ledger").append(alert)
            invalidated.append((await timed("/"))[0])
        assets = sum([(await timed(path))[1] for path in ASSETS])
        weights = {path: (await timed(path))[1] + assets for path in PAGES}
    ordered = sorted(warm)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "cold_ms": round(cold, 1),
        "p50_ms": round(statistics.median(warm), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(max(warm), 2),
        "after_new_record_ms": round(statistics.median(invalidated), 1),
        "page_bytes": weights,
        "max_page_bytes": max(weights.values()),
    }


def run(*, smoke: bool = False) -> dict[str, Any]:
    sizes = SMOKE if smoke else FULL
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        home = Path(folder) / "home"
        marks = build(home / "ledger", sizes["sessions"])
        write_snapshots(home, marks)
        last = max(marks)
        clock = FixedClock(nyse().session_close(last) + dt.timedelta(hours=1))
        app = create_app(load_config({}, home=home), clock)
        result = asyncio.run(measure(app, sizes, home, clock))
        records = len(Ledger(home / "ledger").read_book(PAPER_SIM))
    return {
        "smoke": smoke,
        "sessions": sizes["sessions"],
        "records": records,
        "requests": sizes["requests"],
        **result,
        "target_p95_ms": TARGET_P95_MS,
        "meets_p95_target": result["p95_ms"] <= TARGET_P95_MS,
        "target_after_new_record_ms": TARGET_AFTER_NEW_RECORD_MS,
        "meets_after_new_record_target": result["after_new_record_ms"] <= TARGET_AFTER_NEW_RECORD_MS,
        "target_page_bytes": TARGET_PAGE_BYTES,
        "meets_weight_target": result["max_page_bytes"] <= TARGET_PAGE_BYTES,
        "host_load_1min": round(os.getloadavg()[0], 2),  # wall times on a shared host scale with it
    }


if __name__ == "__main__":
    print(json.dumps(run(smoke="smoke" in sys.argv[1:] or "--smoke" in sys.argv[1:]), indent=2))
