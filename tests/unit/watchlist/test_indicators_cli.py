"""``avwap indicators avwap``: hand-computed AVWAP and σ for small files, detection, and clear errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from avwap.cli import indicators_command

DAILY = """date,open,high,low,close,volume
2024-01-02,10,12,8,10,100
2024-01-03,10,13,9,11,300
2024-01-04,11,15,11,13,100
"""
# Typical prices (H+L+C)/3: 10, 11, 13. From 2024-01-03: AVWAP 11 (σ 0), then (11·300 + 13·100)/400 = 11.5
# with σ² = (300·0.25 + 100·2.25)/400 = 0.75.
SIGMA = math.sqrt(0.75)

INTRADAY = """Datetime,Open,High,Low,Close,Volume,Symbol
2024-01-03 09:30:00,10,11,9,10,1000,xyz
2024-01-03 09:35:00,10,12,10,11,1000,xyz
2024-01-03 09:40:00,11,12,11,11.5,2000,xyz
2024-01-03 09:45:00,11,14,11,14,1000,xyz
"""


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """test root"""

    indicators_command.register(app)
    return app


def run(path: Path, anchor: str, *extra: str) -> tuple[int, str]:
    arguments = ["indicators", "avwap", "--csv", str(path), "--anchor", anchor, *extra]
    result = CliRunner().invoke(cli(), arguments, env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.fixture
def daily(tmp_path: Path) -> Path:
    path = tmp_path / "abc.csv"
    path.write_text(DAILY)
    return path


def test_daily_avwap_and_bands_by_hand(daily: Path) -> None:
    code, output = run(daily, "2024-01-03", "--json")
    assert code == 0, output
    record = json.loads(output)
    assert (record["symbol"], record["frequency"], record["spec"]) == ("ABC", "1d", "detected")
    assert record["anchor_bar"].startswith("2024-01-03T00:00:00")
    first, second = record["rows"]
    assert first == {
        "timestamp": first["timestamp"],
        "close": 11.0,
        "avwap": 11.0,
        "sigma": 0.0,
        "lower_2": 11.0,
        "lower_1": 11.0,
        "upper_1": 11.0,
        "upper_2": 11.0,
    }
    assert (second["close"], second["avwap"], second["sigma"]) == (13.0, 11.5, round(SIGMA, 6))
    assert second["upper_2"] == round(11.5 + 2 * SIGMA, 6) and second["lower_1"] == round(11.5 - SIGMA, 6)


@pytest.mark.parametrize(
    ("anchor", "first_bar"),
    [("2023-12-29", "2024-01-02"), ("2024-01-02 15:00", "2024-01-02"), ("2024-01-04", "2024-01-04")],
)
def test_the_anchor_bar_is_the_first_bar_at_or_after_the_anchor(
    daily: Path, anchor: str, first_bar: str
) -> None:
    record = json.loads(run(daily, anchor, "--json")[1])
    assert record["anchor_bar"].startswith(first_bar)
    assert record["rows"][0]["sigma"] == 0.0


def test_numba_engine_agrees(daily: Path) -> None:
    numpy_rows = json.loads(run(daily, "2024-01-02", "--json")[1])["rows"]
    numba_rows = json.loads(run(daily, "2024-01-02", "--json", "--engine", "numba")[1])["rows"]
    assert numpy_rows == numba_rows


def test_intraday_file_is_detected_with_its_frequency_and_symbol(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(INTRADAY)
    code, output = run(path, "2024-01-03 09:35", "--json")
    assert code == 0, output
    record = json.loads(output)
    assert (record["symbol"], record["frequency"]) == ("XYZ", "5m")
    assert record["anchor_bar"] == "2024-01-03T09:35:00-05:00"
    # typical prices from 09:35: 11 (1000), 11.5 (2000), 13 (1000) -> AVWAP 47000/4000 = 11.75
    assert [row["avwap"] for row in record["rows"]] == [11.0, round(34000 / 3000, 6), 11.75]


def test_table_output(daily: Path) -> None:
    code, output = run(daily, "2024-01-03")
    assert code == 0
    assert "AVWAP of ABC (1d)" in output and "11.5" in output


def test_a_preset_file(tmp_path: Path) -> None:
    path = tmp_path / "AOS_data.csv"
    path.write_text(
        "date,open,high,low,close,volume,Name\n"
        + "\n".join(f"{line},AOS" for line in DAILY.splitlines()[1:])
        + "\n2024-01-05,23.89,23.595,23.85,24.445,1944854,AOS\n"
    )
    record = json.loads(run(path, "2024-01-03", "--preset", "cnuge_daily", "--json")[1])
    assert record["symbol"] == "AOS" and record["rows_quarantined"] == 1  # high < low
    assert [row["avwap"] for row in record["rows"]] == [11.0, 11.5]


@pytest.mark.parametrize(
    ("content", "anchor", "message"),
    [
        ("when,o,h,l,c,v\n2024-01-02,1,1,1,1,1\n", "2024-01-02", "cannot detect the columns"),
        ("date,open,high,low,close\n2024-01-02,1,1,1,1\n", "2024-01-02", "cannot detect the columns"),
        (DAILY, "2024-01-05", "no bar at or after the anchor 2024-01-05"),
        (DAILY, "January 3", "--anchor: expected 'YYYY-MM-DD'"),
        ("date,open,high,low,close,volume\n02.01.2024,1,1,1,1,1\n", "2024-01-02", "match no known format"),
        ("date,open,high,low,close,volume\n", "2024-01-02", "no bars"),
    ],
    ids=["unknown-columns", "no-volume", "anchor-after-data", "bad-anchor", "bad-dates", "empty"],
)
def test_bad_input_is_exit_4_with_a_clear_message(
    tmp_path: Path, content: str, anchor: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code, output = run(path, anchor)
    assert code == 4, output
    assert message in output


def test_missing_file_and_several_symbols(tmp_path: Path) -> None:
    code, output = run(tmp_path / "absent.csv", "2024-01-02")
    assert code == 4 and "cannot read" in output
    path = tmp_path / "many.csv"
    path.write_text(
        "date,open,high,low,close,volume,symbol\n2024-01-02,1,1,1,1,1,A\n2024-01-02,2,2,2,2,2,B\n"
    )
    code, output = run(path, "2024-01-02")
    assert code == 4 and "holds 2 symbols" in output
    record = json.loads(run(path, "2024-01-02", "--symbol", "b", "--json")[1])
    assert record["symbol"] == "B" and record["rows"][0]["avwap"] == 2.0
    code, output = run(path, "2024-01-02", "--symbol", "C")
    assert code == 4 and "no bars for C" in output


BAR = st.tuples(
    st.floats(1.0, 500.0),  # low
    st.floats(0.0, 0.2),  # range as a fraction of the low
    st.floats(0.0, 1.0),  # close location in the range
    st.sampled_from([0.0, 1.0, 250.0, 1e6, 3.3e7]),  # volume, zeros included
)


@given(bars=st.lists(BAR, min_size=1, max_size=40), data=st.data())
def test_rows_equal_a_slow_reference(
    bars: list[tuple[float, float, float, float]], data: st.DataObject
) -> None:
    lows = [low for low, _, _, _ in bars]
    highs = [low * (1.0 + span) for low, span, _, _ in bars]
    closes = [
        low + (high - low) * where for low, high, (_, _, where, _) in zip(lows, highs, bars, strict=True)
    ]
    volumes = [volume for _, _, _, volume in bars]
    frame = pd.DataFrame(
        {
            "timestamp": pd.date_range("2024-01-02", periods=len(bars), freq="D", tz="America/New_York"),
            "high": highs,
            "low": lows,
            "close": closes,
            "volume": volumes,
        }
    )
    start = data.draw(st.integers(0, len(bars) - 1))
    rows = indicators_command.avwap_rows(frame, start, "numpy")
    assert len(rows) == len(bars) - start
    weight = weighted = squared = 0.0
    for offset, row in enumerate(rows):
        index = start + offset
        typical = (highs[index] + lows[index] + closes[index]) / 3.0
        weight += volumes[index]
        weighted += typical * volumes[index]
        squared += typical * typical * volumes[index]
        assert row["close"] == pytest.approx(closes[index], abs=1e-6)
        if weight == 0.0:
            assert row["avwap"] is None and row["sigma"] is None
            continue
        level = weighted / weight
        sigma = math.sqrt(max(squared / weight - level * level, 0.0))
        assert row["avwap"] == pytest.approx(level, rel=1e-9, abs=1e-6)
        assert row["sigma"] == pytest.approx(sigma, rel=1e-6, abs=1e-4)  # the slow form cancels digits
        assert row["upper_2"] == pytest.approx(level + 2 * sigma, rel=1e-6, abs=2e-4)


def test_every_dropped_row_is_counted_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(
        INTRADAY  # four regular-session bars, then one outside the session and one duplicate
        + "2024-01-03 16:00:00,14,14,14,14,500,xyz\n2024-01-03 09:45:00,11,14,11,14,1000,xyz\n"
    )
    record = json.loads(run(path, "2024-01-03 09:30", "--json")[1])
    assert (record["rows_read"], record["rows_imported"], record["rows_dropped"]) == (6, 4, 2)
    assert record["dropped_by_reason"] == {"DUPLICATE_TIMESTAMP": 1, "OUTSIDE_REGULAR_SESSION": 1}
    assert record["rows_read"] == record["rows_imported"] + sum(record["dropped_by_reason"].values())
    code, output = run(path, "2024-01-03 09:30")
    assert code == 0 and "6 rows read, 4 imported, 2 dropped" in output


def test_a_real_1_minute_file_accounts_for_its_16_00_bars(shared_data: Path, tmp_path: Path) -> None:
    # PROVENANCE.md §4: bar-END labels, so read as bar starts (detected) 16:00 falls after the session.
    source = shared_data / "alpha_vantage_msft_1min" / "MSFT_1min_2020-11-23_2020-12-18.csv"
    lines = source.read_text().splitlines()
    lines[0] = lines[0].replace("datetime_et_bar_end", "datetime")
    detected = tmp_path / "MSFT.csv"
    detected.write_text("\n".join(lines) + "\n")
    for path, arguments in ((detected, ()), (source, ("--preset", "alphavantage_1min"))):
        record = json.loads(run(path, "2020-12-01", "--json", *arguments)[1])
        assert record["rows_read"] == len(lines) - 1 == 11_190
        assert record["rows_read"] == record["rows_imported"] + sum(record["dropped_by_reason"].values())
        assert record["dropped_by_reason"]["OUTSIDE_REGULAR_SESSION"] > 0


def test_a_file_whose_every_row_is_quarantined_says_so_and_why(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("date,open,high,low,close,volume\n2024-01-02,10,8,12,10,100\n2024-01-03,-1,1,1,1,1\n")
    code, output = run(path, "2024-01-02")
    assert code == 4, output
    assert "none of its 2 rows was imported" in output
    assert "HIGH_BELOW_LOW 1" in output and "NON_POSITIVE_PRICE 1" in output
    assert "holds 0 symbols" not in output


def test_two_digit_year_dates_are_detected_like_the_preset_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "ABC.csv"
    path.write_text(
        "date,open,high,low,close,volume\n01/02/24,10,12,8,10,100\n01/03/24,10,13,9,11,300\n"
        "01/04/24,11,15,11,13,100\n"
    )
    detected = json.loads(run(path, "2024-01-03", "--json")[1])
    preset = json.loads(run(path, "2024-01-03", "--json", "--preset", "skender_daily")[1])
    assert detected["frequency"] == "1d" and detected["anchor_bar"] == "2024-01-03T00:00:00-05:00"
    assert detected["rows"] == preset["rows"]
    assert [row["avwap"] for row in detected["rows"]] == [11.0, 11.5]
