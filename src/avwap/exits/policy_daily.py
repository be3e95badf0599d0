"""The stop policy at daily resolution (the backtest's sessions without intraday bars): pure, no I/O.

With daily bars only, the intraday phases, pivots and submission gates of :func:`avwap.exits.policy.
resolve_stop` cannot be evaluated. At daily resolution the stop in force for session ``D`` is
``ratchet(stop so far, daily swing low of the bars closed before D)``: the daily candidate
(:func:`avwap.exits.candidates.daily_stop`, the initial stop's own function and the intraday policy's
OPEN_NOISE candidate) offered to the same ratchet, decided while the session is open (the backtest's daily
cycle at the entry window's start). This is the rule of the daily exit simulator
(:mod:`avwap.exits.simulator_daily`); the decision has the same shape and events as the intraday policy's,
so the cycle records and reconciles it the same way.
"""

from __future__ import annotations

import datetime as dt

from avwap.core.calendar import TradingCalendar
from avwap.exits.bar_arrays import BarArrays, ny_midnight_ns
from avwap.exits.candidates import daily_stop
from avwap.exits.policy import (
    DEFAULT_RULES,
    StopDecision,
    _hold,
    _submit,
    hold_unraised,
    open_session,
    ratchet_step,
)
from avwap.exits.position_state import ExitPosition
from avwap.exits.ratchet import valid_stop
from avwap.exits.reasons import StopReason
from avwap.exits.rules import StopRules


def resolve_daily_stop(
    position: ExitPosition,
    daily: BarArrays,
    now: dt.datetime,
    *,
    rules: StopRules = DEFAULT_RULES,
    calendar: TradingCalendar | None = None,
) -> StopDecision:
    """Decide the stop of ``position`` at ``now`` from daily bars closed before today (module docstring)."""
    times = open_session(position, now, rules, calendar)
    if isinstance(times, StopDecision):
        return times
    phase = times.phase(now)
    history = daily.between(-(2**62), ny_midnight_ns(times.date))
    if len(history) == 0:
        return _hold(position, now, phase, StopReason.NO_CANDIDATE)
    last_price = valid_stop(float(history.close[-1]))
    candidate = daily_stop(history, rules)
    new, changed = ratchet_step(position, candidate)
    if new is None or last_price is None or (not changed and position.resolved):
        return hold_unraised(position, now, phase, candidate, last_price)
    return _submit(position, now, phase, new, raised_by=candidate if changed else None, last_price=last_price)
