"""The scan's thresholds (one frozen record, documented defaults) and its reason codes.

:data:`REASON_CODES` is the single list of codes a scan can emit, each with a one-line description;
symbol-level codes appear in the order the pipeline checks them, so "the first failing reason" is well
defined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from avwap.core.errors import ConfigurationError
from avwap.signals.anchors import AnchorRules

WEEKDAYS: Final = 5
MIN_PANEL_BARS: Final = 260  # the YTD anchor needs the whole year in view (≤ 253 sessions)

REASON_CODES: Final[dict[str, str]] = {
    # symbol level, in pipeline order
    "MARKET_GATE_CLOSED": "benchmark close is below its 200-day SMA: no long candidates today",
    "MARKET_GATE_UNKNOWN": "benchmark bars missing, stale or too short to decide the gate: fail closed",
    "NO_BAR_AS_OF": "the symbol has no bar on the as-of session (stale, halted or not yet listed)",
    "INSUFFICIENT_HISTORY": "fewer bars than the minimum history (80)",
    "PRICE_TOO_LOW": "last close below the minimum price ($3)",
    "AVG_VOLUME_TOO_LOW": "20-day average volume below the minimum (750,000 shares)",
    "DOLLAR_VOLUME_TOO_LOW": "20-day average dollar volume below the minimum ($10M)",
    "EARNINGS_WINDOW": (
        "an earnings reaction session on the trading day D, D+1 or D+2 (0-2 sessions from D; the scan's data"
        " ends at D-1, and reactions at or before D-1 are past: they may be anchors)"
    ),
    "WEEKLY_MISALIGNED": (
        "weekly trend not aligned: weekly close <= weekly SMA10, or weekly SMA10 < weekly SMA20 (ISO weeks,"
        " last close of each week; the as-of week counts with its partial close)"
    ),
    "TREND_FILTERED": "neither tier A (close > SMA20 >= SMA50) nor tier B (close > SMA50, SMA50 rising)",
    "ATR_TOO_SMALL": "ATR(14) below the minimum ($0.50)",
    "ATR_PCT_TOO_HIGH": "ATR% above the maximum (6%)",
    "ATR_PCT_ABOVE_MEDIAN": "ATR% above 1.25x its 120-day median (volatility expanding)",
    "INDICATOR_UNAVAILABLE": "a required indicator is undefined (not enough clean bars); fail closed",
    "NO_ELIGIBLE_ANCHOR": "no anchor passes the eligibility rules (see anchor_rejections)",
    "RANK_BELOW_TOP_N": "eligible, but ranked below the top N (20) candidates",
    # anchor level (reported inside NO_ELIGIBLE_ANCHOR diagnostics)
    "ANCHOR_TOO_YOUNG": "the anchor is fewer bars before the as-of bar than the minimum age (1): sigma = 0",
    "AVWAP_UNAVAILABLE": "the anchor's AVWAP or slope is undefined (no volume since the anchor)",
    "CLOSE_BELOW_AVWAP": "close is not above the AVWAP and did not reclaim it",
    "AVWAP_SLOPE_TOO_NEGATIVE": "5-bar AVWAP slope below -3% (reclaims exempt)",
    "DISTANCE_TOO_FAR": "close more than 6% above the AVWAP (extended)",
    "STOP_NOT_BELOW_ENTRY": "the candidate stop min(SMA5, 5-day low) x 0.997 is not below the AVWAP entry",
}

SETUP_TAGS: Final[dict[str, str]] = {
    "ABOVE_UPPER_1": "close above the anchor's AVWAP + 1σ band (never set when σ = 0)",
    "MERGED_ANCHOR": "several anchor types fall on the chosen anchor bar",
    "NEAR_AVWAP": "close 0.1%-1.5% above the AVWAP (the +50 score bonus)",
    "RECLAIM": "previous close at or below the AVWAP, this close above it (the +40 score bonus)",
}


@dataclass(frozen=True)
class ScanRules:
    """Every threshold of the daily scan (DESIGN §7 defaults); ``*_pct`` are percent, the rest fractions."""

    benchmark_symbol: str = "SPY"
    market_gate_sma_bars: int = 200
    min_bars: int = 80
    min_price: float = 3.0
    liquidity_bars: int = 20
    min_avg_volume: float = 750_000.0
    min_avg_dollar_volume: float = 10_000_000.0
    earnings_skip_sessions: int = 2  # skip when the reaction session is D .. D + this (D = trading day)
    weekly_fast_sma_bars: int = 10  # weekly close > weekly SMA(fast) >= weekly SMA(slow)
    weekly_slow_sma_bars: int = 20
    fast_sma_bars: int = 20
    slow_sma_bars: int = 50
    sma_slope_bars: int = 10
    atr_bars: int = 14
    adx_bars: int = 14
    min_atr: float = 0.50
    max_atr_pct: float = 6.0
    max_atr_pct_ratio: float = 1.25
    atr_pct_median_bars: int = 120
    atr_pct_median_min_bars: int = 20  # short histories (80-133 bars) still get a median of what exists
    min_anchor_age_bars: int = 1  # an anchor on the as-of bar itself (age 0) has sigma 0, slope 0
    avwap_slope_bars: int = 5
    min_avwap_slope: float = -0.03
    max_distance: float = 0.06
    near_distance_low: float = 0.001
    near_distance_high: float = 0.015
    near_bonus: float = 50.0
    reclaim_bonus: float = 40.0
    trend_weight: float = 1.5
    stop_sma_bars: int = 5
    stop_low_bars: int = 5
    stop_factor: float = 0.997
    require_stop_below_entry: bool = True
    top_n: int = 20
    panel_bars: int = 300
    anchors: AnchorRules = field(default_factory=AnchorRules)

    def __post_init__(self) -> None:
        if self.panel_bars < MIN_PANEL_BARS:
            raise ConfigurationError("ScanRules.panel_bars", f"must be at least {MIN_PANEL_BARS}")
        if self.panel_bars < self.market_gate_sma_bars:
            raise ConfigurationError("ScanRules.panel_bars", "must cover the market gate's SMA window")
        if not 1 <= self.weekly_fast_sma_bars <= self.weekly_slow_sma_bars:
            raise ConfigurationError(
                "ScanRules.weekly_fast_sma_bars", "must be within 1..weekly_slow_sma_bars"
            )
        if self.weekly_slow_sma_bars * WEEKDAYS > self.panel_bars:
            raise ConfigurationError("ScanRules.weekly_slow_sma_bars", "the panel must hold that many weeks")
        if self.min_anchor_age_bars < 0:
            raise ConfigurationError("ScanRules.min_anchor_age_bars", "must be at least 0")
        if self.top_n < 1:
            raise ConfigurationError("ScanRules.top_n", "must be at least 1")
        if not 1 <= self.atr_pct_median_min_bars <= self.atr_pct_median_bars:
            raise ConfigurationError(
                "ScanRules.atr_pct_median_min_bars", "must be within 1..atr_pct_median_bars"
            )
