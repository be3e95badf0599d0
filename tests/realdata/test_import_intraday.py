"""Real data: intraday families (pyalgotrade, NinjaTrader, IB, Alpha Vantage, yfinance, S&P 500 index)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from avwap.core.errors import DataError
from avwap.data.importing.csv_import import import_csv, import_many
from avwap.data.importing.presets import preset
from avwap.data.importing.spec import ImportSpec, with_overrides

pytestmark = pytest.mark.realdata

PYALGOTRADE_ET = "pyalgotrade/SPY_1min_2011-01_2011-03_ET.csv"
IB_ET = "pyalgotrade/SPY_5min_IB_2012-06-27_29_ET.csv"
MSFT = "alpha_vantage_msft_1min/MSFT_1min_2020-11-23_2020-12-18.csv"


def manifest(shared_data: Path) -> dict[str, int]:
    with (shared_data / "MANIFEST.csv").open() as handle:
        return {row["path"]: int(row["data_rows"]) for row in csv.DictReader(handle) if row["data_rows"]}


def per_day(bars: pd.DataFrame) -> pd.Series:
    return bars.groupby(bars["timestamp"].dt.date).size()


def everything(name: str) -> ImportSpec:
    return with_overrides(preset(name), session="all")


def at(bars: pd.DataFrame, text: str) -> pd.Series:
    return bars[bars["timestamp"] == pd.Timestamp(text, tz="America/New_York")].iloc[0]


def test_pyalgotrade_et_file_has_390_regular_bars_on_43_sessions(shared_data: Path) -> None:
    result = import_csv(shared_data / PYALGOTRADE_ET, preset("pyalgotrade_1min_et"))
    assert result.rows_read == manifest(shared_data)[PYALGOTRADE_ET] == 31_757
    counts = per_day(result.bars)
    assert len(counts) == 43 and set(counts) == {390}
    assert result.rows_imported + result.rows_outside_session == result.rows_read


def test_ninjatrader_raw_files_equal_the_converted_et_file(shared_data: Path) -> None:
    raw = sorted((shared_data / "pyalgotrade/raw").glob("nt-spy-minute-*.csv"))
    converted = import_csv(shared_data / PYALGOTRADE_ET, everything("pyalgotrade_1min_et")).bars
    from_raw = import_many(raw, everything("ninjatrader_minute")).bars
    pd.testing.assert_frame_equal(from_raw, converted)


def test_opening_cross_lands_on_0930_on_both_sides_of_the_dst_change(shared_data: Path) -> None:
    raw = sorted((shared_data / "pyalgotrade/raw").glob("nt-spy-minute-*.csv"))
    bars = import_many(raw, preset("ninjatrader_minute")).bars
    for day in ("2011-03-11", "2011-03-14"):  # EST, then EDT
        session = bars[bars["timestamp"].dt.date == dt.date.fromisoformat(day)]
        assert session["timestamp"].iloc[0].strftime("%H:%M") == "09:30"
        assert len(session) == 390
    assert at(bars, "2011-03-11 09:30")["volume"] == 1_857_182
    assert at(bars, "2011-03-14 09:30")["volume"] == 1_197_395


def test_ib_raw_budapest_lots_equal_the_converted_shares_file(shared_data: Path) -> None:
    raw = sorted((shared_data / "pyalgotrade/raw").glob("ib-spy-5min-*.csv"))
    from_raw = import_many(raw, everything("ib_5min_raw")).bars
    converted = import_csv(shared_data / IB_ET, everything("ib_5min_et"))
    assert converted.rows_read == manifest(shared_data)[IB_ET] == 502
    pd.testing.assert_frame_equal(from_raw, converted.bars)
    assert converted.flag_counts == {"ZERO_VOLUME": 30}


def test_ib_regular_session_has_78_five_minute_bars_per_day(shared_data: Path) -> None:
    bars = import_csv(shared_data / IB_ET, preset("ib_5min_et")).bars
    assert list(per_day(bars)) == [78, 78, 78]
    assert bars["timestamp"].iloc[0].strftime("%H:%M") == "09:30"


def test_alpha_vantage_bar_ends_become_starts_with_the_opening_cross_at_0930(shared_data: Path) -> None:
    result = import_csv(shared_data / MSFT, preset("alphavantage_1min"))
    assert result.rows_read == manifest(shared_data)[MSFT] == 11_190
    assert result.rows_imported + result.rows_outside_session == result.rows_read
    counts = per_day(result.bars)
    assert len(counts) == 19
    assert counts[dt.date(2020, 11, 27)] == 210  # half day, close at 13:00
    assert set(counts.drop(dt.date(2020, 11, 27))) == {390}
    first = result.bars[result.bars["timestamp"].dt.date == dt.date(2020, 12, 1)].iloc[0]
    assert first["timestamp"].strftime("%H:%M") == "09:30"
    assert first["volume"] == 675_746


def test_yfinance_5_minute_file_keeps_78_bars_on_10_sessions(shared_data: Path) -> None:
    path = shared_data / "spy_5m_2026/spy_5m_2026-04-01_2026-04-15.csv"
    result = import_csv(path, preset("yfinance_5min"))
    assert (
        result.rows_imported == manifest(shared_data)["spy_5m_2026/spy_5m_2026-04-01_2026-04-15.csv"] == 780
    )
    assert list(per_day(result.bars)) == [78] * 10
    assert str(result.bars["timestamp"].iloc[0]) == "2026-04-01 09:30:00-04:00"
    assert str(result.bars["timestamp"].iloc[-1]) == "2026-04-15 15:55:00-04:00"


def test_sp500_index_minute_file_maps_columns_by_name(shared_data: Path) -> None:
    result = import_csv(shared_data / "mplfinance/SP500_NOV2019_IDayRVol.csv", preset("sp500_index_1min"))
    assert result.rows_read == 1563
    assert (result.rows_imported, result.rows_outside_session) == (1560, 3)  # the 16:00 bars
    first = result.bars.iloc[0]
    assert (first["open"], first["high"], first["low"], first["close"]) == (3080.8, 3081.47, 3080.3, 3080.49)
    assert set(result.bars["symbol"]) == {"SPX"}


def test_skender_intraday_quotes(shared_data: Path) -> None:
    result = import_csv(shared_data / "skender_reference/intraday.csv", preset("skender_intraday"))
    assert result.rows_quarantined == 0
    assert list(per_day(result.bars)) == [390] * 4


@pytest.mark.parametrize(
    ("path", "preset_name"),
    [
        ("pyalgotrade/raw/nt-spy-minute-2011.csv", "lean_minute"),
        (MSFT, "pyalgotrade_1min_et"),
        (PYALGOTRADE_ET, "ib_5min_et"),
        ("mplfinance/SP500_NOV2019_IDayRVol.csv", "mplfinance_yahoo_daily"),
        ("pyalgotrade/raw/ib-spy-5min-20120627.csv", "ninjatrader_minute"),
    ],
)
def test_files_of_another_family_are_refused(shared_data: Path, path: str, preset_name: str) -> None:
    with pytest.raises(DataError, match="does not fit"):
        import_csv(shared_data / path, preset(preset_name))
