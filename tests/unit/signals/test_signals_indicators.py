"""Indicators against hand-computed tables (the arithmetic is spelled out next to each expectation)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from avwap.signals.indicators import (
    adx,
    atr,
    average_dollar_volume,
    average_volume,
    directional_indexes,
    fractional_slope,
    realized_volatility,
    rolling_high,
    rolling_low,
    rolling_median,
    rolling_sum,
    shift,
    sma,
    trend_score,
    trend_score_formula,
    true_range,
    wilder_smooth,
)

NAN = math.nan
# Five bars used by the ATR/ADX tables. True ranges: bar1 max(2, |11−9|, |9−9|) = 2;
# bar2 max(3, |13−10|, |10−10|) = 3; bar3 max(1, |12−12|, |11−12|) = 1;
# bar4 max(3, |12.5−11.5|, |9.5−11.5|) = 3.
HIGH = [10.0, 11.0, 13.0, 12.0, 12.5]
LOW = [8.0, 9.0, 10.0, 11.0, 9.5]
CLOSE = [9.0, 10.0, 12.0, 11.5, 10.0]


def assert_series(actual: np.ndarray, expected: list[float]) -> None:
    np.testing.assert_allclose(actual, np.array(expected), rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize(
    ("function", "values", "window", "expected"),
    [
        (sma, [1, 2, 3, 4, 5], 3, [NAN, NAN, 2, 3, 4]),
        (sma, [1, NAN, 3, 4], 2, [NAN, NAN, NAN, 3.5]),  # a NaN poisons only the windows that contain it
        (rolling_sum, [1, 2, 3, 4], 2, [NAN, 3, 5, 7]),
        (rolling_high, [3, 1, 4, 1, 5], 2, [NAN, 3, 4, 4, 5]),
        (rolling_low, [3, 1, 4, 1, 5], 2, [NAN, 1, 1, 1, 1]),
        (rolling_median, [5, 1, 3, 2, 4], 3, [NAN, NAN, 3, 2, 3]),
        (rolling_median, [5, 1, 3, 2], 2, [NAN, 3, 2, 2.5]),  # even count: mean of the middle two
        (average_volume, [100, 200, 300], 2, [NAN, 150, 250]),
        (sma, [1, 2], 3, [NAN, NAN]),  # shorter than the window: all NaN
    ],
)
def test_rolling_statistics(function, values: list[float], window: int, expected: list[float]) -> None:  # type: ignore[no-untyped-def]
    assert_series(function(values, window), expected)


def test_rolling_median_min_periods_uses_what_exists() -> None:
    # [5] → 5; [5, 1] → 3; [5, 1, 3] → 3; [1, 3, 2] → 2
    assert_series(rolling_median([5, 1, 3, 2], 3, min_periods=1), [5, 3, 3, 2])
    assert_series(rolling_median([NAN, 4, 2, 9], 3, min_periods=2), [NAN, NAN, 3, 4])


def test_shift_and_fractional_slope() -> None:
    assert_series(shift([1, 2, 3], 1), [NAN, 1, 2])
    assert_series(fractional_slope([100, 110, 121], 1), [NAN, 0.1, 0.1])
    assert_series(fractional_slope([100, 110, 121], 2), [NAN, NAN, 0.21])
    assert_series(fractional_slope([0, 1, 2], 1), [NAN, NAN, 1.0])  # zero base: NaN, not a division error


def test_dollar_volume_is_the_mean_of_close_times_volume() -> None:
    # (10·100 + 20·200)/2 = 2500; (20·200 + 30·300)/2 = 6500
    assert_series(average_dollar_volume([10, 20, 30], [100, 200, 300], 2), [NAN, 2500, 6500])


def test_true_range_needs_a_previous_close() -> None:
    assert_series(true_range(HIGH, LOW, CLOSE), [NAN, 2, 3, 1, 3])


def test_wilder_smoothing_seeds_with_a_simple_mean() -> None:
    # seed mean(1, 2, 3) = 2; then (2·2 + 4)/3 = 8/3; then (8/3·2 + 5)/3 = 31/9
    assert_series(wilder_smooth([NAN, 1, 2, 3, 4, 5], 3), [NAN, NAN, NAN, 2, 8 / 3, 31 / 9])


def test_wilder_smoothing_restarts_after_a_gap() -> None:
    assert_series(wilder_smooth([1, 3, NAN, 5, 7, 9], 2), [NAN, 2, NAN, NAN, 6, 7.5])


def test_atr_table() -> None:
    # ATR(2): seed (2 + 3)/2 = 2.5; (2.5 + 1)/2 = 1.75; (1.75 + 3)/2 = 2.375
    assert_series(atr(HIGH, LOW, CLOSE, period=2), [NAN, NAN, 2.5, 1.75, 2.375])


def test_adx_table() -> None:
    # +DM: bar1 up 1 > down −1 → 1; bar2 → 2; bar3 up −1, down −1 → 0; bar4 up .5 < down 1.5 → −DM 1.5.
    # Wilder(2): TR 2.5, 1.75, 2.375; +DM 1.5, .75, .375; −DM 0, 0, .75.
    # +DI = 60, 42.857…, 15.789…; −DI = 0, 0, 31.578…; DX = 100, 100, 100·(.75 − .375)/1.125 = 33.33…
    # ADX(2) = mean(100, 100) = 100 on bar 3, then (100 + 33.33…)/2 = 66.66… on bar 4.
    plus, minus, average = directional_indexes(HIGH, LOW, CLOSE, period=2)
    assert_series(plus, [NAN, NAN, 60, 0.75 / 1.75 * 100, 0.375 / 2.375 * 100])
    assert_series(minus, [NAN, NAN, 0, 0, 0.75 / 2.375 * 100])
    assert_series(average, [NAN, NAN, NAN, 100, (100 + 100 / 3) / 2])
    assert_series(adx(HIGH, LOW, CLOSE, period=2), [NAN, NAN, NAN, 100, (100 + 100 / 3) / 2])


def test_realized_volatility() -> None:
    # returns ln(1.1), ln(0.9); sample std of two values = |a − b|/√2; annualized by √252
    expected = abs(math.log(1.1) - math.log(0.9)) / math.sqrt(2) * math.sqrt(252)
    assert_series(realized_volatility([100, 110, 99], window=2), [NAN, NAN, expected])


@pytest.mark.parametrize(
    ("slope", "adx_value", "ratio", "expected"),
    [
        (1.5, 20.0, 1.1, 2 * 1.5 + 0.7 * 20 - 10 * 1.1),  # 3 + 14 − 11 = 6
        (-0.5, 30.0, 0.9, -1.0 - 21.0 - 9.0),  # ADX counts against a falling SMA
        (0.0, 40.0, 1.0, -10.0),  # flat: sign 0 drops the ADX term
    ],
)
def test_trend_score_formula(slope: float, adx_value: float, ratio: float, expected: float) -> None:
    assert trend_score_formula(slope, adx_value, ratio) == pytest.approx(expected, abs=1e-12)


def test_trend_score_series_is_the_formula_of_its_parts() -> None:
    rng = np.random.default_rng(7)
    close = 50 * np.cumprod(1 + rng.normal(0.001, 0.01, 300))
    high, low = close * 1.01, close * 0.99
    score = trend_score(high, low, close)
    # ATR% first on bar 14, its 120-bar median on bar 133 (after the SMA50 slope, bar 59, and ADX, bar 27)
    assert np.isnan(score[:133]).all() and np.isfinite(score[133:]).all()
    average = sma(close, 50)
    slope = 100 * (average[-1] / average[-11] - 1)
    atr_pct = 100 * atr(high, low, close) / close
    ratio = atr_pct[-1] / np.median(atr_pct[-120:])
    assert score[-1] == pytest.approx(trend_score_formula(slope, adx(high, low, close)[-1], ratio), rel=1e-12)


def test_panel_rows_with_nan_padding_match_the_unpadded_series() -> None:
    # The panel left-pads short histories with NaN: every indicator must then equal the per-symbol result.
    rng = np.random.default_rng(3)
    close = 20 + np.cumsum(rng.normal(0, 0.3, 60))
    high, low = close + 0.4, close - 0.5
    pad = np.full(15, np.nan)
    panel = [np.vstack([series, np.concatenate([pad, series[15:]])]) for series in (high, low, close)]
    for function in (atr, adx):
        result = function(*panel)
        np.testing.assert_array_equal(result[0], function(high, low, close))
        np.testing.assert_array_equal(result[1, 15:], function(high[15:], low[15:], close[15:]))
        assert np.isnan(result[1, :15]).all()
    np.testing.assert_array_equal(sma(panel[2], 5)[1, 15:], sma(close[15:], 5))


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="window"):
        sma([1.0], 0)
    with pytest.raises(ValueError, match="period"):
        wilder_smooth([1.0], 0)
    with pytest.raises(ValueError, match="min_periods"):
        rolling_median([1.0, 2.0], 2, min_periods=3)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        sma(np.zeros((2, 2, 2)), 2)


def test_rolling_high_and_low_are_the_windows_own_maximum_and_minimum() -> None:
    """Folded over shifted column blocks, the result is bit for bit each window's reduction (NaN inside a
    window gives NaN), for windows shorter than, equal to and longer than the series."""
    from numpy.lib.stride_tricks import sliding_window_view

    from avwap.signals.indicators import rolling_high, rolling_low

    rng = np.random.default_rng(9)
    values = rng.random((30, 40)) * 100.0
    values[:4, :12] = np.nan
    values[7, 20] = np.nan
    for window in (1, 2, 5, 20, 40, 41):
        for function, reduction in ((rolling_high, np.max), (rolling_low, np.min)):
            expected = np.full(values.shape, np.nan)
            if window <= values.shape[1]:
                expected[:, window - 1 :] = reduction(sliding_window_view(values, window, axis=-1), axis=-1)
            np.testing.assert_array_equal(function(values, window), expected)
            np.testing.assert_array_equal(function(values[3], window), expected[3])
