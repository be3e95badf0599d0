"""The daily scan for every as-of date of a backtest, from one bar panel, without lookahead.

The production scan (:func:`avwap.signals.scan.scan`) reads each symbol's latest ``rules.panel_bars`` bars up
to the as-of session. Here the whole history is turned into one panel once, and the scan of session ``d`` is
evaluated on *windows* of it: for each symbol the ``panel_bars`` bars ending at its last bar on or before
``d``, exactly the panel the production scan would build from data truncated at ``d``. Nothing after ``d``
is in a window, so anchors, pivots, indicators (including Wilder's ATR/ADX, whose seed depends on where the
window starts), earnings known by ``d`` and the market gate are those of ``d``.

Speed comes from two things, not from a second implementation of any rule:

* a prefilter over the whole history at once: the market gate per session (``gate_of_panel`` on a window of
  the benchmark) and the symbol checks that are time-invariant series (bar on ``d``, history, price,
  liquidity, trend tier), evaluated with the scan's own functions on full series (``sma``,
  ``sma_slope_percent``, ``trend_tiers``, ``threshold_check``), then the weekly alignment of the rows left
  (``weekly_checks`` on ``weekly_closes_at`` the history's ends). A row failing any of these fails the scan
  too, so it cannot be a candidate; it is dropped before the expensive part;
* the surviving (symbol, session) windows of many sessions are stacked into one panel and evaluated in one
  call of :func:`avwap.signals.scan.evaluate_panel`, the function the daily scan itself runs. Each session's
  eligible rows are then ranked and turned into records by the daily scan's own ``candidate_order`` and
  ``build_candidate``.

The result for a session therefore equals ``scan(frame truncated at d, d).candidates`` (tested on real data).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from avwap.core.errors import DataError
from avwap.signals.avwap import Engine
from avwap.signals.indicators import sma
from avwap.signals.panel import BarPanel, build_panel
from avwap.signals.scan import evaluate_panel, gate_of_panel, market_gate
from avwap.signals.scan_checks import (
    sessions_to_earnings,
    sma_slope_percent,
    threshold_check,
    trend_tiers,
    weekly_checks,
)
from avwap.signals.scan_output import build_candidate
from avwap.signals.scan_records import Candidate, MarketGate
from avwap.signals.scan_rules import ScanRules
from avwap.signals.weekly import weekly_closes_at, weekly_trend_of

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ROWS_PER_BATCH = 4096  # stacked windows evaluated at once: ~10 MB per array at 300 bars
WEEKLY_ROWS_PER_BLOCK = 65_536  # prefilter rows whose weekly closes are gathered at once (~20 MB at 40 weeks)


class PanelScan(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Candidates and market gate of every as-of session; ``windows_evaluated`` counts prefilter survivors."""

    as_of_dates: tuple[dt.date, ...]
    candidates: dict[dt.date, tuple[Candidate, ...]]
    gates: dict[dt.date, MarketGate]
    windows_evaluated: int


@dataclasses.dataclass(frozen=True)
class History:
    """One panel of a frame's whole history, left-padded so that every window of ``width`` bars exists."""

    panel: BarPanel
    days: IntArray  # dates as day numbers, padding = the smallest int64 (so each row is sorted)
    first: IntArray  # first real column of each row

    @classmethod
    def of(cls, frame: pd.DataFrame, last: dt.date, width: int) -> History:
        sessions = frame["timestamp"].dt.tz_convert("America/New_York").dt.normalize().nunique()
        panel = build_panel(frame, last, int(sessions) + width)
        days = panel.dates.astype("datetime64[D]").astype(np.int64)  # NaT is the smallest int64
        return cls(panel, days, (panel.width - panel.bar_count).astype(np.int64))

    def ends(self, as_of_dates: Sequence[dt.date]) -> IntArray:
        """Column of each row's last bar on or before each date (symbols × dates)."""
        targets = np.array(as_of_dates, dtype="datetime64[D]").astype(np.int64)
        return np.stack([np.searchsorted(row, targets, side="right") - 1 for row in self.days]).astype(
            np.int64
        )

    def windows(self, rows: IntArray, ends: IntArray, width: int) -> BarPanel:
        """The panel ``build_panel`` would give for each (row, end): its ``width`` bars ending at ``end``."""
        ends = np.maximum(ends, width - 1)  # rows without any bar yet: a window of padding
        starts = ends - (width - 1)

        def cut(array: npt.NDArray[Any]) -> npt.NDArray[Any]:  # row copies, not element-wise gathers
            return sliding_window_view(array, width, axis=1)[rows, starts]

        picked = {name: cut(getattr(self.panel, name)) for name in ("open", "high", "low", "close", "volume")}
        dates = cut(self.panel.dates)
        counts = np.maximum(ends - self.first[rows] + 1, 0).astype(np.int64)
        return BarPanel(
            symbols=tuple(self.panel.symbols[row] for row in rows.tolist()),
            dates=dates,
            bar_count=counts,
            last_date=dates[:, -1].copy(),
            **picked,
        )


def _at(series: FloatArray, ends: IntArray) -> FloatArray:
    """``series[row, ends[row, k]]`` (symbols × dates)."""
    return np.take_along_axis(series, np.clip(ends, 0, series.shape[1] - 1), axis=1)


def prefilter(
    history: History, ends: IntArray, as_of_dates: Sequence[dt.date], rules: ScanRules
) -> BoolArray:
    """Rows (symbols × dates) that pass the scan's series checks: bar on the date, history, price, liquidity
    and a trend tier. Every row the scan could make a candidate passes (these are its own checks)."""
    panel = history.panel
    close, volume = panel.close, panel.volume
    slow = sma(close, rules.slow_sma_bars)
    tiers = trend_tiers(
        close, sma(close, rules.fast_sma_bars), slow, sma_slope_percent(slow, rules.sma_slope_bars)
    )
    targets = np.array(as_of_dates, dtype="datetime64[D]").astype(np.int64)
    has_bar = np.take_along_axis(history.days, np.clip(ends, 0, None), axis=1) == targets[None, :]
    counts = (ends - history.first[:, None] + 1).astype(np.float64)
    checks = [
        threshold_check("INSUFFICIENT_HISTORY", "bars", counts, ">=", rules.min_bars),
        threshold_check("PRICE_TOO_LOW", "close", _at(close, ends), ">=", rules.min_price),
        threshold_check(
            "AVG_VOLUME_TOO_LOW",
            "avg volume",
            _at(sma(volume, rules.liquidity_bars), ends),
            ">=",
            rules.min_avg_volume,
        ),
        threshold_check(
            "DOLLAR_VOLUME_TOO_LOW",
            "avg dollar volume",
            _at(sma(close * volume, rules.liquidity_bars), ends),
            ">=",
            rules.min_avg_dollar_volume,
        ),
    ]
    passing = has_bar & (np.take_along_axis(tiers, np.clip(ends, 0, None), axis=1) > 0)
    for check in checks:
        passing &= ~check.failed
    return _weekly_prefilter(history, ends, np.asarray(passing, dtype=np.bool_), rules)


def _weekly_prefilter(history: History, ends: IntArray, passing: BoolArray, rules: ScanRules) -> BoolArray:
    """``passing`` without the rows failing the weekly alignment, decided by the scan's ``weekly_checks`` on
    the weekly closes of the whole history up to each row's end (``weekly_closes_at``, the function the
    window's own weekly trend is). A window holding all the weeks the SMAs read has exactly these closes;
    one holding fewer has a NaN SMA and fails in the scan anyway, so no row the scan passes is dropped."""
    fast, slow = rules.weekly_fast_sma_bars, rules.weekly_slow_sma_bars
    symbols, columns = np.nonzero(passing)
    for start in range(0, symbols.size, WEEKLY_ROWS_PER_BLOCK):
        rows, dates = (
            symbols[start : start + WEEKLY_ROWS_PER_BLOCK],
            columns[start : start + WEEKLY_ROWS_PER_BLOCK],
        )
        closes = weekly_closes_at(
            history.panel.dates, history.panel.close, rows, ends[rows, dates], max(fast, slow)
        )
        for check in weekly_checks(*weekly_trend_of(closes, fast, slow), rules):
            passing[rows[check.failed], dates[check.failed]] = False
    return passing


def _gates(
    benchmark: pd.DataFrame | None, as_of_dates: Sequence[dt.date], rules: ScanRules
) -> list[MarketGate]:
    """The market gate of each date, from one benchmark panel (``gate_of_panel`` on each date's window)."""
    if benchmark is None or benchmark.empty:
        return [market_gate(benchmark, day, rules) for day in as_of_dates]
    history = History.of(benchmark, max(as_of_dates), rules.market_gate_sma_bars)
    ends = history.ends(as_of_dates)
    symbols = history.panel.symbols  # may list every category of a categorical column: keep the benchmark's
    wanted = (
        [symbols.index(rules.benchmark_symbol)] if rules.benchmark_symbol in symbols else range(len(symbols))
    )
    rows = np.array(wanted, dtype=np.int64)
    return [
        gate_of_panel(history.windows(rows, ends[:, index], rules.market_gate_sma_bars), day, rules)
        for index, day in enumerate(as_of_dates)
    ]


def _batches(survivors: BoolArray) -> Iterator[tuple[IntArray, IntArray]]:
    """(symbol rows, date columns) of the surviving windows, whole dates at a time, ~``ROWS_PER_BATCH``."""
    per_date = survivors.sum(axis=0)
    start, total = 0, 0
    for column, count in enumerate(per_date.tolist()):
        total += count
        if total >= ROWS_PER_BATCH or column == survivors.shape[1] - 1:
            rows, columns = np.nonzero(survivors[:, start : column + 1].T)[::-1]
            yield rows.astype(np.int64), (columns + start).astype(np.int64)
            start, total = column + 1, 0


def _upcoming(
    symbols: Sequence[str],
    days: list[dt.date],
    earnings: Mapping[str, Sequence[dt.date]],
    sessions: Sequence[dt.date] | None,
) -> FloatArray:
    """Sessions to each row's next earnings, counted as the daily scan counts them for its own as-of."""
    result = np.full(len(symbols), np.inf)
    if not earnings:
        return result
    ordered = sorted(sessions) if sessions is not None else None
    for day in sorted(set(days)):
        rows = [row for row, other in enumerate(days) if other == day]
        future = [session for session in ordered if session > day] if ordered is not None else None
        trading_date = future[0] if future else None
        result[rows] = sessions_to_earnings(
            [symbols[row] for row in rows], day, earnings, future, trading_date
        )
    return result


def scan_all_dates(
    frame: pd.DataFrame,
    as_of_dates: Sequence[dt.date],
    *,
    rules: ScanRules | None = None,
    benchmark: pd.DataFrame | None = None,
    earnings: Mapping[str, Sequence[dt.date]] | None = None,
    sessions: Sequence[dt.date] | None = None,
    engine: Engine = "numba",
) -> PanelScan:
    """The scan's candidates as of every date in ``as_of_dates`` (each sees only bars closed by then).

    Arguments as :func:`avwap.signals.scan.scan`; ``sessions``: the trading sessions (at least those after
    each as-of date), from which each date's trading day and session counts to earnings come (weekdays when
    omitted, like the scan's ``future_sessions``). Bars after the last date are neither read nor validated.
    """
    chosen = rules or ScanRules()
    dates = tuple(sorted(set(as_of_dates)))
    if not dates:
        raise DataError("no as-of dates to scan")
    if benchmark is None:
        benchmark = frame[frame["symbol"] == chosen.benchmark_symbol]
    gates = _gates(benchmark, dates, chosen)
    history = History.of(frame, dates[-1], chosen.panel_bars)
    ends = history.ends(dates)
    survivors = prefilter(history, ends, dates, chosen)
    survivors &= np.array([gate.is_open for gate in gates])[None, :]
    found: dict[dt.date, tuple[Candidate, ...]] = dict.fromkeys(dates, ())
    date_days = np.array(dates, dtype="datetime64[D]")  # converted once, not per stacked row
    for rows, columns in _batches(survivors):
        if rows.size == 0:
            continue
        panel = history.windows(rows, ends[rows, columns], chosen.panel_bars)
        days = [dates[column] for column in columns.tolist()]
        upcoming = _upcoming(panel.symbols, days, earnings or {}, sessions)
        evaluation = evaluate_panel(
            panel,
            date_days[columns],
            [gates[column] for column in columns.tolist()],
            upcoming,
            rules=chosen,
            earnings=earnings or {},
            engine=engine,
        )
        by_date: dict[int, list[int]] = {int(column): [] for column in columns.tolist()}
        for row in evaluation.eligible:
            by_date[int(columns[row])].append(row)
        for column, rows_of_date in by_date.items():
            day = dates[column]
            pool = evaluation.ranked(rows_of_date)
            context = dataclasses.replace(evaluation.context, as_of=day)
            found[day] = tuple(
                build_candidate(context, row, evaluation.best[row], rank)
                for rank, row in enumerate(pool[: chosen.top_n], 1)
            )
    return PanelScan(
        as_of_dates=dates,
        candidates=found,
        gates=dict(zip(dates, gates, strict=True)),
        windows_evaluated=int(survivors.sum()),
    )


__all__ = ["History", "PanelScan", "prefilter", "scan_all_dates"]
