"""The scan's HTML report ``<reports>/scan-<D>.html``: summary, candidates table and one chart per candidate.

Self-contained (inline SVG, no external assets) and byte-stable: every number is formatted with fixed
precision and everything is ordered (candidates by rank, reasons by code).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from avwap.core.files import atomic_write_bytes
from avwap.ledger.atomic import Provenance
from avwap.presentation.report import Section, Table, render_report
from avwap.presentation.svg import Chart
from avwap.signals.scan_records import Candidate, Diagnostic, ScanResult
from avwap.signals.scan_rules import REASON_CODES
from avwap.watchlist.advisory import AdvisoryScores

NEXT_IN_LINE_SHOWN: Final = 20
CANDIDATE_COLUMNS: Final = (
    "rank",
    "symbol",
    "tier",
    "anchor",
    "anchor date",
    "AVWAP",
    "close",
    "distance",
    "slope",
    "score",
    "stop",
    "R1",
    "R2",
    "tags",
)


def report_path(reports_dir: Path, trading_date: dt.date) -> Path:
    return Path(reports_dir) / f"scan-{trading_date.isoformat()}.html"


def _percent(value: float) -> str:
    return f"{100.0 * value:+.2f}%"


def _candidate_row(candidate: Candidate) -> list[str]:
    return [
        str(candidate.rank),
        candidate.symbol,
        candidate.trend_tier,
        "+".join(candidate.anchor_types),
        candidate.anchor_date.isoformat(),
        str(candidate.avwap),
        str(candidate.close),
        _percent(candidate.distance),
        _percent(candidate.slope),
        f"{candidate.score:.2f}",
        str(candidate.stop),
        str(candidate.target_r1),
        str(candidate.target_r2),
        " ".join(candidate.tags),
    ]


def _chart_heading(candidate: Candidate) -> str:
    return (
        f"{candidate.rank}. {candidate.symbol}: {'+'.join(candidate.anchor_types)} anchor "
        f"{candidate.anchor_date}, entry (AVWAP) {candidate.avwap}, close {candidate.close} "
        f"({_percent(candidate.distance)}), stop {candidate.stop}"
    )


def _summary(trading_date: dt.date, result: ScanResult, counts: Mapping[str, int]) -> Section:
    overview = Table(
        "",
        ("item", "value"),
        [
            ["trading date", trading_date.isoformat()],
            ["data through", result.as_of.isoformat()],
            ["symbols scanned", str(len(result.candidates) + len(result.diagnostics))],
            ["candidates", str(len(result.candidates))],
            ["filtered out", str(len(result.diagnostics))],
        ],
    )
    reasons = Table(
        "Filtered out, by first reason",
        ("reason", "symbols", "meaning"),
        [[reason, str(count), REASON_CODES.get(reason, "")] for reason, count in counts.items()],
    )
    gate = result.market_gate
    gate_text = f"Market gate {'open' if gate.is_open else 'CLOSED'}: {gate.detail}."
    return Section("Summary", tables=[overview, reasons], paragraphs=[gate_text])


def _next_in_line(diagnostics: Sequence[Diagnostic]) -> Section | None:
    waiting = sorted(
        (item for item in diagnostics if item.reason == "RANK_BELOW_TOP_N"),
        key=lambda item: (item.value or 0.0, item.symbol),
    )[:NEXT_IN_LINE_SHOWN]
    if not waiting:
        return None
    rows = [[item.symbol, f"{item.value or 0.0:.0f}", item.detail] for item in waiting]
    return Section("Next in line", tables=[Table("", ("symbol", "rank", "detail"), rows)])


def advisory_section(advisory: AdvisoryScores | None, note: str) -> Section:
    """The ML advisory scores of the candidates (``ML_ADVISORY=1`` only), or why there are none."""
    heading = "ML advisory (advisory only, never an order)"
    paragraphs = [note] if note else []
    if advisory is None:
        return Section(heading, paragraphs=paragraphs or ["No advisory scores for this date."])
    rows = [
        [str(item.rank), item.symbol, f"{item.p_hit_r1:.4f}"]
        for item in sorted(advisory.scores, key=lambda score: score.rank)
    ]
    paragraphs.append(
        f"P(R1 before stop) by the model {advisory.model_sha256[:12]} (docs/ML.md); on the measured data it "
        "ranks R1 hits modestly better than chance but showed no edge in forward R."
    )
    table = Table("", ("rank", "symbol", "P(R1 before stop)"), rows)
    return Section(heading, tables=[table], paragraphs=paragraphs)


def render_scan_report(  # noqa: PLR0917 - the scan's result and, with ML_ADVISORY=1, its advice
    trading_date: dt.date,
    result: ScanResult,
    counts: Mapping[str, int],
    charts: Sequence[Chart],
    provenance: Provenance,
    advisory: Section | None = None,
) -> str:
    """The report as one HTML document (``charts`` in candidate rank order); ``advisory``: the
    :func:`advisory_section` shown after the candidates table (None, the default: no such section)."""
    meta = (
        f"trading day {trading_date.isoformat()} · data through {result.as_of.isoformat()} · "
        f"code {provenance.code_version} · config {provenance.config_hash[:12]} · "
        f"data {provenance.data_hash[:12]}"
    )
    ranked = sorted(result.candidates, key=lambda candidate: candidate.rank)
    table = Table("", CANDIDATE_COLUMNS, [_candidate_row(candidate) for candidate in ranked])
    note = "No candidates today." if not ranked else "Entry level = AVWAP; stop and R targets per DESIGN §7."
    sections = [
        _summary(trading_date, result, counts),
        Section("Candidates", tables=[table], paragraphs=[note]),
        *([advisory] if advisory is not None else []),
        *(
            Section(_chart_heading(candidate), charts=[chart])
            for candidate, chart in zip(ranked, charts, strict=True)
        ),
    ]
    waiting = _next_in_line(result.diagnostics)
    if waiting is not None:
        sections.append(waiting)
    return render_report(f"AVWAP scan for {trading_date.isoformat()}", meta, sections, provenance)


def write_scan_report(reports_dir: Path, trading_date: dt.date, html: str) -> Path:
    """Write the report atomically; returns its path."""
    path = report_path(reports_dir, trading_date)
    atomic_write_bytes(path, html.encode("utf-8"))
    return path
