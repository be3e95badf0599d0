"""AVWAP on real SPY 5-minute bars (Interactive Brokers, June 2012) against the vendor's own per-bar VWAP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avwap.signals.avwap import avwap_series, avwap_snapshot

pytestmark = pytest.mark.realdata
FILE = "pyalgotrade/SPY_5min_IB_2012-06-27_29_ET.csv"


def regular_sessions(shared_data: Path) -> dict[str, pd.DataFrame]:
    bars = pd.read_csv(shared_data / FILE, parse_dates=["datetime_et_bar_start"])
    clock = bars["datetime_et_bar_start"].dt.strftime("%H:%M")
    regular = bars[(clock >= "09:30") & (clock < "16:00")]
    return {str(day): group for day, group in regular.groupby(regular["datetime_et_bar_start"].dt.date)}


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_session_avwap_is_sane_and_tracks_the_vendor_vwap(shared_data: Path, engine: str) -> None:
    sessions = regular_sessions(shared_data)
    assert sorted(sessions) == ["2012-06-27", "2012-06-28", "2012-06-29"]
    for day, bars in sessions.items():
        assert len(bars) == 78, day  # 09:30..15:55 start labels
        arrays = [bars[name].to_numpy()[None, :] for name in ("high", "low", "close", "volume_shares")]
        levels = avwap_series(*arrays, np.array([[0]]), engine=engine).avwap[0, 0]  # type: ignore[arg-type]
        # between the session's running low and high at every bar
        assert (levels >= bars["low"].cummin().to_numpy()).all() and (
            levels <= bars["high"].cummax().to_numpy()
        ).all()
        # the vendor VWAP (Σ bar_vwap·volume / Σ volume) differs only by the typical-price approximation
        weights = bars["volume_shares"].to_numpy()
        vendor = np.cumsum(bars["bar_vwap"].to_numpy() * weights) / np.cumsum(weights)
        assert np.abs(levels - vendor).max() < 0.05, day  # a few cents at every bar
        assert abs(levels[-1] - vendor[-1]) < 0.01, day  # and within a cent at the close
        snapshot = avwap_snapshot(*arrays, np.array([[0]]), engine=engine)  # type: ignore[arg-type]
        assert snapshot.avwap[0, 0] == pytest.approx(levels[-1], rel=1e-12)
        assert 0.0 < snapshot.sigma[0, 0] < bars["high"].max() - bars["low"].min()
