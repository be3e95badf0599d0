""" "Why is X (not) a candidate today?": one symbol's answer, read from a day's artifacts only.

:func:`explain_symbol` reads the candidates and diagnostics artifacts of a trading day (default: the latest)
and returns an :class:`Explanation` with status ``CANDIDATE``, ``FILTERED`` or ``NOT_SCANNED``. It never
re-runs the scan, so the answer is what the scan decided that morning.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Final

import msgspec

from avwap.scanning.check_details import CheckDetail
from avwap.scanning.diagnostics import QuarantinedBar, read_diagnostics
from avwap.signals.scan_records import AnchorRejection, Candidate, Diagnostic, MarketGate
from avwap.watchlist.artifact import latest_trading_date, read_candidates

CANDIDATE: Final = "CANDIDATE"
FILTERED: Final = "FILTERED"
NOT_SCANNED: Final = "NOT_SCANNED"


class Explanation(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Everything the artifacts say about one symbol on one trading day."""

    symbol: str
    trading_date: dt.date
    data_through: dt.date
    status: str
    summary: str
    market_gate: MarketGate
    candidate: Candidate | None = None
    diagnostic: Diagnostic | None = None
    checks: tuple[CheckDetail, ...] = ()
    anchor_rejections: tuple[AnchorRejection, ...] = ()
    quarantined: tuple[QuarantinedBar, ...] = ()


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.6g}"


def _candidate_summary(candidate: Candidate, trading_date: dt.date) -> str:
    return (
        f"{candidate.symbol} is candidate #{candidate.rank} for {trading_date}: tier {candidate.trend_tier}, "
        f"{candidate.anchor_type} anchor {candidate.anchor_date}, entry (AVWAP) {candidate.avwap}, "
        f"close {candidate.close} ({100.0 * candidate.distance:+.2f}%), stop {candidate.stop}, "
        f"score {candidate.score:.2f}"
    )


def _filtered_summary(diagnostic: Diagnostic, trading_date: dt.date) -> str:
    measured = ""
    if diagnostic.value is not None or diagnostic.threshold is not None:
        measured = f" (value {_number(diagnostic.value)} vs threshold {_number(diagnostic.threshold)})"
    return (
        f"{diagnostic.symbol} is not a candidate for {trading_date}: {diagnostic.reason}{measured}: "
        f"{diagnostic.detail}"
    )


def explain_symbol(artifacts_dir: Path, symbol: str, trading_date: dt.date | None = None) -> Explanation:
    """The explanation for ``symbol`` on ``trading_date`` (default: the latest day with artifacts).

    Raises :class:`~avwap.core.errors.DataError` when the day's artifacts are missing or malformed.
    """
    name = symbol.strip().upper()
    day = trading_date or latest_trading_date(artifacts_dir)
    watchlist = read_candidates(artifacts_dir, day)
    diagnostics = read_diagnostics(artifacts_dir, day)

    def explanation(status: str, summary: str, **found: Any) -> Explanation:
        return Explanation(
            symbol=name,
            trading_date=day,
            data_through=diagnostics.data_through,
            status=status,
            summary=summary,
            market_gate=diagnostics.market_gate,
            quarantined=diagnostics.quarantined.get(name, ()),
            **found,
        )

    candidate = next((item for item in watchlist.candidates if item.symbol == name), None)
    if candidate is not None:
        return explanation(CANDIDATE, _candidate_summary(candidate, day), candidate=candidate)
    entry = diagnostics.find(name)
    if entry is None:
        scanned = diagnostics.scanned_symbols
        return explanation(
            NOT_SCANNED, f"{name} was not in the scanned universe for {day} ({scanned} symbols)"
        )
    return explanation(
        FILTERED,
        _filtered_summary(entry.diagnostic, day),
        diagnostic=entry.diagnostic,
        checks=entry.checks,
        anchor_rejections=entry.diagnostic.anchor_rejections,
    )
