"""The scan's output records: candidates, diagnostics, the market gate and the whole result.

Prices that someone may trade at (AVWAP entry, bands, stop, targets) are ``Decimal`` on valid ticks (stops
rounded down, everything else to the nearest tick); ratios and scores are floats rounded to 6 decimals, so
ulp-level noise from vector code never reaches an artifact. No field is ever NaN: an undefined measurement is
``None``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec

SCHEMA_VERSION = 1


class Candidate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One ranked long setup: buy a hold above ``avwap`` (the entry level) of the chosen anchor."""

    schema_version: int = SCHEMA_VERSION
    symbol: str
    as_of: dt.date
    rank: int
    anchor_type: str
    anchor_types: tuple[str, ...]  # every anchor type merged on that bar, highest priority first
    anchor_date: dt.date
    anchor_priority: int
    avwap: Decimal  # the entry level
    close: Decimal
    distance: float  # (close − AVWAP) / AVWAP
    slope: float  # 5-bar fractional AVWAP slope
    sigma: float
    band_lower_1: Decimal
    band_upper_1: Decimal
    band_lower_2: Decimal
    band_upper_2: Decimal
    trend_tier: str  # "A" or "B"
    trend_score: float
    atr: float
    atr_pct: float
    stop: Decimal  # min(SMA5, 5-day low) × 0.997, rounded down to a tick
    risk_per_share: Decimal  # avwap − stop
    target_r1: Decimal
    target_r2: Decimal
    score: float
    reclaim: bool
    tags: tuple[str, ...]


class AnchorRejection(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Why one (merged) anchor of a symbol was not eligible."""

    anchor_type: str
    anchor_types: tuple[str, ...]
    anchor_date: dt.date
    reason: str
    value: float | None
    threshold: float | None


class Diagnostic(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Why a symbol is not a candidate today: the first failing reason, its measured value and threshold."""

    schema_version: int = SCHEMA_VERSION
    symbol: str
    as_of: dt.date
    reason: str
    value: float | None
    threshold: float | None
    detail: str
    reasons: tuple[str, ...]  # every failing check, in pipeline order (reasons[0] == reason)
    anchor_rejections: tuple[AnchorRejection, ...] = ()


class MarketGate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The benchmark trend gate: long candidates only while the benchmark closes above its SMA."""

    is_open: bool
    reason: str | None
    benchmark_symbol: str
    benchmark_close: float | None
    benchmark_sma: float | None
    detail: str


class ScanResult(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Everything one scan decided: ranked candidates and one diagnostic per other symbol (by symbol)."""

    schema_version: int = SCHEMA_VERSION
    as_of: dt.date
    market_gate: MarketGate
    candidates: tuple[Candidate, ...]
    diagnostics: tuple[Diagnostic, ...]

    def why_not(self, symbol: str) -> Diagnostic | None:
        """The diagnostic of ``symbol`` (None when it is a candidate or was not scanned)."""
        return next((item for item in self.diagnostics if item.symbol == symbol), None)
