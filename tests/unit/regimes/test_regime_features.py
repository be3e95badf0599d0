"""The four regime features on series whose values are known by hand, and no lookahead."""

from __future__ import annotations

import math

import numpy as np
import pytest

from avwap.regimes.features import benchmark_features, breadth, regime_features
from avwap.regimes.rules import RegimeRules

RULES = RegimeRules(volatility_window=5, drawdown_window=4, trend_fast=2, trend_slow=4, max_daily_move=0.25)


def test_volatility_is_annualized_sample_deviation_of_log_returns() -> None:
    close = 100 * np.exp(np.cumsum([0.0, 0.01, -0.01, 0.01, -0.01, 0.01, -0.01]))
    volatility, _, _, _ = benchmark_features(close, RULES)
    assert np.isnan(volatility[:5]).all()  # five returns need six closes
    returns = np.array([0.01, -0.01, 0.01, -0.01, 0.01])
    assert volatility[5] == pytest.approx(returns.std(ddof=1) * math.sqrt(252), rel=1e-12)


def test_drawdown_is_the_distance_below_the_rolling_high_of_closes() -> None:
    close = np.array([100.0, 110.0, 99.0, 104.5, 100.0, 90.0, 95.0])
    _, drawdown, _, _ = benchmark_features(close, RULES)
    assert np.isnan(drawdown[:3]).all()
    assert drawdown[3:].tolist() == pytest.approx([0.05, 1 - 100 / 110, 1 - 90 / 104.5, 1 - 95 / 104.5])


def test_trend_is_fast_over_slow_moving_average_minus_one() -> None:
    close = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    _, _, trend, _ = benchmark_features(close, RULES)
    assert np.isnan(trend[:3]).all()
    assert trend[3] == pytest.approx(35 / 25 - 1) and trend[4] == pytest.approx(45 / 35 - 1)


def test_a_move_beyond_the_daily_limit_breaks_every_window_that_holds_it() -> None:
    close = np.array([100.0] * 6 + [50.0] + [50.0] * 8)  # an unadjusted 2:1 split at index 6
    *_, broken = benchmark_features(close, RULES)
    needed = RULES.history_needed  # 6
    assert not broken[:6].any()
    assert broken[6 : 6 + needed].all() and not broken[6 + needed :].any()


def test_breadth_counts_symbols_above_their_average_among_full_windows() -> None:
    rows = np.array(
        [
            [1.0, 2.0, 3.0, 4.0],  # above its 2-bar mean from bar 1
            [4.0, 3.0, 2.0, 1.0],  # below
            [np.nan, 1.0, 1.0, 2.0],  # no window at bar 1, equal (not above) at 2, above at 3
        ]
    )
    share, counted = breadth(rows, window=2, min_symbols=2)
    assert counted.tolist() == [0, 2, 3, 3]
    assert np.isnan(share[0])
    assert share[1:].tolist() == pytest.approx([0.5, 1 / 3, 2 / 3])
    share, _ = breadth(rows, window=2, min_symbols=3)
    assert np.isnan(share[1]) and share[2] == pytest.approx(1 / 3)  # too few symbols: missing


def test_a_missing_bar_empties_the_windows_that_hold_it() -> None:
    rows = np.array([[1.0, 2.0, np.nan, 4.0, 5.0, 6.0]])
    share, counted = breadth(rows, window=2, min_symbols=1)
    assert counted.tolist() == [0, 1, 0, 0, 1, 1]
    assert np.isnan(share[[0, 2, 3]]).all()


def test_no_universe_means_breadth_missing_everywhere() -> None:
    features = regime_features(np.linspace(100, 120, 30), None, RULES)
    assert np.isnan(features.breadth).all() and not features.breadth_symbols.any()
    empty = regime_features(np.linspace(100, 120, 30), np.empty((0, 30)), RULES)
    assert np.isnan(empty.breadth).all()


def test_features_at_a_session_never_read_later_bars() -> None:
    rng = np.random.default_rng(3)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 120)))
    universe = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, (12, 120)), axis=1))
    universe[3, 40:45] = np.nan
    rules = RegimeRules(breadth_window=10, breadth_min_symbols=5, trend_slow=60)
    whole = regime_features(close, universe, rules)
    for cut in (30, 61, 62, 90, 119):
        part = regime_features(close[: cut + 1], universe[:, : cut + 1], rules)
        for name in ("volatility", "drawdown", "trend", "breadth", "breadth_symbols", "discontinuity"):
            np.testing.assert_array_equal(getattr(part, name), getattr(whole, name)[: cut + 1], err_msg=name)


def test_an_empty_or_one_bar_benchmark_has_missing_features() -> None:
    for close in (np.array([]), np.array([100.0])):
        features = regime_features(close, None, RULES)
        assert features.volatility.size == close.size and np.isnan(features.trend).all()
