"""Point-in-time features of every scan candidate, one row per (as-of date, symbol).

The rows come from the scan's own candidate records (what ``avwap scan`` wrote, or
:func:`avwap.backtest.scan_panel.scan_all_dates` for every as-of date at once: the caller passes them in, so
this package stays below the backtest layer) and from trailing series of the bar store. Every value uses
only bars on or before the as-of date; ``feature_time`` is the date of the newest bar a row read, and
:func:`check_point_in_time` refuses any row whose ``feature_time`` is after its ``as_of``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

from avwap.core.errors import DataError
from avwap.signals.anchors import ANCHOR_TYPES
from avwap.signals.scan_records import Candidate, MarketGate

if TYPE_CHECKING:
    import pandas as pd

# f2: the REGIME_E1 label of the as-of date; f3: earnings (age, gap of the last reaction), sector context
FEATURE_SET_VERSION: Final = "f3"
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
    "earnings_age_bars",
    "earnings_gap",
    "sector_return_20",
    "relative_return_20",
    "sector_candidate_share",
    *ANCHOR_COLUMNS,
    *REGIME_COLUMNS,
)
# Not features: what the label simulation needs (the trade levels of the candidate).
LEVEL_COLUMNS: Final = ("entry", "stop", "target_r1", "risk_per_share")


@dataclass(frozen=True)
class BarContext:
    """What the trailing series say about one symbol as of one date (NaN: not enough history)."""

    bar_date: dt.date | None
    log_dollar_volume: float = float("nan")
    return_20: float = float("nan")
    earnings_age_bars: float = float("nan")
    earnings_gap: float = float("nan")
    sector_return_20: float = float("nan")


class TrailingSeries:
    """Per symbol: bar dates and trailing series (each value reads only its own bar and earlier ones); per
    sector: the mean 20-bar return of its symbols on each date (``sectors``: symbol -> sector; a symbol
    without one has no sector context)."""

    def __init__(self, bars: pd.DataFrame, sectors: Mapping[str, str] | None = None) -> None:
        import pandas as pd

        self.sectors = {symbol: sector for symbol, sector in (sectors or {}).items() if sector}
        # One pass over every bar (no per-symbol pandas work): sort by (symbol, NY date), then each trailing
        # value from its own window only, so removing later bars changes no earlier value.
        local = bars["timestamp"].dt.tz_convert("America/New_York").dt.tz_localize(None)
        days = local.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        symbols = bars["symbol"].astype(str).to_numpy()
        order = np.lexsort((days, symbols))
        symbols, days = symbols[order], days[order]
        opened, close, volume = (
            bars[name].to_numpy(dtype=np.float64)[order] for name in ("open", "close", "volume")
        )
        starts = (
            np.flatnonzero(np.r_[True, symbols[1:] != symbols[:-1]]) if len(symbols) else np.array([], int)
        )
        ends = np.r_[starts[1:], len(symbols)].astype(int)
        position = np.arange(len(symbols)) - np.repeat(starts, ends - starts)
        liquidity = _trailing_mean(close * volume, LIQUIDITY_BARS, position)
        momentum = np.full(close.shape, np.nan)
        later = position >= MOMENTUM_BARS
        momentum[later] = close[later] / close[np.flatnonzero(later) - MOMENTUM_BARS] - 1.0
        self.series: dict[str, tuple[np.ndarray, ...]] = {
            str(symbols[first]): tuple(
                values[first:last] for values in (days, liquidity, momentum, opened, close)
            )
            for first, last in zip(starts.tolist(), ends.tolist(), strict=True)
        }
        self.sector_series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        sector_of = np.array([self.sectors.get(symbol, "") for symbol in symbols], dtype=object)
        known = sector_of != ""
        if known.any():
            frame = pd.DataFrame(
                {"sector": sector_of[known], "day": days[known], "momentum": momentum[known]}
            )
            means = frame.groupby(["sector", "day"], sort=True)["momentum"].mean()
            for name, values in means.groupby(level="sector", sort=True):
                days_of = values.index.get_level_values("day").to_numpy(dtype="datetime64[D]")
                self.sector_series[str(name)] = (days_of, values.to_numpy(dtype=np.float64))

    def at(self, symbol: str, as_of: dt.date, reactions: Sequence[dt.date] = ()) -> BarContext:
        """The context of ``symbol`` at its last bar on or before ``as_of``; ``reactions``: its earnings
        reaction sessions (only those on or before ``as_of`` are read)."""
        found = self.series.get(symbol)
        if found is None:
            return BarContext(None)
        dates, liquidity, momentum, opened, close = found
        day = np.datetime64(as_of, "D")
        index = int(np.searchsorted(dates, day, side="right")) - 1
        if index < 0:
            return BarContext(None)
        volume = liquidity[index]
        age, gap = _last_earnings(dates, opened, close, index, [item for item in reactions if item <= as_of])
        return BarContext(
            bar_date=dates[index].astype(dt.date),
            log_dollar_volume=float(np.log(volume)) if volume > 0 else float("nan"),
            return_20=float(momentum[index]),
            earnings_age_bars=age,
            earnings_gap=gap,
            sector_return_20=self._sector_return(symbol, day),
        )

    def _sector_return(self, symbol: str, day: np.datetime64) -> float:
        sector = self.sectors.get(symbol)
        found = self.sector_series.get(sector) if sector is not None else None
        if found is None:
            return float("nan")
        dates, means = found
        index = int(np.searchsorted(dates, day, side="right")) - 1
        return float(means[index]) if index >= 0 else float("nan")


def _trailing_mean(values: np.ndarray, window: int, position: np.ndarray) -> np.ndarray:
    """Mean of each value and the ``window`` − 1 before it within its symbol (NaN before the window fills):
    each mean sums its own window only, so it does not depend on any other bar."""
    result = np.full(values.shape, np.nan)
    if len(values) >= window:
        means = np.lib.stride_tricks.sliding_window_view(values, window).mean(axis=1)
        full = position[window - 1 :] >= window - 1
        result[window - 1 :][full] = means[full]
    return result


def _last_earnings(
    dates: np.ndarray, opened: np.ndarray, close: np.ndarray, index: int, known: Sequence[dt.date]
) -> tuple[float, float]:
    """(bars since the last known reaction session, its gap: open / previous close - 1), NaN without one.
    The reaction bar is the first bar on or after the reaction session, and never after bar ``index``."""
    if not known:
        return float("nan"), float("nan")
    reaction = int(np.searchsorted(dates, np.datetime64(max(known), "D"), side="left"))
    if reaction > index:
        return float("nan"), float("nan")
    gap = opened[reaction] / close[reaction - 1] - 1.0 if reaction >= 1 else float("nan")
    return float(index - reaction), float(gap)


def _benchmark_distance(gate: MarketGate | None) -> float:
    if gate is None or not gate.benchmark_close or not gate.benchmark_sma:
        return float("nan")
    return gate.benchmark_close / gate.benchmark_sma - 1.0


@dataclass(frozen=True)
class DayContext:
    """What every candidate of one as-of date shares: the market gate, the regime, the day's sectors."""

    gate: MarketGate | None
    regime: str | None
    sector_counts: Mapping[str, int]
    candidates: int


def candidate_row(
    candidate: Candidate,
    trailing: TrailingSeries,
    day: DayContext,
    reactions: Sequence[dt.date] = (),
) -> dict[str, object]:
    """One feature row of a candidate (its as-of date, trailing series, and the day's market gate, regime
    label and sectors; the regime of date d is labelled from bars up to d, avwap.regimes)."""
    level = float(candidate.avwap)
    context = trailing.at(candidate.symbol, candidate.as_of, reactions)
    sector = trailing.sectors.get(candidate.symbol)
    row: dict[str, object] = {
        "as_of": candidate.as_of,
        "symbol": candidate.symbol,
        "feature_time": context.bar_date or candidate.as_of,
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
        "log_dollar_volume": context.log_dollar_volume,
        "return_20": context.return_20,
        "benchmark_distance": _benchmark_distance(day.gate),
        "earnings_age_bars": context.earnings_age_bars,
        "earnings_gap": context.earnings_gap,
        "sector_return_20": context.sector_return_20,
        "relative_return_20": context.return_20 - context.sector_return_20,
        "sector_candidate_share": (
            day.sector_counts[sector] / day.candidates if sector is not None else float("nan")
        ),
        "entry": level,
        "stop": float(candidate.stop),
        "target_r1": float(candidate.target_r1),
        "risk_per_share": float(candidate.risk_per_share),
    }
    for name, column in zip(ANCHOR_TYPES, ANCHOR_COLUMNS, strict=True):
        row[column] = float(name in candidate.anchor_types)
    row["regime"] = day.regime or "UNKNOWN"
    for name, column in zip(REGIME_LABELS, REGIME_COLUMNS, strict=True):
        row[column] = float(day.regime == name)
    return row


def build_features(  # noqa: PLR0917 - the candidates and every context they are read with
    bars: pd.DataFrame,
    candidates: Mapping[dt.date, Sequence[Candidate]],
    gates: Mapping[dt.date, MarketGate] | None = None,
    regimes: Mapping[dt.date, str] | None = None,
    earnings: Mapping[str, Sequence[dt.date]] | None = None,
    sectors: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The feature rows of every candidate of every as-of date, sorted by (as_of, rank).

    ``regimes``: the REGIME_E1 label recorded for each date (dates without one: UNKNOWN); ``earnings``: the
    earnings reaction sessions per symbol (the scan's input; a row reads only those on or before its as-of
    date); ``sectors``: symbol -> sector (the universe's; sector context is NaN without one)."""
    import pandas as pd

    trailing = TrailingSeries(bars, sectors)
    rows: list[dict[str, object]] = []
    for day in sorted(candidates):
        ranked = sorted(candidates[day], key=lambda item: item.rank)
        counts = Counter(trailing.sectors.get(item.symbol, "") for item in ranked)
        context = DayContext((gates or {}).get(day), (regimes or {}).get(day), counts, len(ranked))
        rows.extend(
            candidate_row(candidate, trailing, context, (earnings or {}).get(candidate.symbol, ()))
            for candidate in ranked
        )
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
