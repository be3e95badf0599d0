"""Bar clocks: parsing, zones, bar-end -> bar-start, DST, Lean hour labels, grid, regular session."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from avwap.data.bar_time import (
    NAT,
    bar_starts,
    instants_ns,
    misaligned,
    parse_clock,
    regular_session_mask,
    utc_to_wall,
)


def wall_ns(*texts: str) -> np.ndarray:
    return instants_ns(pd.DatetimeIndex(list(texts)))


def new_york(starts: np.ndarray) -> list[str]:
    return [str(pd.Timestamp(value, tz="UTC").tz_convert("America/New_York")) for value in starts]


def starts_for(texts: list[str], **options: str) -> tuple[np.ndarray, np.ndarray]:
    defaults = {"timezone": "America/New_York", "frequency": "1m", "label": "start", "hour_label": "clock"}
    return bar_starts(wall_ns(*texts), np.zeros(len(texts), dtype=bool), **{**defaults, **options})


def test_parse_clock_picks_the_first_format_that_reads_every_value() -> None:
    texts = pa.array(["1/2/1990", "12/31/1999", ""])
    values, is_utc, failed = parse_clock(texts, ("%Y-%m-%d", "%m/%d/%Y"))
    assert not is_utc
    assert failed.tolist() == [False, False, False]  # the empty text is missing, not unparseable
    assert values[2] == NAT
    assert str(pd.Timestamp(values[0])) == "1990-01-02 00:00:00"


def test_parse_clock_marks_unparseable_text_and_reads_offsets_as_utc() -> None:
    values, is_utc, failed = parse_clock(
        pa.array(["2026-04-01T09:30:00-04:00", "garbage"]), ("%Y-%m-%dT%H:%M:%S%z",)
    )
    assert is_utc
    assert failed.tolist() == [False, True]
    assert str(pd.Timestamp(values[0])) == "2026-04-01 13:30:00"


def test_bar_end_labels_become_bar_starts() -> None:
    starts, _ = starts_for(["2020-12-01 09:31:00", "2020-12-01 16:00:00"], label="end")
    assert new_york(starts) == ["2020-12-01 09:30:00-05:00", "2020-12-01 15:59:00-05:00"]
    five, _ = starts_for(["2012-06-27 09:35:00"], label="end", frequency="5m")
    assert new_york(five) == ["2012-06-27 09:30:00-04:00"]


def test_ninjatrader_utc_bar_ends_land_on_the_same_new_york_wall_time_across_dst() -> None:
    # 2011-03-11 is EST (UTC-5), 2011-03-14 is EDT (UTC-4): the opening bar ends at 14:31 vs 13:31 UTC.
    texts = ["2011-03-11 14:31:00", "2011-03-14 13:31:00"]
    starts, ambiguous = starts_for(texts, timezone="UTC", label="end")
    assert new_york(starts) == ["2011-03-11 09:30:00-05:00", "2011-03-14 09:30:00-04:00"]
    assert not ambiguous.any()


def test_budapest_summer_time_bar_starts_convert_to_new_york() -> None:
    starts, _ = starts_for(["2012-06-28 15:30:00", "2012-06-28 10:00:00"], timezone="Europe/Budapest")
    assert new_york(starts) == ["2012-06-28 09:30:00-04:00", "2012-06-28 04:00:00-04:00"]


def test_lean_hour_nine_oclock_label_starts_at_the_open() -> None:
    texts = ["2013-10-07 09:00:00", "2013-10-07 10:00:00", "2013-10-07 15:00:00"]
    starts, _ = starts_for(texts, frequency="1h", hour_label="lean")
    assert new_york(starts) == [
        "2013-10-07 09:30:00-04:00",
        "2013-10-07 10:00:00-04:00",
        "2013-10-07 15:00:00-04:00",
    ]
    assert not misaligned(starts, "1h").any()


def test_daily_bars_start_at_new_york_midnight_of_the_written_date() -> None:
    starts, _ = starts_for(["2014-05-19", "2014-12-19"], frequency="1d")
    assert new_york(starts) == ["2014-05-19 00:00:00-04:00", "2014-12-19 00:00:00-05:00"]


def test_wall_times_that_do_not_exist_or_repeat_are_marked() -> None:
    # 2011-03-13 02:30 does not exist in New York; 2011-11-06 01:30 happens twice.
    starts, ambiguous = starts_for(["2011-03-13 02:30:00", "2011-11-06 01:30:00", "2011-11-07 09:30:00"])
    assert ambiguous.tolist() == [True, True, False]
    assert starts[0] == NAT and starts[1] == NAT


def test_bars_off_the_frequency_grid_are_found() -> None:
    starts, _ = starts_for(["2020-12-01 09:30:00", "2020-12-01 09:31:00", "2020-12-01 09:35:00"])
    assert misaligned(starts, "5m").tolist() == [False, True, False]
    assert not misaligned(starts, "1m").any()


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("2020-11-25 09:29:00", False),
        ("2020-11-25 09:30:00", True),
        ("2020-11-25 15:59:00", True),
        ("2020-11-25 16:00:00", False),
        ("2020-11-26 10:00:00", False),  # Thanksgiving
        ("2020-11-27 12:59:00", True),  # early close at 13:00
        ("2020-11-27 13:00:00", False),
        ("2020-11-28 10:00:00", False),  # Saturday
    ],
)
def test_regular_session_uses_the_calendar(text: str, inside: bool) -> None:
    starts, _ = starts_for([text])
    assert regular_session_mask(starts, "1m").tolist() == [inside]


def test_regular_session_for_daily_bars_keeps_session_dates_and_missing_rows() -> None:
    starts, _ = starts_for(["2020-11-25", "2020-11-26"], frequency="1d")
    with_missing = np.append(starts, NAT)
    assert regular_session_mask(with_missing, "1d").tolist() == [True, False, True]


def test_utc_to_wall_keeps_nat() -> None:
    assert utc_to_wall(np.array([NAT], dtype=np.int64), "America/New_York")[0] == NAT
