"""Risk attribution (E3.1/E3.2) per decision: 300 candidates x (S1 + its shadow) = 600 decisions of one
NEUTRAL morning (seeded, the inputs of ``bench_decisions``).

Timed per repeat: ``build`` = :func:`build_events` over the batch (600 events: figures, components, codes,
stable ids, record checks); ``write`` = :func:`record_events` into a fresh ledger folder (read of the day's
known ids, one grouped write, one fsync); ``summary`` = :func:`daily_summary` of the day's events. Reported:
medians in ms and the added cost per decision, ``(build + write) / decisions`` (and with the summary).
Target: ≤ 1 ms per decision.

``python benchmarks/bench_risk_attribution.py --smoke`` runs a small size.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from avwap.analytics.risk_attribution import build_events
from avwap.analytics.risk_attribution_store import read_events, record_events
from avwap.analytics.risk_attribution_summary import daily_summary
from avwap.control.portfolio.engine import decide
from avwap.control.portfolio.regime import RegimePolicy, modulation
from avwap.core.config import load_config
from avwap.jobs.portfolio_decide import book_input_from_snapshots
from avwap.ledger.paths import PAPER_SIM
from avwap.strategies.registry import S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW
from bench_decisions import AT, DAY, LIMITS, SEED, _inputs, _snapshots

SMOKE = {"candidates": 20, "positions": 5, "sessions": 20, "repeats": 3}
BATCH_SHA = "a" * 64


def run(*, smoke: bool = False) -> dict[str, Any]:
    """Full size (300 candidates, 50 positions, 250 sessions), or :data:`SMOKE` for CI."""
    return {**measure(**(SMOKE if smoke else {})), "smoke": smoke}


def _median_ms(timings: list[float]) -> float:
    return round(statistics.median(timings) * 1000, 3)


def measure(
    *, candidates: int = 300, positions: int = 50, sessions: int = 250, repeats: int = 21
) -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    history = _snapshots(positions, sessions, rng)
    chosen, panel, sectors = _inputs(candidates, positions, rng)
    policy = RegimePolicy.from_config(load_config({}))
    batch = decide(
        book_id=PAPER_SIM, date_ny=DAY, decided_at=AT, strategies=(S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW),
        shadow_strategies=(S1_AVWAP_CORE_SHADOW,), candidates=chosen,
        book=book_input_from_snapshots(history[-1], history), returns=panel, sectors=sectors, limits=LIMITS,
        regime=modulation("NEUTRAL", Decimal("0.9"), None, policy),
    )  # fmt: skip
    prices = {item.symbol: item.entry_price for item in chosen}
    builds, writes, summaries = [], [], []
    events: tuple[Any, ...] = ()
    with tempfile.TemporaryDirectory(prefix="bench-e3-") as folder:
        for repeat in range(repeats):
            started = time.perf_counter()
            events = build_events(batch, BATCH_SHA, prices, policy)
            built = time.perf_counter()
            record_events(Path(folder) / f"ledger-{repeat}", events)
            written = time.perf_counter()
            daily_summary(DAY, events)
            summarized = time.perf_counter()
            builds.append(built - started)
            writes.append(written - built)
            summaries.append(summarized - written)
        assert read_events(Path(folder) / "ledger-0", DAY) == list(events), "not what was written"
    assert build_events(batch, BATCH_SHA, prices, policy) == events, "not deterministic"
    decisions = len(batch.decisions)
    per_decision = (statistics.median(builds) + statistics.median(writes)) * 1000 / decisions
    return {
        "candidates": candidates,
        "decisions": decisions,
        "events": len(events),
        "modulated": sum(event.notional_delta < 0 for event in events),
        "repeats": repeats,
        "build_ms_median": _median_ms(builds),
        "write_ms_median": _median_ms(writes),
        "summary_ms_median": _median_ms(summaries),
        "per_decision_ms": round(per_decision, 4),
        "per_decision_with_summary_ms": round(
            per_decision + statistics.median(summaries) * 1000 / decisions, 4
        ),
        "target_per_decision_ms": 1,
        "host_load_1min": round(os.getloadavg()[0], 2),  # timings on a shared host scale with it
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2, sort_keys=True))
