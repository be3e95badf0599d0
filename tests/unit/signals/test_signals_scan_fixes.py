"""Audited scan rules as hand-computed tables: weekly alignment, the earnings window counted from the trading
day, zero-age anchors and band tags at σ = 0."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from signals_frames import AS_OF, benchmark_bars, trending_bars

from avwap.signals.avwap import AvwapSnapshot
from avwap.signals.scan import scan
from avwap.signals.scan_anchors import ANCHOR_REASONS, ELIGIBLE, anchor_ages, anchor_rejections
from avwap.signals.scan_checks import sessions_to_earnings, trading_day_after
from avwap.signals.scan_rules import REASON_CODES, ScanRules
from avwap.signals.weekly import last_weekly_closes, weekly_closes_at, weekly_trend

NAN = math.nan
D = dt.date


def day_array(*days: str | None) -> np.ndarray:
    return np.array([np.datetime64("NaT") if day is None else np.datetime64(day) for day in days], "M8[D]")


# Row 0: a partial as-of week (Wed 12 June) after a completed week (last bar Fri 7 June), NaT-padded.
# Row 1: ISO week 2025-W01 spans the year end (Mon 30 Dec .. Fri 3 Jan): one week, close 13.
WEEK_DATES = np.stack(
    [
        day_array(None, "2024-06-03", "2024-06-04", "2024-06-07", "2024-06-10", "2024-06-12"),
        day_array("2024-12-27", "2024-12-30", "2024-12-31", "2025-01-02", "2025-01-03", "2025-01-06"),
    ]
)
WEEK_CLOSES = np.array([[NAN, 1.0, 2.0, 3.0, 4.0, 5.0], [9.0, 10.0, 11.0, 12.0, 13.0, 14.0]])


def test_weekly_closes_are_the_last_close_of_each_iso_week() -> None:
    closes = last_weekly_closes(WEEK_DATES, WEEK_CLOSES, 3)
    np.testing.assert_array_equal(closes, [[NAN, 3.0, 5.0], [9.0, 13.0, 14.0]])
    np.testing.assert_array_equal(last_weekly_closes(WEEK_DATES, WEEK_CLOSES, 1), [[5.0], [14.0]])


def test_weekly_closes_at_an_end_are_those_of_the_row_cut_there() -> None:
    """The backtest prefilter reads weekly closes at many ends of one history: each must be, bit for bit,
    what the window ending there gives (same closes, same NaN padding when the history is too short)."""
    rng = np.random.default_rng(5)
    days = np.sort(np.stack([rng.choice(400, 120, replace=False) for _ in range(6)]), axis=1) + 19_000
    dates = days.astype("datetime64[D]")
    dates[0, :30] = np.datetime64("NaT")  # a late listing: left padding
    closes = np.where(np.isnat(dates), NAN, rng.random(dates.shape) * 50.0)
    rows = np.repeat(np.arange(6), 40)
    ends = rng.integers(0, 120, rows.size)
    found = weekly_closes_at(dates, closes, rows, ends, 12)
    for index, (row, end) in enumerate(zip(rows.tolist(), ends.tolist(), strict=True)):
        cut = last_weekly_closes(dates[row : row + 1, : end + 1], closes[row : row + 1, : end + 1], 12)[0]
        np.testing.assert_array_equal(found[index], cut)
    assert np.isnan(found[rows == 0][ends[rows == 0] < 30]).all()  # before the listing: no week at all


def test_weekly_trend_values_and_undefined_when_too_short() -> None:
    close, fast, slow = weekly_trend(WEEK_DATES, WEEK_CLOSES, 2, 3)
    np.testing.assert_array_equal(close, [5.0, 14.0])
    np.testing.assert_array_equal(fast, [4.0, 13.5])  # (3 + 5) / 2, (13 + 14) / 2
    assert math.isnan(slow[0]) and slow[1] == 12.0  # (9 + 13 + 14) / 3; row 0 has only 2 weeks


def v_shape(symbol: str = "VEE", *, up_bars: int = 30) -> pd.DataFrame:
    """Down 0.4% a bar, then up 0.6% a bar for the last ``up_bars``: daily tier A, weekly SMA10 < SMA20."""
    frame = trending_bars(symbol)
    steps = np.r_[0.0, np.full(len(frame) - up_bars - 1, -0.004), np.full(up_bars, 0.006)]
    closes = 100.0 * np.cumprod(1.0 + steps)
    lows = closes - 0.6 * 0.02 * closes
    opens = np.r_[closes[0], closes[:-1]]
    frame["open"], frame["close"] = opens, closes
    frame["high"] = np.maximum(lows + 0.02 * closes, opens)
    frame["low"] = np.minimum(lows, opens)
    return frame


def weekly_reference(frame: pd.DataFrame, weeks: int) -> pd.Series:
    """Weekly closes the slow way: group by ISO (year, week), last close, then a rolling mean."""
    iso = frame["timestamp"].dt.isocalendar()
    weekly = frame.groupby([iso["year"], iso["week"]])["close"].last()
    return weekly.rolling(weeks).mean()


@pytest.mark.parametrize(
    ("frame", "measure", "value_of", "threshold_of"),
    [
        (v_shape(), "weekly SMA10 vs weekly SMA20", "sma10", "sma20"),
        (trending_bars("VEE", start=120.0, drift=-0.003), "weekly close vs weekly SMA10", "close", "sma10"),
    ],
    ids=["sma10-below-sma20", "close-below-sma10"],
)
def test_weekly_misaligned_reports_the_failing_leg(
    frame: pd.DataFrame, measure: str, value_of: str, threshold_of: str
) -> None:
    result = scan(frame, AS_OF, benchmark=benchmark_bars())
    (diagnostic,) = result.diagnostics
    assert diagnostic.reason == "WEEKLY_MISALIGNED" and measure in diagnostic.detail
    expected = {
        "close": frame["close"].iloc[-1],
        "sma10": weekly_reference(frame, 10).iloc[-1],
        "sma20": weekly_reference(frame, 20).iloc[-1],
    }
    assert diagnostic.value == pytest.approx(expected[value_of], abs=1e-6)
    assert diagnostic.threshold == pytest.approx(expected[threshold_of], abs=1e-6)


def test_weekly_filter_is_its_own_rule_between_earnings_and_trend() -> None:
    # the V passes the daily trend tiers: weekly alignment is the only failure
    assert scan(v_shape(), AS_OF, benchmark=benchmark_bars()).diagnostics[0].reasons == ("WEEKLY_MISALIGNED",)
    # a longer rally realigns the weekly SMAs: a candidate
    assert scan(v_shape(up_bars=45), AS_OF, benchmark=benchmark_bars()).candidates
    codes = list(REASON_CODES)
    assert codes.index("EARNINGS_WINDOW") + 1 == codes.index("WEEKLY_MISALIGNED")
    assert codes.index("WEEKLY_MISALIGNED") + 1 == codes.index("TREND_FILTERED")
    lenient = ScanRules(weekly_fast_sma_bars=2, weekly_slow_sma_bars=60)
    assert scan(v_shape(), AS_OF, benchmark=benchmark_bars(), rules=lenient).diagnostics[0].reasons == (
        "INDICATOR_UNAVAILABLE",  # 60 weeks are not in a 160-bar history: undefined fails closed
    )


# AS_OF is Friday 14 June 2024: the watchlist is for Monday 17 June (D); the window is D, D+1, D+2.
HOLIDAY_MONDAY = [D(2024, 6, 18), D(2024, 6, 19), D(2024, 6, 20), D(2024, 6, 21)]
EARNINGS_TABLE = [
    # (earnings reaction day, future sessions, sessions from D or None when not upcoming, skipped)
    (D(2024, 6, 13), None, None, False),  # D−2: past (an anchor)
    (D(2024, 6, 14), None, None, False),  # D−1 = as-of: past, the bar is in the data
    (D(2024, 6, 15), None, 0, True),  # a Saturday: its reaction is D
    (D(2024, 6, 17), None, 0, True),  # D
    (D(2024, 6, 18), None, 1, True),  # D+1
    (D(2024, 6, 19), None, 2, True),  # D+2
    (D(2024, 6, 20), None, 3, False),  # D+3
    (D(2024, 6, 20), HOLIDAY_MONDAY, 2, True),  # Monday a holiday: D = Tuesday, Thursday is D+2
    (D(2024, 6, 21), HOLIDAY_MONDAY, 3, False),
]


@pytest.mark.parametrize(("day", "sessions", "count", "skipped"), EARNINGS_TABLE)
def test_earnings_window_counts_from_the_trading_day(
    day: dt.date, sessions: list[dt.date] | None, count: int | None, skipped: bool
) -> None:
    counted = sessions_to_earnings(["GOOD"], AS_OF, {"GOOD": [day]}, sessions)[0]
    assert counted == (math.inf if count is None else count)
    result = scan(
        trending_bars("GOOD"),
        AS_OF,
        benchmark=benchmark_bars(),
        earnings={"GOOD": [day]},
        future_sessions=sessions,
    )
    if skipped:
        (diagnostic,) = result.diagnostics
        assert (diagnostic.reason, diagnostic.value, diagnostic.threshold) == ("EARNINGS_WINDOW", count, 2.0)
    else:
        assert [item.symbol for item in result.candidates] == ["GOOD"]


def test_the_trading_day_defaults_to_the_next_session_and_can_be_given() -> None:
    assert trading_day_after(AS_OF, None) == D(2024, 6, 17)
    assert trading_day_after(AS_OF, HOLIDAY_MONDAY) == D(2024, 6, 18)
    assert trading_day_after(D(2024, 6, 15), None) == D(2024, 6, 17)  # a weekend as-of rolls to Monday
    # given explicitly: earnings on the Tuesday are D itself
    assert sessions_to_earnings(["X"], AS_OF, {"X": [D(2024, 6, 18)]}, None, D(2024, 6, 18))[0] == 0


def test_anchor_ages_and_too_young_anchors_are_rejected_first() -> None:
    indices = np.array([[-1, 9, 8, 0]])
    ages = anchor_ages(indices, 9)
    np.testing.assert_array_equal(ages, [[NAN, 0.0, 1.0, 9.0]])
    snapshot = AvwapSnapshot(
        avwap=np.array([[NAN, 100.0, 100.0, 100.0]]),
        sigma=np.array([[NAN, 0.0, 0.5, 1.0]]),
        slope=np.array([[NAN, 0.0, 0.01, 0.01]]),
        distance=np.array([[NAN, 0.005, 0.005, 0.005]]),
        reclaim=np.zeros((1, 4), bool),
    )
    reason, value, threshold = anchor_rejections(snapshot, np.array([95.0]), ScanRules(), ages)
    names = [None if code == ELIGIBLE else ANCHOR_REASONS[code] for code in reason[0]]
    assert names == ["AVWAP_UNAVAILABLE", "ANCHOR_TOO_YOUNG", None, None]
    assert (value[0, 1], threshold[0, 1]) == (0.0, 1.0)
    older = anchor_rejections(snapshot, np.array([95.0]), ScanRules(min_anchor_age_bars=2), ages)[0]
    assert [ANCHOR_REASONS[code] if code != ELIGIBLE else None for code in older[0]][1:] == [
        "ANCHOR_TOO_YOUNG",
        "ANCHOR_TOO_YOUNG",
        None,
    ]


FIRST_OF_MONTH = D(2024, 6, 3)  # MTD and the 20-bar high both fall on the as-of bar


def test_an_anchor_on_the_as_of_bar_is_not_eligible() -> None:
    frame = trending_bars("GOOD", as_of=FIRST_OF_MONTH)
    result = scan(frame, FIRST_OF_MONTH, benchmark=benchmark_bars(as_of=FIRST_OF_MONTH))
    (diagnostic,) = result.diagnostics
    assert diagnostic.reason == "NO_ELIGIBLE_ANCHOR"
    young = [item for item in diagnostic.anchor_rejections if item.anchor_date == FIRST_OF_MONTH]
    assert [(item.anchor_types, item.reason, item.value, item.threshold) for item in young] == [
        (("MTD", "HIGH_20"), "ANCHOR_TOO_YOUNG", 0.0, 1.0)
    ]


def test_with_age_zero_allowed_sigma_is_zero_and_no_band_tag_is_set() -> None:
    frame = trending_bars("GOOD", as_of=FIRST_OF_MONTH)
    rules = ScanRules(min_anchor_age_bars=0)
    result = scan(frame, FIRST_OF_MONTH, benchmark=benchmark_bars(as_of=FIRST_OF_MONTH), rules=rules)
    (candidate,) = result.candidates
    assert (candidate.anchor_date, candidate.sigma, candidate.slope) == (FIRST_OF_MONTH, 0.0, 0.0)
    assert candidate.band_upper_1 == candidate.avwap and candidate.close > candidate.band_upper_1
    assert candidate.tags == ("MERGED_ANCHOR", "NEAR_AVWAP")  # no ABOVE_UPPER_1 at σ = 0
