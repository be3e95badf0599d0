"""The strategy attribution artifact (Phase S4) and the inputs it is built from in an avwap home.

* :func:`attribution_from_home`: the book's ledger (typed, links checked), the ``PORTFOLIO_ENFORCEMENT``
  stream's records of the book, and the book's snapshots (``artifacts/snapshots/<BOOK>/<D>.json``): each
  snapshot day is a close to attribute and its position lines give the marks, so the attribution values
  every day exactly as the snapshot did. Every snapshot through ``date_to`` is replayed (a window's first
  day needs the close before it); a recomputed equity that differs from the stored snapshot's is reported
  (``mismatched``), never hidden.
* :func:`write_attribution` / :func:`read_attribution`: ``artifacts/strategy_attribution/<BOOK>/<D>.json``
  for one day, ``<FROM>_<TO>.json`` for a range, written atomically with provenance (``data_hash``: the
  ledger records and marks read); read back strictly.
* :func:`attribute_fail_open`: analytics never block trading: any failure is logged, alerted (``ERROR``)
  and swallowed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar

import msgspec

from avwap.analytics.attribution import attribute_days
from avwap.analytics.attribution_range import StrategyReport, summarize
from avwap.analytics.portfolio_snapshots import funding, read_snapshot, snapshot_dates, snapshot_path
from avwap.core.canonical import content_hash
from avwap.core.errors import DataError
from avwap.ledger.atomic import Provenance, atomic_write_json
from avwap.ledger.paths import PORTFOLIO_ENFORCEMENT, list_ledger_files, validate_name
from avwap.ledger.records import PortfolioEnforcementRecorded, Record, encode_record
from avwap.ledger.router import decode_envelope, read_book_records, read_linked

if TYPE_CHECKING:
    from avwap.integrations.slack.notifier import Notifier

ATTRIBUTION_KIND: Final = "strategy_attribution"
ATTRIBUTION_FOLDER: Final = "strategy_attribution"
LOGGER: Final = logging.getLogger("avwap.analytics.attribution")
T = TypeVar("T")


@dataclass(frozen=True)
class AttributionOutcome:
    report: StrategyReport
    data_hash: str
    mismatched: tuple[dt.date, ...]  # closes whose recomputed equity differs from the stored snapshot


def enforcement_records(ledger_dir: Path, book_id: str) -> list[Record]:
    """The 2B gate's outcomes recorded for ``book_id`` (the stream holds every book's)."""
    return [
        record
        for path, envelopes in read_linked(ledger_dir, PORTFOLIO_ENFORCEMENT)
        for envelope in envelopes
        if isinstance(record := decode_envelope(path, envelope), PortfolioEnforcementRecorded)
        and record.book_id == book_id
    ]


def attribution_from_home(
    ledger_dir: Path,
    artifacts_dir: Path,
    book_id: str,
    date_from: dt.date,
    date_to: dt.date,
    *,
    sleeves: Mapping[str, str] | None = None,
) -> AttributionOutcome:
    """The report of ``book_id`` over [``date_from``, ``date_to``] (see the module docstring); a
    :class:`DataError` names what is missing (no ledger, no snapshot in the window, an inverted range)."""
    if date_from > date_to:
        raise DataError(f"--from {date_from} is after --to {date_to}")
    validate_name(book_id)
    if not list_ledger_files(ledger_dir, book_id):
        raise DataError(f"no ledger of {book_id} under {ledger_dir}: nothing to attribute")
    days = [day for day in snapshot_dates(artifacts_dir, book_id) if day <= date_to]
    if not any(day >= date_from for day in days):
        raise DataError(
            f"no snapshot of {book_id} between {date_from} and {date_to} "
            f"under {artifacts_dir / 'snapshots'}; "
            "run `avwap portfolio snapshot --date D` for the closes to attribute"
        )
    records = [record for record in read_book_records(ledger_dir, book_id) if record.date_ny <= date_to]
    snapshots = {day: read_snapshot(snapshot_path(artifacts_dir, book_id, day)) for day in days}
    marks = {
        day: {line.symbol: line.mark for line in snapshot.positions} for day, snapshot in snapshots.items()
    }
    start = funding(record for record in records if record.date_ny <= days[0])
    attributed = attribute_days(book_id, records, marks, starting_equity=start, sleeves=sleeves)
    mismatched = tuple(item.date_ny for item in attributed if item.equity != snapshots[item.date_ny].equity)
    blocked_inputs = [*records, *enforcement_records(ledger_dir, book_id)]
    report = summarize(book_id, attributed, date_from, date_to, blocked_inputs)
    data_hash = content_hash(
        {"records": [encode_record(record) for record in records], "marks": marks, "sleeves": sleeves or {}}
    )
    return AttributionOutcome(report, data_hash, mismatched)


def attribution_path(artifacts_dir: Path, book_id: str, date_from: dt.date, date_to: dt.date) -> Path:
    name = date_to.isoformat() if date_from == date_to else f"{date_from.isoformat()}_{date_to.isoformat()}"
    return Path(artifacts_dir) / ATTRIBUTION_FOLDER / validate_name(book_id) / f"{name}.json"


def write_attribution(
    artifacts_dir: Path, report: StrategyReport, provenance: Provenance
) -> tuple[Path, str]:
    """Write the report atomically (provenance dated its last day); returns the path and its sha256."""
    if provenance.as_of_date_ny != report.date_to:
        raise ValueError(f"provenance is dated {provenance.as_of_date_ny}, the report ends {report.date_to}")
    path = attribution_path(artifacts_dir, report.book_id, report.date_from, report.date_to)
    return path, atomic_write_json(path, {"kind": ATTRIBUTION_KIND, "report": report}, provenance)


def read_attribution(path: Path) -> StrategyReport:
    """The report stored at ``path``; anything else is a :class:`DataError` naming the file."""
    try:
        document = json.loads(Path(path).read_bytes())
        if not isinstance(document, dict) or document.get("kind") != ATTRIBUTION_KIND:
            raise DataError(f"{path} is not a strategy attribution report")
        return msgspec.convert(document["report"], StrategyReport, strict=False)
    except (OSError, ValueError, KeyError, TypeError, msgspec.ValidationError) as error:
        raise DataError(f"{path}: unreadable strategy attribution report: {error}") from error


def attribute_fail_open(
    action: Callable[[], T], *, book_id: str, day: dt.date, notifier: Notifier | None = None
) -> T | None:
    """Run ``action``; on any failure log it, alert the operator and return None. Attribution is
    analytics: a bug or a bad input there must never stop a cycle, a snapshot or a replay."""
    try:
        return action()
    except Exception as error:  # fail open on analytics, by design (docs/STRATEGIES.md)
        LOGGER.exception("strategy attribution of %s on %s failed; trading continues", book_id, day)
        if notifier is not None:
            from avwap.integrations.slack.messages import AlertKind, alert_event

            notifier.notify(
                alert_event(
                    AlertKind.ERROR,
                    f"Strategy attribution {book_id} failed (trading continues)",
                    day,
                    details=[f"{type(error).__name__}: {error}"[:500]],
                )
            )
        return None
