"""Feature rows of one trading day's candidates artifact (what ``avwap scan`` wrote), for scoring.

The same :func:`avwap.ml.features.build_features` as the offline store, fed with the artifact's candidates
and market gate and the bar store's bars through the artifact's ``data_through`` date: the rows a model
scores are built exactly like the rows it was trained on (tested equal to the store's rows of that date).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from avwap.core.errors import DataError
from avwap.ml.features import LIQUIDITY_BARS, MOMENTUM_BARS, build_features
from avwap.signals.scan_records import MarketGate
from avwap.watchlist.artifact import candidates_path, read_candidates

if TYPE_CHECKING:
    import pandas as pd

    from avwap.data.store import BarStore

# calendar days of bars before ``data_through``: enough sessions for the longest trailing series
TRAILING_DAYS = 3 * max(LIQUIDITY_BARS, MOMENTUM_BARS) + 10


def _market_gate(path: Path) -> MarketGate:
    try:
        return msgspec.convert(json.loads(path.read_bytes())["market_gate"], MarketGate, strict=False)
    except (OSError, ValueError, KeyError, msgspec.ValidationError) as error:
        raise DataError(f"malformed market gate in {path}: {error}") from None


def artifact_features(
    artifacts_dir: Path,
    trading_date: dt.date,
    store: BarStore,
    regimes: Mapping[dt.date, str] | None = None,
) -> tuple[dt.date, pd.DataFrame]:
    """(data_through, feature rows) of the candidates artifact of ``trading_date``."""
    watchlist = read_candidates(artifacts_dir, trading_date)
    as_of = watchlist.data_through
    gate = _market_gate(candidates_path(artifacts_dir, trading_date))
    symbols = sorted({candidate.symbol for candidate in watchlist.candidates})
    bars = store.read("1d", symbols, start=as_of - dt.timedelta(days=TRAILING_DAYS), end=as_of)
    features = build_features(bars, {as_of: watchlist.candidates}, {as_of: gate}, regimes)
    return as_of, features
