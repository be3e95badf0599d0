"""Real data: the remaining daily families (zipline, mplfinance/Yahoo, backtrader, S&P 500 index, skender)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from avwap.data.importing.csv_import import expand_paths, import_csv, import_many
from avwap.data.importing.presets import preset

pytestmark = pytest.mark.realdata


def manifest(shared_data: Path) -> dict[str, int]:
    with (shared_data / "MANIFEST.csv").open() as handle:
        return {row["path"]: int(row["data_rows"]) for row in csv.DictReader(handle) if row["data_rows"]}


@pytest.mark.parametrize(
    ("paths", "preset_name", "symbols"),
    [
        (["zipline_samples/QUANDL_SAMPLE_TABLE.csv"], "zipline_quandl", {"AAPL", "BRK_A", "MSFT", "ZEN"}),
        (["zipline_samples/csvdir_daily"], "zipline_csvdir", {"AAPL", "IBM", "KO", "MSFT"}),
        (["backtrader"], "backtrader_yahoo_daily", {"NVDA", "ORCL", "YHOO"}),
        (["mplfinance/SP500_NOV2019_Hist.csv"], "sp500_index_daily", {"SPX"}),
    ],
)
def test_clean_daily_families_import_every_manifest_row(
    shared_data: Path, paths: list[str], preset_name: str, symbols: set[str]
) -> None:
    rows = manifest(shared_data)
    batch = import_many(expand_paths([shared_data / path for path in paths]), preset(preset_name))
    for report in batch.reports:
        expected = rows[report.path.relative_to(shared_data).as_posix()]
        assert (report.rows_read, report.rows_imported, report.rows_quarantined) == (expected, expected, 0)
    assert set(batch.bars["symbol"]) == symbols


def test_quandl_prices_are_raw_across_the_aapl_split(shared_data: Path) -> None:
    bars = import_csv(shared_data / "zipline_samples/QUANDL_SAMPLE_TABLE.csv", preset("zipline_quandl")).bars
    aapl = bars[bars["symbol"] == "AAPL"].set_index(bars[bars["symbol"] == "AAPL"]["timestamp"].dt.date)
    assert aapl.loc[dt.date(2014, 6, 6), "close"] > 600 > aapl.loc[dt.date(2014, 6, 9), "close"]


def test_index_daily_m_d_yyyy_dates(shared_data: Path) -> None:
    bars = import_csv(shared_data / "mplfinance/SP500_NOV2019_Hist.csv", preset("sp500_index_daily")).bars
    assert bars["timestamp"].iloc[0].date() == dt.date(2019, 11, 1)
    assert bars["close"].iloc[0] == 3066.91


def test_mplfinance_yahoo_files_quarantine_the_two_spy_errors(shared_data: Path) -> None:
    rows = manifest(shared_data)
    batch = import_many(
        sorted((shared_data / "mplfinance").glob("yahoofinance-*.csv")), preset("mplfinance_yahoo_daily")
    )
    for report in batch.reports:
        assert report.rows_read == rows[f"mplfinance/{report.path.name}"]
        assert report.rows_imported + report.rows_quarantined == report.rows_read
    records = batch.quarantine_records()
    assert [(record.symbol, record.timestamp[:10], record.reasons) for record in records] == [
        ("SPY", "2015-03-05", ("OPEN_OUTSIDE_RANGE",)),
        ("SPY", "2015-03-30", ("OPEN_OUTSIDE_RANGE",)),
    ]
    assert records[0].raw.startswith("2015-03-05,209.419998,")


@pytest.mark.parametrize(
    ("name", "imported", "quarantined", "zero_volume"),
    [
        ("default", 502, 0, 0),
        ("penny", 533, 0, 0),
        ("bad", 337, 165, 51),  # deliberately awkward: gaps, zeros, negative volume, inverted ranges
        ("zeros", 0, 200, 200),  # all-zero prices (MM/DD/YY dates)
        ("msft", 8111, 0, 506),  # M/D/YYYY dates from 1990, early volumes are zero
    ],
)
def test_skender_quotes_with_bom_and_mixed_date_styles(
    shared_data: Path, name: str, imported: int, quarantined: int, zero_volume: int
) -> None:
    result = import_csv(shared_data / "skender_reference" / f"{name}.csv", preset("skender_daily"))
    assert (result.rows_imported, result.rows_quarantined) == (imported, quarantined)
    assert result.flag_counts.get("ZERO_VOLUME", 0) == zero_volume
    assert "UNPARSEABLE_TIMESTAMP" not in result.reason_counts
