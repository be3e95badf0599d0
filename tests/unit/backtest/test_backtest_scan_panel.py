"""The all-dates panel scan equals the production scan run day by day on data truncated at each date."""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import pandas as pd
import pytest

from avwap.backtest.scan_panel import scan_all_dates
from avwap.core.calendar import nyse
from avwap.data.synthetic import SyntheticMarketSpec, generate_market
from avwap.signals.scan import scan
from avwap.signals.scan_rules import ScanRules

START, END = dt.date(2024, 1, 2), dt.date(2025, 12, 31)


@cache
def market() -> tuple[pd.DataFrame, pd.DataFrame]:
    """40 synthetic stocks over two years; one lists late and one misses sessions (different columns)."""
    spec = SyntheticMarketSpec(seed=11, symbols=40, daily_start=START, daily_end=END, intraday_start=None)
    daily = generate_market(spec).daily
    days = daily["timestamp"].dt.tz_convert("America/New_York").dt.date
    symbols = sorted(set(daily["symbol"]) - {"SPY", "IWM"})
    late = (daily["symbol"] == symbols[0]) & (days < dt.date(2025, 3, 3))
    holes = (daily["symbol"] == symbols[1]) & days.isin(sorted(set(days))[300:330:3])
    bars = daily[~late & ~holes & (daily["symbol"] != "SPY")].reset_index(drop=True)
    return bars, daily[daily["symbol"] == "SPY"].reset_index(drop=True)


def _until(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    return frame[frame["timestamp"].dt.tz_convert("America/New_York").dt.date <= day]


def _sessions() -> list[dt.date]:
    return list(nyse().sessions(START, dt.date(2026, 3, 31)))


def _earnings(bars: pd.DataFrame) -> dict[str, list[dt.date]]:
    symbols = sorted(set(bars["symbol"]))
    sessions = _sessions()
    return {symbol: sessions[300 + index % 7 :: 61] for index, symbol in enumerate(symbols[::2])}


def test_every_sampled_date_equals_the_day_by_day_scan() -> None:
    bars, benchmark = market()
    sessions = _sessions()
    earnings = _earnings(bars)
    dates = [day for day in sessions if dt.date(2025, 1, 2) <= day <= END]
    result = scan_all_dates(bars, dates, benchmark=benchmark, earnings=earnings, sessions=sessions)
    compared, anchor_types = 0, set()
    for day in dates[::9]:
        later = [session for session in sessions if session > day]
        expected = scan(
            _until(bars, day),
            day,
            benchmark=_until(benchmark, day),
            earnings=earnings,
            future_sessions=later,
            trading_date=later[0],
        )
        assert result.gates[day] == expected.market_gate, day
        assert result.candidates[day] == expected.candidates, day
        compared += len(expected.candidates)
        anchor_types |= {candidate.anchor_type for candidate in expected.candidates}
    assert compared > 100  # the comparison is not vacuous
    assert "EARNINGS" in anchor_types
    assert result.windows_evaluated > 0


def test_cutting_the_data_after_a_date_changes_nothing_up_to_it() -> None:
    bars, benchmark = market()
    dates = [day for day in _sessions() if dt.date(2025, 6, 2) <= day <= dt.date(2025, 9, 30)]
    cut = dates[len(dates) // 2]
    whole = scan_all_dates(bars, dates, benchmark=benchmark)
    truncated = scan_all_dates(
        _until(bars, cut), [d for d in dates if d <= cut], benchmark=_until(benchmark, cut)
    )
    assert any(truncated.candidates.values())
    for day in truncated.as_of_dates:
        assert truncated.candidates[day] == whole.candidates[day]


def test_closed_gate_and_small_batches_and_rules() -> None:
    bars, benchmark = market()
    dates = [day for day in _sessions() if dt.date(2025, 4, 1) <= day <= dt.date(2025, 5, 30)]
    rules = ScanRules(top_n=3, max_distance=0.03)
    falling = benchmark.assign(close=np.linspace(200.0, 100.0, len(benchmark)))
    closed = scan_all_dates(bars, dates, benchmark=falling, rules=rules)
    assert not any(closed.candidates.values()) and not any(gate.is_open for gate in closed.gates.values())
    import avwap.backtest.scan_panel as module

    previous, module.ROWS_PER_BATCH = module.ROWS_PER_BATCH, 7  # many small batches: same answer
    try:
        small = scan_all_dates(bars, dates, benchmark=benchmark, rules=rules)
    finally:
        module.ROWS_PER_BATCH = previous
    large = scan_all_dates(bars, dates, benchmark=benchmark, rules=rules)
    assert small.candidates == large.candidates
    assert all(len(found) <= 3 for found in large.candidates.values())
    for day in dates[::10]:
        expected = scan(_until(bars, day), day, benchmark=_until(benchmark, day), rules=rules)
        assert large.candidates[day] == expected.candidates


def test_no_dates_is_an_error() -> None:
    bars, benchmark = market()
    with pytest.raises(Exception, match="no as-of dates"):
        scan_all_dates(bars, [], benchmark=benchmark)
