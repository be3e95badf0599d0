"""``StopRules``: every knob of the stop policy (Phase C′), frozen and validated once.

Defaults follow DESIGN.md §7. The buffer below a swing low is a fixed amount (``buffer`` = $0.10) unless
``buffer_atr_fraction`` is set, in which case it is that fraction of the daily ATR (Wilder, ``atr_period``
bars, from daily bars closed before today); when the ATR is unknown (too little history) the fixed buffer is
used, so a buffer always exists. The same buffer applies to intraday and daily candidates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class StopRules:
    """Pivot shapes, buffer, gates and session phases of the stop policy (all configurable)."""

    intraday_left: int = 2
    intraday_right: int = 2
    daily_left: int = 2
    daily_right: int = 2
    buffer: Decimal = Decimal("0.10")
    buffer_atr_fraction: Decimal | None = None
    atr_period: int = 14
    daily_lookback: int = 120  # daily bars the policy looks at (pivots + ATR); bounds the cost per call
    bar_minutes: int = 5  # length of the intraday bars the policy receives
    min_distance_fraction: Decimal = Decimal("0.003")  # 0.3 % of the last price
    submit_after_open: dt.timedelta = dt.timedelta(minutes=5)  # no submission before open + 5 min (09:35)
    min_delay_after_entry: dt.timedelta = dt.timedelta(minutes=5)
    min_bars_after_entry: int = 2
    open_noise: dt.timedelta = dt.timedelta(minutes=15)  # OPEN_NOISE = [open, open + 15 min)
    early_trend: dt.timedelta = dt.timedelta(minutes=60)  # EARLY_TREND = [open + 15 min, open + 60 min)
    close_protect: dt.timedelta = dt.timedelta(minutes=30)  # CLOSE_PROTECT = [close − 30 min, close)

    def __post_init__(self) -> None:
        if min(self.intraday_left, self.daily_left) < 1 or min(self.intraday_right, self.daily_right) < 0:
            raise ValueError("pivot shapes need left >= 1 and right >= 0")
        if not self.buffer.is_finite() or self.buffer < 0:
            raise ValueError(f"buffer must be a non-negative amount, got {self.buffer}")
        if self.buffer_atr_fraction is not None and not (
            self.buffer_atr_fraction.is_finite() and self.buffer_atr_fraction >= 0
        ):
            raise ValueError(f"buffer_atr_fraction must be non-negative, got {self.buffer_atr_fraction}")
        if not self.min_distance_fraction.is_finite() or not 0 <= self.min_distance_fraction < 1:
            raise ValueError(f"min_distance_fraction must be in [0, 1), got {self.min_distance_fraction}")
        if self.atr_period < 1 or self.daily_lookback < 1 or self.bar_minutes < 1:
            raise ValueError("atr_period, daily_lookback and bar_minutes must be positive")
        if self.min_bars_after_entry < 0:
            raise ValueError("min_bars_after_entry must not be negative")
        spans = (self.submit_after_open, self.min_delay_after_entry, self.open_noise, self.close_protect)
        if any(span < dt.timedelta(0) for span in spans) or self.early_trend < self.open_noise:
            raise ValueError("phase and gate durations must be non-negative, early_trend >= open_noise")
