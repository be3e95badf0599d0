"""The stop policy (Phase C′): one pure decision per position per cycle, no I/O.

``resolve_stop(position, intraday, daily, now, rules)`` looks only at intraday bars of today's session that
have CLOSED by ``now`` and daily bars of sessions before today, so appending later bars can never change a
decision already made (no lookahead). Candidates (:mod:`avwap.exits.candidates`) are tried in the order of
the session phase; the first that exists is offered to the ratchet (:mod:`avwap.exits.ratchet`).

The daily swing low is :func:`avwap.exits.candidates.daily_stop`, the very function a strategy's initial
stop comes from, under the same :class:`~avwap.exits.rules.StopRules` (Config ``STOP_*``)::

    OPEN_NOISE      daily swing low
    EARLY_TREND     daily swing low, then intraday higher low
    NORMAL          intraday higher low, then daily swing low
    CLOSE_PROTECT   as NORMAL, but only intraday pivots confirmed before CLOSE_PROTECT began count

There is something to submit when the stop rises, or when the position has no resolved stop yet (the first
submission, usually the entry stop). Only then do the submission gates (:mod:`avwap.exits.phases`) apply: a
blocked submission keeps the old stop and reports one skip event. Otherwise nothing is recorded: a cycle that
changes nothing writes nothing, and a halted symbol (no bars today) keeps its stop silently.

Events of a decision: ``STOP_RESOLVED`` on the first submission, ``STOP_RATCHET`` whenever the stop rises, or
the gate's skip kind. ``stop_revision`` grows by one each time the price of an existing stop rises.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import msgspec
import numpy as np

from avwap.core.calendar import TradingCalendar, ny_date, nyse
from avwap.exits.bar_arrays import MINUTE_NS, BarArrays, IntArray, instant_ns, ny_midnight_ns
from avwap.exits.candidates import (
    StopCandidate,
    buffer_amount,
    daily_stop,
    daily_window,
    intraday_higher_low,
    pivot_fields,
)
from avwap.exits.phases import GateInputs, PhaseTimes, SessionPhase, failed_gates, phase_times
from avwap.exits.position_state import ExitPosition
from avwap.exits.ratchet import ratchet, valid_stop
from avwap.exits.reasons import GATE_KINDS, StopReason
from avwap.exits.rules import StopRules
from avwap.ledger.record_enums import ExitEventKind, StopBasis

DEFAULT_RULES = StopRules()


@dataclass(frozen=True)
class StopDecision:
    """The outcome of one policy call; ``stop_price`` is the stop in force after it."""

    position_id: str
    symbol: str
    decided_at: dt.datetime
    phase: SessionPhase
    previous_stop: Decimal | None
    stop_price: Decimal | None
    basis: StopBasis | None
    stop_revision: int
    changed: bool  # the stop rose (or was set for the first time)
    submit: bool  # the cycle should submit / replace the broker stop at ``stop_price`` now
    reason: StopReason
    events: tuple[ExitEventKind, ...] = ()
    candidate: StopCandidate | None = None
    blocked_by: tuple[StopReason, ...] = ()
    last_price: Decimal | None = None


@dataclass(frozen=True)
class _Context:
    times: PhaseTimes
    phase: SessionPhase
    closed: BarArrays  # today's intraday bars closed by now
    ends_ns: IntArray  # their end instants (UTC ns)


def resolve_stop(
    position: ExitPosition,
    intraday: BarArrays,
    daily: BarArrays,
    now: dt.datetime,
    *,
    rules: StopRules = DEFAULT_RULES,
    calendar: TradingCalendar | None = None,
) -> StopDecision:
    """Decide the stop of ``position`` at ``now`` (see the module docstring for the rules)."""
    times = open_session(position, now, rules, calendar)
    if isinstance(times, StopDecision):
        return times
    context = _context(intraday, now, times, rules)
    last_price = valid_stop(float(context.closed.close[-1])) if len(context.closed) else None
    if last_price is None:
        return _hold(position, now, context.phase, StopReason.NO_INTRADAY_BARS)
    history = daily_window(daily.between(-(2**62), ny_midnight_ns(times.date)), rules)
    candidate = _candidate(context, history, rules)
    new, changed = ratchet_step(position, candidate)
    if new is None or (not changed and position.resolved):
        return hold_unraised(position, now, context.phase, candidate, last_price)
    blocked = failed_gates(
        GateInputs(now, position.entry_time, _bars_since(context, position.entry_time), new, last_price),
        context.times,
        rules,
    )
    if blocked:
        hold = _hold(position, now, context.phase, blocked[0], candidate=candidate, last_price=last_price)
        return dataclasses.replace(hold, events=(GATE_KINDS[blocked[0]],), blocked_by=blocked)
    return _submit(
        position, now, context.phase, new, raised_by=candidate if changed else None, last_price=last_price
    )


def open_session(
    position: ExitPosition, now: dt.datetime, rules: StopRules, calendar: TradingCalendar | None
) -> PhaseTimes | StopDecision:
    """The phase times of ``now``'s session while it is open, else the MARKET_CLOSED hold: the first step
    of the intraday and the daily policy alike."""
    if now.tzinfo is None:
        raise ValueError("the decision instant must be timezone-aware")
    book = calendar or nyse()
    day = ny_date(now)
    if not book.is_session(day):
        return _hold(position, now, SessionPhase.CLOSED, StopReason.MARKET_CLOSED)
    times = phase_times(day, rules, book)
    if times.phase(now) is SessionPhase.CLOSED:
        return _hold(position, now, SessionPhase.CLOSED, StopReason.MARKET_CLOSED)
    return times


def ratchet_step(position: ExitPosition, candidate: StopCandidate | None) -> tuple[Decimal | None, bool]:
    """The stop after offering ``candidate`` to the ratchet, and whether it rose (or was set first)."""
    old = valid_stop(position.stop_price)
    new = ratchet(old, candidate.price if candidate else None)
    return new, new is not None and (old is None or new > old)


def hold_unraised(
    position: ExitPosition,
    now: dt.datetime,
    phase: SessionPhase,
    candidate: StopCandidate | None,
    last_price: Decimal | None,
) -> StopDecision:
    """Keep the stop: there was no candidate, or it was not above the stop in force."""
    reason = StopReason.NO_CANDIDATE if candidate is None else StopReason.CANDIDATE_NOT_HIGHER
    return _hold(position, now, phase, reason, candidate=candidate, last_price=last_price)


def _context(intraday: BarArrays, now: dt.datetime, times: PhaseTimes, rules: StopRules) -> _Context:
    close_ns = instant_ns(times.close)
    today = intraday.between(instant_ns(times.open), close_ns)
    ends = np.minimum(today.start_ns + rules.bar_minutes * MINUTE_NS, close_ns)
    count = int(np.searchsorted(ends, instant_ns(now), side="right"))  # ends ascend: closed bars are a prefix
    return _Context(times, times.phase(now), today.window(0, count), ends[:count])


def _candidate(context: _Context, daily: BarArrays, rules: StopRules) -> StopCandidate | None:
    """``daily`` is already the lookback window, so :func:`daily_stop` and the intraday buffer see the
    same bars."""
    phase = context.phase
    if phase is SessionPhase.OPEN_NOISE:
        return daily_stop(daily, rules)
    buffer = buffer_amount(daily, rules)
    if phase is SessionPhase.EARLY_TREND:
        return daily_stop(daily, rules) or intraday_higher_low(context.closed, rules, buffer)
    known = None
    if phase is SessionPhase.CLOSE_PROTECT:  # intraday noise of the last minutes never tightens
        known = int(np.searchsorted(context.ends_ns, instant_ns(context.times.protect_from), side="right"))
    intraday = intraday_higher_low(context.closed, rules, buffer, known)
    return intraday or daily_stop(daily, rules)


def _bars_since(context: _Context, entry_time: dt.datetime) -> int:
    first = int(np.searchsorted(context.closed.start_ns, instant_ns(entry_time), side="left"))
    return len(context.closed) - first


def _hold(
    position: ExitPosition,
    now: dt.datetime,
    phase: SessionPhase,
    reason: StopReason,
    *,
    candidate: StopCandidate | None = None,
    last_price: Decimal | None = None,
) -> StopDecision:
    return StopDecision(
        position_id=position.position_id,
        symbol=position.symbol,
        decided_at=now,
        phase=phase,
        previous_stop=position.stop_price,
        stop_price=position.stop_price,
        basis=position.stop_basis,
        stop_revision=position.stop_revision,
        changed=False,
        submit=False,
        reason=reason,
        candidate=candidate,
        last_price=last_price,
    )


def _submit(
    position: ExitPosition,
    now: dt.datetime,
    phase: SessionPhase,
    stop: Decimal,
    *,
    raised_by: StopCandidate | None,
    last_price: Decimal,
) -> StopDecision:
    first = not position.resolved
    had_stop = position.stop_price is not None
    events = (ExitEventKind.STOP_RESOLVED,) if first else ()
    if raised_by is not None and had_stop:
        events = (*events, ExitEventKind.STOP_RATCHET)
    if raised_by is None:
        reason = StopReason.INITIAL_STOP
    else:
        is_intraday = raised_by.basis is StopBasis.INTRADAY_HL
        reason = StopReason.HIGHER_LOW if is_intraday else StopReason.DAILY_SWING_LOW
    return StopDecision(
        position_id=position.position_id,
        symbol=position.symbol,
        decided_at=now,
        phase=phase,
        previous_stop=position.stop_price,
        stop_price=stop,
        basis=raised_by.basis if raised_by else position.stop_basis,
        stop_revision=position.stop_revision + int(raised_by is not None and had_stop),
        changed=raised_by is not None,
        submit=True,
        reason=reason,
        events=events,
        candidate=raised_by,
        last_price=last_price,
    )


def apply_decision(position: ExitPosition, decision: StopDecision) -> ExitPosition:
    """The position state once ``decision``'s events are recorded (what the ledger fold would give)."""
    if not decision.submit:
        return position
    pivot = pivot_fields(decision.candidate) if decision.candidate else None
    return msgspec.structs.replace(
        position,
        stop_price=decision.stop_price,
        stop_basis=decision.basis,
        stop_revision=decision.stop_revision,
        resolved=True,
        last_pivot_ts=pivot[0] if pivot else position.last_pivot_ts,
        last_pivot_price=pivot[1] if pivot else position.last_pivot_price,
    )
