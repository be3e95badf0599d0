"""Real data: Lean/AlgoSeek daily, daily_adjusted, hour and minute files, checked against PROVENANCE.md."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from avwap.core.calendar import nyse
from avwap.core.errors import DataError
from avwap.data.importing.csv_import import expand_paths, import_csv, import_many
from avwap.data.importing.presets import preset
from avwap.data.importing.spec import with_overrides

pytestmark = pytest.mark.realdata


def manifest(shared_data: Path) -> dict[str, int]:
    with (shared_data / "MANIFEST.csv").open() as handle:
        return {row["path"]: int(row["data_rows"]) for row in csv.DictReader(handle) if row["data_rows"]}


def on_day(bars: pd.DataFrame, day: str) -> pd.DataFrame:
    return bars[bars["timestamp"].dt.date == dt.date.fromisoformat(day)]


@pytest.mark.parametrize(
    ("folder", "preset_name"), [("daily", "lean_daily"), ("daily_adjusted", "lean_daily_adjusted")]
)
def test_daily_files_import_every_row(shared_data: Path, folder: str, preset_name: str) -> None:
    rows = manifest(shared_data)
    batch = import_many(expand_paths([shared_data / "lean_algoseek" / folder]), preset(preset_name))
    for report in batch.reports:
        expected = rows[f"lean_algoseek/{folder}/{report.path.name}"]
        assert (report.rows_read, report.rows_imported, report.rows_quarantined) == (expected, expected, 0)
    flagged = {report.path.stem: report.flag_counts.get("ZERO_VOLUME", 0) for report in batch.reports}
    assert flagged["BNO"] == 26 and sum(flagged.values()) == 26


def test_daily_prices_are_raw_across_the_aapl_split(shared_data: Path) -> None:
    bars = import_csv(shared_data / "lean_algoseek/daily/AAPL.csv", preset("lean_daily")).bars
    assert on_day(bars, "2014-06-06")["close"].item() == 645.57
    assert on_day(bars, "2014-06-09")["close"].item() == 93.70


def test_hour_bars_start_at_the_open_then_on_the_hour(shared_data: Path) -> None:
    rows = manifest(shared_data)
    result = import_csv(shared_data / "lean_algoseek/hour/SPY.csv", preset("lean_hour"))
    assert result.rows_read == rows["lean_algoseek/hour/SPY.csv"]
    assert result.rows_quarantined == 0
    assert result.rows_imported + result.rows_outside_session == result.rows_read
    day = on_day(result.bars, "2013-10-07")
    assert [stamp.strftime("%H:%M") for stamp in day["timestamp"]] == [
        "09:30", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00",
    ]  # fmt: skip


def test_hour_bars_dropped_by_the_session_filter_are_after_early_closes(shared_data: Path) -> None:
    spec = with_overrides(preset("lean_hour"), session="all")
    everything = import_csv(shared_data / "lean_algoseek/hour/SPY.csv", spec).bars
    regular = import_csv(shared_data / "lean_algoseek/hour/SPY.csv", preset("lean_hour")).bars
    dropped = everything[~everything["timestamp"].isin(regular["timestamp"])]
    assert len(dropped) > 0
    calendar = nyse()
    for stamp in dropped["timestamp"]:
        assert calendar.is_early_close(stamp.date())
        assert stamp >= pd.Timestamp(calendar.session_close(stamp.date()))


def test_minute_bars_keep_exactly_the_390_regular_bars_per_spy_session(shared_data: Path) -> None:
    result = import_csv(shared_data / "lean_algoseek/minute/SPY.csv", preset("lean_minute"))
    assert result.rows_read == manifest(shared_data)["lean_algoseek/minute/SPY.csv"]
    counts = result.bars.groupby(result.bars["timestamp"].dt.date).size()
    assert len(counts) == 7 and set(counts) == {390}
    assert result.rows_imported + result.rows_outside_session == result.rows_read


def test_daily_volume_equals_the_regular_session_minute_volume(shared_data: Path) -> None:
    minute = import_csv(shared_data / "lean_algoseek/minute/SPY.csv", preset("lean_minute")).bars
    daily = import_csv(shared_data / "lean_algoseek/daily/SPY.csv", preset("lean_daily")).bars
    assert on_day(minute, "2013-10-07")["volume"].sum() == on_day(daily, "2013-10-07")["volume"].item()


def test_the_aapl_split_day_first_bar_is_kept_with_all_hours(shared_data: Path) -> None:
    spec = with_overrides(preset("lean_minute"), session="all")
    result = import_csv(shared_data / "lean_algoseek/minute/AAPL.csv", spec)
    assert result.rows_imported == manifest(shared_data)["lean_algoseek/minute/AAPL.csv"]
    first = on_day(result.bars, "2014-06-09").iloc[0]
    assert (first["timestamp"].strftime("%H:%M"), first["open"], first["low"]) == ("04:00", 645.57, 92.23)


def test_every_minute_file_imports(shared_data: Path) -> None:
    rows = manifest(shared_data)
    batch = import_many(expand_paths([shared_data / "lean_algoseek/minute"]), preset("lean_minute"))
    for report in batch.reports:
        assert report.rows_read == rows[f"lean_algoseek/minute/{report.path.name}"]
        assert report.rows_quarantined == 0


def test_a_minute_file_is_not_accepted_as_daily(shared_data: Path) -> None:
    with pytest.raises(DataError, match="does not fit"):
        import_csv(shared_data / "lean_algoseek/minute/SPY.csv", preset("lean_daily"))
