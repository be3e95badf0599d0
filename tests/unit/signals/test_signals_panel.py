"""The panel: right-aligned per-symbol histories, NaN padding, skipped sessions, truncation, validation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from avwap.core.errors import DataError
from avwap.signals.indicators import trailing_median
from avwap.signals.panel import build_panel, price_history_start


def bars(symbol: str, days: list[str], start: float = 10.0) -> pd.DataFrame:
    closes = start + np.arange(len(days), dtype=float)
    return pd.DataFrame(
        {
            "symbol": symbol,
            "timestamp": pd.DatetimeIndex(days).tz_localize("America/New_York"),
            "open": closes,
            "high": closes + 1,
            "low": closes - 1,
            "close": closes,
            "volume": 1000.0,
        }
    )


DAYS = ["2024-06-10", "2024-06-11", "2024-06-12", "2024-06-13", "2024-06-14"]


def test_rows_are_right_aligned_and_padded() -> None:
    frame = pd.concat(
        [
            bars("bbb", DAYS),  # lower case: normalized
            bars("AAA", DAYS[2:]),  # short history
            bars("CCC", [DAYS[0], DAYS[1], DAYS[3]]),  # skipped session and stale (no bar on the 14th)
            bars("NEW", ["2024-06-17"]),  # listed after the as-of date: a row without bars
        ],
        ignore_index=True,
    ).sample(frac=1.0, random_state=3)  # row order must not matter
    panel = build_panel(frame, dt.date(2024, 6, 14), width=4)
    assert panel.symbols == ("AAA", "BBB", "CCC", "NEW")
    assert panel.bar_count.tolist() == [3, 5, 3, 0]
    np.testing.assert_array_equal(panel.close[0], [np.nan, 10, 11, 12])
    np.testing.assert_array_equal(panel.close[1], [11, 12, 13, 14])  # truncated to the latest 4 bars
    np.testing.assert_array_equal(panel.close[2], [np.nan, 10, 11, 12])  # the 12th is skipped, not a hole
    assert np.isnan(panel.close[3]).all()
    assert [str(day) for day in panel.last_date] == ["2024-06-14", "2024-06-14", "2024-06-13", "NaT"]
    assert str(panel.dates[2, 3]) == "2024-06-13" and np.isnat(panel.dates[0, 0])
    assert price_history_start(panel).tolist() == [1, 0, 1, 4]
    assert panel.row("CCC") == 2
    with pytest.raises(DataError, match="not in the panel"):
        panel.row("ZZZ")


def test_bars_after_the_as_of_date_are_ignored_even_when_bad() -> None:
    frame = bars("AAA", DAYS)
    frame.loc[4, "close"] = np.nan  # the 14th is after the as-of date below
    panel = build_panel(frame, dt.date(2024, 6, 13), width=10)
    assert panel.bar_count.tolist() == [4] and panel.close[0, -1] == 13


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [("close", np.nan, "finite"), ("low", 0.0, "prices > 0"), ("volume", -1.0, "volume >= 0")],
)
def test_bad_values_in_the_panel_window_are_refused(column: str, value: float, message: str) -> None:
    frame = bars("AAA", DAYS)
    frame.loc[3, column] = value
    with pytest.raises(DataError, match=message):
        build_panel(frame, dt.date(2024, 6, 14), width=10)


def test_duplicates_and_naive_timestamps_are_refused() -> None:
    with pytest.raises(DataError, match="duplicate bar for AAA"):
        build_panel(pd.concat([bars("AAA", DAYS), bars("AAA", DAYS[:1])]), dt.date(2024, 6, 14), width=3)
    naive = bars("AAA", DAYS)
    naive["timestamp"] = naive["timestamp"].dt.tz_localize(None)
    with pytest.raises(DataError, match="timezone-aware"):
        build_panel(naive, dt.date(2024, 6, 14), width=3)
    with pytest.raises(DataError, match="lacks columns"):
        build_panel(bars("AAA", DAYS).drop(columns="volume"), dt.date(2024, 6, 14), width=3)


def test_trailing_median_equals_the_last_rolling_median() -> None:
    values = np.array([[5.0, 1.0, 3.0, 2.0, 4.0], [np.nan, np.nan, np.nan, 7.0, 1.0]])
    np.testing.assert_array_equal(trailing_median(values, 3), [3.0, np.nan])  # row 2: only 2 of 3 finite
    np.testing.assert_array_equal(trailing_median(values, 3, min_periods=2), [3.0, 4.0])
    np.testing.assert_array_equal(trailing_median(values, 8, min_periods=5), [3.0, np.nan])  # wider than data


def _same_panels(first: object, second: object) -> None:
    for name in ("open", "high", "low", "close", "volume", "dates", "bar_count", "last_date"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    assert first.symbols == second.symbols  # type: ignore[attr-defined]


def test_rows_in_partition_order_give_the_panel_of_sorted_rows() -> None:
    """Rows read partition by partition (by date, then symbol) take the stable sort by symbol; rows out of
    date order within a symbol take lexsort; both give the panel of the sorted rows, bit for bit."""
    frames = [bars("BBB", DAYS, 20.0), bars("AAA", DAYS), bars("CCC", DAYS[1:], 30.0)]
    ordered = pd.concat(frames, ignore_index=True).sort_values(["symbol", "timestamp"])
    by_year = pd.concat([frame.iloc[:2] for frame in frames] + [frame.iloc[2:] for frame in frames])
    shuffled = ordered.sample(frac=1.0, random_state=7)
    expected = build_panel(ordered, dt.date(2024, 6, 14), width=4)
    for frame in (by_year, shuffled):
        _same_panels(build_panel(frame, dt.date(2024, 6, 14), width=4), expected)


def test_a_duplicate_in_partition_order_is_refused_as_in_sorted_rows() -> None:
    late = bars("AAA", DAYS[3:4], 50.0)  # a second bar for the 13th, in a later "partition"
    frames = [bars("BBB", DAYS[:3]), bars("AAA", DAYS[:4]), late, bars("BBB", DAYS[3:])]
    with pytest.raises(DataError, match=r"duplicate bar for AAA on 2024-06-13"):
        build_panel(pd.concat(frames, ignore_index=True), dt.date(2024, 6, 14), width=3)
