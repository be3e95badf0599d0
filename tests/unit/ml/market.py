"""A small synthetic market and its features/labels, shared by the ML tests (built once per process)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from avwap.backtest.scan_panel import scan_all_dates
from avwap.core.calendar import nyse
from avwap.data.store import BarStore
from avwap.data.synthetic import SyntheticMarketSpec, generate_market
from avwap.ml.features import FEATURE_SET_VERSION, build_features
from avwap.ml.labels import forward_labels

START, END = dt.date(2023, 6, 1), dt.date(2025, 6, 30)
FIRST_AS_OF = dt.date(2024, 3, 1)


SPEC = SyntheticMarketSpec(seed=7, symbols=40, daily_start=START, daily_end=END, intraday_start=None)
EARNINGS_EVERY = 63  # sessions between two synthetic earnings reactions of a symbol


@cache
def market() -> tuple[pd.DataFrame, pd.DataFrame]:
    daily = generate_market(SPEC).daily
    return daily[daily["symbol"] != "SPY"].reset_index(drop=True), daily[daily["symbol"] == "SPY"]


@cache
def sectors() -> dict[str, str]:
    """The synthetic universe's sectors (symbol -> sector)."""
    universe = generate_market(SPEC).universe
    return {
        str(symbol): str(sector)
        for symbol, sector in zip(universe["symbol"], universe["sector"], strict=True)
    }


@cache
def earnings() -> dict[str, tuple[dt.date, ...]]:
    """Synthetic earnings reaction sessions: every EARNINGS_EVERY sessions, each symbol at its own offset."""
    sessions = list(nyse().sessions(START, END))
    symbols = sorted(set(market()[0]["symbol"].astype(str)))
    return {
        symbol: tuple(sessions[(index * 7) % EARNINGS_EVERY :: EARNINGS_EVERY])
        for index, symbol in enumerate(symbols)
    }


def holdings(members: dict[str, str]) -> bytes:
    """A universe holdings CSV of ``members`` (symbol -> sector), as ``avwap universe`` caches it."""
    rows = sorted(f"{symbol},{symbol},{sector},1.0" for symbol, sector in members.items())
    return ("symbol,name,sector,weight\n" + "".join(f"{row}\n" for row in rows)).encode()


def earnings_csv(path: Path) -> Path:
    """The synthetic earnings as a ``symbol,date,time`` file (time BMO: the reaction is the date itself)."""
    rows = [f"{symbol},{day.isoformat()},BMO" for symbol, days in earnings().items() for day in days]
    path.write_text("symbol,date,time\n" + "\n".join(rows) + "\n")
    return path


def as_of_dates(last: dt.date = END) -> list[dt.date]:
    return list(nyse().sessions(FIRST_AS_OF, last))


def scan_sessions() -> list[dt.date]:
    """The sessions the scan counts to earnings with (calendar knowledge, not data)."""
    return list(nyse().sessions(FIRST_AS_OF, END + dt.timedelta(days=30)))


@cache
def features_and_labels() -> tuple[pd.DataFrame, pd.DataFrame]:
    bars, benchmark = market()
    scanned = scan_all_dates(
        bars, as_of_dates(), benchmark=benchmark, earnings=earnings(), sessions=scan_sessions()
    )
    features = build_features(bars, scanned.candidates, scanned.gates, None, earnings(), sectors())
    return features, forward_labels(features, bars)


def write_store(root: Path) -> None:
    """The synthetic market (benchmark included) as a bar store under ``root``, with the universe's
    sectors cached where ``avwap universe`` caches holdings."""
    bars, benchmark = market()
    BarStore(root).write(pd.concat([bars, benchmark], ignore_index=True), "1d")
    (root / "universe").mkdir(parents=True, exist_ok=True)
    (root / "universe" / "holdings.csv").write_bytes(holdings(sectors()))


class RandomScores:
    """A stand-in model: seeded random P(R1) per row (the scores are arbitrary data for the property)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def predict_proba(self, matrix: np.ndarray) -> np.ndarray:
        digest = hashlib.sha256(f"{self.seed}:{matrix.tobytes().hex()}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
        positive = rng.random(len(matrix))
        return np.column_stack([1 - positive, positive])


def random_model(folder: Path, seed: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = pickle.dumps(RandomScores(seed), protocol=5)
    (folder / "model.pkl").write_bytes(data)
    card = {
        "feature_set_version": FEATURE_SET_VERSION,
        "hashes": {"model_sha256": hashlib.sha256(data).hexdigest()},
    }
    (folder / "model_card.json").write_text(json.dumps(card))
    return folder
