"""The market data's instant conversions equal pandas' (they replace pd.Timestamp on the cycle's hot path)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from avwap.execution.market_data import _nanoseconds, _utc_datetime

MICROSECONDS = st.integers(min_value=0, max_value=4_000_000_000_000_000)  # 1970 to ~2096


@given(MICROSECONDS)
def test_nanoseconds_equal_pandas_for_aware_and_naive_moments(microseconds: int) -> None:
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=microseconds)
    for variant in (moment, moment.astimezone(ZoneInfo("America/New_York")), moment.replace(tzinfo=None)):
        assert _nanoseconds(variant) == pd.Timestamp(variant).value


@given(MICROSECONDS)
def test_utc_datetime_equals_pandas(microseconds: int) -> None:
    nanoseconds = microseconds * 1000
    converted = _utc_datetime(nanoseconds)
    assert converted == pd.Timestamp(nanoseconds, tz="UTC").to_pydatetime()
    assert converted.tzinfo is dt.UTC
