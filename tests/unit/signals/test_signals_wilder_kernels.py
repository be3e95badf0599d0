"""The compiled Wilder kernels against a plain-Python reference of Wilder's definitions (gaps, flat stretches,
padding), and ATR/ADX computed together equal to each computed alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from avwap.signals.indicators import adx, atr, atr_and_adx, directional_indexes, wilder_smooth


def _wilder(values: list[float], period: int) -> list[float]:
    out, count, seed, state = [], 0, 0.0, math.nan
    for value in values:
        if not math.isfinite(value):
            count, seed = 0, 0.0
            out.append(math.nan)
            continue
        if count < period:
            seed, count = seed + value, count + 1
            if count == period:
                state = seed / period
        else:
            state = (state * (period - 1) + value) / period
        out.append(state if count == period else math.nan)
    return out


def _reference(
    high: list[float], low: list[float], close: list[float], period: int
) -> tuple[list[float], ...]:
    nan = math.nan
    ranges, plus_moves, minus_moves = [nan], [nan], [nan]
    for bar in range(1, len(high)):
        previous = close[bar - 1]
        parts = (high[bar] - low[bar], abs(high[bar] - previous), abs(low[bar] - previous))
        ranges.append(nan if any(math.isnan(part) for part in parts) else max(parts))
        up, down = high[bar] - high[bar - 1], low[bar - 1] - low[bar]
        if not (math.isfinite(up) and math.isfinite(down)):
            plus_moves.append(nan)
            minus_moves.append(nan)
            continue
        plus_moves.append(up if up > down and up > 0 else 0.0)
        minus_moves.append(down if down > up and down > 0 else 0.0)
    smoothed = _wilder(ranges, period)
    plus = [
        100.0 * move / size if size > 0 else nan
        for move, size in zip(_wilder(plus_moves, period), smoothed, strict=False)
    ]
    minus = [
        100.0 * move / size if size > 0 else nan
        for move, size in zip(_wilder(minus_moves, period), smoothed, strict=False)
    ]
    movement = []
    for up, down in zip(plus, minus, strict=False):
        total = up + down
        movement.append(
            nan if not math.isfinite(total) else (100.0 * abs(up - down) / total if total > 0 else 0.0)
        )
    return smoothed, plus, minus, _wilder(movement, period)


def _bars(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (6, 160)), axis=1))
    high, low = (
        close * (1.0 + rng.uniform(0, 0.03, close.shape)),
        close * (1.0 - rng.uniform(0, 0.03, close.shape)),
    )
    high[1, 60:80] = low[1, 60:80] = close[1, 60:80] = close[1, 59]  # no movement at all: DI undefined
    for array in (high, low, close):
        array[2, :25] = np.nan  # padding of a short history
        array[3, 90] = np.nan  # a gap restarts every smoothing
    return high, low, close


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("period", [1, 5, 14])
def test_directional_indexes_follow_wilders_definitions(seed: int, period: int) -> None:
    high, low, close = _bars(seed)
    plus, minus, average = directional_indexes(high, low, close, period)
    smoothed = atr(high, low, close, period)
    for row in range(high.shape[0]):
        expected = _reference(list(high[row]), list(low[row]), list(close[row]), period)
        for ours, theirs in zip((smoothed[row], plus[row], minus[row], average[row]), expected, strict=False):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12, equal_nan=True)
        assert np.array_equal(
            wilder_smooth(close[row], period), _wilder(list(close[row]), period), equal_nan=True
        )


def test_atr_and_adx_together_equal_each_alone() -> None:
    high, low, close = _bars(4)
    together = atr_and_adx(high, low, close, 14, 14)
    assert np.array_equal(together[0], atr(high, low, close, 14), equal_nan=True)
    assert np.array_equal(together[1], adx(high, low, close, 14), equal_nan=True)
    different = atr_and_adx(high[0], low[0], close[0], 10, 20)
    assert np.array_equal(different[0], atr(high[0], low[0], close[0], 10), equal_nan=True)
    assert np.array_equal(different[1], adx(high[0], low[0], close[0], 20), equal_nan=True)
    assert different[0].shape == (160,)
    with pytest.raises(ValueError):
        directional_indexes(high, low, close, 0)
