"""Exit simulation on daily bars: many positions over years of history, fast.

Per session ``t`` after the entry session, the working stop is ``ratchet(stop of t−1, candidate of t)``
where the candidate is the daily swing-low candidate of :func:`avwap.exits.candidates.daily_swing_low` over
the daily bars closed before ``t`` (the last ``rules.daily_lookback`` of them, exactly as the intraday policy
sees them in OPEN_NOISE), and the fill rule is :func:`avwap.exits.simulator.stop_fill_price`. The entry
session itself is not checked: a daily bar does not tell whether its low came before or after the entry.

Pivots are found once per symbol and the candidate of each pivot is computed once (Decimal, tick-rounded), so
the per-position work is a running maximum and a search for the first bar whose low reaches the stop. A unit
test checks this against calling ``daily_swing_low`` and ``ratchet`` session by session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

import numpy as np

from avwap.core.money import round_price
from avwap.exits.bar_arrays import BarArrays, FloatArray, from_ns, instant_ns
from avwap.exits.candidates import buffer_amount, stop_level
from avwap.exits.policy import DEFAULT_RULES
from avwap.exits.rules import StopRules
from avwap.exits.simulator import OPEN, STOPPED, SimulatedEntry, SimulatedExit, StopRevision, stop_fill_price
from avwap.ledger.record_enums import StopBasis
from avwap.signals.pivots import latest_pivot_positions, swing_lows


def daily_candidates(daily: BarArrays, rules: StopRules = DEFAULT_RULES) -> FloatArray:
    """For each session ``t``: the daily candidate from bars ``< t`` (NaN when there is none)."""
    count = len(daily)
    candidates = np.full(count, np.nan)
    if count < 2:
        return candidates
    pivots = swing_lows(daily.low, rules.daily_left, rules.daily_right)
    latest = np.concatenate([[-1], latest_pivot_positions(pivots, count - 1)])  # known once bar t−1 closed
    sessions = np.arange(count)
    window_start = np.maximum(0, sessions - rules.daily_lookback)
    safe = np.maximum(latest, 0)
    # the policy's window must still hold the pivot and its left bars, or it would not see the pivot
    usable = (
        (latest >= 0) & (pivots.index[safe] - rules.daily_left >= window_start)
        if len(pivots)
        else latest >= 0
    )
    if rules.buffer_atr_fraction is None:
        levels = np.asarray(
            [_level(float(price), rules.buffer) for price in pivots.price], dtype=np.float64
        )  # one Decimal computation per pivot, not per session
        candidates[usable] = levels[latest[usable]]
        return candidates
    cache: dict[tuple[int, Decimal], float] = {}
    for session in np.flatnonzero(usable):
        buffer = buffer_amount(daily.window(int(window_start[session]), int(session)), rules)
        key = (int(latest[session]), buffer)
        if key not in cache:
            cache[key] = _level(float(pivots.price[key[0]]), buffer)
        candidates[session] = cache[key]
    return candidates


def _level(price: float, buffer: Decimal) -> float:
    level = stop_level(price, buffer)
    return np.nan if level is None else float(level)


def simulate_daily_position(
    entry: SimulatedEntry,
    daily: BarArrays,
    candidates: FloatArray | None = None,
    rules: StopRules = DEFAULT_RULES,
) -> SimulatedExit:
    """Replay one position on its symbol's daily bars (``candidates`` from :func:`daily_candidates`)."""
    values = daily_candidates(daily, rules) if candidates is None else candidates
    entry_day = entry.entry_time.astimezone(dt.UTC)
    first = int(np.searchsorted(daily.start_ns, instant_ns(entry_day), side="right"))  # sessions after entry
    initial = float(entry.initial_stop) if entry.initial_stop is not None else np.nan
    offered = np.concatenate([[initial], values[first:]])
    working = np.fmax.accumulate(offered)[1:]  # fmax: NaN (no candidate) never lowers the stop
    hits = np.flatnonzero(daily.low[first:] <= working)
    end = first + (int(hits[0]) + 1 if hits.size else len(working))
    revisions = _revisions(daily, working[: end - first], first, entry.initial_stop)
    basis = revisions[-1].basis if revisions else (StopBasis.INITIAL if entry.initial_stop else None)
    revision = revisions[-1].revision if revisions else 0
    outcome, exit_time, exit_end, price = OPEN, None, None, None
    if hits.size:
        bar = first + int(hits[0])
        stop = revisions[-1].stop if revisions else entry.initial_stop
        assert stop is not None
        price = stop_fill_price(float(daily.open[bar]), float(daily.low[bar]), stop)
        outcome, exit_time = STOPPED, from_ns(int(daily.start_ns[bar]))
        exit_end = exit_time + dt.timedelta(days=1)
    return SimulatedExit(
        position_id=entry.position_id,
        symbol=entry.symbol,
        quantity=entry.quantity,
        entry_time=entry.entry_time,
        entry_price=entry.entry_price,
        outcome=outcome,
        exit_time=exit_time,
        exit_bar_end=exit_end,
        exit_price=price,
        stop_basis=basis,
        stop_revision=revision,
        revisions=revisions,
    )


def _revisions(
    daily: BarArrays, working: FloatArray, first: int, initial: Decimal | None
) -> tuple[StopRevision, ...]:
    """Working-stop changes; a stop that replaces an earlier stop is a new revision (the first is 0)."""
    initial_value = float(initial) if initial is not None else np.nan
    before = np.concatenate([[initial_value], working[:-1]])
    raised = np.isfinite(working) & ~(working <= before)  # NaN before: the first stop
    result: list[StopRevision] = []
    revision = 0
    for offset in np.flatnonzero(raised):
        revision += int(np.isfinite(before[offset]))
        at = from_ns(int(daily.start_ns[first + int(offset)]))
        stop = round_price(repr(float(working[offset])), "nearest")
        result.append(StopRevision(at, stop, StopBasis.DAILY_SWING_LOW, revision))
    return tuple(result)


def simulate_daily(
    entries: Iterable[SimulatedEntry],
    daily_by_symbol: Mapping[str, BarArrays],
    rules: StopRules = DEFAULT_RULES,
) -> list[SimulatedExit]:
    """Replay every entry on its symbol's daily bars; results in (entry time, position id) order."""
    ordered = sorted(entries, key=lambda item: (item.entry_time, item.position_id))
    candidates = {
        symbol: daily_candidates(daily_by_symbol[symbol], rules)
        for symbol in sorted({e.symbol for e in ordered})
    }
    return [
        simulate_daily_position(entry, daily_by_symbol[entry.symbol], candidates[entry.symbol], rules)
        for entry in ordered
    ]
