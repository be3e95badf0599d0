"""Small hand-made bars and positions for stop-policy tests (times are New York wall clock)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from avwap.core.calendar import NEW_YORK
from avwap.exits.bar_arrays import BarArrays, bar_arrays_from_values, instant_ns, ny_midnight_ns
from avwap.exits.position_state import ExitPosition
from avwap.ledger.record_enums import StopBasis

DAY = dt.date(2026, 4, 1)  # a Wednesday, EDT: the open is 13:30 UTC
EARLY_CLOSE_DAY = dt.date(2025, 11, 28)  # the day after Thanksgiving: close 13:00
# Daily bars of the six sessions before DAY: the swing low (left 2, right 2) is 98.40 on 2026-03-26,
# confirmed by the close of 2026-03-30, so the daily candidate is 98.40 − 0.10 = 98.30.
DAILY_DAYS = tuple(dt.date(2026, 3, day) for day in (24, 25, 26, 27, 30, 31))
DAILY_LOWS = (99.0, 98.8, 98.40, 98.9, 99.2, 99.5)
# 5-minute lows from 09:30: a swing low 99.50 at 09:40 (confirmed when the 09:50 bar closes, 09:55), a higher
# swing low 99.80 at 10:15 (confirmed when the 10:25 bar closes, 10:30) => intraday candidate 99.70.
INTRADAY_LOWS = (
    99.90, 99.70, 99.50, 99.60, 99.75, 100.00, 100.10, 100.05, 99.95, 99.80, 99.90, 100.20, 100.40, 100.50,
)  # fmt: skip


def ny(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    """A New York wall-clock instant as UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), NEW_YORK).astimezone(dt.UTC)


def intraday_bars(
    lows: Sequence[float],
    *,
    day: dt.date = DAY,
    start: tuple[int, int] = (9, 30),
    minutes: int = 5,
    closes: Sequence[float] | None = None,
) -> BarArrays:
    """Bars every ``minutes`` from ``start``: open = low + 0.10, close = low + 0.25 (unless given),
    high = max(low + 0.30, close)."""
    low = np.asarray(lows, dtype=np.float64)
    first = instant_ns(ny(*start, day=day))
    starts = first + np.arange(low.size, dtype=np.int64) * minutes * 60_000_000_000
    close = np.asarray(closes, dtype=np.float64) if closes is not None else low + 0.25
    return bar_arrays_from_values(starts, low + 0.10, np.maximum(low + 0.30, close), low, close)


def daily_bars(lows: Sequence[float] = DAILY_LOWS, days: Sequence[dt.date] = DAILY_DAYS) -> BarArrays:
    low = np.asarray(lows, dtype=np.float64)
    starts = [ny_midnight_ns(day) for day in days]
    return bar_arrays_from_values(starts, low + 0.5, low + 1.0, low, low + 0.6)


def position(
    *,
    entry_time: dt.datetime | None = None,
    stop: str | None = "98.30",
    resolved: bool = True,
    revision: int = 0,
    basis: StopBasis | None = StopBasis.INITIAL,
    symbol: str = "MSFT",
) -> ExitPosition:
    return ExitPosition(
        position_id="pos_" + "0" * 32,
        symbol=symbol,
        strategy_id="S1_AVWAP_CORE",
        entry_time=entry_time or ny(10, 0),
        entry_price=Decimal("100.00"),
        quantity=10,
        initial_stop=Decimal(stop) if stop else None,
        stop_price=Decimal(stop) if stop else None,
        stop_basis=basis if stop else None,
        stop_revision=revision,
        resolved=resolved,
    )
