"""Swing pivots: hand-made series, the confirmation delay, and the no-lookahead guarantee."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from avwap.signals.pivots import (
    PivotPoint,
    latest_higher_low,
    latest_pivot,
    latest_pivot_positions,
    swing_highs,
    swing_lows,
)

# Swing lows (left 2, right 2) at bars 2 (3.0), 6 (2.0), 10 (2.5), 14 (2.2); confirmed at 4, 8, 12, 16.
LOWS = [5, 4, 3, 4, 5, 4, 2, 3, 4, 3.5, 2.5, 3, 4, 3, 2.2, 3, 4]


def test_swing_lows_table() -> None:
    pivots = swing_lows(LOWS, left=2, right=2)
    assert pivots.index.tolist() == [2, 6, 10, 14]
    assert pivots.confirmed_at.tolist() == [4, 8, 12, 16]
    assert pivots.price.tolist() == [3.0, 2.0, 2.5, 2.2]
    assert len(pivots) == 4
    with pytest.raises(ValueError, match="read-only"):
        pivots.index[0] = 1


def test_swing_highs_mirror_lows() -> None:
    pivots = swing_highs([1, 3, 2, 5, 4, 4], left=1, right=1)
    assert pivots.index.tolist() == [1, 3]
    assert pivots.confirmed_at.tolist() == [2, 4]


@pytest.mark.parametrize(
    ("lows", "left", "right", "expected"),
    [
        ([5, 3, 3, 5, 6], 1, 1, [1]),  # flat double bottom: one pivot, the first bar
        ([1, 2, 3], 1, 1, []),  # an edge bar has no left bars: never a pivot
        ([5, 4, 3], 1, 1, []),  # the lowest bar is last: its right bars have not closed
        ([5, np.nan, 3, 4, 5], 2, 1, []),  # a NaN neighbour blocks the pivot
        ([5, 4, 3, 4], 1, 0, [1, 2]),  # right = 0: every new low is a pivot, confirmed on its own bar
        ([4, 3], 1, 3, []),  # shorter than the pattern
    ],
)
def test_swing_low_edge_cases(lows: list[float], left: int, right: int, expected: list[int]) -> None:
    assert swing_lows(lows, left=left, right=right).index.tolist() == expected


def test_a_pivot_is_not_visible_before_its_right_bars_close() -> None:
    pivots = swing_lows(LOWS, left=2, right=2)
    assert latest_pivot(pivots, 3) is None  # bar 2 is the low, but bars 3 and 4 have not both closed
    assert latest_pivot(pivots, 4) == PivotPoint(index=2, confirmed_at=4, price=3.0)
    assert latest_pivot(pivots, 7) == PivotPoint(index=2, confirmed_at=4, price=3.0)  # bar 6 known only at 8
    assert latest_pivot(pivots, 8) == PivotPoint(index=6, confirmed_at=8, price=2.0)


def test_latest_higher_low() -> None:
    pivots = swing_lows(LOWS, left=2, right=2)
    assert latest_higher_low(pivots, 11) is None  # known: 3.0, 2.0 (a lower low)
    assert latest_higher_low(pivots, 12) == PivotPoint(index=10, confirmed_at=12, price=2.5)
    # at 16 the latest pivot (2.2) is lower than 2.5: the most recent higher low is still bar 10 ...
    assert latest_higher_low(pivots, 16) == PivotPoint(index=10, confirmed_at=12, price=2.5)
    # ... unless the caller wants the structure intact
    assert latest_higher_low(pivots, 16, require_latest=True) is None
    assert latest_higher_low(pivots, 12, require_latest=True) == PivotPoint(
        index=10, confirmed_at=12, price=2.5
    )


def test_latest_pivot_positions_per_bar() -> None:
    positions = latest_pivot_positions(swing_lows(LOWS, left=2, right=2), len(LOWS))
    assert positions.tolist() == [-1] * 4 + [0] * 4 + [1] * 4 + [2] * 4 + [3]


@pytest.mark.parametrize(("left", "right"), [(1, 1), (2, 2), (3, 1), (2, 4)])
def test_as_of_queries_never_use_future_bars(left: int, right: int) -> None:
    # The pivot known at bar t from the full series equals the one found on the series cut at t.
    rng = np.random.default_rng(left * 10 + right)
    lows = np.round(20 + np.cumsum(rng.normal(0, 1, 200)), 1)  # rounding creates ties
    full = swing_lows(lows, left=left, right=right)
    for bar in range(len(lows)):
        cut = swing_lows(lows[: bar + 1], left=left, right=right)
        assert latest_pivot(full, bar) == latest_pivot(cut, bar)
        assert latest_higher_low(full, bar) == latest_higher_low(cut, bar)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="left"):
        swing_lows([1.0, 2.0, 3.0], left=0)
    with pytest.raises(ValueError, match="1-D"):
        swing_lows(np.ones((2, 5)))


def _reference_lows(values: list[float], left: int, right: int) -> list[int]:
    """The module docstring's rule, bar by bar: strictly below each left bar, at or below each right bar."""
    return [
        index
        for index in range(left, len(values) - right)
        if np.isfinite(values[index])
        and all(values[index] < values[index - step] for step in range(1, left + 1))
        and all(values[index] <= values[index + step] for step in range(1, right + 1))
    ]


@given(
    values=st.lists(
        st.one_of(st.sampled_from([99.0, 99.5, 100.0, 100.5]), st.just(float("nan")), st.just(float("inf"))),
        max_size=40,
    ),
    left=st.integers(min_value=1, max_value=4),
    right=st.integers(min_value=0, max_value=4),
)
def test_pivots_equal_the_rule_bar_by_bar(values: list[float], left: int, right: int) -> None:
    """The vectorised search finds exactly the pivots of the rule (ties, NaN and inf included)."""
    lows = swing_lows(np.array(values, dtype=float), left, right)
    assert lows.index.tolist() == _reference_lows(values, left, right)
    assert lows.confirmed_at.tolist() == [index + right for index in lows.index.tolist()]
    highs = swing_highs(np.array(values, dtype=float), left, right)
    assert highs.index.tolist() == _reference_lows([-value for value in values], left, right)
