"""Session phases and the stop-submission gates (pure; times come from the NYSE calendar).

Phases of one session, derived from its open and close (so a 13:00 early close moves CLOSE_PROTECT to 12:30)::

    OPEN_NOISE     [open,            open + 15 min)   no intraday stops (daily basis only)
    EARLY_TREND    [open + 15 min,   open + 60 min)   daily basis preferred, intraday higher low as fallback
    NORMAL         [open + 60 min,   close − 30 min)  intraday higher low first, daily swing low as fallback
    CLOSE_PROTECT  [close − 30 min,  close)           as NORMAL, ignoring intraday pivots confirmed in it
    CLOSED         outside the regular session

Submission gates, checked in this order (the first failure is the reason, :mod:`avwap.exits.reasons`):
market closed; before open + 5 min (09:35); less than the minimum delay since the entry fill; fewer than the
minimum closed bars since the entry fill; the stop closer to the last price than the minimum distance (or
above it). An entry from an earlier session has met both entry gates.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal

from avwap.core.calendar import TradingCalendar, ny_date, nyse
from avwap.exits.reasons import GATE_ORDER, StopReason
from avwap.exits.rules import StopRules


class SessionPhase(enum.StrEnum):
    CLOSED = "CLOSED"
    OPEN_NOISE = "OPEN_NOISE"
    EARLY_TREND = "EARLY_TREND"
    NORMAL = "NORMAL"
    CLOSE_PROTECT = "CLOSE_PROTECT"


@dataclass(frozen=True)
class PhaseTimes:
    """The phase boundaries of one session (UTC instants)."""

    date: dt.date
    open: dt.datetime
    submit_from: dt.datetime
    noise_end: dt.datetime
    early_end: dt.datetime
    protect_from: dt.datetime
    close: dt.datetime

    def phase(self, instant: dt.datetime) -> SessionPhase:
        """The phase at ``instant`` (open inclusive, close exclusive)."""
        if not self.open <= instant < self.close:
            return SessionPhase.CLOSED
        if instant >= self.protect_from:
            return SessionPhase.CLOSE_PROTECT
        if instant < self.noise_end:
            return SessionPhase.OPEN_NOISE
        return SessionPhase.EARLY_TREND if instant < self.early_end else SessionPhase.NORMAL


def phase_times(day: dt.date, rules: StopRules, calendar: TradingCalendar | None = None) -> PhaseTimes:
    """Phase boundaries of the session on ``day`` (CalendarError when the market is closed that day)."""
    session = (calendar or nyse()).session(day)
    protect_from = max(session.open, session.close - rules.close_protect)
    return PhaseTimes(
        date=day,
        open=session.open,
        submit_from=session.open + rules.submit_after_open,
        noise_end=min(session.open + rules.open_noise, protect_from),
        early_end=min(session.open + rules.early_trend, protect_from),
        protect_from=protect_from,
        close=session.close,
    )


def session_phase(
    instant: dt.datetime, rules: StopRules, calendar: TradingCalendar | None = None
) -> SessionPhase:
    """The phase at ``instant`` (CLOSED on weekends and holidays)."""
    book = calendar or nyse()
    day = ny_date(instant)
    if not book.is_session(day):
        return SessionPhase.CLOSED
    return phase_times(day, rules, book).phase(instant)


@dataclass(frozen=True)
class GateInputs:
    """What the gates look at for one proposed submission."""

    now: dt.datetime
    entry_time: dt.datetime
    closed_bars_since_entry: int
    stop: Decimal
    last_price: Decimal


def failed_gates(inputs: GateInputs, times: PhaseTimes, rules: StopRules) -> tuple[StopReason, ...]:
    """Every gate that blocks submitting ``inputs.stop`` now, in :data:`GATE_ORDER` (empty: submit)."""
    entry_today = inputs.entry_time >= times.open
    failed = {
        StopReason.MARKET_CLOSED: times.phase(inputs.now) is SessionPhase.CLOSED,
        StopReason.BEFORE_SUBMIT_WINDOW: inputs.now < times.submit_from,
        StopReason.ENTRY_DELAY: inputs.now - inputs.entry_time < rules.min_delay_after_entry,
        StopReason.ENTRY_MIN_BARS: entry_today
        and inputs.closed_bars_since_entry < rules.min_bars_after_entry,
        StopReason.TOO_CLOSE_TO_PRICE: too_close(inputs.stop, inputs.last_price, rules),
    }
    return tuple(reason for reason in GATE_ORDER if failed[reason])


def too_close(stop: Decimal, last_price: Decimal, rules: StopRules) -> bool:
    """True when ``stop`` is within the minimum distance below ``last_price`` (or at/above it)."""
    if last_price <= 0 or stop >= last_price:
        return True
    return (last_price - stop) / last_price < rules.min_distance_fraction
