"""AVWAP kernels on hand-computed tables, for both engines, plus input checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from avwap.core.errors import DataError
from avwap.signals import avwap_numba
from avwap.signals.avwap import avwap_series, avwap_snapshot, slope_series
from avwap.signals.avwap_reference import reference_point

ENGINES = ["numba", "numpy"]
NAN = math.nan
# Row 0: typical prices 10, 11, 12, 13 with volumes 100, 300, 0, 100.
# Row 1: H 11, L 9, closes 10.5, 10.5, 9.2, 10.8 (typical 30.5/3, 30.5/3, 29.2/3, 30.8/3), volume 100 each.
HIGH = np.array([[11.0, 12.0, 13.0, 14.0], [11.0, 11.0, 11.0, 11.0]])
LOW = np.array([[9.0, 10.0, 11.0, 12.0], [9.0, 9.0, 9.0, 9.0]])
CLOSE = np.array([[10.0, 11.0, 12.0, 13.0], [10.5, 10.5, 9.2, 10.8]])
VOLUME = np.array([[100.0, 300.0, 0.0, 100.0], [100.0, 100.0, 100.0, 100.0]])


def snapshot(anchors: list[list[int]], engine: str, **options: int):  # type: ignore[no-untyped-def]
    return avwap_snapshot(HIGH, LOW, CLOSE, VOLUME, np.array(anchors), engine=engine, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ENGINES)
def test_avwap_sigma_slope_distance_table(engine: str) -> None:
    result = snapshot([[0, 1, 2, 3], [0, -1, 5, 3]], engine, slope_bars=2)
    # anchor 0: Σpv = 1000 + 3300 + 0 + 1300 = 5600, Σv = 500 → 11.2
    # σ² = (100·1.2² + 300·0.2² + 100·1.8²)/500 = 480/500 = 0.96
    # slope over 2 bars: AVWAP at bar 1 = 4300/400 = 10.75 → 11.2/10.75 − 1; distance (13 − 11.2)/11.2
    assert result.avwap[0, 0] == pytest.approx(11.2, rel=1e-12)
    assert result.sigma[0, 0] == pytest.approx(math.sqrt(0.96), rel=1e-12)
    assert result.slope[0, 0] == pytest.approx(11.2 / 10.75 - 1, rel=1e-12)
    assert result.distance[0, 0] == pytest.approx((13 - 11.2) / 11.2, rel=1e-12)
    # anchor 1: (3300 + 0 + 1300)/400 = 11.5; its slope base is its anchor bar (young anchor): 11.5/11 − 1
    assert result.avwap[0, 1] == pytest.approx(11.5, rel=1e-12)
    assert result.slope[0, 1] == pytest.approx(11.5 / 11 - 1, rel=1e-12)
    # anchor 2 starts on a zero-volume bar: AVWAP 13 at bar 3, but its base (AVWAP at bar 2) is undefined
    assert result.avwap[0, 2] == pytest.approx(13.0, rel=1e-12)
    assert result.sigma[0, 2] == 0.0
    assert math.isnan(result.slope[0, 2])
    # anchor on the last bar: AVWAP = its typical price, slope 0, never a reclaim
    assert (
        result.avwap[0, 3] == pytest.approx(13.0) and result.slope[0, 3] == 0.0 and not result.reclaim[0, 3]
    )
    # missing (−1) and future (5 > end) anchors are NaN
    assert math.isnan(result.avwap[1, 1]) and math.isnan(result.avwap[1, 2]) and not result.reclaim[1, 2]


@pytest.mark.parametrize("engine", ENGINES)
def test_reclaim(engine: str) -> None:
    result = snapshot([[0, 0, 0, 0], [0, 3, 0, 0]], engine)
    # row 1, anchor 0: AVWAP at bar 2 = (30.5 + 30.5 + 29.2)/9 = 10.022… ≥ close 9.2;
    # at bar 3 = 121/12 = 10.083… < close 10.8: a reclaim
    assert result.avwap[1, 0] == pytest.approx(121 / 12, rel=1e-12)
    assert result.reclaim[1, 0]
    assert not result.reclaim[1, 1]  # anchored on the last bar: no previous AVWAP
    assert not result.reclaim[0, 0]  # row 0 closed above its AVWAP on both bars


@pytest.mark.parametrize("engine", ENGINES)
def test_zero_volume_is_nan_not_an_error(engine: str) -> None:
    with np.errstate(all="raise"):
        result = snapshot([[2, 2, 2, 2], [0, 0, 0, 0]], engine, end=2)
    assert (
        math.isnan(result.avwap[0, 0])
        and math.isnan(result.sigma[0, 0])
        and math.isnan(result.distance[0, 0])
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_end_bar_ignores_later_bars(engine: str) -> None:
    result = snapshot([[0, 1, 3, -1], [0, 1, 2, 3]], engine, end=1)
    assert result.avwap[0, 0] == pytest.approx(4300 / 400, rel=1e-12)
    assert math.isnan(result.avwap[0, 2])  # anchor after the end bar: not known yet
    poisoned = HIGH.copy()
    poisoned[:, 2:] = np.nan
    again = avwap_snapshot(
        poisoned, LOW, CLOSE, VOLUME, np.array([[0, 1, 3, -1], [0, 1, 2, 3]]), end=1, engine=engine
    )  # type: ignore[arg-type]
    np.testing.assert_array_equal(again.avwap, result.avwap)


@pytest.mark.parametrize("engine", ENGINES)
def test_series_table(engine: str) -> None:
    series = avwap_series(HIGH, LOW, CLOSE, VOLUME, np.array([[1, 2], [0, -1]]), engine=engine)  # type: ignore[arg-type]
    np.testing.assert_allclose(series.avwap[0, 0], [NAN, 11.0, 11.0, 11.5], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(series.avwap[0, 1], [NAN, NAN, NAN, 13.0], rtol=1e-12, equal_nan=True)
    assert np.isnan(series.avwap[1, 1]).all() and np.isnan(series.sigma[1, 1]).all()
    # bar 3: mean 11.5, σ² = (300·0.5² + 100·1.5²)/400 = 0.75
    np.testing.assert_allclose(series.sigma[0, 0, 1:], [0.0, 0.0, math.sqrt(0.75)], rtol=1e-12)


def test_bands_are_avwap_plus_minus_sigma() -> None:
    result = snapshot([[0, 1, 2, 3], [0, 0, 0, 0]], "numpy")
    np.testing.assert_allclose(result.upper_1, result.avwap + result.sigma)
    np.testing.assert_allclose(result.lower_2, result.avwap - 2 * result.sigma)
    lower, upper = result.band(1.5)
    np.testing.assert_allclose(upper - lower, 3 * result.sigma)


def test_slope_series_matches_the_snapshot_at_every_bar() -> None:
    rng = np.random.default_rng(5)
    close = 50 + np.cumsum(rng.normal(0, 1, (3, 40)), axis=1)
    high, low, volume = close + 1, close - 1, rng.uniform(1, 10, (3, 40))
    anchors = np.array([[0, 10, 30], [5, 38, -1], [20, 21, 39]])
    series = avwap_series(high, low, close, volume, anchors)
    slopes = slope_series(series.avwap, anchors, 5)
    for end in range(40):
        point = avwap_snapshot(high, low, close, volume, anchors, end=end)
        np.testing.assert_allclose(slopes[..., end], point.slope, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_parallel_kernel_is_bit_identical_to_serial() -> None:
    rng = np.random.default_rng(9)
    close = 100 + np.cumsum(rng.normal(0, 1, (80, 300)), axis=1)
    high, low, volume = (
        close + rng.uniform(0, 2, close.shape),
        close - rng.uniform(0, 2, close.shape),
        rng.uniform(0, 1e6, close.shape),
    )
    anchors = rng.integers(-1, 300, (80, 6))
    outputs = [(*(np.empty((80, 6)) for _ in range(4)), np.empty((80, 6), bool)) for _ in range(2)]
    avwap_numba.snapshot_serial(high, low, close, volume, anchors, 299, 5, outputs[0])
    avwap_numba.snapshot_parallel(high, low, close, volume, anchors, 299, 5, outputs[1])
    for serial, parallel in zip(*outputs, strict=True):
        np.testing.assert_array_equal(serial, parallel)
    via_api = avwap_snapshot(high, low, close, volume, anchors)  # 80 symbols: the parallel path
    np.testing.assert_array_equal(via_api.avwap, outputs[0][0])


def test_series_kernels_serial_and_parallel_are_bit_identical() -> None:
    """A chart's one-symbol series takes the serial kernel; many symbols the parallel one: same numbers."""
    rng = np.random.default_rng(11)
    close = 100 + np.cumsum(rng.normal(0, 1, (70, 120)), axis=1)
    high, low, volume = close + 0.5, close - 0.5, rng.uniform(0, 1e6, close.shape)
    volume[3, 40] = 0.0
    anchors = rng.integers(-1, 130, (70, 4))
    shape = (70, 4, 120)
    serial, parallel = (np.empty(shape), np.empty(shape)), (np.empty(shape), np.empty(shape))
    avwap_numba.series_serial(high, low, close, volume, anchors, *serial)
    avwap_numba.series_parallel(high, low, close, volume, anchors, *parallel)
    for one, other in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(one, other)
    single = avwap_series(high[5:6], low[5:6], close[5:6], volume[5:6], anchors[5:6])  # 1 symbol: serial
    np.testing.assert_array_equal(single.avwap[0], serial[0][5])
    np.testing.assert_array_equal(single.sigma[0], serial[1][5])
    reference = avwap_series(high, low, close, volume, anchors, engine="numpy")
    np.testing.assert_allclose(serial[0], reference.avwap, rtol=1e-9, equal_nan=True)


def test_reference_point_matches_the_table() -> None:
    point = reference_point(HIGH[0], LOW[0], CLOSE[0], VOLUME[0], anchor=0, bar=3, slope_bars=2)
    assert point.avwap == pytest.approx(11.2) and point.sigma == pytest.approx(math.sqrt(0.96))
    assert point.slope == pytest.approx(11.2 / 10.75 - 1) and not point.reclaim


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(DataError, match="one shape"):
        avwap_snapshot(HIGH, LOW, CLOSE[:, :3], VOLUME, np.zeros((2, 1), int))
    with pytest.raises(DataError, match="anchors"):
        avwap_snapshot(HIGH, LOW, CLOSE, VOLUME, np.zeros((3, 1), int))
    with pytest.raises(DataError, match="end bar"):
        avwap_snapshot(HIGH, LOW, CLOSE, VOLUME, np.zeros((2, 1), int), end=4)
    with pytest.raises(ValueError, match="engine"):
        avwap_snapshot(HIGH, LOW, CLOSE, VOLUME, np.zeros((2, 1), int), engine="cuda")  # type: ignore[arg-type]
