"""Summary alerts: the daily scan and the execution decisions, as :class:`AlertEvent` records (pure).

Numbers are formatted with fixed precision so the same inputs always give the same message bytes. Filter and
blocking reasons are reason codes, shown verbatim, ordered by count (largest first) then by name.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final, TypeAlias

from avwap.integrations.slack.messages import AlertEvent, AlertKind, Severity, alert_event

Number: TypeAlias = float | int | Decimal
CandidateRow: TypeAlias = tuple[str, Number, str, Number]
"""(symbol, score, anchor description, distance as a fraction of the AVWAP: 0.012 is 1.20 %)."""

DEFAULT_TOP_LIMIT: Final = 10


def _finite(value: Number) -> bool:
    return value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)


def _score_text(score: Number) -> str:
    return f"{float(score):.2f}" if _finite(score) else "n/a"


def _distance_text(distance: Number) -> str:
    return f"{float(distance) * 100:+.2f}%" if _finite(distance) else "n/a"


def _count_lines(counts: Mapping[str, int]) -> list[str]:
    """``REASON  count`` lines, largest count first, ties by name (a deterministic order)."""
    for reason, count in counts.items():
        if count < 0:
            raise ValueError(f"a count cannot be negative: {reason}={count}")
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    width = max((len(reason) for reason, _ in ordered), default=0)
    return [f"{reason.ljust(width)}  {count:>7d}" for reason, count in ordered]


def _candidate_lines(top: Sequence[CandidateRow]) -> list[str]:
    rows = [(symbol, _score_text(score), anchor, _distance_text(dist)) for symbol, score, anchor, dist in top]
    header = ("SYMBOL", "SCORE", "ANCHOR", "DISTANCE")
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(4)]
    lines = []
    for symbol, score, anchor, distance in [header, *rows]:
        lines.append(
            f"{symbol.ljust(widths[0])}  {score.rjust(widths[1])}  {anchor.ljust(widths[2])}  "
            f"{distance.rjust(widths[3])}".rstrip()
        )
    return lines


def scan_summary_event(
    as_of: dt.date,
    scanned: int,
    candidates: int,
    top: Sequence[CandidateRow],
    filter_counts: Mapping[str, int],
    *,
    top_limit: int = DEFAULT_TOP_LIMIT,
) -> AlertEvent:
    """The daily scan in one message: how many symbols were scanned, how many became candidates, the top
    ``top_limit`` candidates in the order given (the scan's ranking), and why the others were filtered out."""
    if scanned < 0 or candidates < 0:
        raise ValueError("scanned and candidates must not be negative")
    shown = list(top[:top_limit])
    details: list[str] = []
    if shown:
        details += [f"Top {len(shown)} of {candidates} candidates", *_candidate_lines(shown)]
    if filter_counts:
        details += ([""] if details else []) + ["Filtered out, by reason", *_count_lines(filter_counts)]
    plural = "" if candidates == 1 else "s"
    return alert_event(
        AlertKind.SCAN_SUMMARY,
        f"Scan for {as_of.isoformat()}: {candidates} candidate{plural} from {scanned} symbols",
        as_of,
        fields={
            "Candidates": candidates,
            "Filtered out": sum(filter_counts.values()),
            "Symbols scanned": scanned,
        },
        details=details,
    )


def execution_summary_event(
    date_ny: dt.date,
    submitted: int,
    blocked_by_reason: Mapping[str, int],
    *,
    blocked: int | None = None,
    severity: Severity | None = None,
) -> AlertEvent:
    """Execution decisions for a day (or a cycle): N submitted, M blocked, and the blocks per reason code.

    ``blocked`` defaults to the sum of ``blocked_by_reason``; pass it when one intent can carry several
    reasons, so the headline counts intents rather than reasons.
    """
    total_blocked = sum(blocked_by_reason.values()) if blocked is None else blocked
    if submitted < 0 or total_blocked < 0:
        raise ValueError("submitted and blocked must not be negative")
    ordered = sorted(blocked_by_reason.items(), key=lambda item: (-item[1], item[0]))
    details = ["Blocked, by reason", *_count_lines(blocked_by_reason)] if blocked_by_reason else []
    return alert_event(
        AlertKind.DAILY_SUMMARY,
        f"Execution decisions for {date_ny.isoformat()}: {submitted} submitted, {total_blocked} blocked",
        date_ny,
        fields={"Blocked": total_blocked, "Submitted": submitted},
        severity=severity,
        reason_codes=[reason for reason, count in ordered if count > 0],
        details=details,
        dedupe_key=f"{AlertKind.DAILY_SUMMARY.value}:{date_ny.isoformat()}:execution",
    )
