"""Feature rows of one day's candidates, for scoring: from the candidates artifact ``avwap scan`` wrote, or
from the scan job's result before it writes (``ML_ADVISORY=1``).

The same :func:`avwap.ml.features.build_features` as the offline store, fed with the day's candidates and
market gate and the bar store's bars through the ``data_through`` date (every stored daily symbol but the
excluded ones, as ``ml build`` reads them: the sector context averages over all of them): the rows a model
scores are built exactly like the rows it was trained on (tested equal to the store's rows of that date).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from avwap.core.errors import DataError
from avwap.data.universe import sector_map
from avwap.ml.features import LIQUIDITY_BARS, MOMENTUM_BARS, build_features
from avwap.regimes.recorded import recorded_labels
from avwap.signals.scan_records import Candidate, MarketGate
from avwap.watchlist.artifact import candidates_path, read_candidates

if TYPE_CHECKING:
    import pandas as pd

    from avwap.data.store import BarStore

# calendar days of bars before ``data_through``: enough sessions for the longest trailing series
TRAILING_DAYS = 3 * max(LIQUIDITY_BARS, MOMENTUM_BARS) + 10
REGIME_DAYS = 10  # calendar days of the regime stream read around a scored date


def known_sectors(data_dir: Path) -> dict[str, str]:
    """The universe's sectors; UNKNOWN is no sector (no sector context rather than a bucket of strangers)."""
    return {symbol: sector for symbol, sector in sector_map(data_dir).items() if sector != "UNKNOWN"}


def _market_gate(path: Path) -> MarketGate:
    try:
        return msgspec.convert(json.loads(path.read_bytes())["market_gate"], MarketGate, strict=False)
    except (OSError, ValueError, KeyError, msgspec.ValidationError) as error:
        raise DataError(f"malformed market gate in {path}: {error}") from None


def candidate_features(  # noqa: PLR0917 - the day's scan result and the context it is read with
    store: BarStore,
    as_of: dt.date,
    candidates: Sequence[Candidate],
    gate: MarketGate,
    excluded: Collection[str],
    ledger_dir: Path | None = None,
    earnings: Mapping[str, Sequence[dt.date]] | None = None,
) -> pd.DataFrame:
    """The feature rows of one as-of date's candidates; ``ledger_dir``: where the recorded regimes are."""
    symbols = [symbol for symbol in store.symbols("1d") if symbol not in set(excluded)]
    bars = store.read("1d", symbols, start=as_of - dt.timedelta(days=TRAILING_DAYS), end=as_of)
    regimes = (
        recorded_labels(ledger_dir, as_of - dt.timedelta(days=REGIME_DAYS), as_of)
        if ledger_dir is not None
        else None
    )
    return build_features(
        bars, {as_of: candidates}, {as_of: gate}, regimes, earnings, known_sectors(store.root)
    )


def artifact_features(  # noqa: PLR0917
    artifacts_dir: Path,
    trading_date: dt.date,
    store: BarStore,
    excluded: Collection[str],
    ledger_dir: Path | None = None,
    earnings: Mapping[str, Sequence[dt.date]] | None = None,
) -> tuple[dt.date, pd.DataFrame]:
    """(data_through, feature rows) of the candidates artifact of ``trading_date``."""
    watchlist = read_candidates(artifacts_dir, trading_date)
    gate = _market_gate(candidates_path(artifacts_dir, trading_date))
    as_of = watchlist.data_through
    features = candidate_features(store, as_of, watchlist.candidates, gate, excluded, ledger_dir, earnings)
    return as_of, features
