"""The scan's fast read path returns exactly what ``BarStore.read`` returns (up to row order)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from avwap.data.bars import BAR_COLUMNS, normalize_bars
from avwap.data.store import BarStore
from avwap.scanning.bar_reader import read_daily


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
