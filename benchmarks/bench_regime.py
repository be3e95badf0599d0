"""Regime labelling (E1) of a long history in one pass: 25 years of a benchmark plus breadth over 500
symbols for the last 5 years (seeded random walks in memory, no I/O).

Timed: :func:`avwap.regimes.classifier.label_sessions` over every session (features, levels, hysteresis,
one ``RegimeDay`` each), with and without the universe. Reported: median / max seconds and the label
distribution. Target (issue 12): ≤ 1 s for the full size.

``python benchmarks/bench_regime.py --smoke`` runs a small size (seconds, for a quick check).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from typing import Any

import numpy as np

from avwap.core.calendar import nyse
from avwap.regimes.classifier import label_sessions
from avwap.regimes.rules import RegimeRules

SEED = 20260412
SMOKE = {"years": 2, "symbols": 50, "universe_years": 1, "repeats": 2}


def _history(years: int, symbols: int, universe_years: int) -> tuple[list[dt.date], np.ndarray, np.ndarray]:
    days = nyse().sessions(dt.date(2026 - years, 1, 2), dt.date(2025, 12, 31))
    rng = np.random.default_rng(SEED)
    volatility = np.repeat(rng.choice([0.006, 0.012, 0.03], size=len(days) // 60 + 1), 60)[: len(days)]
    close = 100 * np.exp(np.cumsum(0.0003 + volatility * rng.standard_normal(len(days))))
    universe = np.full((symbols, len(days)), np.nan)
    recent = min(len(days), universe_years * 252)
    noise = np.cumsum(rng.normal(0, 0.012, (symbols, recent)), axis=1)
    universe[:, -recent:] = close[-recent:] * np.exp(noise)
    return days, close, universe


def run(*, smoke: bool = False) -> dict[str, Any]:
    """Full size (25 years, 500 symbols over the last 5), or :data:`SMOKE` for CI."""
    return {**measure(**(SMOKE if smoke else {})), "smoke": smoke}


def measure(
    *, years: int = 25, symbols: int = 500, universe_years: int = 5, repeats: int = 5
) -> dict[str, Any]:
    days, close, universe = _history(years, symbols, universe_years)
    rules = RegimeRules()
    timings, labelled = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        labelled = label_sessions(days, days, close, universe, rules)
        timings.append(time.perf_counter() - started)
    alone = []
    for _ in range(repeats):
        started = time.perf_counter()
        label_sessions(days, days, close, None, rules)
        alone.append(time.perf_counter() - started)
    assert label_sessions(days, days, close, universe, rules) == labelled, "not deterministic"
    counts: dict[str, int] = {}
    for day in labelled:
        counts[day.label.value] = counts.get(day.label.value, 0) + 1
    return {
        "sessions": len(days),
        "symbols": symbols,
        "universe_sessions": min(len(days), universe_years * 252),
        "labels": dict(sorted(counts.items())),
        "repeats": repeats,
        "label_seconds_median": round(statistics.median(timings), 4),
        "label_seconds_max": round(max(timings), 4),
        "benchmark_only_seconds_median": round(statistics.median(alone), 4),
        "target_seconds": 1.0,
        "host_load_1min": round(os.getloadavg()[0], 2),  # timings on a shared host scale with it
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2, sort_keys=True))
