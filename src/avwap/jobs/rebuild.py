"""``avwap rebuild``: delete every derived file of a home and rebuild it from ledgers, bars and sources.

What is derived and what is a source: :mod:`avwap.jobs.rebuild_plan`. The rebuild holds the execution lock
(:mod:`avwap.core.process_lock`) from start to end: it refuses while ``avwap execute`` runs, and a loop
started meanwhile refuses in turn. Files are rebuilt in the order they were first written, one session
at a time: the morning's scan, then the portfolio decisions (which read the candidates and the previous
close's snapshot), then the evening's snapshot and attribution; then the range attributions, the HTML
views of kept reconciliation artifacts, the run report of a demo home and projection caches. Only the
files that existed are rebuilt (the same families and dates), and the PORTFOLIO_DECISIONS ledger is the
check: each rebuilt batch's sha256 must be the one it recorded (the batch commits to the candidates and
the snapshot it read), otherwise the rebuild reports the mismatch and exits 1.

Who wrote a file decides how it is rebuilt (a snapshot written by a replay carries the replay's marks and
data hash, one written by ``avwap portfolio snapshot`` the job's): :class:`Producers` are the writers of
the evening files, :class:`JobProducers` those of an operated home; the demo's are in
:mod:`avwap.demo.rebuild`. The ledgers are only read: a torn tail is repaired (quarantined) by the normal
ledger open, as any reader would.

Public API::

    Producers                         protocol: snapshot, day_attribution, range_attribution, run_report
    JobProducers(config)              the production jobs' writers
    RebuildReport                     deleted, rebuilt, kept, mismatches (``ok``)
    rebuild_home(config, make_producers, *, scan, dry_run=False, progress=None, data_dir=None)
        -> RebuildReport
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import msgspec

from avwap.core.calendar import nyse
from avwap.core.canonical import canonical_json
from avwap.core.clock import FixedClock
from avwap.core.config import Config
from avwap.core.errors import DataError
from avwap.core.files import atomic_write_bytes
from avwap.core.process_lock import hold_execute_lock
from avwap.integrations.slack.notifier import NullNotifier
from avwap.jobs.portfolio import take_snapshot, write_day_attribution, write_range_attribution
from avwap.jobs.portfolio_decide import build_batch, write_batch_artifact, write_latest_pointer
from avwap.jobs.rebuild_plan import Derived, RebuildPlan, path_of, plan_rebuild, relative_name
from avwap.ledger.atomic import Provenance
from avwap.ledger.paths import PORTFOLIO_DECISIONS
from avwap.ledger.projection import rebuild as rebuild_projection
from avwap.ledger.records import PortfolioDecisionsRecorded
from avwap.ledger.router import decode_envelope, read_linked

Progress = Callable[[str, int, int], None]
SCAN_FAMILIES = frozenset({"candidates", "scan diagnostics", "watchlists", "scan reports"})
PENDING_NAME = "rebuild.pending.json"  # in the state folder while a rebuild has deleted files
PRE_OPEN = dt.timedelta(hours=1)  # the decisions run an hour before the open (as the scan)


class Producers(Protocol):
    """The writers of a home's evening files and run report (``writes_run_report``: a demo home's)."""

    writes_run_report: bool

    def snapshot(self, book_id: str, day: dt.date) -> None: ...

    def day_attribution(self, book_id: str, day: dt.date) -> None: ...

    def range_attribution(self, book_id: str, first: dt.date, last: dt.date) -> None: ...

    def run_report(self) -> None: ...


class JobProducers:
    """An operated home: ``avwap portfolio snapshot`` (snapshot, then the day's attribution) and ``avwap
    strategies report`` (ranges)."""

    writes_run_report = False

    def __init__(self, config: Config) -> None:
        self.config = config

    def snapshot(self, book_id: str, day: dt.date) -> None:
        take_snapshot(self.config, book_id, day, NullNotifier())

    def day_attribution(self, book_id: str, day: dt.date) -> None:
        write_day_attribution(self.config, book_id, day)

    def range_attribution(self, book_id: str, first: dt.date, last: dt.date) -> None:
        write_range_attribution(self.config, book_id, first, last)

    def run_report(self) -> None:
        raise NotImplementedError("only a demo home has a run report (reports/demo.html)")


@dataclass
class RebuildReport:
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # deleted but not written again
    mismatches: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.missing and not self.mismatches


def _day(item: Derived) -> dt.date:
    text = item.group("day")
    assert text is not None
    return dt.date.fromisoformat(text)


def _book(item: Derived) -> str:
    book = item.group("book")
    assert book is not None
    return book


class _Rebuild:
    def __init__(
        self,
        config: Config,
        producers: Producers,
        plan: RebuildPlan,
        data_dir: Path | None,
        scan: Callable[[dt.date], object],
    ) -> None:
        self.config, self.producers, self.plan, self.data_dir = config, producers, plan, data_dir
        self.scan = scan
        self.mismatches: list[str] = []
        self.recorded = self._recorded_batches()

    def _recorded_batches(self) -> dict[tuple[str, dt.date], PortfolioDecisionsRecorded]:
        found: dict[tuple[str, dt.date], PortfolioDecisionsRecorded] = {}
        for path, envelopes in read_linked(self.config.ledger_dir, PORTFOLIO_DECISIONS):
            for envelope in envelopes:
                record = decode_envelope(path, envelope)
                if isinstance(record, PortfolioDecisionsRecorded):
                    found[(record.book_id, record.date_ny)] = record  # a day's last batch is the one in force
        return found

    def decide(self, book_id: str, day: dt.date) -> None:
        recorded = self.recorded.get((book_id, day))
        moment = recorded.ts if recorded is not None else nyse().session_open(day) - PRE_OPEN
        batch = build_batch(self.config, book_id, day, FixedClock(moment), data_dir=self.data_dir)
        _, digest, provenance = write_batch_artifact(self.config, batch)
        if recorded is None:
            self.mismatches.append(
                f"{book_id} {day}: no PortfolioDecisionsRecorded to check the batch against"
            )
        elif recorded.batch_sha256 != digest:
            self.mismatches.append(
                f"{book_id} {day}: the rebuilt decisions (sha256 {digest[:12]}) differ from the batch the "
                f"ledger recorded ({recorded.batch_sha256[:12]})"
            )
        write_latest_pointer(self.config, batch, digest, provenance)


def rebuild_home(
    config: Config,
    make_producers: Callable[[RebuildPlan], Producers],
    *,
    scan: Callable[[dt.date], object],
    dry_run: bool = False,
    progress: Progress | None = None,
    data_dir: Path | None = None,
) -> RebuildReport:
    """Delete and rebuild every derived file of ``config.home`` (``dry_run``: only list them).
    ``scan(day)`` re-runs the scan job as of ``day`` (:func:`avwap.scanning.job.rescan`, passed in by the
    command: the scan is a sibling layer of the jobs). ``make_producers`` builds the evening writers from
    the plan before anything is deleted, so a home whose inputs are missing (no bars, no market) is
    refused with every file in place."""
    with hold_execute_lock(config.state_dir, f"avwap rebuild pid {os.getpid()}"):
        pending_file = config.state_dir / PENDING_NAME
        plan = plan_rebuild(config, [path_of(config, name) for name in _pending(pending_file)])
        report = RebuildReport(
            deleted=[str(item.path) for item in plan.derived],
            kept=[str(path) for path in plan.kept],
            dry_run=dry_run,
        )
        if dry_run:
            return report
        producers = make_producers(plan)
        if plan.of("demo report") and not producers.writes_run_report:
            raise DataError(
                f"{config.home / 'reports' / 'demo.html'} is a demo report but the home has no DEMO_HOME "
                "marker: nothing deleted (restore the marker, or move the report away)"
            )
        work = _Rebuild(config, producers, plan, data_dir, scan)
        # Written before the first deletion: a rebuild killed half way is finished by the next one, which
        # would otherwise never know about the files it deleted.
        names = [relative_name(config, item.path) for item in plan.derived]
        atomic_write_bytes(pending_file, canonical_json(names))
        for item in plan.derived:
            item.path.unlink(missing_ok=True)
        _run(work, progress or (lambda step, done, total: None))
        report.mismatches = work.mismatches
        report.rebuilt = [path for path in report.deleted if Path(path).is_file()]
        report.missing = [path for path in report.deleted if not Path(path).is_file()]
        if not report.missing:
            pending_file.unlink()
        return report


def _pending(path: Path) -> list[str]:
    """The derived files an interrupted rebuild listed before deleting them (none without the file)."""
    try:
        return [str(item) for item in json.loads(path.read_bytes())]
    except FileNotFoundError:
        return []


def _run(work: _Rebuild, progress: Progress) -> None:
    plan, producers = work.plan, work.producers
    scan_days = {_day(item) for item in plan.derived if item.family.name in SCAN_FAMILIES}
    decisions = {(_day(item), _book(item)) for item in plan.of("portfolio decisions")}
    snapshots = {(_day(item), _book(item)) for item in plan.of("snapshots")}
    attributions = {(_day(item), _book(item)) for item in plan.of("strategy attribution")}
    days = sorted(scan_days | {day for day, _ in decisions | snapshots | attributions})
    for index, day in enumerate(days, start=1):
        if day in scan_days:
            work.scan(day)
        for _, book in sorted(item for item in decisions if item[0] == day):
            work.decide(book, day)
        for _, book in sorted(item for item in snapshots if item[0] == day):
            producers.snapshot(book, day)
        for _, book in sorted(item for item in attributions if item[0] == day):
            producers.day_attribution(book, day)
        progress(f"session {day}", index, len(days))
    for item in plan.of("strategy attribution range"):
        first = item.group("first")
        assert first is not None
        producers.range_attribution(_book(item), dt.date.fromisoformat(first), _day(item))
    _reconciliation_views(work.config, plan)
    if plan.of("demo report"):
        producers.run_report()
    for item in plan.of("projection caches"):
        rebuild_projection(work.config.ledger_dir, _book(item), cache_dir=work.config.state_dir)
    progress("done", len(days), len(days))


def _reconciliation_views(config: Config, plan: RebuildPlan) -> None:
    """The HTML view of each kept reconciliation artifact whose view was deleted."""
    from avwap.execution.reconcile_render import read_report, report_path
    from avwap.presentation.reconciliation import write_reconciliation_html

    for item in plan.of("reconciliation reports"):
        source = report_path(config.artifacts_dir, _book(item), _day(item))
        document = read_report(source)
        write_reconciliation_html(config.reports_dir, document, _provenance_of(source))


def _provenance_of(path: Path) -> Provenance:
    return msgspec.convert(json.loads(path.read_bytes())["provenance"], Provenance)
