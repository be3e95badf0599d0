"""Earnings dates: file formats, reaction sessions (BMO / AMC / unknown) and proximity across weekends and
holidays on the NYSE calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from avwap.core.calendar import nyse
from avwap.core.errors import DataError
from avwap.data.earnings import (
    EarningsCalendar,
    EarningsEvent,
    ReportTime,
    read_earnings,
    sessions_until_next_earnings,
)

D = dt.date


@pytest.mark.parametrize(
    ("report", "time", "reaction"),
    [
        (D(2024, 3, 11), ReportTime.BMO, D(2024, 3, 11)),  # Monday before the open: that Monday
        (D(2024, 3, 8), ReportTime.AMC, D(2024, 3, 11)),  # Friday after the close: over the weekend
        (D(2024, 3, 8), ReportTime.UNKNOWN, D(2024, 3, 11)),  # unknown is treated as after the close
        (D(2024, 3, 28), ReportTime.AMC, D(2024, 4, 1)),  # Thursday before Good Friday (closed)
        (D(2024, 3, 29), ReportTime.BMO, D(2024, 4, 1)),  # a report on the holiday itself
        (D(2024, 7, 3), ReportTime.AMC, D(2024, 7, 5)),  # early close, then July 4th
        (D(2024, 3, 9), ReportTime.BMO, D(2024, 3, 11)),  # a Saturday report
    ],
)
def test_reaction_session(report: dt.date, time: ReportTime, reaction: dt.date) -> None:
    assert EarningsEvent("X", report, time).reaction_session(nyse()) == reaction


@pytest.mark.parametrize(
    ("report", "time", "as_of", "sessions", "skip"),
    [
        (D(2024, 3, 11), ReportTime.BMO, D(2024, 3, 11), 0, True),  # reaction today
        (D(2024, 3, 11), ReportTime.BMO, D(2024, 3, 8), 1, True),  # Friday -> Monday: the weekend is free
        (D(2024, 3, 11), ReportTime.BMO, D(2024, 3, 7), 2, True),
        (D(2024, 3, 11), ReportTime.BMO, D(2024, 3, 6), 3, False),
        (D(2024, 3, 11), ReportTime.BMO, D(2024, 3, 9), 1, True),  # as of a Saturday
        (D(2024, 3, 28), ReportTime.AMC, D(2024, 3, 28), 1, True),  # Good Friday is not a session
        (D(2024, 3, 28), ReportTime.AMC, D(2024, 3, 27), 2, True),
        (D(2024, 3, 28), ReportTime.AMC, D(2024, 3, 26), 3, False),
        (D(2024, 3, 28), ReportTime.UNKNOWN, D(2024, 4, 1), 0, True),  # the reaction day itself
        (D(2024, 3, 28), ReportTime.UNKNOWN, D(2024, 4, 2), None, False),  # past: nothing upcoming
    ],
)
def test_sessions_until_next_earnings(
    report: dt.date, time: ReportTime, as_of: dt.date, sessions: int | None, skip: bool
) -> None:
    calendar = EarningsCalendar([EarningsEvent("ABC", report, time)])
    assert calendar.sessions_until_next_earnings("ABC", as_of) == sessions
    assert sessions_until_next_earnings(calendar, "abc", as_of) == sessions
    assert calendar.within_window("ABC", as_of) is skip


def test_next_reaction_picks_the_first_upcoming_report() -> None:
    calendar = EarningsCalendar(
        [
            EarningsEvent("ABC", D(2024, 4, 25), ReportTime.AMC),
            EarningsEvent("ABC", D(2024, 1, 25), ReportTime.AMC),
        ]
    )
    assert calendar.reaction_dates("ABC") == (D(2024, 1, 26), D(2024, 4, 26))
    assert calendar.next_reaction("ABC", D(2024, 2, 1)) == D(2024, 4, 26)
    assert calendar.sessions_until_next_earnings("XYZ", D(2024, 2, 1)) is None
    assert calendar.reaction_map() == {"ABC": (D(2024, 1, 26), D(2024, 4, 26))}


def test_minimal_format(tmp_path: Path) -> None:
    path = tmp_path / "earnings.csv"
    path.write_text("symbol,date,time\nmsft,2024-04-25,amc\nAAPL,2024-05-02,\nAAPL,2024-02-01,BMO\n")
    assert read_earnings(path) == [
        EarningsEvent("AAPL", D(2024, 2, 1), ReportTime.BMO),
        EarningsEvent("AAPL", D(2024, 5, 2), ReportTime.UNKNOWN),
        EarningsEvent("MSFT", D(2024, 4, 25), ReportTime.AMC),
    ]
    (tmp_path / "short.csv").write_text("symbol,date\nMSFT,2024-04-25\n")
    assert read_earnings(tmp_path / "short.csv") == [EarningsEvent("MSFT", D(2024, 4, 25))]


def test_alpha_vantage_format_skips_unreported_quarters(tmp_path: Path) -> None:
    path = tmp_path / "av.csv"
    path.write_text(
        "symbol,fiscalDateEnding,reportedDate,reportedEPS,estimatedEPS,surprise,surprisePercentage\n"
        "IBM,2013-09-30,2013-10-16,3.99,3.96,0.03,0.7576\n"
        "IBM,2021-09-30,None,None,2.5,None,None\n"
    )
    assert read_earnings(path) == [EarningsEvent("IBM", D(2013, 10, 16), ReportTime.UNKNOWN, D(2013, 9, 30))]


def test_duplicates_merge_and_a_known_time_wins(tmp_path: Path) -> None:
    path = tmp_path / "earnings.csv"
    path.write_text("symbol,date,time\nX,2024-04-25,\nX,2024-04-25,AMC\nX,2024-04-25,\n")
    assert read_earnings(path) == [EarningsEvent("X", D(2024, 4, 25), ReportTime.AMC)]
    path.write_text("symbol,date,time\nX,2024-04-25,BMO\nX,2024-04-25,AMC\n")
    with pytest.raises(DataError, match="both BMO and AMC"):
        read_earnings(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ticker,when\nX,2024-01-02\n", "unknown earnings header"),
        ("symbol,date,time\nX,2024-01-02,noon\n", "time must be BMO, AMC or empty"),
        ("symbol,date\nX,01/02/2024\n", "not a date"),
        ("symbol,date\n,2024-01-02\n", "empty symbol"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "earnings.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_earnings(path)


@pytest.mark.realdata
def test_ibm_alpha_vantage_file(shared_data: Path) -> None:
    calendar = EarningsCalendar.from_file(
        shared_data / "earnings_alpha_vantage" / "IBM_quarterly_earnings.csv"
    )
    assert len(calendar.report_dates("IBM")) == 102
    assert calendar.report_dates("IBM")[0] == D(1996, 4, 17)
    # The Lean IBM minute week ends Friday 2013-10-11, before the Wednesday 2013-10-16 report (after close).
    assert calendar.next_reaction("IBM", D(2013, 10, 11)) == D(2013, 10, 17)
    assert calendar.sessions_until_next_earnings("IBM", D(2013, 10, 11)) == 4
    assert not calendar.within_window("IBM", D(2013, 10, 11))
    assert calendar.within_window("IBM", D(2013, 10, 15))
