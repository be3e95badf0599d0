"""Feature store: point-in-time features, the future-timestamp check, the hashed Parquet store; labels."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.ml.market import as_of_dates, earnings, features_and_labels, market, scan_sessions, sectors

from avwap.backtest.scan_panel import scan_all_dates
from avwap.core.errors import DataError
from avwap.ml.features import FEATURE_COLUMNS, REGIME_COLUMNS, build_features, check_point_in_time
from avwap.ml.labels import simulate
from avwap.ml.store import read_table, write_table


def _until(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    kept: pd.DataFrame = frame[frame["timestamp"].dt.tz_convert("America/New_York").dt.date <= day]
    return kept


@settings(max_examples=4, deadline=None)
@given(st.integers(min_value=20, max_value=250))
def test_a_feature_as_of_t_is_unchanged_when_later_bars_are_removed(offset: int) -> None:
    features, _ = features_and_labels()
    assert len(as_of_dates()) > 250
    bars, benchmark = market()
    days = sorted(set(features["as_of"]))  # dates with candidates (the market gate closes on others)
    day = days[offset % len(days)]
    truncated = _until(bars, day)
    scanned = scan_all_dates(
        truncated, [day], benchmark=_until(benchmark, day), earnings=earnings(), sessions=scan_sessions()
    )
    # the earnings calendar too is cut at T: a reaction after T is not known as of T
    known = {symbol: tuple(item for item in days if item <= day) for symbol, days in earnings().items()}
    again = build_features(truncated, scanned.candidates, scanned.gates, None, known, sectors())
    whole = features[features["as_of"] == day].reset_index(drop=True)
    assert len(whole) > 0
    pd.testing.assert_frame_equal(again, whole)
    # the earnings and sector features are covered: present on these rows, not all missing
    assert whole["earnings_age_bars"].notna().any() and whole["sector_return_20"].notna().any()


def test_every_feature_row_is_point_in_time_and_finite_where_it_must_be() -> None:
    features, _ = features_and_labels()
    assert (features["feature_time"] <= features["as_of"]).all()
    assert np.isfinite(features[["distance", "slope", "atr_pct", "score"]].to_numpy()).all()
    assert set(FEATURE_COLUMNS) <= set(features.columns)


def test_a_feature_timestamped_after_its_as_of_date_is_refused() -> None:
    features, _ = features_and_labels()
    check_point_in_time(features)
    planted = features.copy()
    day: dt.date = planted["as_of"].iloc[5]
    planted.loc[5, "feature_time"] = day + dt.timedelta(days=1)
    with pytest.raises(DataError, match="ML_FEATURE_AFTER_AS_OF"):
        check_point_in_time(planted)


def test_the_store_round_trips_with_version_and_hash_and_refuses_a_changed_file(tmp_path: Path) -> None:
    features, _ = features_and_labels()
    path = tmp_path / "features.parquet"
    digest = write_table(features, path)
    assert write_table(features.sample(frac=1.0, random_state=1), tmp_path / "shuffled.parquet") == digest
    frame, version, stored = read_table(path)
    assert (version, stored) == ("f3", digest)
    pd.testing.assert_frame_equal(frame, features)
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    changed = table.set_column(
        table.schema.get_field_index("distance"), "distance", pa.array(features["distance"] + 1e-9)
    )
    pq.write_table(changed, path)
    with pytest.raises(DataError, match="ML_STORE_HASH_MISMATCH"):
        read_table(path)


def _bars(rows: list[tuple[float, float, float, float]]) -> np.ndarray:
    return np.array(rows, dtype=np.float64)


def test_the_label_simulation_exits_at_stop_r1_or_horizon_and_checks_the_stop_first() -> None:
    # entry 10 at the first open, stop 9 -> 1 R = 1, R1 = 11
    assert simulate(_bars([(10, 10.5, 9.5, 10), (10, 11.2, 9.9, 11)]), 9.0, 5) == (1.0, True, 1, "R1")
    assert simulate(_bars([(10, 10.5, 9.5, 10), (9.5, 9.6, 8.0, 8.5)]), 9.0, 5) == (-1.0, False, 1, "STOP")
    assert simulate(_bars([(10, 10.5, 9.5, 10), (8.0, 8.5, 7.5, 8)]), 9.0, 5) == (-2.0, False, 1, "STOP")
    assert simulate(_bars([(10, 11.5, 8.5, 10)]), 9.0, 5) == (-1.0, False, 0, "STOP")  # both in one bar
    assert simulate(_bars([(10, 10.5, 9.5, 10.25), (10, 10.6, 9.6, 10.5)]), 9.0, 2) == (
        0.5, False, 1, "HORIZON",
    )  # fmt: skip
    assert simulate(_bars([(10, 10.5, 9.5, 10.25)]), 9.0, 2) is None  # the data ends first: not known yet
    assert simulate(_bars([(8.5, 10.5, 8.0, 10)]), 9.0, 2) is None  # opens below the stop: no entry


def test_each_label_is_known_after_its_as_of_date_and_within_the_horizon() -> None:
    _, labels = features_and_labels()
    assert len(labels) > 1000
    assert (labels["label_known"] > labels["as_of"]).all()
    assert ((labels["label_known"] - labels["as_of"]).map(lambda delta: delta.days) <= 20).all()
    assert np.allclose(labels.loc[labels["hit_r1"], "forward_r"], 1.0)


def test_the_regime_label_of_the_as_of_date_is_one_hot_and_unknown_is_all_zero() -> None:
    bars, benchmark = market()
    days = as_of_dates()[100:103]
    scanned = scan_all_dates(bars, days, benchmark=benchmark)
    regimes = {days[0]: "RISK_OFF", days[1]: "UNKNOWN"}  # days[2]: nothing recorded
    frame = build_features(bars, scanned.candidates, scanned.gates, regimes)
    columns = list(REGIME_COLUMNS)
    by_day = {day: frame[frame["as_of"] == day] for day in days}
    assert all(len(rows) for rows in by_day.values())
    assert (by_day[days[0]][columns].to_numpy() == [0.0, 0.0, 1.0, 0.0]).all()
    assert set(by_day[days[0]]["regime"]) == {"RISK_OFF"}
    for day in days[1:]:
        assert (by_day[day][columns].to_numpy() == 0.0).all() and set(by_day[day]["regime"]) == {"UNKNOWN"}
