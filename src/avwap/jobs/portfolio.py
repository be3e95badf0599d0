"""The after-the-close jobs of ``avwap portfolio``: the daily snapshot and the broker reconciliation.

* :func:`take_snapshot`: folds the book's ledger up to the close of ``day``, values positions at the day's
  official closes from the bar store, and writes ``<artifacts>/snapshots/<BOOK>/<D>.json``; then the day's
  strategy attribution ``<artifacts>/strategy_attribution/<BOOK>/<D>.json`` (fails open).
* :func:`reconcile_book`: the ledger's expectation against the broker read through the read-only
  :class:`~avwap.execution.broker_view.BrokerView`; writes ``<artifacts>/reconciliation/<BOOK>/<D>.json``.

Which broker a book is read from (:func:`broker_view_for`): ``ALPACA_PAPER`` and ``ALPACA_LIVE`` through
:class:`~avwap.execution.broker_view.AlpacaBrokerView` (keys and URL from Config). ``PAPER_SIM`` is refused
on purpose: its simulated broker lives only inside the replay that drives it (demo, backtest), and a twin
re-created from the ledger would hold exactly what the ledger says, so the comparison could never find
drift: a clean report that proves nothing. The replay reconciles its live simulator in-process instead
(:class:`~avwap.execution.broker_view.SimBrokerView` + :func:`~avwap.execution.reconcile.reconcile`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from avwap.analytics.attribution_artifact import attribute_fail_open, attribution_from_home, write_attribution
from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.analytics.portfolio_snapshots import (
    closing_marks,
    earlier_snapshots,
    funding,
    snapshot_of_book,
    write_snapshot_artifact,
)
from avwap.core.calendar import NEW_YORK, nyse
from avwap.core.canonical import content_hash
from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.core.errors import ConfigurationError, DataError
from avwap.ledger.atomic import build_provenance
from avwap.ledger.paths import ALPACA_LIVE, ALPACA_PAPER, PAPER_SIM
from avwap.ledger.projection import fold_book, state_bytes
from avwap.ledger.records import Record
from avwap.ledger.router import Ledger

if TYPE_CHECKING:
    from avwap.integrations.slack.notifier import Notifier


@dataclass(frozen=True)
class SnapshotOutcome:
    snapshot: PortfolioSnapshot
    path: Path
    sha256: str
    unmarked: tuple[str, ...]  # held symbols without a close that day: valued at cost
    attribution: Path | None = None  # the day's strategy attribution; None: it failed (logged, alerted)


def take_snapshot(
    config: Config, book_id: str, day: dt.date, notifier: Notifier | None = None
) -> SnapshotOutcome:
    """Snapshot ``book_id`` at the close of ``day`` (a session) and write the artifact; then the day's
    strategy attribution (Phase S4), which fails open: a failure is logged and sent to ``notifier``."""
    if not nyse().is_session(day):
        raise DataError(f"{day} is not an NYSE session: there is no close to snapshot")
    records = [record for record in Ledger(config.ledger_dir).read_book(book_id) if record.date_ny <= day]
    state = fold_book(records, book_id)
    from avwap.data.store import BarStore

    marks = closing_marks(BarStore(config.data_dir), state.held_symbols(), day)
    start = funding(records)
    history = [
        *([start] if start is not None else []),
        *(item.equity for item in earlier_snapshots(config.artifacts_dir, book_id, day)),
    ]
    snapshot = snapshot_of_book(state, records, day, marks=marks, equity_history=history)
    data_hash = content_hash({"state": state_bytes(state).decode("utf-8"), "marks": marks})
    provenance = build_provenance(
        config.config_hash(), data_hash, day, ruleset_version=config.ruleset_version
    )
    path, digest = write_snapshot_artifact(config.artifacts_dir, snapshot, provenance)
    unmarked = tuple(symbol for symbol in state.held_symbols() if symbol not in marks)
    attribution = attribute_fail_open(
        lambda: write_day_attribution(config, book_id, day), book_id=book_id, day=day, notifier=notifier
    )
    return SnapshotOutcome(snapshot, path, digest, unmarked, attribution)


def write_day_attribution(config: Config, book_id: str, day: dt.date) -> Path:
    """``artifacts/strategy_attribution/<BOOK>/<day>.json`` from the ledger and the snapshots so far."""
    return write_range_attribution(config, book_id, day, day)[0]


def write_range_attribution(
    config: Config, book_id: str, date_from: dt.date, date_to: dt.date
) -> tuple[Path, str, Any]:
    """The attribution of [``date_from``, ``date_to``] (one file per day when equal, ``<FROM>_<TO>.json``
    otherwise) from the ledger and the snapshots: its path, sha256 and the ``attribution_from_home``
    outcome (``avwap strategies report``, the snapshot job, ``avwap rebuild``)."""
    outcome = attribution_from_home(config.ledger_dir, config.artifacts_dir, book_id, date_from, date_to)
    provenance = build_provenance(
        config.config_hash(), outcome.data_hash, date_to, ruleset_version=config.ruleset_version
    )
    path, digest = write_attribution(config.artifacts_dir, outcome.report, provenance)
    return path, digest, outcome


def broker_view_for(config: Config, book_id: str) -> Any:
    """The read-only view of ``book_id``'s broker (close it after use); see the module docstring."""
    if book_id == PAPER_SIM:
        raise ConfigurationError(
            "EXECUTION_MODE",
            "PAPER_SIM has no broker outside its replay (a twin rebuilt from the ledger could never "
            "disagree with it); reconcile ALPACA_PAPER or ALPACA_LIVE",
        )
    if book_id not in (ALPACA_PAPER, ALPACA_LIVE):
        raise ConfigurationError("EXECUTION_MODE", f"book {book_id} has no broker to reconcile against")
    from avwap.execution.alpaca_broker import AlpacaSettings
    from avwap.execution.broker_view import AlpacaBrokerView

    return AlpacaBrokerView(AlpacaSettings.from_config(config, paper=book_id == ALPACA_PAPER))


def reconciliation_alert(report: Any, table: str) -> Any:
    """The Slack alert of a reconciliation report (an ``AlertEvent``): drift is a warning naming the drift
    codes, an INCOMPLETE report (broker 5xx, timeout, refusal) is critical; None when clean."""
    from avwap.integrations.slack.messages import AlertKind, Severity, alert_event

    if report.complete and not report.items:
        return None
    codes = (
        [code for code, count in report.counts.items() if count]
        if report.complete
        else [str(report.incomplete_code)]
    )
    title = (
        f"Reconciliation {report.book_id}: {len(report.items)} drift item(s)"
        if report.complete
        else f"Reconciliation {report.book_id} INCOMPLETE"
    )
    return alert_event(
        AlertKind.RECONCILIATION_DRIFT,
        title,
        report.date_ny,
        reason_codes=codes,
        details=table.splitlines()[:40],
        severity=None if report.complete else Severity.CRITICAL,
    )


@dataclass(frozen=True)
class ReconcileOutcome:
    report: Any  # ReconciliationReport (imported lazily)
    path: Path
    sha256: str


def reconcile_book(
    config: Config,
    book_id: str,
    day: dt.date,
    clock: Clock,
    view_factory: Callable[[Config, str], Any] = broker_view_for,
) -> ReconcileOutcome:
    """Reconcile ``book_id`` on ``day`` (fills compared from NY midnight of ``day``) and write the report."""
    records = Ledger(config.ledger_dir).read_book(book_id)
    return reconcile_state(
        config, fold_book(records, book_id), records, day, clock=clock, view=view_factory(config, book_id)
    )


def reconcile_state(
    config: Config, state: Any, records: Iterable[Record], day: dt.date, *, clock: Clock, view: Any
) -> ReconcileOutcome:
    """Reconcile a folded book (``state``: a ``BookState``; ``records``: at least its Fill records of
    ``day``) against ``view`` (closed afterwards when it can be) and write the report."""
    from avwap.execution.reconcile import reconcile
    from avwap.execution.reconcile_inputs import capture_snapshot, expectation_from_book
    from avwap.execution.reconcile_render import inputs_hash, write_report
    from avwap.presentation.reconciliation import write_reconciliation_html

    book_id = state.book_id
    since = dt.datetime.combine(day, dt.time(0), NEW_YORK).astimezone(dt.UTC)
    expectation = expectation_from_book(state, records, date_ny=day, fills_since=since)
    try:
        snapshot = capture_snapshot(view, book_id=book_id, clock=clock, fills_since=since)
    finally:
        close = getattr(view, "close", None)
        if callable(close):
            close()
    report = reconcile(expectation, snapshot)
    provenance = build_provenance(
        config.config_hash(),
        inputs_hash(expectation, snapshot),
        day,
        ruleset_version=config.ruleset_version,
    )
    path, digest = write_report(config.artifacts_dir, report, provenance)
    write_reconciliation_html(config.reports_dir, report, provenance)
    return ReconcileOutcome(report, path, digest)
