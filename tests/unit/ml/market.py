"""A small synthetic market and its features/labels, shared by the ML tests (built once per process)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pandas as pd

from avwap.backtest.scan_panel import scan_all_dates
from avwap.core.calendar import nyse
from avwap.data.store import BarStore
from avwap.data.synthetic import SyntheticMarketSpec, generate_market
from avwap.ml.features import build_features
from avwap.ml.labels import forward_labels

START, END = dt.date(2023, 6, 1), dt.date(2025, 6, 30)
FIRST_AS_OF = dt.date(2024, 3, 1)


@cache
def market() -> tuple[pd.DataFrame, pd.DataFrame]:
    spec = SyntheticMarketSpec(seed=7, symbols=40, daily_start=START, daily_end=END, intraday_start=None)
    daily = generate_market(spec).daily
    return daily[daily["symbol"] != "SPY"].reset_index(drop=True), daily[daily["symbol"] == "SPY"]


def as_of_dates(last: dt.date = END) -> list[dt.date]:
    return list(nyse().sessions(FIRST_AS_OF, last))


@cache
def features_and_labels() -> tuple[pd.DataFrame, pd.DataFrame]:
    bars, benchmark = market()
    scanned = scan_all_dates(bars, as_of_dates(), benchmark=benchmark)
    features = build_features(bars, scanned.candidates, scanned.gates)
    return features, forward_labels(features, bars)


def write_store(root: Path) -> None:
    """The synthetic market (benchmark included) as a bar store under ``root``."""
    bars, benchmark = market()
    BarStore(root).write(pd.concat([bars, benchmark], ignore_index=True), "1d")
