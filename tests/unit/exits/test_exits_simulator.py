"""The exit simulator: fill rule (at the stop, or at the open on a gap), intraday replay, daily replay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from exit_builders import DAILY_DAYS, INTRADAY_LOWS, daily_bars, intraday_bars, ny

from avwap.core.calendar import NEW_YORK, nyse
from avwap.exits.bar_arrays import BarArrays, bar_arrays_from_values, ny_midnight_ns
from avwap.exits.candidates import daily_stop
from avwap.exits.ratchet import ratchet
from avwap.exits.rules import StopRules
from avwap.exits.simulator import OPEN, STOPPED, SimulatedEntry, simulate_intraday, stop_fill_price
from avwap.exits.simulator_daily import daily_candidates, simulate_daily, simulate_daily_position
from avwap.ledger.record_enums import StopBasis


@pytest.mark.parametrize(
    ("open_", "low", "stop", "expected"),
    [
        (100.0, 99.0, "99.50", "99.50"),  # traded through: fills at the stop
        (99.20, 99.0, "99.50", "99.2"),  # gapped through: fills at the open
        (100.0, 99.50, "99.50", "99.50"),  # touched
        (100.0, 99.51, "99.50", None),  # not reached
    ],
)
def test_fill_rule(open_: float, low: float, stop: str, expected: str | None) -> None:
    assert stop_fill_price(open_, low, Decimal(stop)) == (Decimal(expected) if expected else None)


def entry(at: dt.datetime, stop: str | None = "98.30", symbol: str = "MSFT") -> SimulatedEntry:
    return SimulatedEntry(
        "pos_" + "1" * 32, symbol, at, Decimal("100.00"), 10, Decimal(stop) if stop else None
    )


def test_intraday_replay_ratchets_then_fills_at_the_gap_open() -> None:
    # the INTRADAY_LOWS session, then a bar at 10:40 that opens at 99.40, below the 99.70 stop
    lows = [*INTRADAY_LOWS, 99.30]
    bars = intraday_bars(lows)
    opens = bars.open.copy()
    opens[-1] = 99.40
    bars = BarArrays(bars.start_ns, opens, bars.high, bars.low, bars.close)
    result = simulate_intraday(entry(ny(10, 0)), bars, daily_bars())
    assert (result.outcome, result.exit_price, result.exit_time) == (STOPPED, Decimal("99.4"), ny(10, 40))
    assert result.exit_bar_end == ny(10, 45)
    assert [(item.at, item.stop, item.basis, item.revision) for item in result.revisions] == [
        (ny(10, 10), Decimal("98.30"), StopBasis.INITIAL, 0),  # first submission after 2 closed bars
        (ny(10, 30), Decimal("99.70"), StopBasis.INTRADAY_HL, 1),
    ]
    assert (result.stop_basis, result.stop_revision) == (StopBasis.INTRADAY_HL, 1)


def test_no_working_stop_before_the_first_submission() -> None:
    # the 10:00 bar falls through the initial stop, but nothing is working at the broker yet
    lows = [99.9, 99.7, 99.5, 99.6, 99.75, 100.0, 98.0, 100.0, 100.1]
    result = simulate_intraday(entry(ny(10, 0)), intraday_bars(lows), daily_bars())
    assert result.outcome == OPEN and result.exit_price is None


def test_stop_fills_at_its_price_inside_a_bar() -> None:
    lows = [99.9, 99.7, 99.5, 99.6, 99.75, 100.0, 100.1, 100.2, 98.0]
    bars = intraday_bars(lows)
    opens = bars.open.copy()
    opens[-1] = 100.20  # opens above the 98.30 stop and trades through it
    result = simulate_intraday(
        entry(ny(10, 0)), BarArrays(bars.start_ns, opens, bars.high, bars.low, bars.close), daily_bars()
    )
    assert (result.outcome, result.exit_price, result.exit_time) == (STOPPED, Decimal("98.30"), ny(10, 10))


def synthetic_daily(seed: int, sessions: int = 300) -> BarArrays:
    rng = np.random.default_rng(seed)
    days = nyse().sessions(dt.date(2020, 1, 2), dt.date(2022, 12, 30))[:sessions]
    close = 50 * np.exp(np.cumsum(rng.normal(0.0005, 0.02, len(days))))
    open_ = close * (1 + rng.normal(0, 0.01, len(days)))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.01, len(days))))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.01, len(days))))
    starts = [ny_midnight_ns(day) for day in days]
    return bar_arrays_from_values(starts, open_.round(2), high.round(2), low.round(2), close.round(2))


@pytest.mark.parametrize(
    "rules", [StopRules(), StopRules(daily_lookback=20), StopRules(buffer_atr_fraction=Decimal("0.5"))]
)
def test_daily_candidates_equal_the_policy_function(rules: StopRules) -> None:
    """The vectorized daily replay gives, session by session, what ``daily_stop`` (the one daily swing-low
    stop: initial stops and the policy) gives from the bars before that session."""
    daily = synthetic_daily(3, 160)
    values = daily_candidates(daily, rules)
    for session in range(len(daily)):
        candidate = daily_stop(daily.window(0, session), rules)
        expected = float(candidate.price) if candidate else np.nan
        assert values[session] == expected or (np.isnan(values[session]) and np.isnan(expected)), session


def test_daily_replay_equals_a_session_by_session_ratchet() -> None:
    daily = synthetic_daily(11)
    start = dt.datetime.combine(dt.date(2020, 3, 2), dt.time(10), NEW_YORK)
    trade = SimulatedEntry("pos_" + "2" * 32, "SYN", start, Decimal("50"), 5, Decimal("1.00"))
    result = simulate_daily_position(trade, daily)
    values = daily_candidates(daily)
    stop: Decimal | None = trade.initial_stop
    first = int(np.searchsorted(daily.start_ns, ny_midnight_ns(dt.date(2020, 3, 2)), side="right"))
    for session in range(first, len(daily)):
        stop = ratchet(stop, None if np.isnan(values[session]) else Decimal(repr(float(values[session]))))
        assert stop is not None
        if daily.low[session] <= float(stop):
            expected = min(Decimal(repr(float(daily.open[session]))), stop)
            assert result.outcome == STOPPED and result.exit_price == expected
            assert (
                result.exit_time is not None
                and result.exit_time.date()
                == dt.datetime.fromtimestamp(int(daily.start_ns[session]) / 1e9, dt.UTC).date()
            )
            break
    else:
        assert result.outcome == OPEN
    assert [item.revision for item in result.revisions] == list(range(1, len(result.revisions) + 1))


def test_daily_gap_through_the_stop_fills_at_the_open() -> None:
    lows = [*[99.0, 98.8, 98.40, 98.9, 99.2, 99.5], 97.0]
    days = [*DAILY_DAYS, dt.date(2026, 4, 1)]
    daily = daily_bars(lows, days)  # open = low + 0.5 = 97.50 on 2026-04-01, below the 98.30 stop
    trade = SimulatedEntry(
        "pos_" + "3" * 32, "MSFT", ny(10, 0, DAILY_DAYS[-1]), Decimal("100"), 10, Decimal("98.00")
    )
    [result] = simulate_daily([trade], {"MSFT": daily})
    assert (result.outcome, result.exit_price) == (STOPPED, Decimal("97.5"))
    assert [(item.stop, item.basis) for item in result.revisions] == [
        (Decimal("98.30"), StopBasis.DAILY_SWING_LOW)
    ]
