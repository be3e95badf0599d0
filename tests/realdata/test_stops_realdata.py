"""The stop policy over real minute data: a hypothetical long entered at 10:00 ET each session, managed every
5 minutes to the close. Asserted on every session: a stop exists at every cycle, it never loosens, the first
submission happens, and no decision changes when the rest of the day (and later days) is appended.

Data (read with pandas directly): Alpha Vantage MSFT 1-minute (bar END labels: minus 1 minute = bar start),
pyalgotrade SPY 1-minute 2011 and Lean/AlgoSeek SPY minute (both bar-start labels); regular session only,
aggregated to 5-minute bars aligned on the open; daily bars are aggregated from the same sessions.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avwap.core.calendar import nyse
from avwap.core.money import round_price
from avwap.exits.bar_arrays import BarArrays, bar_arrays_from_values, instant_ns, ny_midnight_ns
from avwap.exits.candidates import daily_swing_low
from avwap.exits.phases import SessionPhase
from avwap.exits.policy import apply_decision, resolve_stop
from avwap.exits.position_state import ExitPosition
from avwap.exits.rules import StopRules
from avwap.ledger.record_enums import ExitEventKind, StopBasis

pytestmark = pytest.mark.realdata

DATASETS = {
    "msft_alpha_vantage": (
        "alpha_vantage_msft_1min/MSFT_1min_2020-11-23_2020-12-18.csv",
        "datetime_et_bar_end",
        1,
    ),
    "spy_pyalgotrade": ("pyalgotrade/SPY_1min_2011-01_2011-03_ET.csv", "datetime_et_bar_start", 0),
    "spy_lean_algoseek": ("lean_algoseek/minute/SPY.csv", "datetime_et", 0),
}
RULES = StopRules()
FIVE_MINUTES = pd.Timedelta(minutes=5)


def regular_5m(path: Path, column: str, end_offset_minutes: int) -> pd.DataFrame:
    """Regular-session 5-minute bars (start labels, New York) from a 1-minute CSV."""
    raw = pd.read_csv(path)
    starts = pd.to_datetime(raw[column]).dt.tz_localize("America/New_York") - pd.Timedelta(
        minutes=end_offset_minutes
    )
    frame = raw.assign(start=starts, day=starts.dt.date)
    calendar = nyse()
    pieces = []
    for day, rows in frame.groupby("day", sort=True):
        if not calendar.is_session(day):
            continue
        session = calendar.session(day)
        open_, close = (
            pd.Timestamp(session.open).tz_convert("America/New_York"),
            pd.Timestamp(session.close).tz_convert("America/New_York"),
        )
        inside = rows[(rows["start"] >= open_) & (rows["start"] < close)]
        bucket = open_ + ((inside["start"] - open_) // FIVE_MINUTES) * FIVE_MINUTES
        grouped = inside.assign(bucket=bucket).groupby("bucket", sort=True)
        pieces.append(
            grouped.agg(
                open=("open", "first"), high=("high", "max"), low=("low", "min"), close=("close", "last")
            )
            .reset_index()
            .assign(day=day)
        )
    return pd.concat(pieces, ignore_index=True)


def arrays(frame: pd.DataFrame, column: str = "bucket") -> BarArrays:
    starts = (
        pd.DatetimeIndex(frame[column])
        .tz_convert("UTC")
        .tz_localize(None)
        .as_unit("ns")
        .to_numpy()
        .astype(np.int64)
    )
    return bar_arrays_from_values(starts, frame["open"], frame["high"], frame["low"], frame["close"])


def daily_from(bars: pd.DataFrame) -> BarArrays:
    daily = bars.groupby("day", sort=True).agg(
        open=("open", "first"), high=("high", "max"), low=("low", "min"), close=("close", "last")
    )
    starts = [ny_midnight_ns(day) for day in daily.index]
    return bar_arrays_from_values(starts, daily["open"], daily["high"], daily["low"], daily["close"])


def entry_position(day: dt.date, session_bars: BarArrays, daily: BarArrays) -> ExitPosition:
    """A long entered at 10:00 at the 09:55 bar's close; initial stop = the daily swing-low candidate when it
    is at least 0.3 % below the entry, else 2 % below the entry (the first sessions have no daily history)."""
    entry_time = dt.datetime.combine(day, dt.time(10), nyse().session(day).open_ny.tzinfo).astimezone(dt.UTC)
    before = session_bars.between(0, instant_ns(entry_time))
    price = Decimal(repr(float(before.close[-1])))
    history = daily.between(0, ny_midnight_ns(day))
    candidate = daily_swing_low(history, RULES, RULES.buffer)
    stop = round_price(price * Decimal("0.98"), "down")
    if candidate is not None and candidate.price < price * Decimal("0.997"):
        stop = candidate.price
    return ExitPosition(
        position_id="pos_" + "a" * 32,
        symbol="REAL",
        strategy_id="S1_AVWAP_CORE",
        entry_time=entry_time,
        entry_price=price,
        quantity=100,
        initial_stop=stop,
        stop_price=stop,
        stop_basis=StopBasis.INITIAL,
    )


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_policy_over_real_sessions(shared_data: Path, name: str) -> None:
    relative, column, end_offset = DATASETS[name]
    bars = regular_5m(shared_data / relative, column, end_offset)
    daily = daily_from(bars)
    # the future of every decision: all bars of all sessions, plus every daily bar (including today's)
    all_bars = arrays(bars)
    tally = {"sessions": 0, "ratchets": 0, "intraday_hl": 0, "skips": 0}
    for day, rows in bars.groupby("day", sort=True):
        session_bars = arrays(rows)
        state = entry_position(day, session_bars, daily)
        session = nyse().session(day)
        resolved_today = False
        moment = state.entry_time
        while moment <= session.close:
            closed_only = session_bars.between(0, instant_ns(moment) - 5 * 60 * 10**9 + 1)
            decision = resolve_stop(
                state, closed_only, daily.between(0, ny_midnight_ns(day)), moment, rules=RULES
            )
            assert decision == resolve_stop(state, all_bars, daily, moment, rules=RULES), (name, day, moment)
            before = state.stop_price
            state = apply_decision(state, decision)
            assert before is not None and state.stop_price is not None and state.stop_price >= before
            if decision.submit:
                assert decision.stop_price is not None and decision.last_price is not None
                assert decision.stop_price < decision.last_price
            resolved_today |= ExitEventKind.STOP_RESOLVED in decision.events
            tally["ratchets"] += ExitEventKind.STOP_RATCHET in decision.events
            tally["intraday_hl"] += decision.changed and decision.basis is StopBasis.INTRADAY_HL
            tally["skips"] += bool(decision.blocked_by)
            if session.is_early_close and moment == session.close - dt.timedelta(minutes=30):
                assert decision.phase is SessionPhase.CLOSE_PROTECT  # 13:00 close => CLOSE_PROTECT from 12:30
            moment += dt.timedelta(minutes=5)
        assert resolved_today, (name, day)
        tally["sessions"] += 1
    assert tally["sessions"] >= 7 and tally["ratchets"] > 0 and tally["intraday_hl"] > 0, tally
