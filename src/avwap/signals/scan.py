"""The daily scan: bar frame in, ranked candidates and per-symbol diagnostics out.

Pipeline (DESIGN §7, docs/SCAN.md): market gate → bar on the as-of session → history → price → liquidity →
earnings window → weekly alignment → trend tier → ATR → ATR% → ATR% vs its median → trend score defined →
an eligible anchor → top N. Every symbol of the frame ends up either a :class:`Candidate` or a
:class:`Diagnostic` whose ``reason`` is the first failing check (``reasons`` lists them all). All work is
vectorized over a :class:`BarPanel` built once; ordering is deterministic (tier, then score, then symbol).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from avwap.signals.anchors import NO_ANCHOR, AnchorBars, anchor_indices
from avwap.signals.avwap import Engine, avwap_snapshot
from avwap.signals.panel import BarColumns, BarPanel, build_panel, price_history_start
from avwap.signals.scan_anchors import (
    ELIGIBLE,
    anchor_ages,
    anchor_rejections,
    anchor_scores,
    best_anchors,
    merged_priorities,
)
from avwap.signals.scan_checks import (
    AsOf,
    Check,
    as_of_days,
    measure,
    sessions_to_earnings,
    symbol_checks,
)
from avwap.signals.scan_output import SymbolContext, build_candidate, build_diagnostic
from avwap.signals.scan_records import MarketGate, ScanResult
from avwap.signals.scan_rules import ScanRules

if TYPE_CHECKING:  # frames are one way in; the scan job passes columns and never imports pandas
    import pandas as pd

IntArray = npt.NDArray[np.int64]


def _unknown_gate(symbol: str, detail: str) -> MarketGate:
    return MarketGate(
        is_open=False,
        reason="MARKET_GATE_UNKNOWN",
        benchmark_symbol=symbol,
        benchmark_close=None,
        benchmark_sma=None,
        detail=detail,
    )


def market_gate(benchmark: pd.DataFrame | BarColumns | None, as_of: dt.date, rules: ScanRules) -> MarketGate:
    """Open when the benchmark's as-of close is at or above its SMA; closed (fail-safe) when undecidable."""
    if benchmark is None or benchmark.empty:
        return _unknown_gate(rules.benchmark_symbol, f"no {rules.benchmark_symbol} bars given")
    return gate_of_panel(build_panel(benchmark, as_of, rules.market_gate_sma_bars), as_of, rules)


def gate_of_panel(panel: BarPanel, as_of: dt.date, rules: ScanRules) -> MarketGate:
    """:func:`market_gate` on a benchmark panel already built (at least ``market_gate_sma_bars`` wide)."""
    symbol, bars = rules.benchmark_symbol, rules.market_gate_sma_bars

    def unknown(detail: str) -> MarketGate:
        return _unknown_gate(symbol, detail)

    if symbol not in panel.symbols:
        return unknown(f"benchmark frame has no {symbol} bars")
    row = panel.row(symbol)
    if panel.last_date[row] != np.datetime64(as_of, "D"):
        return unknown(f"{symbol} has no bar on {as_of.isoformat()} (last: {panel.last_date[row]})")
    if panel.bar_count[row] < bars:
        return unknown(f"{symbol} has {panel.bar_count[row]} bars, the gate needs {bars}")
    closes = panel.close[row, -bars:]
    close, average = round(float(closes[-1]), 6), round(float(closes.mean()), 6)
    is_open = close >= average
    relation = ">=" if is_open else "<"
    return MarketGate(
        is_open=is_open,
        reason=None if is_open else "MARKET_GATE_CLOSED",
        benchmark_symbol=symbol,
        benchmark_close=close,
        benchmark_sma=average,
        detail=f"{symbol} close {close:.2f} {relation} SMA{bars} {average:.2f}",
    )


def earnings_anchor_bars(panel: BarPanel, as_of: AsOf, earnings: Mapping[str, Sequence[dt.date]]) -> IntArray:
    """Panel column of each known past earnings day (the first bar on or after it), −1 padded.

    ``as_of``: the scan's session, or one per row (stacked windows ending on different days).
    """
    if not any(symbol in earnings for symbol in set(panel.symbols)):
        return np.full((len(panel.symbols), 1), -1, dtype=np.int64)
    starts = price_history_start(panel)
    rows = len(panel.symbols)
    days_of_rows = [as_of] * rows if isinstance(as_of, dt.date) else list(as_of_days(as_of).astype(object))
    columns: list[list[int]] = []
    for row, symbol in enumerate(panel.symbols):
        day_limit = days_of_rows[row]
        days = sorted(np.datetime64(day, "D") for day in earnings.get(symbol, ()) if day <= day_limit)
        history = panel.dates[row, starts[row] :]
        found = np.searchsorted(history, np.array(days, dtype="datetime64[D]")) if days else np.empty(0, int)
        columns.append([int(index) + int(starts[row]) for index in found if index < history.size])
    width = max((len(row) for row in columns), default=0)
    result = np.full((len(columns), max(width, 1)), -1, dtype=np.int64)
    for row, found_columns in enumerate(columns):
        result[row, : len(found_columns)] = found_columns
    return result


def candidate_order(
    rows: Sequence[int], tiers: Sequence[int], scores: Sequence[float], symbols: Sequence[str]
) -> list[int]:
    """``rows`` ranked: tier A (1) before B (2), then higher score, then symbol (a total, stable order)."""
    keys = {
        row: (tier, -score, symbol)
        for row, tier, score, symbol in zip(rows, tiers, scores, symbols, strict=True)
    }
    return sorted(rows, key=keys.__getitem__)


def _first_failures(checks: list[Check]) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    failed = np.stack([check.failed for check in checks])
    first: IntArray = failed.argmax(axis=0).astype(np.int64)
    return first, np.asarray(failed.any(axis=0), dtype=np.bool_)


@dataclass(frozen=True)
class PanelEvaluation:
    """Every rule of the scan evaluated on the rows of a panel (before ranking into records).

    ``eligible`` rows pass every symbol-level check and have an eligible anchor (column ``best[row]``).
    """

    context: SymbolContext
    checks: list[Check]
    first_check: IntArray
    any_failed: npt.NDArray[np.bool_]
    best: list[int]
    eligible: list[int]

    def ranked(self, rows: Sequence[int]) -> list[int]:
        """The eligible ``rows`` in candidate order (see :func:`candidate_order`)."""
        picked = np.asarray(rows, dtype=np.int64)
        columns = np.asarray(self.best, dtype=np.int64)[picked]
        tiers = self.context.measures.tier[picked].tolist()
        scores = self.context.scores[picked, columns].tolist()
        return candidate_order(rows, tiers, scores, [self.context.panel.symbols[row] for row in rows])


def evaluate_panel(
    panel: BarPanel,
    as_of: AsOf,
    gate: MarketGate | Sequence[MarketGate],
    upcoming: npt.NDArray[np.float64],
    *,
    rules: ScanRules,
    earnings: Mapping[str, Sequence[dt.date]],
    engine: Engine = "numba",
) -> PanelEvaluation:
    """The scan's rules on every row of ``panel`` at its last column: the one implementation shared by the
    daily scan (one as-of, one gate) and the backtest (rows are windows ending on different as-of days,
    with ``as_of`` and ``gate`` given per row). ``upcoming``: sessions to each row's next earnings."""
    measures = measure(panel, as_of, rules, upcoming)
    checks = symbol_checks(measures, gate, as_of, rules)
    first_check, any_failed = _first_failures(checks)
    bars = AnchorBars(panel.dates, panel.open, panel.high, panel.low, panel.close, panel.volume)
    earnings_bars = earnings_anchor_bars(panel, as_of, earnings)
    indices = anchor_indices(bars, panel.width - 1, rules.anchors, earnings_bars)
    arrays = (panel.high, panel.low, panel.close, panel.volume)
    snapshot = avwap_snapshot(*arrays, indices, slope_bars=rules.avwap_slope_bars, engine=engine)
    stops = measures.stop_base * rules.stop_factor
    ages = anchor_ages(indices, panel.width - 1)
    reasons, values, thresholds = anchor_rejections(snapshot, stops, rules, ages)
    priorities = merged_priorities(indices, rules.anchors)
    scores = anchor_scores(priorities, measures.trend_score, snapshot.distance, snapshot.reclaim, rules)
    # a symbol failing a check is no candidate whatever its anchors
    best_columns = np.where(
        any_failed, NO_ANCHOR, best_anchors(scores, priorities, indices, reasons == ELIGIBLE)
    )
    context = SymbolContext(
        panel=panel,
        as_of=as_of if isinstance(as_of, dt.date) else dt.date.min,
        rules=rules,
        measures=measures,
        snapshot=snapshot,
        indices=indices,
        priorities=priorities,
        scores=scores,
        stops=stops,
        anchor_reasons=reasons,
        anchor_values=values,
        anchor_thresholds=thresholds,
    )
    eligible = np.flatnonzero(best_columns >= 0).tolist()
    return PanelEvaluation(context, checks, first_check, any_failed, best_columns.tolist(), eligible)


def scan_panel(
    panel: BarPanel,
    as_of: dt.date,
    gate: MarketGate,
    *,
    rules: ScanRules | None = None,
    earnings: Mapping[str, Sequence[dt.date]] | None = None,
    future_sessions: Sequence[dt.date] | None = None,
    trading_date: dt.date | None = None,
    engine: Engine = "numba",
) -> ScanResult:
    """Run the scan on a prepared panel (see :func:`scan` for the arguments)."""
    return scan_panel_checks(
        panel,
        as_of,
        gate,
        rules=rules,
        earnings=earnings,
        future_sessions=future_sessions,
        trading_date=trading_date,
        engine=engine,
    )[0]


def scan_panel_checks(
    panel: BarPanel,
    as_of: dt.date,
    gate: MarketGate,
    *,
    rules: ScanRules | None = None,
    earnings: Mapping[str, Sequence[dt.date]] | None = None,
    future_sessions: Sequence[dt.date] | None = None,
    trading_date: dt.date | None = None,
    engine: Engine = "numba",
) -> tuple[ScanResult, list[Check]]:
    """:func:`scan_panel`, and the symbol-level checks it decided on (what the diagnostics artifact details:
    :func:`avwap.scanning.check_details.details_of_checks`), so a scan job measures the panel once."""
    chosen = rules or ScanRules()
    earnings_map = earnings or {}
    upcoming = sessions_to_earnings(panel.symbols, as_of, earnings_map, future_sessions, trading_date)
    evaluation = evaluate_panel(
        panel, as_of, gate, upcoming, rules=chosen, earnings=earnings_map, engine=engine
    )
    context, best, checks = evaluation.context, evaluation.best, evaluation.checks
    pool = evaluation.ranked(evaluation.eligible)
    selected = pool[: chosen.top_n]
    candidates = tuple(build_candidate(context, row, best[row], rank) for rank, row in enumerate(selected, 1))
    ranks = {row: rank for rank, row in enumerate(pool, 1)}
    chosen_rows = set(selected)
    first_check, any_failed = evaluation.first_check, evaluation.any_failed
    diagnostics = tuple(
        build_diagnostic(
            context, row, checks, int(first_check[row]) if any_failed[row] else None, ranks.get(row)
        )
        for row in range(len(panel.symbols))
        if row not in chosen_rows
    )
    return ScanResult(as_of=as_of, market_gate=gate, candidates=candidates, diagnostics=diagnostics), checks


def scan(
    frame: pd.DataFrame,
    as_of: dt.date,
    *,
    rules: ScanRules | None = None,
    benchmark: pd.DataFrame | None = None,
    earnings: Mapping[str, Sequence[dt.date]] | None = None,
    future_sessions: Sequence[dt.date] | None = None,
    trading_date: dt.date | None = None,
    engine: Engine = "numba",
) -> ScanResult:
    """Scan the daily bar frame ``frame`` (see :mod:`avwap.data.bars`) as of the session ``as_of``.

    ``benchmark``: the benchmark's daily bars (default: the ``rules.benchmark_symbol`` rows of ``frame``;
    without any, the gate fails closed). ``earnings``: earnings reaction sessions per symbol (those at or
    before ``as_of`` become anchors; one on the trading day D or the next 2 sessions skips the symbol).
    ``future_sessions``: trading sessions after ``as_of``, to count sessions to earnings (weekdays when
    omitted, which ignores holidays). ``trading_date``: the day D the watchlist is for (default: the first
    session after ``as_of``, which is the data-through date D−1).
    """
    chosen = rules or ScanRules()
    panel = build_panel(frame, as_of, chosen.panel_bars)
    if benchmark is None:
        benchmark = frame[frame["symbol"] == chosen.benchmark_symbol]
    gate = market_gate(benchmark, as_of, chosen)
    return scan_panel(
        panel,
        as_of,
        gate,
        rules=chosen,
        earnings=earnings,
        future_sessions=future_sessions,
        trading_date=trading_date,
        engine=engine,
    )


__all__ = [
    "PanelEvaluation",
    "candidate_order",
    "earnings_anchor_bars",
    "evaluate_panel",
    "gate_of_panel",
    "market_gate",
    "scan",
    "scan_panel",
    "scan_panel_checks",
]
