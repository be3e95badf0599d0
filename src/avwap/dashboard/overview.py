"""The Overview page's figures, per book (paper and live money are never summed).

Mode, kill switch and caps come from the config-check report
(:func:`avwap.control.preflight.build_preflight`);
the trading state from the control plane's own :func:`avwap.control.plane.trading_state` over what the ledger
and the newest reconciliation say; equity, exposure and marks from the newest snapshot (``avwap portfolio
show``). Open risk is the sum over open positions of quantity x (mark - stop in force): what the stops would
give back; a position without a stop is listed as unprotected rather than counted as zero.

Public API::

    Deployment, deployment(config, today)
    BookFacts, book_facts(config, book_id, readers=None), facts_key(config, book_id)
    BookOverview, book_overview(config, book_id, expected, deployed, cache, *, readers)
    latest_regime(ledger_dir) -> str
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.analytics.portfolio_snapshots import read_snapshot, snapshot_dates, snapshot_path
from avwap.control.context import PortfolioView
from avwap.control.plane import trading_state
from avwap.control.preflight import build_preflight, report_data
from avwap.control.state_files import read_state_files
from avwap.core.config import Config
from avwap.core.errors import AvwapError
from avwap.dashboard.books import BookLedger, BookReaders, money_kind
from avwap.dashboard.health import JobHealth, job_health, newest_dated
from avwap.dashboard.signature import MemoCache, folder_signature
from avwap.execution.reconcile_render import read_report, report_path
from avwap.execution.reconcile_schema import ReconciliationReport
from avwap.jobs.regime import newest_recorded
from avwap.ledger.links import HEAD_NAME
from avwap.ledger.paths import ledger_date
from avwap.ledger.projection import BookState
from avwap.ledger.projection_state import lot_order
from avwap.ledger.records import Alert, Record
from avwap.regimes.recorded import read_recorded

ALERTS_SHOWN = 8


@dataclass(frozen=True)
class Deployment:
    requested_mode: str
    effective_mode: str
    mode_reasons: tuple[str, ...]
    kill_switch: dict[str, bool]
    caps: dict[str, Any]


def deployment(config: Config, today: dt.date) -> Deployment:
    data = report_data(build_preflight(config, read_state_files(config.state_dir), today))
    mode = data["mode"]
    return Deployment(
        requested_mode=str(mode["requested"]),
        effective_mode=str(mode["effective"]),
        mode_reasons=tuple(item["code"] for item in mode["reasons"]),
        kill_switch={key: bool(value) for key, value in data["kill_switch"].items()},
        caps={row["variable"]: row["value"] for row in data["caps"]},
    )


@dataclass(frozen=True)
class CapUse:
    name: str
    limit: Decimal
    used: Decimal

    @property
    def share(self) -> Decimal | None:
        return None if self.limit <= 0 else (self.used / self.limit * 100).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class BookFacts:
    """What the book's ledger and artifacts say (cached by their signature)."""

    ledger: BookLedger
    state: BookState | None
    snapshot: PortfolioSnapshot | None
    previous_equity: Decimal | None
    snapshot_problem: str
    reconciliation: ReconciliationReport | None
    reconciliation_problem: str
    alerts: tuple[Alert, ...]
    last_ledger_day: dt.date | None


@dataclass(frozen=True)
class BookOverview:
    book_id: str
    money: str
    state: str
    reasons: tuple[str, ...]
    facts: BookFacts
    day_pnl: Decimal | None
    open_risk: Decimal | None
    unprotected: tuple[str, ...]
    caps: tuple[CapUse, ...]
    jobs: tuple[JobHealth, ...]


def _snapshots(config: Config, book_id: str) -> tuple[PortfolioSnapshot | None, Decimal | None, str]:
    try:
        dates = snapshot_dates(config.artifacts_dir, book_id)
        if not dates:
            return None, None, "no snapshot: run `avwap portfolio snapshot`"
        latest = read_snapshot(snapshot_path(config.artifacts_dir, book_id, dates[-1]))
        previous = (
            read_snapshot(snapshot_path(config.artifacts_dir, book_id, dates[-2])) if len(dates) > 1 else None
        )
    except (AvwapError, OSError) as error:
        return None, None, f"snapshot unreadable: {error}"
    return latest, (previous.equity if previous is not None else None), ""


def _reconciliation(config: Config, book_id: str) -> tuple[ReconciliationReport | None, str]:
    newest = newest_dated(config.artifacts_dir / "reconciliation" / book_id)
    if newest is None:
        return None, ""
    try:
        return read_report(report_path(config.artifacts_dir, book_id, newest)), ""
    except (AvwapError, OSError, ValueError) as error:
        return None, f"reconciliation report of {newest} unreadable: {error}"


def book_facts(
    config: Config, book_id: str, readers: BookReaders | None = None, cache: MemoCache | None = None
) -> BookFacts:
    """``readers``: the dashboard's followers (only what changed since the last read is verified and
    folded); ``cache``: the snapshots and the reconciliation report kept by their folders' signatures (a new
    ledger record reads neither again). Without them, one-off full reads."""
    readers = readers or BookReaders()
    cache = cache or MemoCache()
    ledger = readers.read(config.ledger_dir, book_id)
    artifacts, home = config.artifacts_dir, str(config.home)
    snapshot, previous, snapshot_problem = cache.get_or_build(
        ("snapshots", home, book_id, folder_signature(artifacts / "snapshots" / book_id)),
        lambda: _snapshots(config, book_id),
    )
    report, report_problem = cache.get_or_build(
        ("report", home, book_id, folder_signature(artifacts / "reconciliation" / book_id)),
        lambda: _reconciliation(config, book_id),
    )
    alerts = tuple(record for record in ledger.records if isinstance(record, Alert))[-ALERTS_SHOWN:]
    return BookFacts(
        ledger,
        ledger.state,
        snapshot,
        previous,
        snapshot_problem,
        report,
        report_problem,
        tuple(reversed(alerts)),
        ledger_date(Path(ledger.files[-1])) if ledger.files else None,
    )


def facts_key(config: Config, book_id: str) -> tuple[object, ...]:
    folder = config.ledger_dir / book_id
    head = (folder / HEAD_NAME).read_bytes() if (folder / HEAD_NAME).is_file() else b""
    return (
        "book",
        str(config.home),
        book_id,
        head,
        folder_signature(folder),
        folder_signature(config.artifacts_dir / "snapshots" / book_id),
        folder_signature(config.artifacts_dir / "reconciliation" / book_id),
    )


def _state_and_reasons(facts: BookFacts, kill_active: bool) -> tuple[str, tuple[str, ...]]:
    drift = facts.reconciliation is not None and facts.reconciliation.has_drift
    view = PortfolioView(ledger_readable=facts.ledger.readable, reconciliation_drift=drift)
    state = str(trading_state(kill_active, view))
    reasons = []
    if not facts.ledger.readable:
        reasons.append(facts.ledger.problem)
    if drift and facts.reconciliation is not None:
        report = facts.reconciliation
        reasons.append(f"reconciliation of {report.date_ny}: {len(report.items)} drift item(s)")
    if kill_active:
        reasons.append("kill switch engaged: no new entries (exits and stops keep running)")
    if not reasons:
        reasons.append("ledger verified, no reconciliation drift, kill switch off")
    return state, tuple(reasons)


def _open_risk(facts: BookFacts) -> tuple[Decimal | None, tuple[str, ...]]:
    if facts.state is None:
        return None, ()
    marks = {line.symbol: line.mark for line in facts.snapshot.positions} if facts.snapshot else {}
    risk, unprotected = Decimal("0"), []
    for position in sorted(facts.state.positions.values(), key=lot_order):  # one lot per strategy
        if position.stop_price is None:
            unprotected.append(position.symbol)
            continue
        mark = marks.get(position.symbol, position.average_price)
        risk += position.quantity * (mark - position.stop_price)
    return risk, tuple(unprotected)


def _caps(deployed: Deployment, facts: BookFacts) -> tuple[CapUse, ...]:
    snapshot = facts.snapshot
    if snapshot is None:
        return ()
    caps = deployed.caps
    gross_pct = snapshot.gross_exposure / snapshot.equity * 100 if snapshot.equity > 0 else Decimal("0")
    return (
        CapUse("MAX_POSITIONS", Decimal(caps["MAX_POSITIONS"]), Decimal(snapshot.open_positions)),
        CapUse("MAX_GROSS_EXPOSURE", Decimal(caps["MAX_GROSS_EXPOSURE"]), snapshot.gross_exposure),
        CapUse(
            "MAX_GROSS_EXPOSURE_PCT",
            Decimal(caps["MAX_GROSS_EXPOSURE_PCT"]),
            gross_pct.quantize(Decimal("0.01")),
        ),
    )


def _jobs(config: Config, book_id: str, facts: BookFacts, expected: dt.date) -> tuple[JobHealth, ...]:
    report = facts.reconciliation
    failure = facts.reconciliation_problem
    if report is not None and not report.complete:
        failure = f"incomplete ({report.incomplete_code}): {report.incomplete_reason}"
    elif report is not None and report.has_drift:
        failure = f"{len(report.items)} drift item(s)"
    artifacts = config.artifacts_dir
    return (
        job_health(
            "cycle", facts.last_ledger_day, expected, "" if facts.ledger.readable else facts.ledger.problem
        ),
        job_health(
            "snapshot", newest_dated(artifacts / "snapshots" / book_id), expected, facts.snapshot_problem
        ),
        job_health(
            "reconciliation",
            report.date_ny if report else newest_dated(artifacts / "reconciliation" / book_id),
            expected,
            failure,
        ),
    )


def book_overview(
    config: Config,
    book_id: str,
    expected: dt.date,
    deployed: Deployment,
    cache: MemoCache,
    *,
    readers: BookReaders | None = None,
) -> BookOverview:
    facts = cache.get_or_build(
        facts_key(config, book_id), lambda: book_facts(config, book_id, readers, cache)
    )
    state, reasons = _state_and_reasons(facts, deployed.kill_switch["active"])
    day_pnl = None
    if facts.snapshot is not None and facts.previous_equity is not None:
        day_pnl = facts.snapshot.equity - facts.previous_equity
    risk, unprotected = _open_risk(facts)
    return BookOverview(
        book_id,
        money_kind(book_id),
        state,
        reasons,
        facts,
        day_pnl,
        risk,
        unprotected,
        _caps(deployed, facts),
        _jobs(config, book_id, facts, expected),
    )


def records_of(facts: BookFacts) -> tuple[Record, ...]:
    return facts.ledger.records


def latest_regime(ledger_dir: Path) -> str:
    """The newest recorded regime (``avwap regime label`` writes REGIME_E1); unknown without one."""
    try:
        newest = newest_recorded(ledger_dir)
        if newest is None:
            return "unknown (no REGIME_E1 record: run `avwap regime label`)"
        records = read_recorded(ledger_dir, newest, newest)
    except (AvwapError, OSError, ValueError) as error:
        return f"unknown (REGIME_E1 unreadable: {error})"
    if not records:
        return "unknown (no REGIME_E1 record)"
    last = records[-1]
    return f"{last.label} on {last.date_ny} (confidence {last.confidence})"


__all__ = [
    "BookFacts",
    "BookOverview",
    "Deployment",
    "book_facts",
    "book_overview",
    "deployment",
    "latest_regime",
]
