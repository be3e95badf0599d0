"""Symbol-level measures and filters of the daily scan, vectorized over a :class:`BarPanel`.

:func:`measure` computes every number a filter needs at the panel's last bar; :func:`symbol_checks` turns them
into ordered :class:`Check` masks (pipeline order = the order of :data:`REASON_CODES`). A check whose measure
is NaN fails as ``INDICATOR_UNAVAILABLE``: an indicator that cannot be computed never lets a symbol through.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from avwap.signals.indicators import atr_and_adx, rolling_low, sma, trailing_median, trend_score_formula
from avwap.signals.panel import BarPanel
from avwap.signals.scan_records import MarketGate
from avwap.signals.scan_rules import ScanRules
from avwap.signals.weekly import weekly_trend

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
AsOf = dt.date | Sequence[dt.date] | npt.NDArray[np.datetime64]
TIER_NAMES = {1: "A", 2: "B"}


@dataclass(frozen=True)
class Measures:
    """Per-symbol values at the as-of bar (arrays of length symbols; NaN where undefined)."""

    close: FloatArray
    has_bar: BoolArray
    bar_count: FloatArray
    avg_volume: FloatArray
    avg_dollar_volume: FloatArray
    sessions_to_earnings: FloatArray  # inf when no upcoming earnings date is known
    sma_fast: FloatArray
    sma_slow: FloatArray
    sma_slow_slope_pct: FloatArray
    adx: FloatArray
    atr: FloatArray
    atr_pct: FloatArray
    atr_pct_median: FloatArray
    stop_base: FloatArray  # min(SMA5, 5-day low)
    weekly_close: FloatArray  # close of the as-of (partial) ISO week
    weekly_sma_fast: FloatArray
    weekly_sma_slow: FloatArray
    tier: npt.NDArray[np.int64]  # 1 = A, 2 = B, 0 = filtered

    @cached_property  # computed once per scan, read once per candidate
    def atr_pct_ratio(self) -> FloatArray:
        return self.atr_pct / self.atr_pct_median

    @cached_property
    def trend_score(self) -> FloatArray:
        return trend_score_formula(self.sma_slow_slope_pct, self.adx, self.atr_pct_ratio)


def _last_sma(values: FloatArray, bars: int) -> FloatArray:
    return sma(values[:, -bars:], bars)[:, -1]


def sessions_until(as_of: dt.date, day: dt.date, future_sessions: Sequence[dt.date] | None) -> int:
    """Trading sessions from ``as_of`` to ``day`` (0 = same day); weekdays when no session list is given."""
    if future_sessions is None:
        return int(np.busday_count(as_of, day))
    return bisect.bisect_right(sorted(future_sessions), day) - bisect.bisect_right(
        sorted(future_sessions), as_of
    )


def trading_day_after(as_of: dt.date, future_sessions: Sequence[dt.date] | None) -> dt.date:
    """The trading day a scan of data through ``as_of`` is for: the first session after it (next weekday
    when no session list is given)."""
    if future_sessions:
        later = [day for day in future_sessions if day > as_of]
        if later:
            return min(later)
    next_weekday: dt.date = np.busday_offset(as_of, 1, roll="backward").astype(object)
    return next_weekday


def sessions_from(trading_date: dt.date, day: dt.date, future_sessions: Sequence[dt.date] | None) -> int:
    """Sessions in [``trading_date``, ``day``): 0 when ``day`` is the trading day (or a non-session day
    before the next session), 1 the session after, … (weekdays when no session list is given)."""
    if future_sessions is None:
        return max(0, int(np.busday_count(trading_date, day)))
    ordered = sorted(future_sessions)
    return max(0, bisect.bisect_left(ordered, day) - bisect.bisect_left(ordered, trading_date))


def sessions_to_earnings(
    symbols: Sequence[str],
    as_of: dt.date,
    earnings: Mapping[str, Sequence[dt.date]],
    future_sessions: Sequence[dt.date] | None,
    trading_date: dt.date | None = None,
) -> FloatArray:
    """Sessions from the trading day ``D`` to each symbol's next earnings reaction session after ``as_of``
    (inf when none is known). ``as_of`` is the data-through session (D−1); ``D`` defaults to the session
    after it. Reactions at or before ``as_of`` are past (anchors), never in the window."""
    day_d = trading_date or trading_day_after(as_of, future_sessions)
    result = np.full(len(symbols), np.inf)
    for row, symbol in enumerate(symbols):
        upcoming = [day for day in earnings.get(symbol, ()) if day > as_of]
        if upcoming:
            result[row] = sessions_from(day_d, min(upcoming), future_sessions)
    return result


def as_of_days(as_of: AsOf) -> npt.NDArray[np.datetime64]:
    """``as_of`` (one date for every row, or one per row) as ``datetime64[D]``."""
    if isinstance(as_of, dt.date):
        return np.datetime64(as_of, "D")  # type: ignore[return-value]
    return np.asarray(as_of, dtype="datetime64[D]")


def sma_slope_percent(sma_series: FloatArray, bars: int) -> FloatArray:
    """Percent change of an SMA series over ``bars`` bars, at every column (NaN for the first ``bars``)."""
    slope = np.full(sma_series.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope[:, bars:] = 100.0 * (sma_series[:, bars:] / sma_series[:, :-bars] - 1.0)
    return slope


def trend_tiers(
    close: FloatArray, sma_fast: FloatArray, sma_slow: FloatArray, slow_slope: FloatArray
) -> IntArray:
    """Tier per value: 1 = A (close > SMA fast >= SMA slow), 2 = B (close > SMA slow, rising), 0 = neither.

    Elementwise, so it serves one as-of bar (the scan) and whole series (the backtest prefilter) alike.
    """
    with np.errstate(invalid="ignore"):
        tier_a = (close > sma_fast) & (sma_fast >= sma_slow)
        tier_b = (close > sma_slow) & (slow_slope > 0.0)
    tiers: IntArray = np.where(tier_a, 1, np.where(tier_b, 2, 0)).astype(np.int64)
    return tiers


def measure(panel: BarPanel, as_of: AsOf, rules: ScanRules, sessions_to_next: FloatArray) -> Measures:
    """Every symbol-level number the filters and the score need, at the panel's last bar.

    ``as_of`` is the scan's session, or one session per row when the rows are windows ending on different
    days (the backtest's stacked panel); a row has its bar when its last bar is on its as-of session.
    """
    high, low, close, volume = panel.high, panel.low, panel.close, panel.volume
    slow_series = sma(close[:, -(rules.slow_sma_bars + rules.sma_slope_bars) :], rules.slow_sma_bars)
    slow_slope = sma_slope_percent(slow_series, rules.sma_slope_bars)[:, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        atr_series, adx_series = atr_and_adx(high, low, close, rules.atr_bars, rules.adx_bars)
        recent = slice(-rules.atr_pct_median_bars, None)  # all the median reads (elementwise: same values)
        atr_pct_series = 100.0 * atr_series[:, recent] / close[:, recent]
    median = trailing_median(atr_pct_series, rules.atr_pct_median_bars, rules.atr_pct_median_min_bars)
    last_close = close[:, -1]
    sma_fast, sma_slow = _last_sma(close, rules.fast_sma_bars), slow_series[:, -1]
    stop_low = rolling_low(low[:, -rules.stop_low_bars :], rules.stop_low_bars)[:, -1]
    weekly = weekly_trend(panel.dates, close, rules.weekly_fast_sma_bars, rules.weekly_slow_sma_bars)
    return Measures(
        close=last_close,
        has_bar=panel.last_date == as_of_days(as_of),
        bar_count=panel.bar_count.astype(np.float64),
        avg_volume=_last_sma(volume, rules.liquidity_bars),
        avg_dollar_volume=_last_sma(close * volume, rules.liquidity_bars),
        sessions_to_earnings=sessions_to_next,
        sma_fast=sma_fast,
        sma_slow=sma_slow,
        sma_slow_slope_pct=slow_slope,
        adx=adx_series[:, -1],
        atr=atr_series[:, -1],
        atr_pct=atr_pct_series[:, -1],
        atr_pct_median=median,
        stop_base=np.fmin(_last_sma(close, rules.stop_sma_bars), stop_low),
        weekly_close=weekly[0],
        weekly_sma_fast=weekly[1],
        weekly_sma_slow=weekly[2],
        tier=trend_tiers(last_close, sma_fast, sma_slow, slow_slope),
    )


COMPARISONS: dict[str, Callable[[FloatArray, FloatArray], BoolArray]] = {
    ">=": np.greater_equal,
    "<=": np.less_equal,
    ">": np.greater,
}


@dataclass(frozen=True)
class Check:
    """One filter: which symbols fail it, the measured value against its threshold, and why (per symbol)."""

    code: str
    measure: str
    comparison: str  # the condition a passing symbol meets: value <comparison> threshold
    value: FloatArray
    threshold: FloatArray
    failed: BoolArray
    unavailable: BoolArray  # failed because the measure is undefined (reported as INDICATOR_UNAVAILABLE)
    explain: Callable[[int], str] | None = None

    def detail(self, row: int) -> str:
        """One line for a person: what was measured against what."""
        if self.unavailable[row]:
            return f"{self.measure} is undefined"
        if self.explain is not None:
            return self.explain(row)
        return f"{self.measure} {self.value[row]:.6g} fails {self.comparison} {self.threshold[row]:.6g}"


def threshold_check(
    code: str, measure: str, value: FloatArray, comparison: str, threshold: float | FloatArray
) -> Check:
    """A check that passes where ``value <comparison> threshold``; NaN on either side fails as unavailable."""
    limit = np.broadcast_to(np.asarray(threshold, dtype=np.float64), value.shape)
    unavailable = np.isnan(value) | np.isnan(limit)
    with np.errstate(invalid="ignore"):
        passes = COMPARISONS[comparison](value, limit)
    return Check(code, measure, comparison, value, limit, ~passes | unavailable, unavailable)


def _flag_check(
    code: str, failed: BoolArray, explain: Callable[[int], str], value: float | None = None
) -> Check:
    shape = failed.shape
    number = np.full(shape, np.nan if value is None else value)
    return Check(
        code, code.lower(), "", number, np.full(shape, np.nan), failed, np.zeros(shape, bool), explain
    )


def _gate_check(gate: MarketGate | Sequence[MarketGate], count: int) -> Check:
    """The market gate as a check; ``gate`` is one gate for every row or one per row (stacked as-of days)."""
    gates = [gate] * count if isinstance(gate, MarketGate) else list(gate)
    if len(gates) != count:
        raise ValueError(f"{len(gates)} market gates for {count} rows")
    first = gate if isinstance(gate, MarketGate) else (gates[0] if gates else None)
    return Check(
        code=(first.reason if first is not None else None) or "MARKET_GATE_CLOSED",
        measure=f"{first.benchmark_symbol if first is not None else ''} close",
        comparison=">=",
        value=np.array([np.nan if item.benchmark_close is None else item.benchmark_close for item in gates]),
        threshold=np.array([np.nan if item.benchmark_sma is None else item.benchmark_sma for item in gates]),
        failed=np.array([not item.is_open for item in gates], dtype=bool),
        unavailable=np.zeros(count, bool),
        explain=lambda row: gates[row].detail,
    )


def weekly_checks(
    weekly_close: FloatArray, weekly_sma_fast: FloatArray, weekly_sma_slow: FloatArray, rules: ScanRules
) -> list[Check]:
    """WEEKLY_MISALIGNED as two legs, so the diagnostic names the leg that failed with its own numbers."""
    fast, slow = f"weekly SMA{rules.weekly_fast_sma_bars}", f"weekly SMA{rules.weekly_slow_sma_bars}"
    return [
        threshold_check("WEEKLY_MISALIGNED", f"weekly close vs {fast}", weekly_close, ">", weekly_sma_fast),
        threshold_check("WEEKLY_MISALIGNED", f"{fast} vs {slow}", weekly_sma_fast, ">=", weekly_sma_slow),
    ]


def _trend_check(m: Measures, rules: ScanRules) -> Check:
    inputs_known = np.isfinite(m.close + m.sma_fast + m.sma_slow + m.sma_slow_slope_pct)
    fast, slow = f"SMA{rules.fast_sma_bars}", f"SMA{rules.slow_sma_bars}"

    def explain(row: int) -> str:
        return (
            f"close {m.close[row]:.6g}, {fast} {m.sma_fast[row]:.6g}, {slow} {m.sma_slow[row]:.6g}, "
            f"{slow} {rules.sma_slope_bars}-bar slope {m.sma_slow_slope_pct[row]:.4g}%: neither tier A nor B"
        )

    return Check(
        code="TREND_FILTERED",
        measure="trend inputs",
        comparison=">",
        value=m.close,
        threshold=m.sma_slow,
        failed=(m.tier == 0) | ~inputs_known,
        unavailable=~inputs_known,
        explain=explain,
    )


def symbol_checks(
    measures: Measures, gate: MarketGate | Sequence[MarketGate], as_of: AsOf, rules: ScanRules
) -> list[Check]:
    """The symbol-level filters, in pipeline order (``gate`` and ``as_of``: one, or one per row)."""
    m = measures
    score = m.trend_score
    days = np.broadcast_to(as_of_days(as_of), m.close.shape)
    return [
        _gate_check(gate, m.close.shape[0]),
        _flag_check("NO_BAR_AS_OF", ~m.has_bar, lambda row: f"no bar on {days[row]}"),
        threshold_check("INSUFFICIENT_HISTORY", "bars", m.bar_count, ">=", rules.min_bars),
        threshold_check("PRICE_TOO_LOW", "close", m.close, ">=", rules.min_price),
        threshold_check("AVG_VOLUME_TOO_LOW", "avg volume", m.avg_volume, ">=", rules.min_avg_volume),
        threshold_check(
            "DOLLAR_VOLUME_TOO_LOW",
            "avg dollar volume",
            m.avg_dollar_volume,
            ">=",
            rules.min_avg_dollar_volume,
        ),
        threshold_check(
            "EARNINGS_WINDOW",
            "sessions from the trading day to earnings",
            m.sessions_to_earnings,
            ">",
            rules.earnings_skip_sessions,
        ),
        *weekly_checks(m.weekly_close, m.weekly_sma_fast, m.weekly_sma_slow, rules),
        _trend_check(m, rules),
        threshold_check("ATR_TOO_SMALL", "ATR", m.atr, ">=", rules.min_atr),
        threshold_check("ATR_PCT_TOO_HIGH", "ATR%", m.atr_pct, "<=", rules.max_atr_pct),
        threshold_check(
            "ATR_PCT_ABOVE_MEDIAN", "ATR%/median", m.atr_pct_ratio, "<=", rules.max_atr_pct_ratio
        ),
        _flag_check("INDICATOR_UNAVAILABLE", ~np.isfinite(score), lambda row: "trend score is undefined"),
    ]
