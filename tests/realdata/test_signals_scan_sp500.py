"""The daily scan over a few dozen real S&P 500 daily files (IEX via CNuge, 2013-2018) as of 2017-06-01."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avwap.core.canonical import canonical_json
from avwap.signals.avwap_reference import reference_point
from avwap.signals.scan import scan
from avwap.signals.scan_rules import REASON_CODES, ScanRules

pytestmark = pytest.mark.realdata
AS_OF = dt.date(2017, 6, 1)
FOLDER = "daily_sp500_5yr_cnuge"
# A few dozen names across sectors, including late listings (DXC, FTV, HLT) and files with vendor-error rows
# that are dropped here (DHR, ES, O have rows with only a close).
SYMBOLS = (
    "AAPL", "ABBV", "ADBE", "AMZN", "BA", "BAC", "BBY", "CAT", "CSCO", "CVX", "DHR", "DIS", "DXC", "ES",
    "FTV", "GE", "GOOGL", "HD", "HLT", "IBM", "INTC", "JNJ", "JPM", "KO", "MCD", "MSFT", "NFLX", "NVDA",
    "O", "PFE", "T", "UNH", "V", "WMT", "XOM",
)  # fmt: skip


def to_bar_frame(raw: pd.DataFrame, symbol: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": symbol,
            "timestamp": pd.to_datetime(raw["date"]).dt.tz_localize("America/New_York"),
            "open": raw["open"],
            "high": raw["high"],
            "low": raw["low"],
            "close": raw["close"],
            "volume": raw["volume"].astype("float64"),
        }
    )


@functools.cache
def load_universe(shared_data: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    frames = [
        to_bar_frame(pd.read_csv(shared_data / FOLDER / f"{name}_data.csv").dropna(), name)
        for name in SYMBOLS
    ]
    spy = shared_data / "lean_algoseek" / "daily" / "SPY.csv"
    benchmark = to_bar_frame(pd.read_csv(spy), "SPY") if spy.exists() else None
    return pd.concat(frames, ignore_index=True), benchmark


@pytest.fixture
def universe(shared_data: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    return load_universe(shared_data)  # read once per session; tests never modify the frames


def test_scan_accounts_for_every_symbol(universe: tuple[pd.DataFrame, pd.DataFrame | None]) -> None:
    frame, benchmark = universe
    result = scan(frame, AS_OF, benchmark=benchmark)
    candidates = [item.symbol for item in result.candidates]
    diagnosed = [item.symbol for item in result.diagnostics]
    assert sorted(candidates + diagnosed) == sorted(SYMBOLS)  # each symbol exactly once
    assert all(item.reason in REASON_CODES and item.reasons[0] == item.reason for item in result.diagnostics)
    if benchmark is None:
        assert {item.reason for item in result.diagnostics} == {"MARKET_GATE_UNKNOWN"}
        return
    assert result.market_gate.is_open  # SPY 243.36 ≥ its SMA200 (≈ 226.5) on 2017-06-01
    assert 0 < len(candidates) <= 20
    rules = ScanRules()
    for candidate in result.candidates:
        assert candidate.trend_tier in ("A", "B")
        assert 0.0 < candidate.distance <= rules.max_distance or candidate.reclaim
        assert candidate.slope >= rules.min_avwap_slope or candidate.reclaim
        assert candidate.stop < candidate.avwap < candidate.target_r1 < candidate.target_r2
        assert candidate.anchor_date <= AS_OF
    keys = [(item.trend_tier, -item.score, item.symbol) for item in result.candidates]
    assert keys == sorted(keys)
    assert next(item for item in result.diagnostics if item.symbol == "DXC").reason == "INSUFFICIENT_HISTORY"


def test_a_candidate_avwap_matches_the_reference_on_the_raw_file(
    universe: tuple[pd.DataFrame, pd.DataFrame | None],
) -> None:
    frame, benchmark = universe
    if benchmark is None:
        pytest.skip("the Lean SPY benchmark file is absent: no candidates to check")
    candidate = scan(frame, AS_OF, benchmark=benchmark).candidates[0]
    bars = frame[(frame["symbol"] == candidate.symbol) & (frame["timestamp"].dt.date <= AS_OF)]
    anchor = int(np.flatnonzero(bars["timestamp"].dt.date.to_numpy() == candidate.anchor_date)[0])
    columns = [bars[name].to_numpy() for name in ("high", "low", "close", "volume")]
    point = reference_point(*columns, anchor=anchor, bar=len(bars) - 1)
    assert abs(float(candidate.avwap) - point.avwap) <= 0.005 + 1e-9
    assert candidate.distance == pytest.approx(point.distance, abs=1e-6)


def test_the_scan_is_deterministic_and_engine_independent(
    universe: tuple[pd.DataFrame, pd.DataFrame | None],
) -> None:
    frame, benchmark = universe
    first = scan(frame, AS_OF, benchmark=benchmark)
    shuffled = scan(frame.sample(frac=1.0, random_state=7), AS_OF, benchmark=benchmark)
    assert canonical_json(first) == canonical_json(shuffled)
    assert canonical_json(scan(frame, AS_OF, benchmark=benchmark, engine="numpy")) == canonical_json(first)
