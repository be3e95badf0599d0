"""BarStore: layout, upsert, reads with partition pruning, byte determinism, atomic writes, quarantine."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pytest

from avwap.core.errors import DataError
from avwap.data.bars import normalize_bars
from avwap.data.quarantine import QuarantineRecord
from avwap.data.store import BarStore


def bars(rows: list[tuple[str, str, float]], volume: float = 100.0) -> pd.DataFrame:
    """(symbol, New York timestamp text, close) rows as a canonical bar frame."""
    return normalize_bars(
        pd.DataFrame(
            {
                "symbol": [symbol for symbol, _, _ in rows],
                "timestamp": [pd.Timestamp(text, tz="America/New_York") for _, text, _ in rows],
                "open": [close for _, _, close in rows],
                "high": [close + 1 for _, _, close in rows],
                "low": [close - 1 for _, _, close in rows],
                "close": [close for _, _, close in rows],
                "volume": volume,
            }
        )
    )


DAILY = bars(
    [
        ("MSFT", "2023-12-29", 10.0),
        ("AAPL", "2023-12-29", 20.0),
        ("AAPL", "2024-01-02", 21.0),
        ("MSFT", "2024-01-02", 11.0),
        ("AAPL", "2025-03-03", 22.0),
    ]
)
INTRADAY = bars(
    [
        ("SPY", "2024-03-08 15:59", 1.0),  # Friday before the DST change
        ("SPY", "2024-03-11 09:30", 2.0),
        ("QQQ", "2024-03-11 09:30", 3.0),
        ("SPY", "2024-03-11 19:55", 4.0),  # extended hours stay in the session date's partition
    ]
)


def files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_daily_bars_are_partitioned_by_year_and_intraday_by_new_york_date(tmp_path: Path) -> None:
    store = BarStore(tmp_path)
    store.write(DAILY, "1d")
    store.write(INTRADAY, "5m")
    assert files(tmp_path / "bars" / "1d") == ["2023.parquet", "2024.parquet", "2025.parquet"]
    assert files(tmp_path / "bars" / "5m") == ["2024-03-08.parquet", "2024-03-11.parquet"]
    assert store.frequencies() == ["1d", "5m"]


def test_read_returns_the_canonical_frame(tmp_path: Path) -> None:
    store = BarStore(tmp_path)
    store.write(DAILY, "1d")
    result = store.read("1d")
    pd.testing.assert_frame_equal(result, DAILY)
    assert str(result["timestamp"].dtype) == "datetime64[ns, America/New_York]"


def test_files_are_sorted_by_symbol_then_timestamp(tmp_path: Path) -> None:
    store = BarStore(tmp_path)
    store.write(INTRADAY, "5m")
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "bars" / "5m" / "2024-03-11.parquet")
    assert table.column("symbol").to_pylist() == ["QQQ", "SPY", "SPY"]


def test_write_upserts_new_rows_replacing_same_symbol_and_timestamp(tmp_path: Path) -> None:
    store = BarStore(tmp_path)
    store.write(DAILY, "1d")
    written = store.write(bars([("AAPL", "2024-01-02", 99.0), ("AAPL", "2024-01-03", 98.0)]), "1d")
    assert [path.name for path in written] == ["2024.parquet"]
    aapl = store.read("1d", symbols=["aapl"])
    assert aapl["close"].tolist() == [20.0, 99.0, 98.0, 22.0]
    assert len(store.read("1d")) == 6


def test_reads_filter_by_symbols_and_inclusive_bounds(tmp_path: Path) -> None:
    store = BarStore(tmp_path)
    store.write(DAILY, "1d")
    store.write(INTRADAY, "5m")
    window = store.read("1d", start=dt.date(2023, 12, 29), end=dt.date(2024, 1, 2))
    assert len(window) == 4
    assert store.read("1d", symbols=["MSFT"], start=dt.date(2024, 1, 1))["close"].tolist() == [11.0]
    assert len(store.read("5m", start=dt.date(2024, 3, 11), end=dt.date(2024, 3, 11))) == 3
    open_bar = dt.datetime(2024, 3, 11, 13, 30, tzinfo=dt.UTC)  # 09:30 EDT
    at_open = store.read("5m", start=open_bar, end=open_bar)
    assert sorted(at_open["symbol"]) == ["QQQ", "SPY"]
    assert len(store.read("5m", symbols=["IWM"])) == 0
    assert len(store.read("1m")) == 0


def test_reads_open_only_the_partitions_they_need(tmp_path: Path) -> None:
    store = BarStore(tmp_path)
    store.write(DAILY, "1d")
    (tmp_path / "bars" / "1d" / "2023.parquet").write_bytes(b"not parquet")  # would fail if opened
    assert store.read("1d", start=dt.date(2024, 1, 1))["close"].tolist() == [21.0, 22.0, 11.0]
    with pytest.raises(DataError, match="cannot read bar partitions"):
        store.read("1d")


def test_naive_datetime_bounds_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="naive"):
        BarStore(tmp_path).read("1d", start=dt.datetime(2024, 1, 1))  # noqa: DTZ001


def test_same_bars_give_the_same_bytes(tmp_path: Path) -> None:
    first, second = BarStore(tmp_path / "a"), BarStore(tmp_path / "b")
    first.write(DAILY, "1d")
    second.write(DAILY.sample(frac=1.0, random_state=3), "1d")  # row order does not matter
    for name in files(tmp_path / "a" / "bars" / "1d"):
        assert (tmp_path / "a" / "bars" / "1d" / name).read_bytes() == (
            tmp_path / "b" / "bars" / "1d" / name
        ).read_bytes()
    before = first.data_hash("1d")
    assert first.write(DAILY, "1d") == []  # rewriting the same bars changes nothing
    assert first.data_hash("1d") == before == second.data_hash("1d")
    first.write(bars([("AAPL", "2024-01-02", 21.5)]), "1d")
    assert first.data_hash("1d") != before


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    store = BarStore(tmp_path)
    store.write(DAILY, "1d")
    assert [path.name for path in store.write(DAILY.assign(close=DAILY["close"] + 0.5), "1d")] == [
        "2023.parquet",
        "2024.parquet",
        "2025.parquet",
    ]
    assert files(tmp_path / "bars" / "1d") == ["2023.parquet", "2024.parquet", "2025.parquet"]
    assert store.read("1d")["close"].tolist() == (DAILY["close"] + 0.5).tolist()


def test_a_failed_write_keeps_the_old_file_and_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BarStore(tmp_path)
    store.write(DAILY, "1d")
    before = (tmp_path / "bars" / "1d" / "2024.parquet").read_bytes()

    def broken_replace(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.write(bars([("AAPL", "2024-01-02", 55.0)]), "1d")
    monkeypatch.undo()
    assert (tmp_path / "bars" / "1d" / "2024.parquet").read_bytes() == before
    assert files(tmp_path / "bars" / "1d") == ["2023.parquet", "2024.parquet", "2025.parquet"]


def test_symbols_and_coverage(tmp_path: Path) -> None:
    store = BarStore(tmp_path)
    store.write(DAILY, "1d")
    assert store.symbols("1d") == ["AAPL", "MSFT"]
    coverage = store.coverage("1d")
    assert [(item.symbol, item.first.date(), item.last.date(), item.rows) for item in coverage] == [
        ("AAPL", dt.date(2023, 12, 29), dt.date(2025, 3, 3), 3),
        ("MSFT", dt.date(2023, 12, 29), dt.date(2024, 1, 2), 2),
    ]
    assert store.coverage("5m") == [] and store.symbols("5m") == []


@pytest.mark.parametrize(
    ("frame", "frequency", "message"),
    [
        (DAILY.drop(columns="volume"), "1d", "lacks columns"),
        (pd.concat([DAILY, DAILY.iloc[:1]]), "1d", "duplicate"),
        (DAILY.assign(close=float("nan")), "1d", "missing prices"),
        (INTRADAY, "1d", "00:00 New York"),
        (DAILY, "2m", "unknown bar frequency"),
    ],
)
def test_write_refuses_frames_a_validated_import_never_produces(
    tmp_path: Path, frame: pd.DataFrame, frequency: str, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        BarStore(tmp_path).write(frame, frequency)


def record(source: str, line: int, reason: str = "MISSING_VALUE") -> QuarantineRecord:
    return QuarantineRecord(
        source=source, line=line, reasons=(reason,), symbol="AAA", timestamp=None, raw="x,,"
    )


def test_quarantine_replaces_the_records_of_reimported_sources(tmp_path: Path) -> None:
    store = BarStore(tmp_path)
    store.record_quarantine(
        "1d", ["/b.csv", "/a.csv"], [record("/b.csv", 9), record("/a.csv", 3), record("/a.csv", 2)]
    )
    path = tmp_path / "quarantine" / "1d.jsonl"
    first_bytes = path.read_bytes()
    assert [(item.source, item.line) for item in store.quarantine("1d")] == [
        ("/a.csv", 2),
        ("/a.csv", 3),
        ("/b.csv", 9),
    ]
    store.record_quarantine("1d", ["/a.csv"], [])  # /a.csv re-imported clean
    assert [(item.source, item.line) for item in store.quarantine("1d")] == [("/b.csv", 9)]
    store.record_quarantine("1d", ["/a.csv"], [record("/a.csv", 3), record("/a.csv", 2)])
    assert path.read_bytes() == first_bytes
    assert first_bytes.splitlines()[0].startswith(b'{"flags":[],"line":2,')


def test_a_corrupt_quarantine_file_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "quarantine" / "1d.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("{not json\n")
    with pytest.raises(DataError, match=r"1d\.jsonl:1"):
        BarStore(tmp_path).quarantine("1d")
