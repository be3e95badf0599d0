"""Point-in-time features of every scan candidate, one row per (as-of date, symbol).

The rows come from the scan's own candidate records (what ``avwap scan`` wrote, or
:func:`avwap.backtest.scan_panel.scan_all_dates` for every as-of date at once: the caller passes them in, so
this package stays below the backtest layer) and from trailing series of the bar store. Every value uses
only bars on or before the as-of date; ``feature_time`` is the date of the newest bar a row read, and
:func:`check_point_in_time` refuses any row whose ``feature_time`` is after its ``as_of``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

import numpy as np

from avwap.core.errors import DataError
from avwap.signals.anchors import ANCHOR_TYPES
from avwap.signals.scan_records import Candidate, MarketGate

if TYPE_CHECKING:
    import pandas as pd

FEATURE_SET_VERSION: Final = "f2"  # f2: the REGIME_E1 label of the as-of date
LIQUIDITY_BARS: Final = 20
MOMENTUM_BARS: Final = 20
ANCHOR_COLUMNS: Final = tuple(f"anchor_{name.lower()}" for name in ANCHOR_TYPES)
# UNKNOWN (or no recorded regime for the date) is all zeros
REGIME_LABELS: Final = ("RISK_ON", "NEUTRAL", "RISK_OFF", "STRESSED")
REGIME_COLUMNS: Final = tuple(f"regime_{name.lower()}" for name in REGIME_LABELS)
FEATURE_COLUMNS: Final = (
    "rank",
    "distance",
    "slope",
    "sigma_pct",
    "band1_width",
    "band2_width",
    "trend_tier_a",
    "trend_score",
    "atr_pct",
    "risk_pct",
    "score",
    "reclaim",
    "anchor_priority",
    "anchor_age_days",
    "log_dollar_volume",
    "return_20",
    "benchmark_distance",
    *ANCHOR_COLUMNS,
    *REGIME_COLUMNS,
)
# Not features: what the label simulation needs (the trade levels of the candidate).
LEVEL_COLUMNS: Final = ("entry", "stop", "target_r1", "risk_per_share")


class TrailingSeries:
    """Per symbol: bar dates and trailing series (each value reads only its own bar and earlier ones)."""

    def __init__(self, bars: pd.DataFrame) -> None:
        import pandas as pd

        days = bars["timestamp"].dt.tz_convert("America/New_York").dt.date
        frame = pd.DataFrame(
            {
                "symbol": bars["symbol"].astype(str),
                "day": days,
                "close": bars["close"],
                "volume": bars["volume"],
            }
        ).sort_values(["symbol", "day"], kind="stable")
        self.series: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for symbol, group in frame.groupby("symbol", sort=True):
            close = group["close"].to_numpy(dtype=np.float64)
            dollars = pd.Series(close * group["volume"].to_numpy(dtype=np.float64))
            liquidity = dollars.rolling(LIQUIDITY_BARS, min_periods=LIQUIDITY_BARS).mean().to_numpy()
            momentum = np.full(close.shape, np.nan)
            momentum[MOMENTUM_BARS:] = close[MOMENTUM_BARS:] / close[:-MOMENTUM_BARS] - 1.0
            dates = np.array(group["day"].tolist(), dtype="datetime64[D]")
            self.series[str(symbol)] = (dates, liquidity, momentum)

    def at(self, symbol: str, as_of: dt.date) -> tuple[dt.date | None, float, float]:
        """(date of the last bar on or before ``as_of``, log dollar volume, 20-bar return) there."""
        found = self.series.get(symbol)
        if found is None:
            return None, float("nan"), float("nan")
        dates, liquidity, momentum = found
        index = int(np.searchsorted(dates, np.datetime64(as_of, "D"), side="right")) - 1
        if index < 0:
            return None, float("nan"), float("nan")
        volume = liquidity[index]
        logged = float(np.log(volume)) if volume > 0 else float("nan")
        return dates[index].astype(dt.date), logged, float(momentum[index])


def _benchmark_distance(gate: MarketGate | None) -> float:
    if gate is None or not gate.benchmark_close or not gate.benchmark_sma:
        return float("nan")
    return gate.benchmark_close / gate.benchmark_sma - 1.0


def candidate_row(
    candidate: Candidate, trailing: TrailingSeries, gate: MarketGate | None, regime: str | None
) -> dict[str, object]:
    """One feature row of a candidate (its as-of date, trailing series, market gate and regime label of
    that date; the regime of date d is labelled from bars up to d, avwap.regimes)."""
    level = float(candidate.avwap)
    bar_date, log_dollar_volume, momentum = trailing.at(candidate.symbol, candidate.as_of)
    row: dict[str, object] = {
        "as_of": candidate.as_of,
        "symbol": candidate.symbol,
        "feature_time": bar_date or candidate.as_of,
        "rank": float(candidate.rank),
        "distance": candidate.distance,
        "slope": candidate.slope,
        "sigma_pct": candidate.sigma / level,
        "band1_width": float(candidate.band_upper_1 - candidate.band_lower_1) / level,
        "band2_width": float(candidate.band_upper_2 - candidate.band_lower_2) / level,
        "trend_tier_a": float(candidate.trend_tier == "A"),
        "trend_score": candidate.trend_score,
        "atr_pct": candidate.atr_pct,
        "risk_pct": float(candidate.risk_per_share) / level,
        "score": candidate.score,
        "reclaim": float(candidate.reclaim),
        "anchor_priority": float(candidate.anchor_priority),
        "anchor_age_days": float((candidate.as_of - candidate.anchor_date).days),
        "log_dollar_volume": log_dollar_volume,
        "return_20": momentum,
        "benchmark_distance": _benchmark_distance(gate),
        "entry": level,
        "stop": float(candidate.stop),
        "target_r1": float(candidate.target_r1),
        "risk_per_share": float(candidate.risk_per_share),
    }
    for name, column in zip(ANCHOR_TYPES, ANCHOR_COLUMNS, strict=True):
        row[column] = float(name in candidate.anchor_types)
    row["regime"] = regime or "UNKNOWN"
    for name, column in zip(REGIME_LABELS, REGIME_COLUMNS, strict=True):
        row[column] = float(regime == name)
    return row


def build_features(
    bars: pd.DataFrame,
    candidates: Mapping[dt.date, Sequence[Candidate]],
    gates: Mapping[dt.date, MarketGate] | None = None,
    regimes: Mapping[dt.date, str] | None = None,
) -> pd.DataFrame:
    """The feature rows of every candidate of every as-of date, sorted by (as_of, rank); ``regimes``: the
    REGIME_E1 label recorded for each date (dates without one: UNKNOWN)."""
    import pandas as pd

    trailing = TrailingSeries(bars)
    rows = [
        candidate_row(candidate, trailing, (gates or {}).get(day), (regimes or {}).get(day))
        for day in sorted(candidates)
        for candidate in sorted(candidates[day], key=lambda item: item.rank)
    ]
    columns = ["as_of", "symbol", "feature_time", "regime", *FEATURE_COLUMNS, *LEVEL_COLUMNS]
    frame = pd.DataFrame(rows, columns=columns)
    check_point_in_time(frame)
    return frame


def check_point_in_time(frame: pd.DataFrame) -> None:
    """Refuse rows that read a bar after their as-of date (a feature from the future)."""
    late = frame[frame["feature_time"] > frame["as_of"]]
    if len(late):
        first = late.iloc[0]
        raise DataError(
            f"ML_FEATURE_AFTER_AS_OF: {len(late)} feature row(s) read data after their as-of date "
            f"(first: {first['symbol']} as of {first['as_of']}, feature time {first['feature_time']})"
        )
