"""Operator review of the E2 risk attribution diagnostics (Phase E3.4 "operator review workflows").

Before E2 (regime risk modulation) is switched on or off, an operator reads ``avwap regime attribution
report`` over paired backtests and records what they concluded: ``avwap regime attribution review``
recomputes that report, and appends one ``Note`` (code :data:`REVIEW_CODE`) to the ``REGIME_REVIEWS``
stream naming the reviewer, the conclusion, the report's sha256 (canonical JSON), the two run folders, the
range and whether E2 was on in the configuration at the time. ``avwap regime attribution reviews`` lists
them. Advisory: a review changes no setting (E2 is turned on or off through a ruleset or the environment,
never from here), and the same reviewer recording the same conclusion on the same report twice appends
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from avwap.core.calendar import ny_date
from avwap.core.canonical import content_hash
from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.core.errors import ConfigurationError
from avwap.core.execution_mode import ExecutionMode
from avwap.ledger.paths import ALPACA_LIVE, REGIME_REVIEWS, list_ledger_files
from avwap.ledger.records import Note
from avwap.ledger.router import Ledger, decode_envelope, read_linked

REVIEW_CODE: Final = "E3_ATTRIBUTION_REVIEWED"
CONCLUSIONS: Final = {
    "KEEP_OFF": "keep E2 off (shadow): the diagnostics do not justify modulation yet",
    "KEEP_ON": "keep E2 on: the diagnostics support the modulation in force",
    "ENABLE": "enable E2 through a new ruleset (`avwap rules activate`)",
    "DISABLE": "disable E2 through a new ruleset (`avwap rules activate`)",
    "MORE_DATA": "undecided: review again with more history or another window",
}
NOTE_LIMIT: Final = 500


@dataclass(frozen=True)
class ReviewRequest:
    """What the operator states about one report."""

    reviewer: str
    conclusion: str
    note: str
    modulated: Path
    baseline: Path
    book: str


def _book_id(config: Config) -> str:
    mode = config.effective_mode
    return ALPACA_LIVE if mode == ExecutionMode.LIVE else mode.value


def validate(request: ReviewRequest) -> ReviewRequest:
    """The request with its words trimmed; ConfigurationError naming the option otherwise."""
    reviewer, conclusion, note = (
        request.reviewer.strip(),
        request.conclusion.strip().upper(),
        request.note.strip(),
    )
    if not reviewer or len(reviewer) > 80 or any(not character.isprintable() for character in reviewer):
        raise ConfigurationError("--reviewer", "a name of 1-80 printable characters is required")
    if conclusion not in CONCLUSIONS:
        raise ConfigurationError(
            "--conclusion", f"one of {', '.join(CONCLUSIONS)}, got {request.conclusion!r}"
        )
    if len(note) > NOTE_LIMIT:
        raise ConfigurationError("--note", f"at most {NOTE_LIMIT} characters")
    return ReviewRequest(reviewer, conclusion, note, request.modulated, request.baseline, request.book)


def reviews(ledger_dir: Path) -> list[Note]:
    """Every recorded review, oldest first (files by date, then lines; chains checked as read)."""
    if not list_ledger_files(ledger_dir, REGIME_REVIEWS):
        return []
    found: list[Note] = []
    for path, envelopes in read_linked(ledger_dir, REGIME_REVIEWS):
        for envelope in envelopes:
            record = decode_envelope(path, envelope)
            if isinstance(record, Note) and record.code == REVIEW_CODE:
                found.append(record)
    return found


def record_review(
    config: Config, clock: Clock, report: Mapping[str, Any], request: ReviewRequest
) -> tuple[Note, bool]:
    """Append the review of ``report`` (see the module docstring); (the note, whether it was appended)."""
    request = validate(request)
    digest = content_hash(report)
    for earlier in reviews(config.ledger_dir):
        detail = earlier.detail
        same = (detail.get("report_sha256"), detail.get("reviewer"), detail.get("conclusion"))
        if same == (digest, request.reviewer, request.conclusion):
            return earlier, False
    now = clock.now()
    note = Note(
        book_id=_book_id(config),
        date_ny=ny_date(now),
        ts=now,
        code=REVIEW_CODE,
        message=f"{request.reviewer}: {request.conclusion} ({CONCLUSIONS[request.conclusion]})"
        + (f"; {request.note}" if request.note else ""),
        detail={
            "reviewer": request.reviewer,
            "conclusion": request.conclusion,
            "report_sha256": digest,
            "modulated": str(request.modulated),
            "baseline": str(request.baseline),
            "book": request.book,
            "from": str(report.get("from")),
            "to": str(report.get("to")),
            "e2_enabled": bool(config.e2_regime_modulation),
        },
    )
    Ledger(config.ledger_dir).store(REGIME_REVIEWS, note.date_ny).append(note)
    return note, True
