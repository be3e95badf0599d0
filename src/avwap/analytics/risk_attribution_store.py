"""Where risk attribution lives in a home, and its readers and writers (Phases E3.1, E3.2, E3.2b).

* events: the ``PORTFOLIO_RISK_ATTRIBUTION`` ledger stream (``ledger/PORTFOLIO_RISK_ATTRIBUTION/<D>.jsonl``,
  hash-chained like every ledger), appended under one lock and one fsync per batch; an event whose
  ``decision_id`` the day already holds is not appended again (a rerun is idempotent);
* daily summaries: ``ledger/PORTFOLIO_RISK_ATTRIBUTION_SUMMARY/<D>.json``, rebuilt from that day's events
  only (:func:`summary_bytes` gives the exact bytes a rebuild writes);
* rolling windows: ``ledger/PORTFOLIO_RISK_ATTRIBUTION_ROLLING/<WINDOW>/<D>.json`` over the last N daily
  summaries on disk dated ≤ D. No summary of D itself (nothing decided, or not summarized): no artifact.

Artifacts are written atomically with provenance (``data_hash``: the events' or the daily files' hashes).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from avwap.analytics.risk_attribution_summary import WINDOWS, daily_summary, rolling_summary
from avwap.core.canonical import content_hash, pretty_json, sha256_hex
from avwap.core.config import Config
from avwap.core.files import atomic_write_bytes
from avwap.ledger.atomic import build_provenance
from avwap.ledger.paths import PORTFOLIO_RISK_ATTRIBUTION, ledger_file
from avwap.ledger.records import RiskAttributionEvent
from avwap.ledger.router import Ledger, read_file_records

SUMMARY_FOLDER: Final = "PORTFOLIO_RISK_ATTRIBUTION_SUMMARY"
ROLLING_FOLDER: Final = "PORTFOLIO_RISK_ATTRIBUTION_ROLLING"


def summary_path(ledger_dir: Path, day: dt.date) -> Path:
    return Path(ledger_dir) / SUMMARY_FOLDER / f"{day.isoformat()}.json"


def rolling_path(ledger_dir: Path, window: str, day: dt.date) -> Path:
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}; known: {', '.join(WINDOWS)}")
    return Path(ledger_dir) / ROLLING_FOLDER / window / f"{day.isoformat()}.json"


def read_events(ledger_dir: Path, day: dt.date) -> list[RiskAttributionEvent]:
    """The attribution events of ``day`` in ledger order ([] when the day has none)."""
    path = ledger_file(ledger_dir, PORTFOLIO_RISK_ATTRIBUTION, day)
    if not path.exists():
        return []
    return [record for record in read_file_records(path) if isinstance(record, RiskAttributionEvent)]


def record_events(ledger_dir: Path, events: Sequence[RiskAttributionEvent]) -> int:
    """Append the events not yet recorded (by ``decision_id``), one write and one fsync per day file."""
    written = 0
    ledger = Ledger(ledger_dir)
    for day in sorted({event.date_ny for event in events}):
        known = {event.decision_id for event in read_events(ledger_dir, day)}
        new = [event for event in events if event.date_ny == day and event.decision_id not in known]
        if new:
            with ledger.batch(PORTFOLIO_RISK_ATTRIBUTION, day) as batch:
                batch.append_group(list(new))
            written += len(new)
    return written


def _document(
    config: Config, payload: dict[str, Any], data_hash: str, day: dt.date, version: str | None
) -> bytes:
    provenance = build_provenance(
        config.config_hash(), data_hash, day, code_version=version, ruleset_version=config.ruleset_version
    )
    return pretty_json({**payload, "provenance": provenance}).encode("utf-8")


def summary_bytes(config: Config, day: dt.date, *, code_version: str | None = None) -> bytes | None:
    """The daily summary of ``day`` rebuilt from the ledger's events (None when there are none)."""
    events = read_events(config.ledger_dir, day)
    if not events:
        return None
    summary = daily_summary(day, events)
    return _document(config, summary, summary["source"]["events_sha256"], day, code_version)


def rebuilds_exactly(ledger_dir: Path, day: dt.date) -> bool:
    """Whether the summary file of ``day`` is byte for byte the rebuild from the day's events under the
    code version, config hash and ruleset its provenance names (False when either side is missing)."""
    path = summary_path(ledger_dir, day)
    events = read_events(ledger_dir, day)
    if not path.exists() or not events:
        return False
    data = path.read_bytes()
    named = json.loads(data)["provenance"]
    summary = daily_summary(day, events)
    provenance = build_provenance(
        named["config_hash"], summary["source"]["events_sha256"], day,
        code_version=named["code_version"], ruleset_version=named.get("ruleset_version"),
    )  # fmt: skip
    return pretty_json({**summary, "provenance": provenance}).encode("utf-8") == data


def write_summary(config: Config, day: dt.date, *, code_version: str | None = None) -> Path | None:
    """Write the daily summary of ``day`` (atomic); None (nothing written) when the day has no events."""
    data = summary_bytes(config, day, code_version=code_version)
    if data is None:
        return None
    path = summary_path(config.ledger_dir, day)
    atomic_write_bytes(path, data)
    return path


def summary_dates(ledger_dir: Path) -> list[dt.date]:
    """Dates of the daily summaries on disk, oldest first."""
    folder = Path(ledger_dir) / SUMMARY_FOLDER
    dates = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            dates.append(dt.date.fromisoformat(path.stem))
        except ValueError:
            continue  # not a summary (a stray file): not an input
    return sorted(dates)


def read_summary(ledger_dir: Path, day: dt.date) -> tuple[dict[str, Any], str]:
    """A daily summary (without its provenance) and the sha256 of its file."""
    data = summary_path(ledger_dir, day).read_bytes()
    document = json.loads(data)
    document.pop("provenance", None)
    return document, sha256_hex(data)


def write_rolling(config: Config, as_of: dt.date, *, code_version: str | None = None) -> list[Path]:
    """Every window as of ``as_of`` over the last N daily summaries ≤ ``as_of``; [] (nothing written, no
    error) when ``as_of`` has no daily summary."""
    available = [day for day in summary_dates(config.ledger_dir) if day <= as_of]
    if not available or available[-1] != as_of:
        return []
    written = []
    for window, length in WINDOWS.items():
        chosen = available[-length:]
        loaded = [read_summary(config.ledger_dir, day) for day in chosen]
        hashes = [digest for _, digest in loaded]
        summary = rolling_summary(window, as_of, [document for document, _ in loaded], hashes)
        data = _document(config, summary, content_hash(hashes), as_of, code_version)
        path = rolling_path(config.ledger_dir, window, as_of)
        atomic_write_bytes(path, data)
        written.append(path)
    return written
