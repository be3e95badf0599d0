"""Real data: back-adjusting Lean/AlgoSeek raw daily bars with the real events file reproduces Lean's adjusted
series, stays continuous across real splits, and the reused FB ticker is cut into its two issuers.

Convention check. Lean's ``daily_adjusted`` = raw × ``price_factor × split_factor`` from the 2021-03 factor
files (volume ÷ ``split_factor``, in whole shares); ours = raw ÷ Π split ratios × Π (1 − dividend / reference
close) over later events. Both reference the last bar (2021-03-31; no event after 2021-02-05), so there is no
level offset, and the dividend factor is Lean's formula. Two conventions mattered:

* the reference close must be the file's ``reference_close_before``, not "the bar before the ex-date": QQQ's
  daily file has a hole from 2004-12 to 2011-03 and BAC's 1998 closes differ from Lean's reference (the
  NationsBank merger), which cost 0.35% (QQQ) and 0.18% (BAC) before we used the file's value;
* Lean rounds adjusted volume to whole shares (USO 1998: 100 / 8 = 12.5 stored as 12).

What remains is rounding: split factors are stored to 8 digits (1/112 as 0.00892857; AAPL's 2005 split as
2.00001), dividends to 4 decimals, the adjusted file to 6 decimals (a visible share of a 1998 AAPL price near
$0.10). Measured: prices at most 8.2e-6 relative (AAPL, AIG), the others below 3.5e-6; tolerance 2.5e-5.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avwap.data.corporate_actions import (
    TICKER_REUSED,
    Adjustment,
    CorporateAction,
    adjust_bars,
    current_issuer,
    detect_ticker_reuse,
    read_actions,
    read_map_files,
)
from avwap.data.importing.csv_import import import_csv
from avwap.data.importing.presets import preset

pytestmark = pytest.mark.realdata
TOLERANCE = 2.5e-5


@functools.cache
def _actions(root: Path) -> tuple[CorporateAction, ...]:
    return tuple(read_actions(root / "lean_algoseek" / "corporate_actions" / "events_derived.csv"))


@functools.cache
def _raw(root: Path, symbol: str) -> pd.DataFrame:
    result = import_csv(root / "lean_algoseek" / "daily" / f"{symbol}.csv", preset("lean_daily"))
    assert result.report.rows_quarantined == 0
    return result.bars


def _lean_adjusted(root: Path, symbol: str) -> pd.DataFrame:
    return pd.read_csv(root / "lean_algoseek" / "daily_adjusted" / f"{symbol}.csv")


def _close_on(frame: pd.DataFrame, day: dt.date) -> float:
    return float(frame.loc[frame["timestamp"].dt.date == day, "close"].iloc[0])


def _largest_jump(frame: pd.DataFrame, around: dt.date) -> float:
    """|close / previous close − 1| on the session ``around``."""
    return abs(
        _close_on(frame, around) / frame["close"].shift(1)[frame["timestamp"].dt.date == around].iloc[0] - 1
    )


LEAN_ADJUSTED = (
    "AAPL",
    "AIG",
    "BAC",
    "BNO",
    "EEM",
    "FB",
    "GOOG",
    "GOOGL",
    "IBM",
    "IWM",
    "QQQ",
    "SPY",
    "USO",
    "WM",
)


@pytest.mark.parametrize("symbol", LEAN_ADJUSTED)
def test_split_and_dividend_adjustment_reproduces_lean(shared_data: Path, symbol: str) -> None:
    raw = _raw(shared_data, symbol)
    lean = _lean_adjusted(shared_data, symbol)
    ours = adjust_bars(raw, _actions(shared_data), Adjustment.ALL)
    assert ours["timestamp"].dt.strftime("%Y-%m-%d").tolist() == lean["date"].tolist()
    for column in ("open", "high", "low", "close"):
        relative = np.abs(ours[column].to_numpy() / lean[column].to_numpy() - 1)
        assert relative.max() < TOLERANCE, (column, float(relative.max()))
    volume_error = np.abs(ours["volume"].to_numpy() - lean["volume"].to_numpy())
    assert (volume_error <= np.maximum(1.0, TOLERANCE * lean["volume"].to_numpy())).all()


def test_split_only_adjustment_matches_lean_split_factor(shared_data: Path) -> None:
    raw = _raw(shared_data, "AAPL")
    lean = _lean_adjusted(shared_data, "AAPL")
    ours = adjust_bars(raw, _actions(shared_data), Adjustment.SPLIT)
    expected = raw["close"].to_numpy() * lean["split_factor"].to_numpy()
    assert np.abs(ours["close"].to_numpy() / expected - 1).max() < TOLERANCE
    assert _close_on(ours, dt.date(2014, 6, 6)) == pytest.approx(645.57 / 28, rel=1e-9)  # 7 × 4 splits later


@pytest.mark.parametrize(
    ("symbol", "ex_date", "raw_jump"),
    [
        ("AAPL", dt.date(2014, 6, 9), 0.85),  # 7:1
        ("AAPL", dt.date(2020, 8, 31), 0.74),  # 4:1
        ("AIG", dt.date(2009, 7, 1), 10.0),  # 1:20 reverse split
    ],
)
def test_adjusted_series_is_continuous_across_real_splits(
    shared_data: Path, symbol: str, ex_date: dt.date, raw_jump: float
) -> None:
    raw = _raw(shared_data, symbol)
    assert _largest_jump(raw, ex_date) > raw_jump  # the raw series does jump there
    for mode in (Adjustment.SPLIT, Adjustment.ALL):
        adjusted = adjust_bars(raw, _actions(shared_data), mode)
        assert _largest_jump(adjusted, ex_date) < 0.20


def test_fb_is_two_issuers_by_map_files_and_by_the_gap_heuristic(shared_data: Path) -> None:
    raw = _raw(shared_data, "FB")
    intervals = read_map_files(shared_data / "lean_algoseek" / "corporate_actions" / "map_files_raw", "FB")
    expected = ((dt.date(2003, 3, 28), dt.date(2012, 5, 18)),)
    by_map = detect_ticker_reuse(raw, intervals)
    assert by_map.method == "map_files"
    assert by_map.flags == (TICKER_REUSED,)
    assert by_map.boundaries == expected
    assert [(segment.issuer, segment.rows) for segment in by_map.segments] == [("fb.1", 716), ("fb", 2231)]
    by_gap = detect_ticker_reuse(raw)
    assert (by_gap.flags, by_gap.boundaries) == ((TICKER_REUSED,), expected)
    facebook = current_issuer(raw, by_map)
    assert facebook["timestamp"].dt.date.iloc[0] == dt.date(2012, 5, 18)
    assert len(facebook) == 2231


def test_goog_class_change_is_caught_by_map_files_only(shared_data: Path) -> None:
    """GOOG.csv stitches Class A (GOOGL since 2014-04-03) onto Class C: no gap, so only map files see it."""
    raw = _raw(shared_data, "GOOG")
    intervals = read_map_files(shared_data / "lean_algoseek" / "corporate_actions" / "map_files_raw", "GOOG")
    assert detect_ticker_reuse(raw, intervals).boundaries == ((dt.date(2014, 4, 2), dt.date(2014, 4, 3)),)
    assert detect_ticker_reuse(raw).flags == ()


@pytest.mark.parametrize("symbol", ["AAPL", "IBM", "SPY"])
def test_single_issuer_histories_are_not_flagged(shared_data: Path, symbol: str) -> None:
    raw = _raw(shared_data, symbol)
    intervals = read_map_files(shared_data / "lean_algoseek" / "corporate_actions" / "map_files_raw", symbol)
    assert detect_ticker_reuse(raw, intervals).flags == ()
    assert detect_ticker_reuse(raw).flags == ()
