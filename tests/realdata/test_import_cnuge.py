"""Real data: the 505-file CNuge S&P 500 daily universe imports, with its known vendor errors quarantined."""

from __future__ import annotations

import csv
import datetime as dt
import functools
from pathlib import Path

import pytest

from avwap.data.importing.csv_import import expand_paths, import_many
from avwap.data.importing.presets import preset
from avwap.data.importing.result import BatchImportResult
from avwap.data.store import BarStore

pytestmark = pytest.mark.realdata

# From PROVENANCE.md section 1 (dates with their symbols) and the validator's codes.
EXPECTED_QUARANTINE = {
    ("AOS", "2014-05-19"): ("HIGH_BELOW_LOW", "OPEN_OUTSIDE_RANGE", "CLOSE_OUTSIDE_RANGE"),
    ("CHD", "2014-05-19"): ("OPEN_OUTSIDE_RANGE",),
    ("BBY", "2016-03-14"): ("CLOSE_OUTSIDE_RANGE",),
    ("CHK", "2014-06-30"): ("CLOSE_OUTSIDE_RANGE",),
    ("DHR", "2014-11-06"): ("OPEN_OUTSIDE_RANGE",),
    ("IP", "2014-07-01"): ("CLOSE_OUTSIDE_RANGE",),
    ("LNT", "2016-05-19"): ("CLOSE_OUTSIDE_RANGE",),
    ("O", "2014-08-27"): ("CLOSE_OUTSIDE_RANGE",),
    ("O", "2014-11-06"): ("OPEN_OUTSIDE_RANGE",),
    ("SPG", "2014-05-28"): ("CLOSE_OUTSIDE_RANGE",),
    ("UA", "2016-06-10"): ("CLOSE_OUTSIDE_RANGE",),
    ("WRK", "2016-05-13"): ("CLOSE_OUTSIDE_RANGE",),
    ("BHF", "2017-07-26"): ("MISSING_VALUE",),
    ("DHR", "2015-07-17"): ("MISSING_VALUE",),
    ("DHR", "2016-01-12"): ("MISSING_VALUE",),
    ("ES", "2015-07-17"): ("MISSING_VALUE",),
    ("FTV", "2016-07-01"): ("MISSING_VALUE",),
    ("O", "2015-07-17"): ("MISSING_VALUE",),
    ("O", "2016-01-12"): ("MISSING_VALUE",),
    ("REGN", "2015-06-09"): ("MISSING_VALUE",),
    ("UA", "2016-04-07"): ("MISSING_VALUE",),
    ("VRTX", "2015-05-12"): ("MISSING_VALUE",),
    ("WRK", "2015-06-26"): ("MISSING_VALUE",),
}
# The four zero-volume rows are rows with empty OHLC: flagged, and quarantined for the missing prices.
ZERO_VOLUME = {("DHR", "2016-01-12"), ("FTV", "2016-07-01"), ("O", "2016-01-12"), ("UA", "2016-04-07")}


@functools.cache
def universe(folder: Path) -> BatchImportResult:
    return import_many(expand_paths([folder / "daily_sp500_5yr_cnuge"]), preset("cnuge_daily"))


def manifest_rows(shared_data: Path) -> int:
    with (shared_data / "MANIFEST.csv").open() as handle:
        rows = {row["path"]: row["data_rows"] for row in csv.DictReader(handle)}
    return int(rows["daily_sp500_5yr_cnuge/*.csv (505 files)"])


def test_every_row_is_imported_or_quarantined(shared_data: Path) -> None:
    batch = universe(shared_data)
    summary = batch.summary()
    assert summary["files"] == 505
    assert summary["rows_read"] == manifest_rows(shared_data) == 619_040
    assert summary["rows_imported"] == 619_040 - len(EXPECTED_QUARANTINE)
    assert summary["rows_outside_session"] == 0 and summary["rows_superseded"] == 0
    assert len(set(batch.bars["symbol"])) == 505


def test_known_vendor_errors_are_quarantined_with_their_reasons(shared_data: Path) -> None:
    found = {
        (record.symbol, record.timestamp[:10]): record.reasons
        for record in universe(shared_data).quarantine_records()
    }
    assert found == EXPECTED_QUARANTINE
    summary = universe(shared_data).summary()
    assert summary["quarantined_by_reason"]["MISSING_VALUE"] == 11
    assert summary["quarantined_by_reason"]["HIGH_BELOW_LOW"] == 1
    outside = sum(
        1 for reasons in found.values() if set(reasons) & {"OPEN_OUTSIDE_RANGE", "CLOSE_OUTSIDE_RANGE"}
    )
    assert outside == 12  # the 11 rows with low > min(open, close), plus AOS


def test_the_four_zero_volume_rows_are_flagged(shared_data: Path) -> None:
    flagged = set()
    for report in universe(shared_data).reports:
        for symbol, stamp, quarantined in zip(
            report.flags["symbol"], report.flags["timestamp"], report.flags["quarantined"], strict=True
        ):
            flagged.add((symbol, stamp.date().isoformat()))
            assert quarantined
    assert flagged == ZERO_VOLUME


def test_split_adjusted_prices_survive(shared_data: Path) -> None:
    bars = universe(shared_data).bars
    aapl = bars[bars["symbol"] == "AAPL"]
    assert len(aapl) == 1259
    assert aapl["close"].iloc[0] == 67.8542  # split-adjusted (474.98 raw)
    assert aapl["timestamp"].iloc[0].date() == dt.date(2013, 2, 8)
    assert set(bars["symbol"]) >= {"BRK.B", "BF.B", "GOOG", "GOOGL"}


def test_the_universe_round_trips_through_the_store(shared_data: Path, tmp_path: Path) -> None:
    store = BarStore(tmp_path)
    bars = universe(shared_data).bars
    assert [path.name for path in store.write(bars, "1d")] == [
        f"{year}.parquet" for year in range(2013, 2019)
    ]
    assert store.read("1d").equals(bars)
    coverage = {item.symbol: item for item in store.coverage("1d")}
    assert len(coverage) == 505 and coverage["APTV"].rows == 44
    one_year = store.read("1d", start=dt.date(2016, 1, 1), end=dt.date(2016, 12, 31))
    assert set(one_year["timestamp"].dt.year) == {2016}
