"""Real data: the ML feature store over 60 CNuge S&P 500 symbols (+ SPY), 2014-2017. Features as of sampled
dates are unchanged when every later bar is removed; labels and purged folds hold their invariants; no feature
is flagged as leaking the label."""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import pandas as pd
import pytest

from avwap.backtest.scan_panel import scan_all_dates
from avwap.data.importing.csv_import import expand_paths, import_csv, import_many
from avwap.data.importing.presets import preset
from avwap.ml.features import build_features
from avwap.ml.labels import forward_labels
from avwap.ml.model import join
from avwap.ml.training import cross_validate
from avwap.ml.validation import overlapping, walk_forward_folds

pytestmark = pytest.mark.realdata

SPY_FILE = "mplfinance/yahoofinance-SPY-20080101-20180101.csv"
SYMBOLS = 60
FIRST_AS_OF, LAST_AS_OF = dt.date(2014, 1, 2), dt.date(2017, 11, 30)


@cache
def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    from tests.conftest import SHARED_DATA as shared_data

    if not shared_data.is_dir():
        pytest.skip(f"real market data not found at {shared_data} (set AVWAP_SHARED_DATA)")
    paths = sorted(expand_paths([shared_data / "daily_sp500_5yr_cnuge"]))
    bars = import_many(paths[:: len(paths) // SYMBOLS][:SYMBOLS], preset("cnuge_daily")).bars
    spy = import_csv(shared_data / SPY_FILE, preset("mplfinance_yahoo_daily")).bars
    return bars.reset_index(drop=True), spy.reset_index(drop=True)


def _until(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    kept: pd.DataFrame = frame[frame["timestamp"].dt.tz_convert("America/New_York").dt.date <= day]
    return kept


@cache
def _store() -> tuple[pd.DataFrame, pd.DataFrame]:
    bars, spy = _frames()
    days = sorted(set(bars["timestamp"].dt.tz_convert("America/New_York").dt.date))
    dates = [day for day in days if FIRST_AS_OF <= day <= LAST_AS_OF]
    scanned = scan_all_dates(bars, dates, benchmark=spy)
    features = build_features(bars, scanned.candidates, scanned.gates)
    return features, forward_labels(features, bars)


def test_real_features_are_point_in_time() -> None:
    features, _ = _store()
    bars, spy = _frames()
    days = sorted(set(features["as_of"]))
    assert len(days) > 500
    for day in days[:: len(days) // 6][:6]:
        cut = _until(bars, day)
        scanned = scan_all_dates(cut, [day], benchmark=_until(spy, day))
        again = build_features(cut, scanned.candidates, scanned.gates)
        pd.testing.assert_frame_equal(again, features[features["as_of"] == day].reset_index(drop=True))


def test_real_labels_folds_and_leak_check() -> None:
    features, labels = _store()
    assert len(labels) > 0.95 * len(features) > 1000
    assert (labels["label_known"] > labels["as_of"]).all()
    assert np.allclose(labels.loc[labels["hit_r1"], "forward_r"], 1.0)
    assert (labels.loc[labels["exit_reason"] == "STOP", "forward_r"] <= -1.0 + 1e-9).all()
    dataset = join(features, labels)
    as_of, known = list(dataset["as_of"]), list(dataset["label_known"])
    assert all(overlapping(fold, as_of, known) == [] for fold in walk_forward_folds(as_of, known))
    validation = cross_validate(dataset, kind="logistic", seed=0)
    assert validation["flags"] == [] and len(validation["folds"]) == 5
