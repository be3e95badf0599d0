"""Portfolio decision enforcement in the execution cycle (roadmap 2B; ``PORTFOLIO_DECISION_ENFORCE=1``).

Off (the default) :func:`admits` answers True without reading or writing anything, so the cycle behaves
exactly as without this module. On, an entry (a new plan, or a pending intent about to be decided or
submitted) goes on only when today's decision artifact
``<artifacts>/portfolio_decisions/<BOOK>/<D>.json`` is usable and ALLOWs its (strategy, symbol); the
rules are the pure gate :mod:`avwap.control.portfolio.enforcement`. An ALLOW decided under
``E2_REGIME_MODULATION=1`` also caps the order's quantity at its regime-scaled notional (:func:`admission`
returns it; :mod:`avwap.control.portfolio.order_cap` applies it). Exits and stops never come here.

The artifact and today's candidates artifact (whose sha256 the batch must name) are read at most once per
cycle and again only when either file changed (size, times, inode). Every outcome is appended to the
``PORTFOLIO_ENFORCEMENT`` ledger stream (:class:`~avwap.ledger.records.PortfolioEnforcementRecorded`)
once: an entry the next cycle re-evaluates against the same artifact is not recorded twice, also after
a restart (the day's file is read back the first time). An outcome that cannot be recorded blocks the
entry (``PORTFOLIO_ENFORCEMENT_UNRECORDED``). A blocked entry is not rejected: no intent is written, so
the next cycle asks again (an operator who fixes the artifact un-blocks the day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from avwap.control import reasons
from avwap.control.portfolio.artifact import decisions_path, parse_batch
from avwap.control.portfolio.enforcement import ArtifactCheck, EntryVerdict, check_artifact, entry_verdict
from avwap.core.canonical import sha256_hex
from avwap.core.errors import AvwapError, DataError
from avwap.execution.context import CycleDependencies, CycleFacts
from avwap.execution.events import EntryEnforcementBlocked
from avwap.ledger.paths import PORTFOLIO_ENFORCEMENT
from avwap.ledger.records import PortfolioEnforcementRecorded
from avwap.ledger.router import Ledger, read_file_records
from avwap.watchlist.artifact import candidates_path

OPEN: Final = EntryVerdict(True, None)  # enforcement off: every entry goes on, uncapped


@dataclass
class EnforcementState:
    """Per-process memo of the enforcement (kept on the cycle cache; a restart rebuilds it)."""

    cycle: tuple[Any, ...] | None = None  # (now, today, book): the cycle the check was made for
    files: tuple[Any, ...] | None = None  # (today, book, stat of the artifact, stat of the candidates)
    check: ArtifactCheck | None = None
    recorded: set[tuple[Any, ...]] = field(default_factory=set)
    read_days: set[tuple[str, dt.date]] = field(default_factory=set)


def _stat(path: Path) -> tuple[int, int, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


def read_check(artifacts_dir: Path, book_id: str, today: dt.date) -> ArtifactCheck:
    """Read and validate today's decision artifact against today's candidates artifact."""
    try:
        candidates_sha256: str | None = sha256_hex(candidates_path(artifacts_dir, today).read_bytes())
    except OSError:
        candidates_sha256 = None
    path = decisions_path(artifacts_dir, book_id, today)
    facts: dict[str, Any] = {"day": today, "book_id": book_id, "candidates_sha256": candidates_sha256}
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return check_artifact(
            None,
            problem=reasons.PORTFOLIO_DECISION_MISSING,
            detail=f"{path} does not exist",
            artifact_sha256=None,
            **facts,
        )
    except OSError as error:
        return check_artifact(
            None,
            problem=reasons.PORTFOLIO_DECISION_INVALID,
            detail=f"{path}: {error}",
            artifact_sha256=None,
            **facts,
        )
    digest = sha256_hex(data)
    try:
        batch = parse_batch(data, path)
    except DataError as error:
        return check_artifact(
            None,
            problem=reasons.PORTFOLIO_DECISION_INVALID,
            detail=str(error)[:500],
            artifact_sha256=digest,
            **facts,
        )
    return check_artifact(batch, problem=None, detail="", artifact_sha256=digest, **facts)


def state_of(deps: CycleDependencies) -> EnforcementState:
    state = deps.cache.enforcement
    if not isinstance(state, EnforcementState):
        state = deps.cache.enforcement = EnforcementState()
    return state


def artifact_check(deps: CycleDependencies, facts: CycleFacts) -> ArtifactCheck:
    """Today's check: once per cycle, re-read only when the artifact or the candidates file changed."""
    state, book_id = state_of(deps), deps.book.book_id
    cycle = (facts.now, facts.today, book_id)
    if state.cycle == cycle and state.check is not None:
        return state.check
    artifact = decisions_path(deps.artifacts_dir, book_id, facts.today)
    files = (facts.today, book_id, _stat(artifact), _stat(candidates_path(deps.artifacts_dir, facts.today)))
    if state.files != files or state.check is None:
        state.check, state.files = read_check(deps.artifacts_dir, book_id, facts.today), files
    state.cycle = cycle
    return state.check


def _record(
    deps: CycleDependencies,
    facts: CycleFacts,
    check: ArtifactCheck,
    verdict: EntryVerdict,
    who: tuple[str, str, str],
) -> bool:
    """Append the outcome unless already recorded; False when it could not be written."""
    state, book_id = state_of(deps), deps.book.book_id
    strategy_id, symbol, intent_id = who
    key = (facts.today, book_id, intent_id, verdict.code, check.artifact_sha256)
    if key in state.recorded:
        return True
    ledger = Ledger(deps.config.ledger_dir)
    store = ledger.store(PORTFOLIO_ENFORCEMENT, facts.today)
    try:
        if (book_id, facts.today) not in state.read_days:
            for item in read_file_records(store.path) if store.path.exists() else []:
                if isinstance(item, PortfolioEnforcementRecorded) and item.book_id == book_id:
                    state.recorded.add(
                        (item.date_ny, item.book_id, item.intent_id, item.reason_code, item.artifact_sha256)
                    )
            state.read_days.add((book_id, facts.today))
            if key in state.recorded:
                return True
        artifact = decisions_path(deps.artifacts_dir, book_id, facts.today)
        store.append(
            PortfolioEnforcementRecorded(
                **facts.stamp(book_id),
                strategy_id=strategy_id,
                symbol=symbol,
                intent_id=intent_id,
                verdict="ALLOW" if verdict.allowed else "BLOCK",
                reason_code=verdict.code,
                decision_reasons=verdict.decision_reasons,
                artifact=artifact.relative_to(deps.artifacts_dir).as_posix(),
                artifact_sha256=check.artifact_sha256,
                candidates_sha256=check.candidates_sha256,
                config_hash=deps.config.config_hash(),
                detail=check.detail[:500],
            )
        )
    except (AvwapError, OSError, ValueError):
        return False
    state.recorded.add(key)
    return True


def admits(deps: CycleDependencies, facts: CycleFacts, strategy_id: str, symbol: str, intent_id: str) -> bool:
    """Whether the entry of ``strategy_id`` on ``symbol`` (intent id ``intent_id``) may go on this cycle."""
    return admission(deps, facts, strategy_id, symbol, intent_id).allowed


def admission(
    deps: CycleDependencies, facts: CycleFacts, strategy_id: str, symbol: str, intent_id: str
) -> EntryVerdict:
    """:func:`admits` with the verdict itself: an ALLOW decided under E2 carries ``max_notional``, the cap
    on the order's quantity (:mod:`avwap.control.portfolio.order_cap`). Off: allowed, no cap."""
    if not deps.config.portfolio_decision_enforce:
        return OPEN
    check = artifact_check(deps, facts)
    verdict = entry_verdict(check, strategy_id, symbol)
    if not _record(deps, facts, check, verdict, (strategy_id, symbol, intent_id)):
        verdict = EntryVerdict(False, reasons.PORTFOLIO_ENFORCEMENT_UNRECORDED, verdict.decision_reasons)
    if not verdict.allowed:
        assert verdict.code is not None
        facts.note(EntryEnforcementBlocked(strategy_id, symbol, verdict.code, verdict.decision_reasons))
    return verdict
