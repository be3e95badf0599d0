"""Portfolio decisions of one day: 300 candidates against a book of 50 positions with 250 sessions of
snapshots (seeded, in memory, no I/O).

Timed: ``build`` = the engine's input from the snapshots (latest + history) and :func:`decide` for S1 and
its shadow clone (600 decisions, correlations over 60 sessions of daily returns of 350 symbols);
``s1_only`` = the same for S1 alone. Limits are loose enough that the quota rules do not end the work early
(every candidate runs every rule). Reported: median / max milliseconds and the verdict counts.
Target: ``build`` median ≤ 50 ms.

``python benchmarks/bench_decisions.py --smoke`` runs a small size (seconds, for a quick check).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from typing import Any

import numpy as np

from avwap.analytics.portfolio import HeldPosition, PortfolioSnapshot, build_snapshot
from avwap.control.portfolio.correlation import ReturnsPanel
from avwap.control.portfolio.engine import decide
from avwap.control.portfolio.records import CandidateInput, GuardrailLimits
from avwap.core.canonical import canonical_json
from avwap.jobs.portfolio_decide import book_input_from_snapshots
from avwap.ledger.paths import PAPER_SIM
from avwap.strategies.registry import S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW

SEED = 20260402
DAY = dt.date(2026, 4, 2)
AT = dt.datetime(2026, 4, 2, 12, 45, tzinfo=dt.UTC)
SECTORS = ("Technology", "Energy", "Financials", "Health Care", "Industrials", "Utilities")
SMOKE = {"candidates": 20, "positions": 5, "sessions": 20, "repeats": 3}
LIMITS = GuardrailLimits(
    max_positions=1000, max_new_entries=1000, max_sector_pct=Decimal("1000"), max_gross_pct=Decimal("1000")
)


def _snapshots(positions: int, sessions: int, rng: np.random.Generator) -> list[PortfolioSnapshot]:
    held = [
        HeldPosition(
            symbol=f"H{number:03d}",
            quantity=int(rng.integers(10, 200)),
            average_price=Decimal("50"),
            strategy_id="S1_AVWAP_CORE",
        )
        for number in range(positions)
    ]
    equity = [Decimal(f"{value:.2f}") for value in 1_000_000 * np.cumprod(1 + rng.normal(0, 0.004, sessions))]
    day = DAY - dt.timedelta(days=sessions)
    history: list[PortfolioSnapshot] = []
    for value in equity:  # equity paths only matter for the drawdown: cash carries them
        day += dt.timedelta(days=1)
        history.append(
            build_snapshot(
                book_id=PAPER_SIM, date_ny=day, cash=value - 50 * sum(item.quantity for item in held),
                positions=held, marks={}, realized_pnl=Decimal(0), fees=Decimal(0), realized_by_symbol={},
                equity_history=[item.equity for item in history[-1:]],
            )
        )  # fmt: skip
    return history


def _inputs(candidates: int, positions: int, rng: np.random.Generator) -> tuple[Any, Any, Any]:
    names = [f"C{number:03d}" for number in range(candidates)]
    chosen = [
        CandidateInput(
            symbol=name, rank=rank, entry_price=Decimal("100"), distance=float(rng.uniform(0, 0.05))
        )
        for rank, name in enumerate(names, start=1)
    ]
    symbols = tuple(sorted([*names, *(f"H{number:03d}" for number in range(positions))]))
    factor = rng.normal(0, 0.01, (60, 1))
    returns = factor * rng.uniform(0, 1, (1, len(symbols))) + rng.normal(0, 0.01, (60, len(symbols)))
    sectors = {symbol: SECTORS[index % len(SECTORS)] for index, symbol in enumerate(symbols) if index % 10}
    return chosen, ReturnsPanel(symbols, returns), sectors


def _time(action: Any, repeats: int) -> tuple[list[float], Any]:
    timings, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = action()
        timings.append((time.perf_counter() - started) * 1000)
    return timings, result


def run(*, smoke: bool = False) -> dict[str, Any]:
    """Full size (300 candidates, 50 positions, 250 sessions of snapshots), or :data:`SMOKE` for CI."""
    return {**measure(**(SMOKE if smoke else {})), "smoke": smoke}


def measure(
    *, candidates: int = 300, positions: int = 50, sessions: int = 250, repeats: int = 21
) -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    history = _snapshots(positions, sessions, rng)
    chosen, panel, sectors = _inputs(candidates, positions, rng)

    def build(strategies: tuple[str, ...]) -> Any:
        book = book_input_from_snapshots(history[-1], history)
        return decide(
            book_id=PAPER_SIM, date_ny=DAY, decided_at=AT, strategies=strategies,
            shadow_strategies=strategies[1:], candidates=chosen, book=book, returns=panel,
            sectors=sectors, limits=LIMITS,
        )  # fmt: skip

    both, batch = _time(lambda: build((S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW)), repeats)
    single, _ = _time(lambda: build((S1_AVWAP_CORE,)), repeats)
    assert canonical_json(build((S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW))) == canonical_json(batch), (
        "not deterministic"
    )
    codes: dict[str, int] = {}
    for item in batch.decisions:
        for code in item.reason_codes:
            codes[code] = codes.get(code, 0) + 1
    return {
        "candidates": candidates,
        "positions": positions,
        "snapshot_sessions": sessions,
        "decisions": len(batch.decisions),
        "allowed": batch.allowed,
        "blocked": batch.blocked,
        "block_codes": dict(sorted(codes.items())),
        "repeats": repeats,
        "build_ms_median": round(statistics.median(both), 2),
        "build_ms_max": round(max(both), 2),
        "s1_only_ms_median": round(statistics.median(single), 2),
        "target_median_ms": 50,
        "host_load_1min": round(os.getloadavg()[0], 2),  # timings on a shared host scale with it
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2, sort_keys=True))
