"""Job health from what the jobs leave behind: the newest bar partition (sync), candidates artifact (scan),
ledger file (cycle), snapshot and reconciliation report of each book.

There is no separate telemetry: a job is judged by the date of its newest output against the last closed
NYSE session. Missing output is UNKNOWN (never healthy), an older one STALE, a reconciliation with drift or
an incomplete one FAILING.

Public API::

    JobHealth(job, status, last, detail)
    expected_session(now) -> date          the last session whose close has passed
    job_health(job, last, expected, failure="") -> JobHealth
    newest_dated(folder, suffix) -> date | None
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from avwap.core.calendar import ny_date, nyse

OK: Final = "ok"
STALE: Final = "stale"
FAILING: Final = "failing"
UNKNOWN: Final = "unknown"


@dataclass(frozen=True)
class JobHealth:
    job: str
    status: str
    last: dt.date | None
    detail: str


def expected_session(now: dt.datetime) -> dt.date:
    """Today when today's session has closed, else the session before (what a healthy job has reached)."""
    calendar = nyse()
    today = ny_date(now)
    if calendar.is_session(today) and now >= calendar.session_close(today):
        return today
    return calendar.previous_session(today)


def job_health(job: str, last: dt.date | None, expected: dt.date, failure: str = "") -> JobHealth:
    if last is None:
        return JobHealth(job, UNKNOWN, None, "no output found: not known to run")
    if failure:
        return JobHealth(job, FAILING, last, failure)
    if last < expected:
        return JobHealth(job, STALE, last, f"newest output {last}, expected {expected} or later")
    return JobHealth(job, OK, last, f"newest output {last}")


def _date_of(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(name[:10])
    except ValueError:
        return None


def newest_dated(folder: Path, suffix: str = ".json") -> dt.date | None:
    """The newest ``YYYY-MM-DD<suffix>`` (also ``YYYY-MM-DD_...``) file name's date in ``folder``."""
    try:
        names = [entry.name for entry in os.scandir(folder) if entry.name.endswith(suffix)]
    except OSError:
        return None
    dates = [day for day in map(_date_of, names) if day is not None]
    return max(dates, default=None)


def last_sync(data_dir: Path) -> dt.date | None:
    """The newest intraday partition's date (partitions are named by NY date), else the NY date of the
    newest daily partition's last write (daily partitions are named by year)."""
    bars = data_dir / "bars"
    newest = max(
        (newest_dated(bars / frequency, ".parquet") for frequency in ("5m", "1m", "10m")),
        key=lambda day: day or dt.date.min,
    )
    if newest is not None:
        return newest
    try:
        stamps = [
            entry.stat().st_mtime for entry in os.scandir(bars / "1d") if entry.name.endswith(".parquet")
        ]
    except OSError:
        return None
    return ny_date(dt.datetime.fromtimestamp(max(stamps), dt.UTC)) if stamps else None


def system_jobs(data_dir: Path, artifacts_dir: Path, expected: dt.date) -> tuple[JobHealth, ...]:
    """The jobs that serve every book: market data sync and the daily scan."""
    return (
        job_health("sync", last_sync(data_dir), expected),
        job_health("scan", newest_dated(artifacts_dir / "candidates"), expected),
    )


__all__ = [
    "FAILING",
    "OK",
    "STALE",
    "UNKNOWN",
    "JobHealth",
    "expected_session",
    "job_health",
    "newest_dated",
    "system_jobs",
]
