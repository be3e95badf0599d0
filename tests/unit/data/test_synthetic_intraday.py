"""The intraday bridge on arbitrary daily bars: exact aggregates, valid bars, ticks; and the tick rounding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from avwap.data.synthetic.daily import DailyArrays, round_to_ticks
from avwap.data.synthetic.intraday import activity_profile, bridge_sessions, piecewise_linear


@st.composite
def daily_bars(draw: st.DrawFn) -> tuple[DailyArrays, np.ndarray, np.ndarray]:
    """A few tick-valid daily bars (some sub-dollar, some flat) with 78- or 42-bar sessions."""
    rows = draw(st.integers(1, 6))
    low = np.array(draw(st.lists(st.integers(1, 50_000), min_size=rows, max_size=rows)), dtype=float)
    spread = np.array(draw(st.lists(st.integers(0, 4_000), min_size=rows, max_size=rows)), dtype=float)
    fractions = np.array(draw(st.lists(st.floats(0, 1), min_size=2 * rows, max_size=2 * rows))).reshape(
        2, rows
    )
    volume = np.array(draw(st.lists(st.integers(100, 10**8), min_size=rows, max_size=rows)), dtype=float)
    # Prices in cents; below $1 they are whole ticks of $0.0001 as well.
    high = low + spread
    open_, close = (np.round(low + fraction * spread) for fraction in fractions)
    bars = DailyArrays(*(round_to_ticks(cents / 100.0) for cents in (open_, high, low, close)), volume)
    counts = np.array(draw(st.lists(st.sampled_from([78, 42]), min_size=rows, max_size=rows)))
    reclaim = np.array(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))
    return bars, counts, reclaim


@given(case=daily_bars(), seed=st.integers(0, 2**32 - 1))
def test_bridged_bars_aggregate_exactly_to_the_daily_bar(
    case: tuple[DailyArrays, np.ndarray, np.ndarray], seed: int
) -> None:
    daily, counts, reclaim = case
    minutes = np.where(counts == 78, 390.0, 210.0)
    bars = bridge_sessions(
        np.random.default_rng(seed),
        daily,
        bar_counts=counts,
        session_minutes=minutes,
        bar_minutes=5,
        reclaim=reclaim,
    )
    for row in range(counts.size):
        valid = bars.valid[row]
        assert valid.sum() == counts[row]
        open_, high, low, close, volume = (
            array[row][valid] for array in (bars.open, bars.high, bars.low, bars.close, bars.volume)
        )
        assert open_[0] == daily.open[row] and close[-1] == daily.close[row]
        assert high.max() == daily.high[row] and low.min() == daily.low[row]
        assert volume.sum() == daily.volume[row] and (volume >= 0).all()
        assert (low <= np.minimum(open_, close)).all() and (np.maximum(open_, close) <= high).all()
        assert (low > 0).all()
        np.testing.assert_array_equal(
            round_to_ticks(np.concatenate([open_, high, low, close])),
            np.concatenate([open_, high, low, close]),
        )
        assert (open_[1:] == close[:-1]).all()  # one continuous path


def test_activity_profile_is_heavier_at_both_ends() -> None:
    profile = activity_profile(5, 78, np.array([390.0, 210.0]))
    full, early = profile[0], profile[1, :42]
    assert full[0] > 2.5 * full[39] and full[77] > 2.0 * full[39]
    assert early[41] > 2.0 * early[20]  # an early close still ends with the closing rush
    assert full[0] == pytest.approx(1 + 2.2 * np.exp(-2.5 / 25) + 1.6 * np.exp(-387.5 / 20))


def test_piecewise_linear_passes_through_its_anchors() -> None:
    times = np.array([[0, 2, 5, 10]])
    values = np.array([[10.0, 8.0, 14.0, 12.0]])
    points = np.arange(11, dtype=float)
    expected = [10.0, 9.0, 8.0, 10.0, 12.0, 14.0, 13.6, 13.2, 12.8, 12.4, 12.0]
    np.testing.assert_allclose(piecewise_linear(times, values, points)[0], expected)


@pytest.mark.parametrize(
    ("price", "expected"),
    [(12.346, 12.35), (12.344, 12.34), (1.0, 1.0), (0.99994, 0.9999), (0.123456, 0.1235), (0.00001, 0.0001)],
)
def test_round_to_ticks(price: float, expected: float) -> None:
    assert round_to_ticks(np.array([price]))[0] == expected
