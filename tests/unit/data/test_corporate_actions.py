"""Corporate actions: events files, back-adjustment math (hand-computed tables), ticker reuse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from avwap.core.errors import DataError
from avwap.data.corporate_actions import (
    TICKER_REUSED,
    ActionType,
    Adjustment,
    CorporateAction,
    IssuerInterval,
    adjust_bars,
    adjustment_factors,
    current_issuer,
    detect_ticker_reuse,
    read_actions,
    read_map_files,
    split_by_issuer,
)

DAYS = [
    dt.date(2024, 1, 2),
    dt.date(2024, 1, 3),
    dt.date(2024, 1, 4),
    dt.date(2024, 1, 5),
    dt.date(2024, 1, 8),
]
# open, high, low, close, volume per session: a 2:1 split on day 3, a $1 dividend on day 5.
RAW = [
    (100.0, 101.0, 99.0, 100.0, 1000.0),
    (100.0, 104.0, 100.0, 102.0, 1000.0),
    (51.0, 52.0, 50.0, 51.0, 2000.0),
    (51.0, 51.0, 49.0, 50.0, 2000.0),
    (49.0, 50.0, 48.0, 49.5, 2000.0),
]
SPLIT = CorporateAction("XYZ", DAYS[2], ActionType.SPLIT, 2.0)
DIVIDEND = CorporateAction("XYZ", DAYS[4], ActionType.DIVIDEND, 1.0)


def bars(rows: list[tuple[float, ...]], days: list[dt.date], symbol: str = "XYZ") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close", "volume"])
    frame.insert(0, "timestamp", [pd.Timestamp(day).tz_localize("America/New_York") for day in days])
    frame.insert(0, "symbol", symbol)
    return frame


def values(frame: pd.DataFrame) -> list[list[float]]:
    columns = ["open", "high", "low", "close", "volume"]
    return [[round(value, 10) for value in row] for row in frame[columns].to_numpy().tolist()]


def test_split_adjustment_divides_prices_and_multiplies_volume_before_the_ex_date() -> None:
    adjusted = adjust_bars(bars(RAW, DAYS), [SPLIT, DIVIDEND], Adjustment.SPLIT)
    assert values(adjusted) == [
        [50.0, 50.5, 49.5, 50.0, 2000.0],
        [50.0, 52.0, 50.0, 51.0, 2000.0],
        [51.0, 52.0, 50.0, 51.0, 2000.0],
        [51.0, 51.0, 49.0, 50.0, 2000.0],
        [49.0, 50.0, 48.0, 49.5, 2000.0],
    ]


def test_split_and_dividend_adjustment_multiplies_by_one_minus_dividend_over_previous_close() -> None:
    # factor = 1 - 1 / 50 (day 4 close) = 0.98 for days 1-4; day 1-2 also halve for the split.
    adjusted = adjust_bars(bars(RAW, DAYS), [SPLIT, DIVIDEND], Adjustment.ALL)
    assert values(adjusted) == [
        [49.0, 49.49, 48.51, 49.0, 2000.0],
        [49.0, 50.96, 49.0, 49.98, 2000.0],
        [49.98, 50.96, 49.0, 49.98, 2000.0],
        [49.98, 49.98, 48.02, 49.0, 2000.0],
        [49.0, 50.0, 48.0, 49.5, 2000.0],
    ]


def test_dividend_before_a_split_uses_the_raw_previous_close() -> None:
    # $2 on day 2 against day 1's raw close 100: factor 0.98 on day 1 only, then the split halves days 1-2.
    dividend = CorporateAction("XYZ", DAYS[1], ActionType.DIVIDEND, 2.0)
    factors = adjustment_factors(bars(RAW, DAYS), [SPLIT, dividend])
    assert factors["split_ratio"].tolist() == [2.0, 2.0, 1.0, 1.0, 1.0]
    assert factors["dividend_factor"].round(12).tolist() == [0.98, 1.0, 1.0, 1.0, 1.0]
    adjusted = adjust_bars(bars(RAW, DAYS), [SPLIT, dividend], Adjustment.ALL)
    assert adjusted["close"].round(10).tolist() == [49.0, 51.0, 51.0, 50.0, 49.5]


def test_reverse_split_multiplies_earlier_prices() -> None:
    reverse = CorporateAction("XYZ", DAYS[2], ActionType.SPLIT, 0.05)  # 1-for-20
    rows = [(1.0, 1.1, 0.9, 1.0, 20000.0), (1.0, 1.0, 1.0, 1.0, 20000.0), (20.0, 21.0, 19.0, 20.5, 1000.0)]
    adjusted = adjust_bars(bars(rows, DAYS[:3]), [reverse])
    assert values(adjusted) == [
        [20.0, 22.0, 18.0, 20.0, 1000.0],
        [20.0, 20.0, 20.0, 20.0, 1000.0],
        [20.0, 21.0, 19.0, 20.5, 1000.0],
    ]


def test_raw_mode_and_inputs_stay_unchanged() -> None:
    raw = bars(RAW, DAYS)
    before = raw.copy()
    assert values(adjust_bars(raw, [SPLIT, DIVIDEND], Adjustment.RAW)) == values(before)
    adjust_bars(raw, [SPLIT, DIVIDEND], Adjustment.ALL)
    pd.testing.assert_frame_equal(raw, before)


def test_events_of_other_symbols_do_not_apply() -> None:
    both = pd.concat([bars(RAW, DAYS, "XYZ"), bars(RAW, DAYS, "ABC")])
    adjusted = adjust_bars(both, [SPLIT], Adjustment.SPLIT)
    assert adjusted.loc[adjusted["symbol"] == "ABC", "close"].tolist() == [row[3] for row in RAW]
    assert adjusted.loc[adjusted["symbol"] == "XYZ", "close"].tolist()[:2] == [50.0, 51.0]


def test_a_reference_close_from_the_file_wins_over_the_bar_before_the_ex_date() -> None:
    # 1 / 40 instead of 1 / 50 (day 4's close): a bar series with a hole has no bar on the day before.
    dividend = CorporateAction("XYZ", DAYS[4], ActionType.DIVIDEND, 1.0, reference_close=40.0)
    factors = adjustment_factors(bars(RAW, DAYS), [dividend])
    assert factors["dividend_factor"].round(12).tolist() == [0.975, 0.975, 0.975, 0.975, 1.0]


def test_reads_our_format_with_a_reference_close(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("symbol,ex_date,type,value,reference_close\nXYZ,2024-01-08,dividend,1.0,40\n")
    assert read_actions(path) == [CorporateAction("XYZ", DAYS[4], ActionType.DIVIDEND, 1.0, 40.0)]


def test_dividend_not_below_the_previous_close_is_refused() -> None:
    with pytest.raises(DataError, match="not below the previous close"):
        adjust_bars(
            bars(RAW, DAYS), [CorporateAction("XYZ", DAYS[4], ActionType.DIVIDEND, 50.0)], Adjustment.ALL
        )


@given(st.lists(st.floats(min_value=0.05, max_value=20.0), min_size=1, max_size=4))
def test_split_adjustment_preserves_dollar_volume(ratios: list[float]) -> None:
    actions = [
        CorporateAction("XYZ", DAYS[index + 1], ActionType.SPLIT, ratio) for index, ratio in enumerate(ratios)
    ]
    raw = bars(RAW, DAYS)
    adjusted = adjust_bars(raw, actions, Adjustment.SPLIT)
    np.testing.assert_allclose(
        adjusted["close"] * adjusted["volume"], raw["close"] * raw["volume"], rtol=1e-12
    )
    assert adjusted["close"].iloc[-1] == raw["close"].iloc[-1]


# --------------------------------------------------------------------------------------------- files


def test_reads_our_format(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("symbol,ex_date,type,value\nxyz,2024-01-08,Dividend,1.0\nXYZ,2024-01-04,split,2\n")
    assert read_actions(path) == [SPLIT, DIVIDEND]


def test_reads_lean_format_and_places_a_blank_ex_date_on_the_next_session(tmp_path: Path) -> None:
    path = tmp_path / "events_derived.csv"
    path.write_text(
        "symbol,ex_date,factor_row_date,type,value,reference_close_before\n"
        "AAPL,2014-06-09,20140606,split,7,645.57\n"
        "NWSA,,20150911,dividend,0.1000,13.05\n"  # Friday 2015-09-11 -> Monday 2015-09-14
    )
    assert read_actions(path) == [
        CorporateAction("AAPL", dt.date(2014, 6, 9), ActionType.SPLIT, 7.0, reference_close=645.57),
        CorporateAction("NWSA", dt.date(2015, 9, 14), ActionType.DIVIDEND, 0.1, reference_close=13.05),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ticker,date,kind,amount\nX,2024-01-02,split,2\n", "unknown events header"),
        ("symbol,ex_date,type,value\nX,2024-01-02,merger,2\n", "type must be split or dividend"),
        ("symbol,ex_date,type,value\nX,2024-01-02,split,0\n", "positive number"),
        ("symbol,ex_date,type,value\nX,2024-01-02,split,abc\n", "not a number"),
        ("symbol,ex_date,type,value\nX,02/01/2024,split,2\n", "not a date"),
        ("symbol,ex_date,type,value\nX,,split,2\n", "empty ex_date"),
    ],
)
def test_bad_events_files_name_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "events.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_actions(path)


# -------------------------------------------------------------------------------------- ticker reuse


def series(days: list[dt.date], closes: list[float]) -> pd.DataFrame:
    return bars([(close, close, close, close, 1000.0) for close in closes], days)


@pytest.mark.parametrize(
    ("gap_days", "jump", "segments"),
    [
        (200, 1.30, 2),  # half a year away and 30% off: another issuer
        (200, 1.05, 1),  # a long halt that resumed near the old price
        (100, 2.00, 1),  # too short a gap for the heuristic
        (1500, 1.00, 2),  # four years away: never the same listing
    ],
)
def test_gap_heuristic(gap_days: int, jump: float, segments: int) -> None:
    first = [dt.date(2010, 1, 4) + dt.timedelta(days=index) for index in range(3)]
    later = [first[-1] + dt.timedelta(days=gap_days + index) for index in range(3)]
    history = detect_ticker_reuse(series(first + later, [10.0, 10.0, 10.0, 10.0 * jump, 10.0, 10.0]))
    assert len(history.segments) == segments
    assert history.flags == ((TICKER_REUSED,) if segments == 2 else ())
    assert history.method == "gap_heuristic"


def test_map_files_assign_issuers_and_keep_segments_apart(tmp_path: Path) -> None:
    (tmp_path / "abc.1.csv").write_text("20100104,abc\n20100106,abc\n")
    (tmp_path / "abc.csv").write_text("20100106,old\n20100201,abc,Q\n20501231,abc,Q\n")  # renamed to ABC
    (tmp_path / "other.csv").write_text("20100104,zzz\n20501231,zzz\n")
    intervals = read_map_files(tmp_path, "ABC")
    assert intervals == (
        IssuerInterval("abc.1", dt.date(2010, 1, 4), dt.date(2010, 1, 6)),
        IssuerInterval("abc", dt.date(2010, 1, 7), dt.date(2050, 12, 31)),
    )
    days = [dt.date(2010, 1, 4), dt.date(2010, 1, 5), dt.date(2010, 2, 1), dt.date(2010, 2, 2)]
    frame = series(days, [5.0, 5.0, 5.1, 5.2])  # no gap or jump worth noticing: only the map files can tell
    history = detect_ticker_reuse(frame, intervals)
    assert history.method == "map_files"
    assert [(segment.issuer, segment.rows) for segment in history.segments] == [("abc.1", 2), ("abc", 2)]
    assert history.boundaries == ((dt.date(2010, 1, 5), dt.date(2010, 2, 1)),)
    assert history.flags == (TICKER_REUSED,)
    assert [len(piece) for piece in split_by_issuer(frame, history)] == [2, 2]
    assert current_issuer(frame, history)["close"].tolist() == [5.1, 5.2]


def test_bars_outside_every_map_interval_are_an_unmapped_issuer() -> None:
    days = [dt.date(2008, 1, 2), dt.date(2008, 1, 3), dt.date(2009, 8, 5)]
    history = detect_ticker_reuse(
        series(days, [1.0, 1.0, 30.0]), [IssuerInterval("wm", dt.date(2009, 8, 5), dt.date(2050, 12, 31))]
    )
    assert [segment.issuer for segment in history.segments] == ["unmapped", "wm"]


def test_reuse_detection_takes_one_symbol() -> None:
    both = pd.concat([bars(RAW, DAYS, "XYZ"), bars(RAW, DAYS, "ABC")])
    with pytest.raises(DataError, match="one symbol"):
        detect_ticker_reuse(both)
