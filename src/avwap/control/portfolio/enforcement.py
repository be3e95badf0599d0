"""The enforcement gate of portfolio decisions (roadmap 2B), pure: no clock, no I/O.

With ``PORTFOLIO_DECISION_ENFORCE=1`` the execution cycle reads the day's decision artifact (see
:mod:`avwap.execution.decision_enforcement`) and asks two questions here:

* :func:`check_artifact`: is the artifact usable for (book, NY date, today's candidates)? Missing,
  invalid (anything :func:`~avwap.control.portfolio.artifact.parse_batch` refuses), another date, another
  book, or decisions made on other candidates than today's -> one distinct code, and every entry is blocked.
* :func:`entry_verdict`: may this (strategy, symbol) enter? Only an ALLOW lets it through; no decision
  (``PORTFOLIO_DECISION_UNDECIDED``) or a BLOCK (``PORTFOLIO_DECISION_BLOCKED``, with the decision's own
  portfolio reason codes) is blocked. An ALLOW decided under E2 also carries the notional that caps the
  order's quantity (``max_notional``, see :mod:`.order_cap`).

Exits never reach this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from avwap.control import reasons
from avwap.control.portfolio.order_cap import decision_cap
from avwap.control.portfolio.records import PortfolioDecisionBatch, Verdict


@dataclass(frozen=True)
class ArtifactCheck:
    """What the cycle read: the batch when usable, else the code that blocks every entry.

    ``artifact_sha256`` and ``candidates_sha256`` are the hashes of the bytes read (None: no file), the
    provenance every telemetry record carries."""

    batch: PortfolioDecisionBatch | None
    problem: str | None
    detail: str
    artifact_sha256: str | None
    candidates_sha256: str | None


@dataclass(frozen=True)
class EntryVerdict:
    allowed: bool
    code: str | None  # the enforcement reason when blocked
    decision_reasons: tuple[str, ...] = ()  # the portfolio decision's own codes (a BLOCK's rules)
    max_notional: Decimal | None = None  # E2: an ALLOW's regime-scaled notional, a cap on the order


def check_artifact(
    batch: PortfolioDecisionBatch | None,
    *,
    problem: str | None,
    detail: str,
    day: dt.date,
    book_id: str,
    artifact_sha256: str | None,
    candidates_sha256: str | None,
) -> ArtifactCheck:
    """Validate a parsed batch (``problem`` already set when reading failed) against today's facts."""

    def refused(code: str, why: str) -> ArtifactCheck:
        return ArtifactCheck(None, code, why, artifact_sha256, candidates_sha256)

    if problem is not None or batch is None:
        return refused(problem or reasons.PORTFOLIO_DECISION_INVALID, detail)
    if batch.date_ny != day:
        return refused(
            reasons.PORTFOLIO_DECISION_WRONG_DATE, f"the artifact decides {batch.date_ny}, today is {day}"
        )
    if batch.book_id != book_id:
        return refused(
            reasons.PORTFOLIO_DECISION_WRONG_BOOK,
            f"the artifact decides {batch.book_id}, the cycle trades {book_id}",
        )
    if candidates_sha256 is None or batch.candidates_sha256 != candidates_sha256:
        return refused(
            reasons.PORTFOLIO_DECISION_HASH_MISMATCH,
            f"decided on candidates {batch.candidates_sha256}, today's candidates are {candidates_sha256}",
        )
    return ArtifactCheck(batch, None, detail, artifact_sha256, candidates_sha256)


def entry_verdict(check: ArtifactCheck, strategy_id: str, symbol: str) -> EntryVerdict:
    """Whether an entry of ``strategy_id`` on ``symbol`` may go on (fail closed)."""
    if check.batch is None:
        return EntryVerdict(False, check.problem or reasons.PORTFOLIO_DECISION_INVALID)
    decision = check.batch.verdict_for(strategy_id, symbol)
    if decision is None:
        return EntryVerdict(False, reasons.PORTFOLIO_DECISION_UNDECIDED)
    if decision.verdict is not Verdict.ALLOW:
        return EntryVerdict(False, reasons.PORTFOLIO_DECISION_BLOCKED, decision.reason_codes)
    return EntryVerdict(True, None, max_notional=decision_cap(check.batch, decision))
