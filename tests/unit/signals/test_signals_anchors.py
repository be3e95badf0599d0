"""Anchor types, their thresholds and windows, and the same-bar merge rule."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from avwap.signals.anchors import (
    ANCHOR_TYPES,
    Anchor,
    AnchorBars,
    AnchorRules,
    anchor_indices,
    anchors_as_of,
    merge_anchors,
)

START = np.datetime64("2023-11-01")
BARS = 100  # weekdays from 2023-11-01: bar 43 is 2024-01-01, bar 87 is 2024-03-01, bar 99 is 2024-03-19
LAST = BARS - 1


def flat_bars() -> dict[str, np.ndarray]:
    """Quiet bars: open = close = 100, range 99.5-100.5, volume 1M (no gap, no breakout)."""
    dates = np.busday_offset(START, np.arange(BARS), roll="forward")
    return {
        "dates": dates,
        "open": np.full(BARS, 100.0),
        "high": np.full(BARS, 100.5),
        "low": np.full(BARS, 99.5),
        "close": np.full(BARS, 100.0),
        "volume": np.full(BARS, 1e6),
    }


def found(bars: dict[str, np.ndarray], bar: int = LAST, **options: object) -> dict[str, int]:
    arrays = AnchorBars.of(
        bars["dates"], bars["open"], bars["high"], bars["low"], bars["close"], bars["volume"]
    )
    indices = anchor_indices(arrays, bar, **options)[0]  # type: ignore[arg-type]
    return dict(zip(ANCHOR_TYPES, indices.tolist(), strict=True))


def test_calendar_layout_of_the_fixture() -> None:
    dates = flat_bars()["dates"]
    assert (
        str(dates[43]) == "2024-01-01" and str(dates[87]) == "2024-03-01" and str(dates[LAST]) == "2024-03-19"
    )


def test_quiet_bars_have_ytd_mtd_and_the_latest_extremes_only() -> None:
    anchors = found(flat_bars())
    assert anchors == {
        "YTD": 43,
        "EARNINGS": -1,
        "GAP": -1,
        "VOLUME_BREAKOUT": -1,
        "MTD": 87,
        "LOW_20": LAST,  # all lows equal: ties go to the most recent bar
        "HIGH_20": LAST,
    }


def test_ytd_and_mtd_follow_the_as_of_bar() -> None:
    anchors = found(flat_bars(), bar=60)  # 2024-01-24
    assert anchors["YTD"] == 43 and anchors["MTD"] == 43
    anchors = found(flat_bars(), bar=30)  # 2023-12-13
    assert anchors["YTD"] == 0 and anchors["MTD"] == 22  # first bar in view; 2023-12-01 is bar 22


@pytest.mark.parametrize(
    ("gaps", "expected"),
    [
        ({70: 1.05}, 70),  # 5% gap up
        ({70: 0.95}, 70),  # 5% gap down counts too (absolute change)
        ({70: 1.0399}, -1),  # below 4%
        ({70: 1.04}, 70),  # exactly 4%
        ({70: 1.05, 90: 1.06}, 90),  # the latest gap wins
        ({LAST - 59: 1.05}, LAST - 59),  # 60-bar window includes the as-of bar ...
        ({LAST - 60: 1.05}, -1),  # ... and ends 60 bars back
    ],
)
def test_gap_anchor(gaps: dict[int, float], expected: int) -> None:
    bars = flat_bars()
    for bar, ratio in gaps.items():
        bars["open"][bar] = 100.0 * ratio
        bars["high"][bar] = max(bars["high"][bar], bars["open"][bar])
        bars["low"][bar] = min(bars["low"][bar], bars["open"][bar])
    assert found(bars)["GAP"] == expected


def breakout_bars(volume: float = 2e6, close: float = 101.5, low: float = 99.8) -> dict[str, np.ndarray]:
    """Quiet bars with one candidate breakout on bar 70 (high 101.6)."""
    bars = flat_bars()
    bar = 70  # outside the last 20 bars, so HIGH_20 does not merge with it
    bars["volume"][bar], bars["close"][bar], bars["high"][bar], bars["low"][bar] = volume, close, 101.6, low
    return bars


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, 70),  # 2M > 1.8 × 1M, close at 94% of its range, above the prior 5-bar high 100.5
        ({"volume": 1.8e6}, -1),  # volume must exceed 1.8× (not equal)
        ({"volume": 1.81e6}, 70),
        ({"close": 100.5}, -1),  # close not above the prior 5-bar high (100.5)
        ({"close": 100.56, "low": 99.0}, -1),  # close at (100.56 − 99)/(101.6 − 99) = 60% of its range
        ({"close": 100.9, "low": 99.0}, 70),  # 73%: in the top 30%
    ],
)
def test_volume_breakout_anchor(options: dict[str, float], expected: int) -> None:
    assert found(breakout_bars(**options))["VOLUME_BREAKOUT"] == expected


def test_breakout_volume_average_excludes_the_breakout_bar() -> None:
    bars = breakout_bars(volume=1.85e6)  # > 1.8 × prior average (1M); the inclusive average would be 1.0425M
    assert found(bars)["VOLUME_BREAKOUT"] == 70


def test_twenty_bar_extremes() -> None:
    bars = flat_bars()
    bars["low"][LAST - 5] = 98.0
    bars["high"][LAST - 7] = 103.0
    bars["low"][LAST - 25] = 90.0  # outside the 20-bar window
    anchors = found(bars)
    assert anchors["LOW_20"] == LAST - 5 and anchors["HIGH_20"] == LAST - 7


def test_earnings_anchor_is_the_latest_known_earnings_bar() -> None:
    anchors = found(flat_bars(), bar=80, earnings_bars=[[50, 78, 90, -1]])
    assert anchors["EARNINGS"] == 78  # bar 90 is after the as-of bar: not known yet
    assert found(flat_bars(), bar=80)["EARNINGS"] == -1


def test_merge_keeps_every_type_and_the_highest_priority() -> None:
    dates = flat_bars()["dates"]
    indices = [43, -1, 90, 90, 87, LAST, LAST]  # GAP and VOLUME_BREAKOUT on bar 90; LOW_20/HIGH_20 on LAST
    merged = merge_anchors(indices, dates)
    assert merged == (
        Anchor("YTD", ("YTD",), 43, dt.date(2024, 1, 1), 100),
        Anchor("GAP", ("GAP", "VOLUME_BREAKOUT"), 90, dt.date(2024, 3, 6), 90),
        Anchor("MTD", ("MTD",), 87, dt.date(2024, 3, 1), 70),
        Anchor("LOW_20", ("LOW_20", "HIGH_20"), LAST, dt.date(2024, 3, 19), 50),
    )


def test_merge_uses_configured_priorities() -> None:
    dates = flat_bars()["dates"]
    rules = AnchorRules(earnings_priority=120)
    merged = merge_anchors([43, 43, -1, -1, -1, -1, -1], dates, rules)
    assert merged == (Anchor("EARNINGS", ("EARNINGS", "YTD"), 43, dt.date(2024, 1, 1), 120),)


def test_anchors_as_of_for_one_symbol() -> None:
    bars = flat_bars()
    arrays = AnchorBars.of(
        bars["dates"], bars["open"], bars["high"], bars["low"], bars["close"], bars["volume"]
    )
    anchors = anchors_as_of(arrays, LAST)
    assert [anchor.type for anchor in anchors] == ["YTD", "MTD", "LOW_20"]
    assert anchors[-1].types == ("LOW_20", "HIGH_20")


def test_anchors_never_read_bars_after_the_as_of_bar() -> None:
    rng = np.random.default_rng(11)
    bars = flat_bars()
    bars["close"] = 100 * np.cumprod(1 + rng.normal(0, 0.02, BARS))
    bars["open"] = bars["close"] * (1 + rng.normal(0, 0.03, BARS))
    bars["high"] = np.maximum(bars["open"], bars["close"]) * 1.01
    bars["low"] = np.minimum(bars["open"], bars["close"]) * 0.99
    bars["volume"] = rng.uniform(0.5e6, 3e6, BARS)
    for bar in range(BARS):
        cut = {name: values[: bar + 1] for name, values in bars.items()}
        assert found(bars, bar=bar) == found(cut, bar=bar)
