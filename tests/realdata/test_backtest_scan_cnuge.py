"""Real data: the all-dates panel scan of 60 CNuge S&P 500 symbols (+ SPY) over five years equals the
production scan run on the data truncated at each of 10 sampled as-of dates spread over the years."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from avwap.backtest.scan_panel import scan_all_dates
from avwap.data.importing.csv_import import expand_paths, import_csv, import_many
from avwap.data.importing.presets import preset
from avwap.data.store import BarStore
from avwap.signals.scan import scan

pytestmark = pytest.mark.realdata

SPY_FILE = "mplfinance/yahoofinance-SPY-20080101-20180101.csv"
SYMBOLS = 60
FIRST_AS_OF = dt.date(2013, 11, 1)  # ~190 sessions into the CNuge history (2013-02-08 on)
LAST_AS_OF = dt.date(2017, 12, 29)  # the SPY file ends with 2017


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    from tests.conftest import SHARED_DATA as shared_data

    if not shared_data.is_dir():
        pytest.skip(f"real market data not found at {shared_data} (set AVWAP_SHARED_DATA)")
    paths = sorted(expand_paths([shared_data / "daily_sp500_5yr_cnuge"]))
    chosen = paths[:: len(paths) // SYMBOLS][:SYMBOLS]
    store = BarStore(tmp_path_factory.mktemp("cnuge-panel") / "store")
    batch = import_many(chosen, preset("cnuge_daily"))
    store.write(batch.bars, "1d")
    store.write(import_csv(shared_data / SPY_FILE, preset("mplfinance_yahoo_daily")).bars, "1d")
    frame = store.read("1d")
    bars = frame[frame["symbol"] != "SPY"].reset_index(drop=True)
    return bars, frame[frame["symbol"] == "SPY"].reset_index(drop=True)


def _until(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    return frame[frame["timestamp"].dt.tz_convert("America/New_York").dt.date <= day]


def test_panel_scan_equals_the_day_by_day_scan_on_sampled_dates(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    bars, benchmark = frames
    days = sorted(set(bars["timestamp"].dt.tz_convert("America/New_York").dt.date))
    dates = [day for day in days if FIRST_AS_OF <= day <= LAST_AS_OF]
    assert len(dates) > 1000
    result = scan_all_dates(bars, dates, benchmark=benchmark)
    sampled = dates[:: len(dates) // 10][:10]
    assert len({day.year for day in sampled}) >= 5
    compared = 0
    for day in sampled:
        expected = scan(_until(bars, day), day, benchmark=_until(benchmark, day))
        assert result.gates[day] == expected.market_gate, day
        assert result.candidates[day] == expected.candidates, day  # symbols, order, anchors, levels, scores
        compared += len(expected.candidates)
    assert compared >= 60
    assert sum(1 for found in result.candidates.values() if found) > len(dates) // 2
