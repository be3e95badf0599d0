"""Stop candidates from confirmed swing lows (pure, no lookahead).

* Intraday higher low (basis ``intraday_hl``): the latest confirmed swing low of today's closed intraday bars,
  provided it is higher than the confirmed swing low before it (once a lower low is confirmed the structure is
  broken and there is no intraday candidate), minus the buffer.
* Daily swing low (basis ``daily_swing_low``): the latest confirmed swing low of the daily bars closed before
  today, minus the buffer.

A level is rounded DOWN to a valid tick (never above the structure it protects); a level at or below zero is
no candidate. Pivots come from :mod:`avwap.signals.pivots`, which confirms a pivot only once its right bars
have closed, so the callers only have to pass bars that are closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from avwap.core.canonical import format_utc
from avwap.core.money import round_price, to_decimal
from avwap.exits.bar_arrays import BarArrays, from_ns
from avwap.exits.rules import StopRules
from avwap.ledger.record_enums import StopBasis
from avwap.signals.indicators import atr
from avwap.signals.pivots import latest_higher_low, latest_pivot, swing_lows


@dataclass(frozen=True)
class StopCandidate:
    """A proposed stop level, its basis and the pivot it came from."""

    price: Decimal
    basis: StopBasis
    pivot_ns: int  # start of the pivot bar (UTC ns)
    pivot_price: float


def pivot_fields(candidate: StopCandidate) -> tuple[str, str]:
    """The candidate's pivot as text: (bar start ISO-8601 UTC, price as written in the bars)."""
    return format_utc(from_ns(candidate.pivot_ns)), format(to_decimal(candidate.pivot_price), "f")


def stop_level(pivot_price: float, buffer: Decimal) -> Decimal | None:
    """``pivot_price − buffer`` rounded down to a tick; None when that is not a positive price.

    The subtraction is done in Decimal (``to_decimal`` reads the float's shortest repr), so 10.07 − 0.10 is
    exactly 9.97 and not 9.96 after a float round-off.
    """
    if not np.isfinite(pivot_price):
        return None
    level = to_decimal(float(pivot_price)) - buffer
    if level <= 0:
        return None
    rounded = round_price(level, "down")
    return rounded if rounded > 0 else None


def buffer_amount(daily: BarArrays, rules: StopRules) -> Decimal:
    """The buffer below a swing low: fixed, or a fraction of the daily ATR when configured and known."""
    if rules.buffer_atr_fraction is None or len(daily) < rules.atr_period + 1:
        return rules.buffer
    values = atr(daily.high, daily.low, daily.close, rules.atr_period)
    latest = float(values[-1])
    if not np.isfinite(latest) or latest <= 0:
        return rules.buffer
    return round_price(to_decimal(latest) * rules.buffer_atr_fraction, "nearest")


def intraday_higher_low(
    bars: BarArrays, rules: StopRules, buffer: Decimal, known_bars: int | None = None
) -> StopCandidate | None:
    """The intraday higher-low candidate from closed ``bars`` of today.

    ``known_bars`` limits which confirmations count (pivots confirmed on bars ``< known_bars``); CLOSE_PROTECT
    uses it to ignore pivots confirmed inside the protected window.
    """
    count = len(bars) if known_bars is None else min(known_bars, len(bars))
    if count == 0:
        return None
    pivots = swing_lows(bars.low[:count], rules.intraday_left, rules.intraday_right)
    point = latest_higher_low(pivots, count - 1, require_latest=True)
    if point is None:
        return None
    price = stop_level(point.price, buffer)
    if price is None:
        return None
    return StopCandidate(price, StopBasis.INTRADAY_HL, int(bars.start_ns[point.index]), point.price)


def daily_window(daily: BarArrays, rules: StopRules) -> BarArrays:
    """The last ``rules.daily_lookback`` of ``daily`` (what the stop rules look at: pivots and the ATR)."""
    return daily.window(max(0, len(daily) - rules.daily_lookback), len(daily))


# daily_stop's answers by the exact bytes of what it reads: the stop policy of every cycle and the initial
# stop of every entry plan ask it again for the same (symbol, day) window (two cycles a backtest session,
# two strategies per candidate). A pure function of its key, so a hit returns what a call would compute.
_DAILY_STOPS: dict[tuple[StopRules, str, bytes, bytes, bytes, bytes], StopCandidate | None] = {}
_DAILY_STOPS_LIMIT = 4096


def daily_stop(daily: BarArrays, rules: StopRules) -> StopCandidate | None:
    """THE daily swing-low stop: the latest confirmed swing low in the last ``daily_lookback`` of ``daily``
    (bars closed before the day the stop is for), minus the buffer of :func:`buffer_amount`, rounded down to
    a tick. A strategy's initial stop and the policy's daily candidate are this one function."""
    history = daily_window(daily, rules)
    key = (
        rules,
        history.start_ns.dtype.str + history.low.dtype.str + history.high.dtype.str + history.close.dtype.str,
        history.start_ns.tobytes(),
        history.low.tobytes(),
        history.high.tobytes(),
        history.close.tobytes(),
    )
    if key in _DAILY_STOPS:
        return _DAILY_STOPS[key]
    candidate = daily_swing_low(history, rules, buffer_amount(history, rules))
    if len(_DAILY_STOPS) >= _DAILY_STOPS_LIMIT:
        _DAILY_STOPS.clear()  # bounded: a new day's windows replace the old ones
    _DAILY_STOPS[key] = candidate
    return candidate


def daily_swing_low(daily: BarArrays, rules: StopRules, buffer: Decimal) -> StopCandidate | None:
    """The daily fallback candidate from ``daily`` bars (all closed before today)."""
    if len(daily) == 0:
        return None
    pivots = swing_lows(daily.low, rules.daily_left, rules.daily_right)
    point = latest_pivot(pivots, len(daily) - 1)
    if point is None:
        return None
    price = stop_level(point.price, buffer)
    if price is None:
        return None
    return StopCandidate(price, StopBasis.DAILY_SWING_LOW, int(daily.start_ns[point.index]), point.price)
