"""ML advisory (issue 16): the feature store build and the scoring of one scan's candidates.

A seeded synthetic market (``generate_market``, its universe's sectors, and synthetic earnings reactions every
63 sessions per symbol) is scanned for every session of the as-of range in one pass
(:func:`avwap.backtest.scan_panel.scan_all_dates`, the backtest's vectorized scan, which ``avwap ml build``
uses; timed apart: it is the scan, not the feature store). Timed: :func:`avwap.ml.features.build_features`
(candidates + trailing bar series + earnings + sector context -> rows, feature set f3), the forward labels,
and scoring 300 candidates with each fitted model: the model alone (design matrix + ``predict_proba``) and
with the 300 rows' features built first from the candidates and bars in memory. Targets (issue 16): feature
build for 505 symbols x 5 years <= 10 s; scoring 300 candidates <= 50 ms.

``python benchmarks/bench_ml.py --smoke`` runs a small size (seconds, for a quick check).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from typing import Any, Final

import pandas as pd

from avwap.backtest.scan_panel import scan_all_dates
from avwap.core.calendar import nyse
from avwap.data.synthetic import SyntheticMarketSpec, generate_market
from avwap.ml.features import build_features
from avwap.ml.labels import forward_labels
from avwap.ml.model import design, join, make_estimator, probabilities
from avwap.ml.serving import TRAILING_DAYS

SEED: Final = 16
SMOKE: Final = {"symbols": 40, "years": 2, "repeats": 2}
SCORED_CANDIDATES: Final = 300
EARNINGS_EVERY: Final = 63  # sessions between two synthetic earnings reactions of a symbol


def _timed(action: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def run(*, smoke: bool = False) -> dict[str, Any]:
    """Full size (505 symbols, 5 years of as-of dates after a year of history), or :data:`SMOKE` for CI."""
    return {**measure(**(SMOKE if smoke else {})), "smoke": smoke}


def measure(*, symbols: int = 505, years: int = 5, repeats: int = 5) -> dict[str, Any]:
    end = dt.date(2025, 12, 31)
    start = dt.date(end.year - years, 1, 2)  # a year of history before the first as-of date
    spec = SyntheticMarketSpec(
        seed=SEED, symbols=symbols, daily_start=start, daily_end=end, intraday_start=None
    )
    market = generate_market(spec)
    daily = market.daily
    bars, benchmark = daily[daily["symbol"] != "SPY"], daily[daily["symbol"] == "SPY"]
    sectors = dict(
        zip(market.universe["symbol"].astype(str), market.universe["sector"].astype(str), strict=True)
    )
    sessions = list(nyse().sessions(start, end + dt.timedelta(days=30)))
    earnings = {
        symbol: tuple(sessions[index % EARNINGS_EVERY :: EARNINGS_EVERY])
        for index, symbol in enumerate(sorted(sectors))
    }
    as_of_dates = list(nyse().sessions(dt.date(end.year - years + 1, 1, 2), end))
    scanned, scan_seconds = _timed(
        lambda: scan_all_dates(bars, as_of_dates, benchmark=benchmark, earnings=earnings, sessions=sessions)
    )
    build_timings, features = [], pd.DataFrame()
    for _ in range(repeats):
        features, seconds = _timed(
            lambda: build_features(bars, scanned.candidates, scanned.gates, None, earnings, sectors)
        )
        build_timings.append(seconds)
    labels, label_seconds = _timed(lambda: forward_labels(features, bars))
    dataset = join(features, labels)
    rows = features.sample(n=SCORED_CANDIDATES, replace=True, random_state=SEED)
    busiest = max(scanned.candidates, key=lambda day: len(scanned.candidates[day]))
    ranked = list(scanned.candidates[busiest])
    chosen = {busiest: (ranked * (SCORED_CANDIDATES // max(1, len(ranked)) + 1))[:SCORED_CANDIDATES]}
    # what serving reads: every symbol's bars of the trailing window ending at the as-of date
    days = bars["timestamp"].dt.date
    window = bars[(days >= busiest - dt.timedelta(days=TRAILING_DAYS)) & (days <= busiest)]
    scoring: dict[str, float] = {}
    for kind in ("logistic", "gbt"):
        estimator = make_estimator(kind, SEED).fit(design(dataset), dataset["hit_r1"].to_numpy(dtype=bool))
        timings = [_timed(lambda: probabilities(estimator, design(rows)))[1] for _ in range(repeats * 4)]  # noqa: B023
        scoring[f"{kind}_ms_median"] = round(1000 * statistics.median(timings), 3)

        def served() -> Any:
            built = build_features(window, chosen, scanned.gates, None, earnings, sectors)
            return probabilities(estimator, design(built))  # noqa: B023

        timings = [_timed(served)[1] for _ in range(repeats)]
        scoring[f"{kind}_with_features_ms_median"] = round(1000 * statistics.median(timings), 3)
    return {
        "symbols": symbols,
        "as_of_dates": len(as_of_dates),
        "features": len(features),
        "labels": len(labels),
        "scan_seconds": round(scan_seconds, 3),
        "feature_build_seconds_median": round(statistics.median(build_timings), 4),
        "label_seconds": round(label_seconds, 4),
        "score_300": scoring,
        "target_feature_build_seconds": 10.0,
        "target_score_300_ms": 50.0,
        "host_load_1min": round(os.getloadavg()[0], 2),  # timings on a shared host scale with it
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2, sort_keys=True))
