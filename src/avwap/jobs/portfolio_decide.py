"""``avwap portfolio decide``: read the day's inputs, run the pure engine, write the batch (roadmap 2A).

Inputs for book ``B`` and trading date ``D`` (run before the open):

* ``<artifacts>/candidates/<D>.json``: missing -> PORTFOLIO_CANDIDATES_MISSING; unreadable, truncated,
  off-schema, a symbol twice or a non-finite number -> _INVALID; dated another day -> _STALE;
* the latest snapshot of ``B`` before ``D`` and all earlier ones (drawdown history): none ->
  PORTFOLIO_SNAPSHOT_MISSING; unreadable -> _INVALID; older than PORTFOLIO_SNAPSHOT_MAX_AGE_SESSIONS
  sessions -> _STALE; of another book -> _BOOK_MISMATCH;
* the book's reconciliation report at the latest snapshot's date, when there is one: INCOMPLETE (the
  broker timed out or answered 5xx) or unreadable -> PORTFOLIO_RECONCILIATION_INCOMPLETE (the broker's
  book is unknown; no report at all is not a problem: not every book is reconciled);
* ``D`` not an NYSE session -> PORTFOLIO_NOT_A_SESSION;
* daily closes from the bar store for the correlation window (unreadable -> correlations unknown, which
  blocks); sectors from the universe (unknown -> its own bucket).

Outputs, written only after the whole batch is built (nothing partial): the artifact
``<artifacts>/portfolio_decisions/<B>/<D>.json`` (atomic, provenance whose ``data_hash`` hashes the two
input hashes), one ``PortfolioDecisionsRecorded`` record appended to
``<ledger>/PORTFOLIO_DECISIONS/<D>.jsonl``
(skipped when that exact batch is already recorded: a rerun is idempotent), then the ``latest`` pointer
``<artifacts>/portfolio_decisions/<B>/latest.json`` (atomic).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.analytics.portfolio_snapshots import earlier_snapshots, snapshot_dates
from avwap.control import reasons
from avwap.control.portfolio.artifact import (
    DECISIONS_FOLDER,
    DECISIONS_KIND,
    LATEST_KIND,
    decisions_path,
    latest_path,
    read_batch,
)
from avwap.control.portfolio.correlation import ReturnsPanel
from avwap.control.portfolio.engine import decide
from avwap.control.portfolio.records import (
    BookInput,
    CandidateInput,
    GuardrailLimits,
    HeldInput,
    PortfolioDecisionBatch,
)
from avwap.control.portfolio.regime import RegimeModulation, RegimePolicy, modulation
from avwap.control.portfolio.sleeves import SleeveRules
from avwap.core.calendar import nyse
from avwap.core.canonical import content_hash, sha256_hex
from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.core.errors import AvwapError, DataError
from avwap.ledger.atomic import Provenance, atomic_write_json, build_provenance
from avwap.ledger.paths import PORTFOLIO_DECISIONS, ledger_date, newest_ledger_names
from avwap.ledger.records import PortfolioDecisionLine, PortfolioDecisionsRecorded
from avwap.ledger.router import Ledger, read_file_records
from avwap.strategies.registry import S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW, is_routable
from avwap.watchlist.artifact import candidates_path, read_candidates

if TYPE_CHECKING:
    import pandas as pd

    from avwap.integrations.slack.notifier import Notifier

__all__ = [
    "DECISIONS_FOLDER",
    "DECISIONS_KIND",
    "LATEST_KIND",
    "ReplayInputs",
    "build_batch",
    "decisions_path",
    "latest_path",
    "read_batch",
    "write_batch",
]


@dataclass(frozen=True)
class LoadedCandidates:
    candidates: tuple[CandidateInput, ...]
    sha256: str | None
    problem: str | None


def load_candidates(artifacts_dir: Path, day: dt.date) -> LoadedCandidates:
    path = candidates_path(artifacts_dir, day)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return LoadedCandidates((), None, reasons.PORTFOLIO_CANDIDATES_MISSING)
    except OSError:
        return LoadedCandidates((), None, reasons.PORTFOLIO_CANDIDATES_INVALID)
    digest = sha256_hex(data)
    try:
        watchlist = read_candidates(artifacts_dir, day)
    except DataError:
        return LoadedCandidates((), digest, reasons.PORTFOLIO_CANDIDATES_INVALID)
    symbols = [item.symbol for item in watchlist.candidates]
    finite = all(
        math.isfinite(item.distance) and item.avwap.is_finite() and item.avwap > 0
        for item in watchlist.candidates
    )
    if len(set(symbols)) != len(symbols) or not finite:
        return LoadedCandidates((), digest, reasons.PORTFOLIO_CANDIDATES_INVALID)
    candidates = tuple(
        CandidateInput(symbol=item.symbol, rank=item.rank, entry_price=item.avwap, distance=item.distance)
        for item in watchlist.candidates
    )
    stale = reasons.PORTFOLIO_CANDIDATES_STALE if watchlist.trading_date != day else None
    return LoadedCandidates(candidates, digest, stale)


@dataclass(frozen=True)
class LoadedBook:
    book: BookInput | None
    sha256: str | None
    problem: str | None


def book_input_from_snapshots(latest: PortfolioSnapshot, history: list[PortfolioSnapshot]) -> BookInput:
    return BookInput(
        book_id=latest.book_id,
        snapshot_date=latest.date_ny,
        equity=latest.equity,
        gross_exposure=latest.gross_exposure,
        positions=tuple(
            HeldInput(symbol=line.symbol, market_value=line.market_value, strategy_id=line.strategy_id)
            for line in latest.positions
        ),
        equity_history=tuple(item.equity for item in history),
    )


@dataclass(frozen=True)
class ReplayInputs:
    """What a replay (the backtest) already holds in memory, so that a decision does not re-read it from
    files every session: ``snapshots``, every snapshot of the book written so far, oldest first (the very
    objects whose files the run wrote; read back they are equal); ``closes``, the daily closes of the
    replayed bar store (:func:`daily_closes`); ``sectors`` (:func:`load_sectors` of that store)."""

    snapshots: Sequence[PortfolioSnapshot]
    closes: pd.DataFrame
    sectors: dict[str, str]


def load_book(
    artifacts_dir: Path,
    book_id: str,
    day: dt.date,
    max_age_sessions: int,
    snapshots: Sequence[PortfolioSnapshot] | None = None,
) -> LoadedBook:
    """The book input from the latest snapshot before ``day``; ``snapshots``: the book's snapshots held in
    memory by a replay (default: listed and read from the artifacts)."""
    if snapshots is None:
        dates = [item for item in snapshot_dates(artifacts_dir, book_id) if item < day]
    else:
        dates = [item.date_ny for item in snapshots if item.date_ny < day]
    if not dates:
        return LoadedBook(None, None, reasons.PORTFOLIO_SNAPSHOT_MISSING)
    latest_file = Path(artifacts_dir) / "snapshots" / book_id / f"{dates[-1].isoformat()}.json"
    digest = sha256_hex(latest_file.read_bytes())
    try:
        if snapshots is None:
            history = earlier_snapshots(artifacts_dir, book_id, day)
        else:
            history = [item for item in snapshots if item.date_ny < day]
    except DataError:
        return LoadedBook(None, digest, reasons.PORTFOLIO_SNAPSHOT_INVALID)
    book = book_input_from_snapshots(history[-1], history)
    if book.book_id != book_id:
        return LoadedBook(book, digest, reasons.PORTFOLIO_SNAPSHOT_BOOK_MISMATCH)
    calendar = nyse()
    # On a non-session day PORTFOLIO_NOT_A_SESSION already blocks; staleness is measured from sessions only.
    oldest_fresh = calendar.sessions_back(day, max_age_sessions) if calendar.is_session(day) else dt.date.min
    if book.snapshot_date < oldest_fresh:
        return LoadedBook(book, digest, reasons.PORTFOLIO_SNAPSHOT_STALE)
    return LoadedBook(book, digest, None)


def daily_closes(frame: pd.DataFrame) -> pd.DataFrame:
    """Daily bars (``timestamp``, ``symbol``, ``close``) as closes by NY date (rows) and symbol (columns)."""
    frame = frame.assign(day=frame["timestamp"].dt.date)
    return frame.pivot_table(index="day", columns="symbol", values="close", aggfunc="last")


def load_returns(
    data_dir: Path, symbols: list[str], day: dt.date, sessions: int, closes: pd.DataFrame | None = None
) -> ReturnsPanel:
    """The last ``sessions`` daily returns (closes before ``day``) of ``symbols``; empty when unreadable.
    ``closes``: :func:`daily_closes` of the store, held by a replay (default: read from ``data_dir``)."""
    if not symbols:
        return ReturnsPanel.empty()
    from avwap.data.store import BarStore

    calendar = nyse()
    end = calendar.previous_session(day)
    start = calendar.sessions_back(end, sessions)
    if closes is None:
        try:
            frame = BarStore(data_dir).read("1d", symbols, start=start, end=end)
        except (AvwapError, OSError):
            return ReturnsPanel.empty()
        closes = daily_closes(frame)
    closes = closes.reindex(index=calendar.sessions(start, end), columns=sorted(set(symbols)))
    returns = closes.to_numpy(dtype=np.float64)
    returns = returns[1:] / returns[:-1] - 1 if len(returns) > 1 else np.empty((0, len(closes.columns)))
    return ReturnsPanel(tuple(closes.columns), returns[-sessions:])


def load_sectors(data_dir: Path) -> dict[str, str]:
    """The universe's sector by symbol (:func:`avwap.data.universe.sector_map`)."""
    from avwap.data.universe import sector_map

    return sector_map(data_dir)


def reconciliation_problem(artifacts_dir: Path, book_id: str, day: dt.date) -> str | None:
    """PORTFOLIO_RECONCILIATION_INCOMPLETE when ``book_id``'s report of ``day`` exists and is incomplete or
    unreadable; None when it is complete (drift is the cycle's own per-cycle check) or absent."""
    from avwap.execution.reconcile_render import read_report, report_path

    path = report_path(artifacts_dir, book_id, day)
    if not path.exists():
        return None
    try:
        complete = read_report(path).complete
    except DataError:
        complete = False
    return None if complete else reasons.PORTFOLIO_RECONCILIATION_INCOMPLETE


def build_batch(
    config: Config,
    book_id: str,
    day: dt.date,
    clock: Clock,
    *,
    data_dir: Path | None = None,
    replay: ReplayInputs | None = None,
) -> PortfolioDecisionBatch:
    """Read every input and decide (no write). ``data_dir``: the bar store and universe (default: the
    Config's; a replay of imported bars passes its own); ``replay``: the inputs a replay holds in memory."""
    artifacts = config.artifacts_dir
    bars = Path(data_dir) if data_dir is not None else config.data_dir
    loaded = load_candidates(artifacts, day)
    held = None if replay is None else replay.snapshots
    book = load_book(artifacts, book_id, day, config.portfolio_snapshot_max_age_sessions, held)
    problems = [code for code in (loaded.problem, book.problem) if code]
    if book.book is not None and (
        unknown := reconciliation_problem(artifacts, book_id, book.book.snapshot_date)
    ):
        problems.append(unknown)
    if not nyse().is_session(day):
        problems.append(reasons.PORTFOLIO_NOT_A_SESSION)
    limits = GuardrailLimits.from_config(config)
    returns = ReturnsPanel.empty()
    if not problems and book.book is not None:
        symbols = sorted(
            {item.symbol for item in loaded.candidates} | {item.symbol for item in book.book.positions}
        )
        closes = None if replay is None else replay.closes
        returns = load_returns(bars, symbols, day, limits.correlation_sessions, closes)
    sectors: dict[str, str] = {}
    if not problems:
        sectors = load_sectors(bars) if replay is None else replay.sectors
    shadows = (S1_AVWAP_CORE_SHADOW,) if config.portfolio_shadow else ()
    regime = load_regime(config, bars, day) if config.e2_regime_modulation else None
    # Every enabled strategy that reaches a broker is decided (S1 always: the 2A layer's first strategy).
    routed = tuple(
        dict.fromkeys((S1_AVWAP_CORE, *(item for item in config.enabled_strategies if is_routable(item))))
    )
    return decide(
        book_id=book_id,
        date_ny=day,
        decided_at=clock.now(),
        strategies=(*routed, *shadows),
        shadow_strategies=shadows,
        candidates=loaded.candidates,
        book=book.book,
        returns=returns,
        sectors=sectors,
        limits=limits,
        input_reasons=problems,
        candidates_sha256=loaded.sha256,
        snapshot_sha256=book.sha256,
        regime=regime,
        sleeve_rules=SleeveRules.from_config(config),
    )


def load_regime(config: Config, data_dir: Path, day: dt.date) -> RegimeModulation:
    """E2: the previous close's regime label (E1, computed from ``data_dir``'s bars) as multipliers; a
    store that cannot be read or labelled is UNKNOWN, which acts as STRESSED (no new entries)."""
    from avwap.jobs.regime import label_before

    try:
        found = label_before(config, data_dir, day)
    except (AvwapError, OSError, ValueError):
        found = None
    policy = RegimePolicy.from_config(config)
    if found is None:
        return modulation("UNKNOWN", Decimal("0"), None, policy)
    confidence = Decimal(f"{found.confidence:.4f}")
    return modulation(found.label.value, confidence, found.date, policy)


def _ledger_record(
    batch: PortfolioDecisionBatch, artifact: str, digest: str, clock: Clock
) -> PortfolioDecisionsRecorded:
    return PortfolioDecisionsRecorded(
        book_id=batch.book_id,
        date_ny=batch.date_ny,
        ts=clock.now().astimezone(dt.UTC),
        batch_sha256=digest,
        artifact=artifact,
        candidates_sha256=batch.candidates_sha256,
        snapshot_sha256=batch.snapshot_sha256,
        inputs_ok=batch.inputs_ok,
        input_reasons=batch.input_reasons,
        decisions=tuple(
            PortfolioDecisionLine(
                strategy_id=item.strategy_id,
                symbol=item.symbol,
                verdict=str(item.verdict),
                reason_codes=item.reason_codes,
            )
            for item in batch.decisions
        ),
        sleeves=batch.sleeves,
        s2_enforcement=batch.s2_enforcement,
    )


def write_batch(
    config: Config,
    batch: PortfolioDecisionBatch,
    clock: Clock,
    *,
    code_version: str | None = None,
    notifier: Notifier | None = None,
) -> tuple[Path, str]:
    """Artifact, then the ledger record (unless already recorded), then the ``latest`` pointer, then the
    E3 risk attribution when one of its flags is on (write-only, fails open; ``notifier`` carries its
    Slack summary). ``code_version`` pins the provenance's (detected with ``git describe`` otherwise: a
    long replay detects it once and passes it).

    The decisions ledger is append-only by day: once a later day holds records, an earlier day can no
    longer be decided (its file would have to change under the later one's anchor), so that is refused
    before anything is written."""
    folder = Path(config.ledger_dir) / PORTFOLIO_DECISIONS
    newest = next(newest_ledger_names(folder), None)
    newer = None if newest is None else ledger_date(Path(newest))
    if newer is not None and newer > batch.date_ny:
        raise DataError(
            f"the decisions ledger already records {newer.isoformat()}: deciding the earlier day "
            f"{batch.date_ny.isoformat()} would rewrite an append-only history (nothing written)"
        )
    path, digest, provenance = write_batch_artifact(config, batch, code_version=code_version)
    relative = path.relative_to(config.artifacts_dir).as_posix()
    ledger = Ledger(config.ledger_dir)
    store = ledger.store(PORTFOLIO_DECISIONS, batch.date_ny)
    recorded = store.path.exists() and any(
        isinstance(item, PortfolioDecisionsRecorded)
        and item.batch_sha256 == digest
        and item.book_id == batch.book_id
        for item in read_file_records(store.path)
    )
    if not recorded:
        store.append(_ledger_record(batch, relative, digest, clock))
    write_latest_pointer(config, batch, digest, provenance)
    from avwap.jobs.risk_attribution import attribute_decisions  # E3: after the batch is durable

    attribute_decisions(config, batch, digest, notifier=notifier, code_version=code_version)
    return path, digest


def write_batch_artifact(
    config: Config, batch: PortfolioDecisionBatch, *, code_version: str | None = None
) -> tuple[Path, str, Provenance]:
    """The batch's artifact alone (no ledger record): its path, sha256 and provenance. ``avwap rebuild``
    rewrites artifacts with it and compares the sha256 with the one the ledger recorded."""
    path = decisions_path(config.artifacts_dir, batch.book_id, batch.date_ny)
    data_hash = content_hash({"candidates": batch.candidates_sha256, "snapshot": batch.snapshot_sha256})
    provenance = build_provenance(
        config.config_hash(),
        data_hash,
        batch.date_ny,
        code_version=code_version,
        ruleset_version=config.ruleset_version,
    )
    digest = atomic_write_json(path, {"kind": DECISIONS_KIND, "batch": batch.plain()}, provenance)
    return path, digest, provenance


def write_latest_pointer(
    config: Config, batch: PortfolioDecisionBatch, digest: str, provenance: Provenance
) -> None:
    """``latest.json`` naming the batch's artifact, moved only forward: re-deciding an older day must not
    make it "latest"."""
    path = decisions_path(config.artifacts_dir, batch.book_id, batch.date_ny)
    pointer = {
        "kind": LATEST_KIND,
        "book_id": batch.book_id,
        "date_ny": batch.date_ny,
        "artifact": path.relative_to(config.artifacts_dir).as_posix(),
        "sha256": digest,
    }
    if _pointer_date(latest_path(config.artifacts_dir, batch.book_id)) <= batch.date_ny:
        atomic_write_json(latest_path(config.artifacts_dir, batch.book_id), pointer, provenance)


def _pointer_date(path: Path) -> dt.date:
    """The date the ``latest`` pointer names; the earliest date when there is none or it is unreadable."""
    try:
        return dt.date.fromisoformat(json.loads(path.read_bytes())["date_ny"])
    except (OSError, ValueError, KeyError, TypeError):
        return dt.date.min
