"""Property: both vectorized AVWAP engines equal the slow reference; σ is stable and non-negative."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from avwap.signals.avwap import avwap_series, avwap_snapshot
from avwap.signals.avwap_reference import reference_moments, reference_point, reference_series

ENGINES = ["numba", "numpy"]
RELATIVE = 1e-9


@st.composite
def markets(draw: st.DrawFn, max_bars: int = 40) -> tuple[np.ndarray, ...]:
    """(high, low, close, volume, anchors): positive prices of any scale, zero volumes, −1 anchors."""
    symbols = draw(st.integers(1, 4))
    bars = draw(st.integers(1, max_bars))
    anchor_count = draw(st.integers(1, 5))
    scale = draw(st.sampled_from([0.05, 1.0, 30.0, 1e4]))
    price = hnp.arrays(np.float64, (symbols, bars), elements=st.floats(0.5, 2.0))
    high, low, close = (draw(price) * scale for _ in range(3))
    volume = draw(
        hnp.arrays(np.float64, (symbols, bars), elements=st.one_of(st.just(0.0), st.floats(1.0, 1e7)))
    )
    anchors = draw(hnp.arrays(np.int64, (symbols, anchor_count), elements=st.integers(-1, bars + 1)))
    return high, low, close, volume, anchors


def assert_close(actual: float, expected: float, scale: float) -> None:
    if math.isnan(expected):
        assert math.isnan(actual), (actual, expected)
    else:
        assert abs(actual - expected) <= RELATIVE * max(abs(expected), scale), (actual, expected)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=100)
@given(market=markets(), end_fraction=st.floats(0.0, 1.0))
def test_snapshot_equals_the_reference(
    engine: str, market: tuple[np.ndarray, ...], end_fraction: float
) -> None:
    high, low, close, volume, anchors = market
    end = round(end_fraction * (high.shape[1] - 1))
    result = avwap_snapshot(high, low, close, volume, anchors, end=end, engine=engine)  # type: ignore[arg-type]
    for row, column in np.ndindex(anchors.shape):
        columns = (high[row], low[row], close[row], volume[row])
        anchor = int(anchors[row, column])
        point = reference_point(*columns, anchor=anchor, bar=end)
        level = point.avwap
        assert_close(result.avwap[row, column], level, 0.0)
        assert_close(result.sigma[row, column], point.sigma, 0.0 if math.isnan(level) else abs(level))
        assert_close(result.slope[row, column], point.slope, 1.0)
        assert_close(result.distance[row, column], point.distance, 1.0)
        previous = reference_point(*columns, anchor=anchor, bar=end - 1).avwap if end >= 1 else math.nan
        margin = RELATIVE * 10 * max(0.0 if math.isnan(level) else abs(level), 1.0)
        clear_cut = all(
            math.isnan(reference) or abs(price - reference) > margin
            for price, reference in (
                (close[row, end], level),
                (close[row, end - 1] if end else 0.0, previous),
            )
        )
        if clear_cut:  # exactly-on-the-line closes may legitimately round either way
            assert bool(result.reclaim[row, column]) == point.reclaim


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=60)
@given(market=markets(max_bars=25))
def test_series_equals_the_reference(engine: str, market: tuple[np.ndarray, ...]) -> None:
    high, low, close, volume, anchors = market
    series = avwap_series(high, low, close, volume, anchors, engine=engine)  # type: ignore[arg-type]
    for row, column in np.ndindex(anchors.shape):
        levels, sigmas = reference_series(
            high[row], low[row], close[row], volume[row], anchor=int(anchors[row, column])
        )
        for bar, (level, sigma) in enumerate(zip(levels, sigmas, strict=True)):
            assert_close(series.avwap[row, column, bar], level, 0.0)
            assert_close(series.sigma[row, column, bar], sigma, 0.0 if math.isnan(level) else abs(level))


def mean_rounding_floor(level: float, sigma: float) -> float:
    """How far any float kernel's σ may sit from the exact one because its AVWAP is rounded.

    A mean off by δ (a few ulps of the price) adds δ² to σ²: σ moves by about δ²/(2σ), or by at most δ when
    σ is itself ~0. The naive Σp²v/Σv − AVWAP² would be off by ~√ε·price ≈ 1.5e-4 at 1e4, far outside this.
    """
    rounding = 8 * np.finfo(np.float64).eps * abs(level)
    return rounding if sigma <= rounding else rounding**2 / sigma


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=40)
@given(
    noise=hnp.arrays(np.float64, (3, 2, 30), elements=st.floats(-1.0, 1.0)),
    tiny=st.sampled_from([1e-7, 1e-5, 1e-3]),
    volume=hnp.arrays(np.float64, (2, 30), elements=st.floats(1e5, 1e8)),
    anchors=hnp.arrays(np.int64, (2, 3), elements=st.integers(0, 29)),
)
def test_bands_are_stable_at_high_prices_with_tiny_variance(
    engine: str, noise: np.ndarray, tiny: float, volume: np.ndarray, anchors: np.ndarray
) -> None:
    # Prices 1e4 ± 1e-3 or less: σ must match the exact two-pass reference to 1e-9 relative (down to the
    # floor set by the AVWAP's own rounding) and never go negative or NaN.
    high, low, close = 1e4 + tiny * noise
    result = avwap_snapshot(high, low, close, volume, anchors, engine=engine)  # type: ignore[arg-type]
    assert (result.sigma >= 0).all()
    for row, column in np.ndindex(anchors.shape):
        columns = (high[row], low[row], close[row], volume[row])
        level, sigma = reference_moments(*columns, anchor=int(anchors[row, column]), bar=high.shape[1] - 1)
        tolerance = RELATIVE * sigma + mean_rounding_floor(level, sigma)
        assert abs(result.sigma[row, column] - sigma) <= tolerance, (result.sigma[row, column], sigma)
        assert result.lower_2[row, column] <= result.lower_1[row, column] <= result.avwap[row, column]
        assert result.avwap[row, column] <= result.upper_1[row, column] <= result.upper_2[row, column]
