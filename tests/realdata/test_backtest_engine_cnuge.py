"""Real data: the backtest engine on 40 CNuge S&P 500 symbols + SPY (daily resolution) has no lookahead:
cutting the data after a session T changes no ledger record dated on or before T (random T, seeded)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from avwap.backtest.run import run_backtest
from avwap.data.importing.csv_import import expand_paths, import_csv, import_many
from avwap.data.importing.presets import preset
from avwap.data.store import BarStore
from avwap.ledger.paths import BACKTEST
from avwap.ledger.records import Fill
from avwap.ledger.router import Ledger

pytestmark = pytest.mark.realdata

SPY_FILE = "mplfinance/yahoofinance-SPY-20080101-20180101.csv"
SYMBOLS = 40
START, END = dt.date(2016, 6, 1), dt.date(2016, 12, 30)
CAPS = {"MAX_POSITIONS": "10", "MAX_GROSS_EXPOSURE": "50000", "MAX_NOTIONAL_PER_SYMBOL": "10000"}


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import SHARED_DATA as shared_data

    if not shared_data.is_dir():
        pytest.skip(f"real market data not found at {shared_data} (set AVWAP_SHARED_DATA)")
    paths = sorted(expand_paths([shared_data / "daily_sp500_5yr_cnuge"]))
    chosen = paths[:: len(paths) // SYMBOLS][:SYMBOLS]
    root = tmp_path_factory.mktemp("cnuge-backtest") / "store"
    store = BarStore(root)
    store.write(import_many(chosen, preset("cnuge_daily")).bars, "1d")
    store.write(import_csv(shared_data / SPY_FILE, preset("mplfinance_yahoo_daily")).bars, "1d")
    return root


def backtest(root: Path, out: Path, end: dt.date) -> list[dt.date]:
    outcome = run_backtest(
        CAPS, start=START, end=end, data_root=root, out=out, resolution="1d", code_version="test"
    )
    return outcome.result.sessions


def test_cutting_real_data_after_t_changes_no_earlier_ledger_record(store_root: Path, tmp_path: Path) -> None:
    sessions = backtest(store_root, tmp_path / "full", END)
    ledger = tmp_path / "full" / "home" / "ledger" / BACKTEST
    fills = [
        record
        for record in Ledger(tmp_path / "full" / "home" / "ledger").read_book(BACKTEST)
        if isinstance(record, Fill)
    ]
    assert len(fills) >= 10  # the run traded: the property is not vacuous
    picks = np.random.default_rng(9).choice(np.arange(20, len(sessions) - 1), size=3, replace=False)
    for cut in sorted(sessions[int(index)] for index in picks):
        frame = BarStore(store_root).read("1d")
        root = tmp_path / f"store-{cut}"
        BarStore(root).write(frame.loc[frame["timestamp"].dt.date <= cut].reset_index(drop=True), "1d")
        assert backtest(root, tmp_path / f"cut-{cut}", cut)[-1] == cut
        cut_files = sorted((tmp_path / f"cut-{cut}" / "home" / "ledger" / BACKTEST).glob("*.jsonl"))
        # a quiet session (no record) has no ledger file in either run
        assert [path.name for path in cut_files] == [
            path.name for path in sorted(ledger.glob("*.jsonl")) if path.stem <= cut.isoformat()
        ]
        for path in cut_files:
            assert path.read_bytes() == (ledger / path.name).read_bytes(), (cut, path.name)
