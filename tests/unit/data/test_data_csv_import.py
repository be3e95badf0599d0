"""import_csv / import_many on small hand-made files of each shape (header, BOM, no header, bar end, ...)."""

from __future__ import annotations

from pathlib import Path

import pytest

from avwap.core.errors import DataError
from avwap.data.importing.csv_import import expand_paths, import_csv, import_many
from avwap.data.importing.presets import preset
from avwap.data.importing.spec import with_overrides

DAILY_HEADER = "date,open,high,low,close,volume,Name\n"


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def test_daily_rows_become_canonical_bars(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "AAA_data.csv",
        DAILY_HEADER + "2014-05-20,10,11,9,10.5,1000,aaa\n2014-05-19,10,11,9,10.5,2000,aaa\n",
    )
    result = import_csv(path, preset("cnuge_daily"))
    bars = result.bars
    assert list(bars["symbol"]) == ["AAA", "AAA"]
    assert [str(stamp) for stamp in bars["timestamp"]] == [
        "2014-05-19 00:00:00-04:00",
        "2014-05-20 00:00:00-04:00",
    ]
    assert list(bars["volume"]) == [2000.0, 1000.0]
    assert (result.rows_read, result.rows_imported, result.rows_quarantined) == (2, 2, 0)


def test_bad_rows_are_quarantined_with_line_numbers_and_raw_text(tmp_path: Path) -> None:
    text = (
        DAILY_HEADER
        + "2014-05-19,23.89,23.595,23.85,24.445,1944854,AOS\n"  # line 2
        + "\n"  # line 3: blank, skipped
        + "2014-05-20,,,,24.1,0,AOS\n"  # line 4
        + "2014-05-21,24,25,23,24.5,1000,AOS\n"  # line 5
        + "2014-05-22,24,25,23,abc,1000,AOS\n"  # line 6
        + "2014-05-23,24,25\n"  # line 7: malformed
        + "2014-05-21,24,25,23,24.6,1000,AOS\n"  # line 8: duplicate of line 5
        + "05/24/2014,24,25,23,24.5,1000,AOS\n"  # line 9: wrong date format
    )
    result = import_csv(write(tmp_path, "AOS_data.csv", text), preset("cnuge_daily"))
    assert result.rows_imported == 1
    quarantined = result.quarantined
    assert list(quarantined["line"]) == [2, 4, 6, 7, 8, 9]
    assert list(quarantined["reasons"]) == [
        ("HIGH_BELOW_LOW", "OPEN_OUTSIDE_RANGE", "CLOSE_OUTSIDE_RANGE"),
        ("MISSING_VALUE",),
        ("UNPARSEABLE_VALUE", "MISSING_VALUE"),
        ("MALFORMED_ROW",),
        ("DUPLICATE_TIMESTAMP",),
        ("UNPARSEABLE_TIMESTAMP", "MISSING_VALUE"),
    ]
    assert quarantined["raw"].iloc[0] == "2014-05-19,23.89,23.595,23.85,24.445,1944854,AOS"
    assert quarantined["raw"].iloc[3] == "2014-05-23,24,25"
    assert list(result.flags["line"]) == [4]
    assert result.reason_counts["MISSING_VALUE"] == 3
    records = result.report.quarantine_records()
    assert [record.line for record in records] == [2, 4, 6, 7, 8, 9]
    assert records[1].flags == ("ZERO_VOLUME",)
    assert records[1].timestamp == "2014-05-20T00:00:00-04:00"
    assert records[5].timestamp is None


def test_utf8_bom_and_crlf_are_tolerated(tmp_path: Path) -> None:
    text = "\ufeffdate,open,high,low,close,volume\r\n2018-12-21,2.72,2.72,2.5905,2.63,136251\r\n"
    result = import_csv(write(tmp_path, "penny.csv", text), preset("skender_daily"))
    assert list(result.bars["symbol"]) == ["PENNY"]
    assert result.bars["low"].iloc[0] == 2.5905


def test_headerless_utc_bar_end_file_with_semicolons(tmp_path: Path) -> None:
    text = "20110311 143100;129.1;129.2;129.0;129.15;50000\n20110314 133100;130;130.2;129.9;130.1;60000\n"
    result = import_csv(write(tmp_path, "nt-spy-minute-2011-03.csv", text), preset("ninjatrader_minute"))
    assert [str(stamp) for stamp in result.bars["timestamp"]] == [
        "2011-03-11 09:30:00-05:00",
        "2011-03-14 09:30:00-04:00",
    ]
    assert set(result.bars["symbol"]) == {"SPY"}


def test_volume_multiplier_and_source_zone(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Volume,TradeCount,VWAP\n"
    text += "2012-06-28 15:30:00,132.5,132.6,132.4,132.55,25,3,132.5\n"
    result = import_csv(write(tmp_path, "ib-spy-5min-20120628.csv", text), preset("ib_5min_raw"))
    assert result.bars["volume"].tolist() == [2500.0]
    assert str(result.bars["timestamp"].iloc[0]) == "2012-06-28 09:30:00-04:00"


def test_regular_session_filter_counts_what_it_drops(tmp_path: Path) -> None:
    text = (
        "datetime_et,open,high,low,close,volume\n"
        "2020-11-27 09:29:00,1,1,1,1,10\n2020-11-27 09:30:00,1,1,1,1,10\n"
        "2020-11-27 12:59:00,1,1,1,1,10\n2020-11-27 13:00:00,1,1,1,1,10\n"
    )
    path = write(tmp_path, "MSFT.csv", text)
    regular = import_csv(path, preset("lean_minute"))
    assert regular.rows_imported == 2 and regular.rows_outside_session == 2 and regular.rows_quarantined == 0
    everything = import_csv(path, with_overrides(preset("lean_minute"), session="all"))
    assert everything.rows_imported == 4 and everything.rows_outside_session == 0


def test_explicit_symbol_wins_over_the_column(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", DAILY_HEADER + "2014-05-20,10,11,9,10.5,1000,AAA\n")
    assert list(import_csv(path, with_overrides(preset("cnuge_daily"), symbol="bbb")).bars["symbol"]) == [
        "BBB"
    ]


def test_symbol_pattern_must_match_the_file_name(tmp_path: Path) -> None:
    path = write(
        tmp_path, "weird name.txt", "date,open,high,low,close,volume\n2014-05-20,10,11,9,10.5,1000\n"
    )
    with pytest.raises(DataError, match="cannot take a symbol from file name"):
        import_csv(path, preset("lean_daily"))


def test_missing_columns_name_the_file_and_the_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "yahoo.csv", "Date,Open,High,Low,Close,Adj Close,Volume\n2014-05-20,1,1,1,1,1,1\n")
    with pytest.raises(DataError) as caught:
        import_csv(path, preset("lean_daily"))
    message = str(caught.value)
    assert (
        str(path) in message
        and "missing columns ['date', 'open', 'high', 'low', 'close', 'volume']" in message
    )


@pytest.mark.parametrize(
    ("name", "text", "preset_name", "message"),
    [
        # a daily file read as intraday: no timestamp fits "%Y-%m-%d %H:%M:%S"
        (
            "SPY.csv",
            "datetime_et,open,high,low,close,volume\n2014-05-20,1,1,1,1,1\n",
            "lean_minute",
            "match no format",
        ),
        # a NinjaTrader file read with a header preset: its first line is not a header
        ("SPY.csv", "20110103 090100;126.35;126.39;126.35;126.39;1579\n", "lean_daily", "missing columns"),
        # a comma file read as NinjaTrader (";"): one field per line
        (
            "nt-spy-x.csv",
            "2014-05-20,1,1,1,1,1\n2014-05-21,1,1,1,1,1\n",
            "ninjatrader_minute",
            "number of fields",
        ),
        # 1-minute bars read as 5-minute bars: most starts are off the 5-minute grid
        (
            "SPY_5min_IB_x.csv",
            "datetime_et_bar_start,open,high,low,close,volume_shares\n"
            + "".join(f"2012-06-27 10:0{minute}:00,1,1,1,1,1\n" for minute in range(1, 9)),
            "ib_5min_et",
            "off the 5m grid",
        ),
    ],
)
def test_a_file_of_another_family_is_refused(
    tmp_path: Path, name: str, text: str, preset_name: str, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        import_csv(write(tmp_path, name, text), preset(preset_name))


def test_unreadable_files_are_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        import_csv(tmp_path / "absent.csv", preset("lean_daily"))
    with pytest.raises(DataError, match="cannot read"):
        import_csv(write(tmp_path, "EMPTY.csv", ""), preset("lean_daily"))


def test_import_many_reports_progress_and_the_later_file_wins(tmp_path: Path) -> None:
    first = write(tmp_path, "a_data.csv", DAILY_HEADER + "2014-05-20,10,11,9,10.5,1000,AAA\n")
    second = write(
        tmp_path, "b_data.csv", DAILY_HEADER + "2014-05-20,10,11,9,10.7,1000,AAA\n2014-05-21,1,1,1,1,1,BBB\n"
    )
    calls: list[tuple[int, int, str]] = []
    batch = import_many(
        [first, second], preset("cnuge_daily"), progress=lambda d, t, p: calls.append((d, t, p.name))
    )
    assert calls == [(1, 2, "a_data.csv"), (2, 2, "b_data.csv")]
    assert batch.rows_superseded == 1
    assert batch.bars["close"].tolist() == [10.7, 1.0]
    assert batch.summary()["rows_imported"] == 2
    assert [report.rows_imported for report in batch.reports] == [1, 2]


def test_expand_paths_lists_csv_files_of_folders_in_name_order(tmp_path: Path) -> None:
    for name in ("b.csv", "a.csv", "notes.txt"):
        write(tmp_path, name, "")
    single = tmp_path / "notes.txt"
    assert [path.name for path in expand_paths([tmp_path, single])] == ["a.csv", "b.csv", "notes.txt"]
