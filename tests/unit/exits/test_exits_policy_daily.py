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
