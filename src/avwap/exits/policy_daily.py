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

from avwap.core.calendar import TradingCalendar, ny_date, nyse
from avwap.exits.bar_arrays import BarArrays, ny_midnight_ns
from avwap.exits.candidates import daily_stop
from avwap.exits.phases import SessionPhase, phase_times
from avwap.exits.policy import DEFAULT_RULES, StopDecision, _hold, _submit
from avwap.exits.position_state import ExitPosition
from avwap.exits.ratchet import ratchet, valid_stop
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
    if now.tzinfo is None:
        raise ValueError("the decision instant must be timezone-aware")
    book = calendar or nyse()
    day = ny_date(now)
    if not book.is_session(day):
        return _hold(position, now, SessionPhase.CLOSED, StopReason.MARKET_CLOSED)
    phase = phase_times(day, rules, book).phase(now)
    if phase is SessionPhase.CLOSED:
        return _hold(position, now, phase, StopReason.MARKET_CLOSED)
    history = daily.between(-(2**62), ny_midnight_ns(day))
    if len(history) == 0:
        return _hold(position, now, phase, StopReason.NO_CANDIDATE)
    last_price = valid_stop(float(history.close[-1]))
    candidate = daily_stop(history, rules)
    old = valid_stop(position.stop_price)
    new = ratchet(old, candidate.price if candidate else None)
    changed = new is not None and (old is None or new > old)
    if new is None or last_price is None or (not changed and position.resolved):
        reason = StopReason.NO_CANDIDATE if candidate is None else StopReason.CANDIDATE_NOT_HIGHER
        return _hold(position, now, phase, reason, candidate=candidate, last_price=last_price)
    return _submit(position, now, phase, new, raised_by=candidate if changed else None, last_price=last_price)
