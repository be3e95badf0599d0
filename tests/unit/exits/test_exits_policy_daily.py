"""The daily-resolution stop policy: the daily swing low of the bars before today through the ratchet,
decided only while the session is open, never loosening, never reading today's bar."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from avwap.core.calendar import nyse
from avwap.exits.bar_arrays import BarArrays, bar_arrays_from_values
from avwap.exits.candidates import daily_stop
from avwap.exits.policy import DEFAULT_RULES
from avwap.exits.policy_daily import resolve_daily_stop
from avwap.exits.position_state import ExitPosition
from avwap.exits.reasons import StopReason
from avwap.ledger.record_enums import ExitEventKind

DAY = dt.date(2026, 3, 16)  # a Monday session
LOWS = [50.0, 49.0, 48.0, 49.5, 50.5, 51.0, 50.0, 52.0, 53.0, 54.0]  # swing lows at 48 and 50


def daily(lows: list[float], last: dt.date) -> BarArrays:
    days = nyse().sessions(last - dt.timedelta(days=30), last)[-len(lows) :]
    starts = [pd.Timestamp(day, tz="America/New_York").value for day in days]
    low = np.array(lows)
    return bar_arrays_from_values(starts, low + 1, low + 2, low, low + 1.5)


def position(stop: str | None, resolved: bool) -> ExitPosition:
    return ExitPosition(
        position_id="pos_1",
        symbol="XYZ",
        strategy_id="S1_AVWAP_CORE",
        entry_time=dt.datetime(2026, 3, 12, 20, 0, tzinfo=dt.UTC),
        entry_price=Decimal("53"),
        quantity=10,
        initial_stop=None if stop is None else Decimal(stop),
        stop_price=None if stop is None else Decimal(stop),
        resolved=resolved,
    )


def at(hour: int, minute: int) -> dt.datetime:
    return pd.Timestamp(f"2026-03-16 {hour:02d}:{minute:02d}", tz="America/New_York").to_pydatetime()


def test_first_decision_submits_the_ratcheted_daily_swing_low() -> None:
    bars = daily(LOWS, nyse().previous_session(DAY))
    expected = daily_stop(bars, DEFAULT_RULES)
    assert expected is not None
    decision = resolve_daily_stop(position("47.00", resolved=False), bars, at(9, 45))
    assert decision.submit and decision.stop_price == max(Decimal("47.00"), expected.price)
    assert ExitEventKind.STOP_RESOLVED in decision.events


def test_never_loosens_and_holds_outside_the_session() -> None:
    bars = daily(LOWS, nyse().previous_session(DAY))
    high = resolve_daily_stop(position("60.00", resolved=True), bars, at(9, 45))
    assert not high.submit and high.stop_price == Decimal("60.00")
    assert high.reason is StopReason.CANDIDATE_NOT_HIGHER
    closed = resolve_daily_stop(position("47.00", resolved=False), bars, at(16, 5))
    assert not closed.submit and closed.reason is StopReason.MARKET_CLOSED


def test_todays_bar_is_never_read() -> None:
    before = daily(LOWS, nyse().previous_session(DAY))
    with_today = daily([*LOWS[1:], 10.0], DAY)  # today's bar: a crash that would make a new pivot later
    first = resolve_daily_stop(position("47.00", resolved=False), before, at(10, 0))
    second = resolve_daily_stop(position("47.00", resolved=False), with_today, at(10, 0))
    assert first.stop_price == second.stop_price


def test_daily_stop_answers_from_its_memo_exactly_what_it_computes() -> None:
    """daily_stop memoizes by the bytes it reads: every window (and a window changed in one byte, other
    rules, the ATR buffer) gets the answer computed afresh, also when asked a second time."""
    from dataclasses import replace

    from avwap.exits import candidates

    generator = np.random.default_rng(7)
    lows = list(50 + np.cumsum(generator.normal(0, 1, 20)))
    bars = daily(lows, nyse().previous_session(DAY))
    rules_set = [DEFAULT_RULES, replace(DEFAULT_RULES, buffer_atr_fraction=Decimal("0.5"), daily_left=3)]
    candidates._DAILY_STOPS.clear()
    for rules in rules_set:
        for stop in range(5, len(bars) + 1):
            window = bars.window(0, stop)
            history = candidates.daily_window(window, rules)
            fresh = candidates.daily_swing_low(history, rules, candidates.buffer_amount(history, rules))
            assert daily_stop(window, rules) == fresh
            assert daily_stop(window, rules) == fresh  # the memo's answer
    assert len(candidates._DAILY_STOPS) == 2 * (len(bars) - 4)
    changed_low = bars.low.copy()
    changed_low[-3] -= 5.0  # a new, deeper swing low: another key, another answer
    changed = BarArrays(bars.start_ns, bars.open, bars.high, changed_low, bars.close)
    history = candidates.daily_window(changed, DEFAULT_RULES)
    expected = candidates.daily_swing_low(
        history, DEFAULT_RULES, candidates.buffer_amount(history, DEFAULT_RULES)
    )
    assert daily_stop(changed, DEFAULT_RULES) == expected != daily_stop(bars, DEFAULT_RULES)
