"""The four regime features, each for every session of a history at once (vectorized, no lookahead).

Every value at session ``t`` reads only bars at or before ``t``, so a history cut at ``t`` gives the same
value (tests/unit/regimes/test_regime_classifier.py labels day by day and compares). A window with a missing
value is missing (NaN), never a silently smaller window.

- ``volatility``  realized volatility of the benchmark: sample standard deviation (ddof 1) of the last
                  ``volatility_window`` daily log returns, annualized by sqrt(252) (0.16 = 16 %)
- ``drawdown``    how far the benchmark close is below its highest close of the last ``drawdown_window``
                  sessions, as a fraction (0.10 = 10 % below the rolling high; 0 at a high)
- ``trend``       SMA(close, ``trend_fast``) / SMA(close, ``trend_slow``) - 1 (MA50/MA200 - 1 by default)
- ``breadth``     share of the universe whose close is above its own SMA(close, ``breadth_window``), among
                  the symbols with a full window that session; NaN when fewer than ``breadth_min_symbols``
- ``discontinuity`` true when a close-to-close move beyond ``max_daily_move`` (an unadjusted split, a bad
                  print) lies inside the longest feature window: the benchmark cannot be measured

Public API::

    RegimeFeatures                      arrays over the benchmark's sessions
    benchmark_features(close, rules) -> (volatility, drawdown, trend, discontinuity)
    breadth(universe_close, window, min_symbols) -> (share, counted)
    regime_features(close, universe_close, rules) -> RegimeFeatures
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from avwap.regimes.rules import RegimeRules
from avwap.signals.indicators import realized_volatility, rolling_high, sma

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class RegimeFeatures:
    """The features over the benchmark's own sessions (one entry per benchmark bar)."""

    volatility: FloatArray
    drawdown: FloatArray
    trend: FloatArray
    breadth: FloatArray
    breadth_symbols: IntArray
    discontinuity: BoolArray


def _trailing_any(flags: BoolArray, window: int) -> BoolArray:
    """True where any of the last ``window`` flags (the current one included) is true."""
    counts = np.concatenate(([0], np.cumsum(flags, dtype=np.int64)))
    starts = np.maximum(np.arange(flags.size) + 1 - window, 0)
    return np.asarray(counts[1:] - counts[starts] > 0)


def benchmark_features(
    close: FloatArray, rules: RegimeRules
) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray]:
    """Volatility, drawdown, trend and the discontinuity flag of one benchmark close series."""
    close = np.asarray(close, dtype=np.float64)
    volatility = realized_volatility(close, rules.volatility_window)
    with np.errstate(divide="ignore", invalid="ignore"):
        drawdown = 1.0 - close / rolling_high(close, rules.drawdown_window)
        trend = sma(close, rules.trend_fast) / sma(close, rules.trend_slow) - 1.0
        moves = np.abs(close[1:] / close[:-1] - 1.0)
    jumps = np.concatenate(([False], ~(moves <= rules.max_daily_move)))[: close.size]  # NaN moves too
    jumps |= ~(close > 0)
    return volatility, drawdown, trend, _trailing_any(jumps, rules.history_needed)


def _rolling_mean_strict(values: FloatArray, window: int) -> FloatArray:
    """Row-wise mean of the last ``window`` values; NaN when the window is short or holds a NaN.

    Prefix sums (not sliding windows) keep a 500-symbol x 25-year panel fast; a prefix sum at ``t`` reads
    only values up to ``t``, so a history cut at ``t`` gives the same value."""
    missing = np.isnan(values)
    sums = np.cumsum(np.where(missing, 0.0, values), axis=1)
    gaps = np.cumsum(missing, axis=1, dtype=np.int64)
    output = np.full(values.shape, np.nan)
    if values.shape[1] < window:
        return output
    pad_sums = np.concatenate((np.zeros((values.shape[0], 1)), sums), axis=1)
    pad_gaps = np.concatenate((np.zeros((values.shape[0], 1), dtype=np.int64), gaps), axis=1)
    window_sums = pad_sums[:, window:] - pad_sums[:, :-window]
    window_gaps = pad_gaps[:, window:] - pad_gaps[:, :-window]
    output[:, window - 1 :] = np.where(window_gaps == 0, window_sums / window, np.nan)
    return output


def breadth(universe_close: FloatArray, window: int, min_symbols: int) -> tuple[FloatArray, IntArray]:
    """Share of symbols (rows) closing above their ``window``-session SMA, per session (column), and how
    many symbols had a full window; the share is NaN where fewer than ``min_symbols`` did."""
    closes = np.asarray(universe_close, dtype=np.float64)
    if closes.ndim != 2:
        raise ValueError(f"the universe closes are symbols x sessions, got {closes.ndim} dimensions")
    share = np.full(closes.shape[1], np.nan)
    counted = np.zeros(closes.shape[1], dtype=np.int64)
    present = np.flatnonzero(~np.isnan(closes).all(axis=0)) if closes.size else np.empty(0, dtype=np.int64)
    if not present.size:
        return share, counted
    # Columns before the universe's first bar hold nothing: every window touching them is missing, and
    # their prefix sums are 0, so starting there gives the same values (25 years of SPY, 5 of breadth).
    first = int(present[0])
    closes = closes[:, first:]
    average = _rolling_mean_strict(closes, window)
    valid = ~np.isnan(average) & ~np.isnan(closes)
    counted[first:] = valid.sum(axis=0)
    above = (valid & (closes > np.where(valid, average, np.inf))).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share[first:] = np.where(
            counted[first:] >= min_symbols, above / np.maximum(counted[first:], 1), np.nan
        )
    return share, counted


def regime_features(
    close: FloatArray, universe_close: FloatArray | None, rules: RegimeRules
) -> RegimeFeatures:
    """Every feature over the benchmark's sessions; ``universe_close`` (symbols x the same sessions, NaN
    where a symbol has no bar) may be None or empty: breadth is then NaN everywhere."""
    volatility, drawdown, trend, discontinuity = benchmark_features(close, rules)
    sessions = np.asarray(close).size
    if universe_close is None or np.asarray(universe_close).size == 0:
        share, counted = np.full(sessions, np.nan), np.zeros(sessions, dtype=np.int64)
    else:
        share, counted = breadth(universe_close, rules.breadth_window, rules.breadth_min_symbols)
    return RegimeFeatures(volatility, drawdown, trend, share, counted, discontinuity)
