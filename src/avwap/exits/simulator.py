"""Broker-independent exit simulator: replays bars through the stop policy and one documented fill rule.

Fill rule (a sell stop of a long position): :func:`avwap.exits.stop_fill.stop_trigger`, the very function
the paper broker's fill model calls (it adds only slippage and tick rounding): on a bar whose low is at or
below the working stop, the stop fills at ``min(open, stop)`` — at its price, or at the bar's open when the
bar gapped through it. ``exit_time`` is the start of that bar, ``exit_bar_end`` its end.

Intraday replay (:func:`simulate_intraday`): bars starting at or after the entry are visited in order; on each
bar the working stop is checked first, then, once the bar has closed, :func:`avwap.exits.policy.resolve_stop`
is called exactly as the execution cycle calls it, and a decision with ``submit`` becomes the working stop.
Until the first submission there is no working stop (as at the broker). Only regular-session bars count.
A strategy whose stops follow the daily policy in every mode (``daily_stops``) gets
:func:`avwap.exits.policy_daily.resolve_daily_stop` at each bar close instead. Daily replay (daily bars only)
lives in :mod:`avwap.exits.simulator_daily`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from avwap.core.calendar import TradingCalendar, nyse
from avwap.core.money import to_decimal
from avwap.exits.bar_arrays import MINUTE_NS, BarArrays, from_ns, instant_ns
from avwap.exits.policy import DEFAULT_RULES, StopDecision, apply_decision, resolve_stop
from avwap.exits.policy_daily import resolve_daily_stop
from avwap.exits.position_state import ExitPosition
from avwap.exits.rules import StopRules
from avwap.exits.stop_fill import stop_trigger
from avwap.ledger.record_enums import StopBasis

STOPPED: Final = "STOPPED"
OPEN: Final = "OPEN"  # the bars ran out before the stop filled


@dataclass(frozen=True)
class SimulatedEntry:
    """A long position to replay: entered at ``entry_time`` (UTC) for ``entry_price``."""

    position_id: str
    symbol: str
    entry_time: dt.datetime
    entry_price: Decimal
    quantity: int
    initial_stop: Decimal | None


@dataclass(frozen=True)
class StopRevision:
    """A working-stop change: from ``at`` on, the broker stop is ``stop``."""

    at: dt.datetime
    stop: Decimal
    basis: StopBasis | None
    revision: int


@dataclass(frozen=True)
class SimulatedExit:
    """The simulated fate of one position (``exit_*`` are None while it is still OPEN)."""

    position_id: str
    symbol: str
    quantity: int
    entry_time: dt.datetime
    entry_price: Decimal
    outcome: str
    exit_time: dt.datetime | None
    exit_bar_end: dt.datetime | None
    exit_price: Decimal | None
    stop_basis: StopBasis | None
    stop_revision: int
    revisions: tuple[StopRevision, ...]


def stop_fill_price(open_: float, low: float, stop: Decimal) -> Decimal | None:
    """The fill rule (:func:`avwap.exits.stop_fill.stop_trigger`) on float bar prices: ``min(open, stop)``
    when ``low <= stop``, else None (no fill on this bar; also for a NaN low)."""
    if math.isnan(low):  # no trade on this bar reached any price
        return None
    return stop_trigger(stop, to_decimal(float(open_)), to_decimal(float(low)))


def position_of(entry: SimulatedEntry) -> ExitPosition:
    """The policy's view of a fresh simulated position."""
    return ExitPosition(
        position_id=entry.position_id,
        symbol=entry.symbol,
        strategy_id="SIMULATION",
        entry_time=entry.entry_time,
        entry_price=entry.entry_price,
        quantity=entry.quantity,
        initial_stop=entry.initial_stop,
        stop_price=entry.initial_stop,
        stop_basis=StopBasis.INITIAL if entry.initial_stop is not None else None,
    )


def simulate_intraday(
    entry: SimulatedEntry,
    intraday: BarArrays,
    daily: BarArrays,
    rules: StopRules = DEFAULT_RULES,
    calendar: TradingCalendar | None = None,
    *,
    daily_stops: bool = False,
) -> SimulatedExit:
    """Replay ``intraday`` bars (one symbol, any number of sessions) after ``entry``; see the module doc.
    ``daily_stops``: the position's strategy keeps its stop with the daily policy in every mode
    (:func:`avwap.exits.policy_daily.resolve_daily_stop`, called at each bar close as the cycle calls it)."""
    book = calendar or nyse()
    state = position_of(entry)
    working: Decimal | None = None
    revisions: list[StopRevision] = []
    length_ns = rules.bar_minutes * MINUTE_NS
    entry_ns = instant_ns(entry.entry_time)
    first_day = entry.entry_time.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    last_ns = int(intraday.start_ns[-1]) if len(intraday) else entry_ns
    if daily_stops:
        # the cycle that records the entry fill decides the daily stop at once (no intraday delay gates)
        decision = resolve_daily_stop(state, daily, entry.entry_time, rules=rules, calendar=book)
        if decision.submit:
            working = decision.stop_price
            revisions.append(_revision(decision))
            state = apply_decision(state, decision)
    for session in book.session_records(first_day, from_ns(last_ns).date() + dt.timedelta(days=1)):
        open_ns, close_ns = instant_ns(session.open), instant_ns(session.close)
        bars = intraday.between(max(open_ns, entry_ns), close_ns)
        for index in range(len(bars)):
            start = int(bars.start_ns[index])
            end = min(start + length_ns, close_ns)
            price = None if working is None else stop_fill_price(bars.open[index], bars.low[index], working)
            if price is not None:
                return _exit(entry, state, revisions, STOPPED, (start, end, price))
            if daily_stops:
                decision = resolve_daily_stop(state, daily, from_ns(end), rules=rules, calendar=book)
            else:
                decision = resolve_stop(state, intraday, daily, from_ns(end), rules=rules, calendar=book)
            if decision.submit:
                working = decision.stop_price
                revisions.append(_revision(decision))
                state = apply_decision(state, decision)
    return _exit(entry, state, revisions, OPEN, None)


def _revision(decision: StopDecision) -> StopRevision:
    assert decision.stop_price is not None
    return StopRevision(decision.decided_at, decision.stop_price, decision.basis, decision.stop_revision)


def _exit(
    entry: SimulatedEntry,
    state: ExitPosition,
    revisions: list[StopRevision],
    outcome: str,
    fill: tuple[int, int, Decimal] | None,
) -> SimulatedExit:
    return SimulatedExit(
        position_id=entry.position_id,
        symbol=entry.symbol,
        quantity=entry.quantity,
        entry_time=entry.entry_time,
        entry_price=entry.entry_price,
        outcome=outcome,
        exit_time=from_ns(fill[0]) if fill else None,
        exit_bar_end=from_ns(fill[1]) if fill else None,
        exit_price=fill[2] if fill else None,
        stop_basis=state.stop_basis,
        stop_revision=state.stop_revision,
        revisions=tuple(revisions),
    )
