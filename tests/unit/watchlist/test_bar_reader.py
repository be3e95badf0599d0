"""The scan's fast read path returns exactly what ``BarStore.read`` returns (up to row order)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from avwap.data.bars import BAR_COLUMNS, normalize_bars
from avwap.data.store import BarStore
from avwap.data.store_time import _midnight_ns
from avwap.scanning.bar_reader import read_daily, read_daily_columns
from avwap.signals.panel import build_panel


@pytest.mark.parametrize(
    ("symbols", "start", "end"),
    [
        (["SPY", "GOODA", "PENNY"], None, None),
        (["SPY", "GOODA", "NOPE"], dt.date(2025, 12, 15), dt.date(2026, 1, 9)),  # across two yearly files
        (["IWM"], dt.date(2026, 11, 27), dt.date(2026, 11, 27)),
    ],
)
def test_same_rows_as_the_store_read(
    market_store: Path, symbols: list[str], start: dt.date | None, end: dt.date | None
) -> None:
    store = BarStore(market_store)
    fast = read_daily(store, symbols, start, end)
    assert list(fast.columns) == list(BAR_COLUMNS)
    pd.testing.assert_frame_equal(
        normalize_bars(fast), store.read("1d", symbols=symbols, start=start, end=end)
    )


def test_nothing_to_read(market_store: Path, tmp_path: Path) -> None:
    assert read_daily(BarStore(tmp_path / "empty"), ["SPY"]).empty
    assert read_daily(BarStore(market_store), ["NOPE"]).empty
    assert read_daily(BarStore(market_store), ["SPY"], dt.date(2030, 1, 2), dt.date(2030, 1, 3)).empty


@pytest.mark.parametrize(
    ("symbols", "start", "end"),
    [
        (["SPY", "GOODA", "PENNY", "IWM"], None, None),
        (["SPY", "GOODA", "NOPE"], dt.date(2025, 12, 15), dt.date(2026, 1, 9)),  # across two yearly files
        (["IWM"], dt.date(2026, 11, 27), dt.date(2026, 11, 27)),
        (["NOPE"], None, None),
    ],
)
def test_the_columns_read_gives_the_panel_of_the_frame_read(
    market_store: Path, symbols: list[str], start: dt.date | None, end: dt.date | None
) -> None:
    """Parquet → numpy (no pandas) makes the same panel, bit for bit, as the frame read: same symbols,
    codes, New York dates and values."""
    store = BarStore(market_store)
    columns = read_daily_columns(store, symbols, start, end)
    frame = read_daily(store, symbols, start, end)
    assert len(columns.codes) == len(frame)
    if frame.empty:
        assert columns.empty
        assert columns.last_date() is None
        return
    assert columns.present() == set(frame["symbol"])
    assert columns.last_date() == frame["timestamp"].max().date()
    as_of = dt.date(2026, 11, 27)
    for width in (1, 30, 400):
        ours, theirs = build_panel(columns, as_of, width), build_panel(frame, as_of, width)
        assert ours.symbols == theirs.symbols
        for field in ("dates", "open", "high", "low", "close", "volume", "bar_count", "last_date"):
            assert getattr(ours, field).tobytes() == getattr(theirs, field).tobytes(), field
    some = set(sorted(columns.present())[:1])
    chosen = columns.select(some)
    assert chosen.names == sorted(some)
    theirs = build_panel(frame[frame["symbol"].isin(some)], as_of, 50)
    assert build_panel(chosen, as_of, 50).close.tobytes() == theirs.close.tobytes()


def test_the_columns_read_imports_no_pandas(market_store: Path) -> None:
    script = (
        "import sys, datetime as dt\n"
        "from avwap.data.store import BarStore\n"
        "from avwap.scanning.bar_reader import read_daily_columns\n"
        f"store = BarStore({str(market_store)!r})\n"
        "columns = read_daily_columns(store, ['SPY', 'IWM'], dt.date(2025, 12, 1))\n"
        "assert not columns.empty\n"
        "print(sorted(name for name in ('pandas', 'pyarrow.dataset') if name in sys.modules))\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip() == "[]"


def test_midnight_new_york_without_pandas_is_what_pandas_says() -> None:
    days = pd.date_range("1990-01-01", "2035-12-31", freq="D")
    expected = days.tz_localize("America/New_York").asi8
    assert [_midnight_ns(day.date()) for day in days] == expected.tolist()
