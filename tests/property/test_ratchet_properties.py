"""Properties of the stop policy: the working stop never loosens, and no decision looks ahead."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from avwap.core.calendar import NEW_YORK
from avwap.exits.bar_arrays import BarArrays, bar_arrays_from_values, instant_ns, ny_midnight_ns
from avwap.exits.policy import apply_decision, resolve_stop
from avwap.exits.position_state import ExitPosition
from avwap.exits.ratchet import ratchet
from avwap.exits.rules import StopRules
from avwap.ledger.record_enums import StopBasis

DAY = dt.date(2026, 4, 1)
OPEN = dt.datetime.combine(DAY, dt.time(9, 30), NEW_YORK).astimezone(dt.UTC)
MINUTE = 60_000_000_000

candidates = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.decimals(allow_nan=True, allow_infinity=True, places=4),
    st.integers(min_value=-5, max_value=500),
    st.sampled_from(["abc", "", "1e400", "-3"]),
)


@given(
    st.one_of(st.none(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1000), places=2)),
    st.lists(candidates, max_size=30),
)
def test_ratchet_never_loosens(start: Decimal | None, offers: list[object]) -> None:
    stop = start
    for offer in offers:
        new = ratchet(stop, offer)
        if stop is not None:
            assert new is not None and new >= stop
        stop = new


def session_bars(steps: list[float], base: float, gaps: list[bool]) -> BarArrays:
    """5-minute bars from 09:30: a random walk of lows; ``gaps`` drop bars (missing data) or NaN them."""
    low = base + np.cumsum(np.asarray(steps))
    low = np.where(np.asarray(gaps[: len(low)] + [False] * (len(low) - len(gaps))), np.nan, low)
    starts = instant_ns(OPEN) + np.arange(low.size, dtype=np.int64) * 5 * MINUTE
    return bar_arrays_from_values(starts, low + 0.1, low + 0.4, low, low + 0.25)


def daily_history(lows: list[float]) -> BarArrays:
    days = [DAY - dt.timedelta(days=offset) for offset in range(60, 0, -1)]
    days = [day for day in days if day.weekday() < 5][-len(lows) :] if lows else []
    low = np.asarray(lows[: len(days)], dtype=np.float64)
    return bar_arrays_from_values([ny_midnight_ns(day) for day in days], low + 0.5, low + 1, low, low + 0.6)


def fresh(stop: str | None, resolved: bool) -> ExitPosition:
    return ExitPosition(
        position_id="pos_" + "9" * 32,
        symbol="SYN",
        strategy_id="S1_AVWAP_CORE",
        entry_time=OPEN + dt.timedelta(minutes=20),
        entry_price=Decimal("100"),
        quantity=1,
        initial_stop=Decimal(stop) if stop else None,
        stop_price=Decimal(stop) if stop else None,
        stop_basis=StopBasis.INITIAL if stop else None,
        resolved=resolved,
    )


steps = st.lists(st.floats(min_value=-0.6, max_value=0.6, allow_nan=False), min_size=1, max_size=78)
rules_strategy = st.builds(
    StopRules,
    intraday_left=st.integers(1, 3),
    intraday_right=st.integers(0, 3),
    daily_left=st.integers(1, 3),
    daily_right=st.integers(0, 2),
    min_distance_fraction=st.sampled_from([Decimal(0), Decimal("0.003"), Decimal("0.02")]),
)


@settings(max_examples=60)
@given(
    steps,
    st.lists(st.booleans(), max_size=78),
    st.lists(st.floats(min_value=90, max_value=110, allow_nan=False), max_size=30),
    st.sampled_from([None, "95.00", "99.50", "120.00"]),
    st.booleans(),
    rules_strategy,
    st.lists(st.integers(0, 400), min_size=1, max_size=25),
)
def test_working_stop_never_loosens_over_a_session(  # noqa: PLR0917
    walk: list[float],
    gaps: list[bool],
    daily_lows: list[float],
    stop: str | None,
    resolved: bool,
    rules: StopRules,
    minutes: list[int],
) -> None:
    bars, daily = session_bars(walk, 100.0, gaps), daily_history(daily_lows)
    state = fresh(stop, resolved)
    for minute in sorted(minutes):
        before = state.stop_price
        decision = resolve_stop(state, bars, daily, OPEN + dt.timedelta(minutes=minute), rules=rules)
        state = apply_decision(state, decision)
        if before is not None:
            assert state.stop_price is not None and state.stop_price >= before
            assert decision.stop_price is not None and decision.stop_price >= before
        if decision.submit:
            assert decision.last_price is not None and decision.stop_price is not None
            assert decision.stop_price < decision.last_price  # never submitted at or above the market


@settings(max_examples=60)
@given(
    steps,
    st.lists(st.floats(min_value=90, max_value=110, allow_nan=False), max_size=30),
    st.integers(0, 77),
    st.integers(0, 4),
    rules_strategy,
    st.booleans(),
)
def test_future_bars_never_change_a_decision(  # noqa: PLR0917
    walk: list[float], daily_lows: list[float], closed: int, offset: int, rules: StopRules, resolved: bool
) -> None:
    """Decision at t with bars[:k] == decision at t with every bar, when bar k has not closed by t."""
    bars, daily = session_bars(walk, 100.0, []), daily_history(daily_lows)
    k = min(closed, len(bars))
    now = OPEN + dt.timedelta(minutes=5 * k + offset)  # bar k (09:30 + 5k) closes at 09:35 + 5k > now
    state = fresh("95.00", resolved)
    known = resolve_stop(state, bars.window(0, k), daily, now, rules=rules)
    # the future: the rest of today's bars, and a daily bar for today and tomorrow
    today_and_later = np.asarray([ny_midnight_ns(DAY), ny_midnight_ns(DAY + dt.timedelta(days=1))])
    future_daily = bar_arrays_from_values(
        np.concatenate([daily.start_ns, today_and_later]),
        np.concatenate([daily.open, [1.0, 1.0]]),
        np.concatenate([daily.high, [500.0, 500.0]]),
        np.concatenate([daily.low, [0.5, 300.0]]),
        np.concatenate([daily.close, [2.0, 400.0]]),
    )
    everything = resolve_stop(state, bars, future_daily, now, rules=rules)
    assert known == everything
