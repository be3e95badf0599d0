"""``StopRules``: every knob of the stop policy (Phase C′), frozen and validated once.

Defaults follow DESIGN.md §7. The buffer below a swing low is a fixed amount (``buffer`` = $0.10) unless
``buffer_atr_fraction`` is set, in which case it is that fraction of the daily ATR (Wilder, ``atr_period``
bars, from daily bars closed before today); when the ATR is unknown (too little history) the fixed buffer is
used, so a buffer always exists. The same buffer applies to intraday and daily candidates.

:func:`stop_rules` builds them from :class:`~avwap.core.config.Config` (the ``STOP_*`` variables): the same
rules drive the initial stop a strategy plans and every later stop of the position.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from avwap.core.config import Config
from avwap.core.errors import ConfigurationError


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
        problem = _first_problem(self)
        if problem is not None:
            raise StopRulesError(*problem)


class StopRulesError(ValueError):
    """A StopRules value out of range; ``field`` names it (:func:`stop_rules` maps it to its variable)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _first_problem(rules: StopRules) -> tuple[str, str] | None:
    for name in ("intraday_left", "daily_left"):
        if getattr(rules, name) < 1:
            return name, f"pivot shapes need left >= 1, got {name}={getattr(rules, name)}"
    for name in ("intraday_right", "daily_right"):
        if getattr(rules, name) < 0:
            return name, f"pivot shapes need right >= 0, got {name}={getattr(rules, name)}"
    if not rules.buffer.is_finite() or rules.buffer < 0:
        return "buffer", f"buffer must be a non-negative amount, got {rules.buffer}"
    fraction = rules.buffer_atr_fraction
    if fraction is not None and not (fraction.is_finite() and fraction >= 0):
        return "buffer_atr_fraction", f"buffer_atr_fraction must be non-negative, got {fraction}"
    distance = rules.min_distance_fraction
    if not distance.is_finite() or not 0 <= distance < 1:
        return "min_distance_fraction", f"min_distance_fraction must be in [0, 1), got {distance}"
    for name in ("atr_period", "daily_lookback", "bar_minutes"):
        if getattr(rules, name) < 1:
            return name, f"atr_period, daily_lookback and bar_minutes must be positive, got {name}"
    if rules.daily_lookback < rules.daily_left + rules.daily_right + 1:
        # a window shorter than one pivot shape can never hold a swing low: no stop at all
        return (
            "daily_lookback",
            f"daily_lookback must hold one pivot (>= left + right + 1), got {rules.daily_lookback}",
        )
    if rules.min_bars_after_entry < 0:
        return "min_bars_after_entry", "min_bars_after_entry must not be negative"
    for name in ("submit_after_open", "min_delay_after_entry", "open_noise", "close_protect"):
        if getattr(rules, name) < dt.timedelta(0):
            return name, f"phase and gate durations must be non-negative, got {name}"
    if rules.early_trend < rules.open_noise:
        return "early_trend", "phase and gate durations must be non-negative, early_trend >= open_noise"
    return None


def _minutes(value: int) -> dt.timedelta:
    return dt.timedelta(minutes=value)


def _same(value: Any) -> Any:
    return value


# StopRules field -> (Config variable, Config attribute, conversion). bar_minutes is not here: it is the
# length of the bars the feed delivers (5 minutes), a fact about the data, not a policy choice.
CONFIG_FIELDS: Final[dict[str, tuple[str, str, Callable[[Any], Any]]]] = {
    "daily_left": ("STOP_DAILY_LEFT_BARS", "stop_daily_left_bars", _same),
    "daily_right": ("STOP_DAILY_RIGHT_BARS", "stop_daily_right_bars", _same),
    "intraday_left": ("STOP_INTRADAY_LEFT_BARS", "stop_intraday_left_bars", _same),
    "intraday_right": ("STOP_INTRADAY_RIGHT_BARS", "stop_intraday_right_bars", _same),
    "buffer": ("STOP_BUFFER", "stop_buffer", _same),
    "buffer_atr_fraction": ("STOP_BUFFER_ATR_FRACTION", "stop_buffer_atr_fraction", _same),
    "atr_period": ("STOP_ATR_PERIOD", "stop_atr_period", _same),
    "daily_lookback": ("STOP_DAILY_LOOKBACK", "stop_daily_lookback", _same),
    "min_distance_fraction": ("STOP_MIN_DISTANCE_FRACTION", "stop_min_distance_fraction", _same),
    "submit_after_open": ("STOP_SUBMIT_AFTER_OPEN_MINUTES", "stop_submit_after_open_minutes", _minutes),
    "min_delay_after_entry": (
        "STOP_MIN_DELAY_AFTER_ENTRY_MINUTES",
        "stop_min_delay_after_entry_minutes",
        _minutes,
    ),
    "min_bars_after_entry": ("STOP_MIN_BARS_AFTER_ENTRY", "stop_min_bars_after_entry", _same),
    "open_noise": ("STOP_OPEN_NOISE_MINUTES", "stop_open_noise_minutes", _minutes),
    "early_trend": ("STOP_EARLY_TREND_MINUTES", "stop_early_trend_minutes", _minutes),
    "close_protect": ("STOP_CLOSE_PROTECT_MINUTES", "stop_close_protect_minutes", _minutes),
}


def stop_rules(config: Config) -> StopRules:
    """The stop rules of ``config``: the one set the initial stop (strategies) and the trailing stop (the
    policy, the exit simulators) use. A value out of range is a :class:`ConfigurationError` naming its
    variable."""
    values = {
        name: convert(getattr(config, attribute)) for name, (_, attribute, convert) in CONFIG_FIELDS.items()
    }
    try:
        return StopRules(**values)
    except StopRulesError as error:
        raise ConfigurationError(CONFIG_FIELDS[error.field][0], str(error)) from None
