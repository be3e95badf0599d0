"""Exit benchmarks (synthetic, seeded): stop resolution per execution cycle, and daily exit simulation.

* ``cycle``: 50 open positions, one full session of 5-minute bars (78 bars); at every bar close the policy is
  resolved for all 50 positions (as the execution cycle does). Reported: per-cycle cost (all 50 positions).
* ``simulation``: 500 symbols × 5 years of daily bars (1,260 sessions); a position opens on every 21st session
  of every symbol; every position is replayed to its stop. Reported: trades per second.

``run(smoke=True)`` (CI): 5 positions, 20 symbols × 1 year; the same code path in seconds.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from decimal import Decimal

import numpy as np

from avwap.core.calendar import NEW_YORK, nyse
from avwap.exits.bar_arrays import BarArrays, bar_arrays_from_values, instant_ns, ny_midnight_ns
from avwap.exits.policy import apply_decision, resolve_stop
from avwap.exits.position_state import ExitPosition
from avwap.exits.simulator import SimulatedEntry
from avwap.exits.simulator_daily import simulate_daily
from avwap.ledger.record_enums import StopBasis

SEED = 20260401
POSITIONS = 50
SYMBOLS = 500
YEARS = 5
DAY = dt.date(2026, 4, 1)


def _walk(rng: np.random.Generator, count: int, start: float, sigma: float) -> tuple[np.ndarray, ...]:
    close = start * np.exp(np.cumsum(rng.normal(0.0002, sigma, count)))
    open_ = np.concatenate([[start], close[:-1]]) * (1 + rng.normal(0, sigma / 4, count))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, sigma / 2, count)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, sigma / 2, count)))
    return tuple(values.round(2) for values in (open_, high, low, close))


def _cycle_inputs(
    rng: np.random.Generator, positions: int = POSITIONS
) -> list[tuple[ExitPosition, BarArrays, BarArrays]]:
    session = nyse().session(DAY)
    starts = instant_ns(session.open) + np.arange(78, dtype=np.int64) * 300_000_000_000
    past = nyse().sessions(DAY - dt.timedelta(days=200), DAY - dt.timedelta(days=1))[-120:]
    inputs = []
    for number in range(positions):
        intraday = bar_arrays_from_values(starts, *_walk(rng, 78, 100.0, 0.002))
        daily = bar_arrays_from_values(
            [ny_midnight_ns(day) for day in past], *_walk(rng, len(past), 100.0, 0.015)
        )
        position = ExitPosition(
            position_id=f"pos_{number:032d}",
            symbol=f"S{number:03d}",
            strategy_id="S1_AVWAP_CORE",
            entry_time=session.open - dt.timedelta(days=1),
            entry_price=Decimal("100"),
            quantity=10,
            initial_stop=Decimal("90.00"),
            stop_price=Decimal("90.00"),
            stop_basis=StopBasis.INITIAL,
            resolved=True,
        )
        inputs.append((position, intraday, daily))
    return inputs


def bench_cycle(positions: int = POSITIONS) -> dict[str, object]:
    inputs = _cycle_inputs(np.random.default_rng(SEED), positions)
    session = nyse().session(DAY)
    states = [position for position, _, _ in inputs]
    costs, changes = [], 0
    for step in range(1, 79):
        now = session.open + dt.timedelta(minutes=5 * step)
        started = time.perf_counter()
        for index, (_, intraday, daily) in enumerate(inputs):
            decision = resolve_stop(states[index], intraday, daily, now)
            states[index] = apply_decision(states[index], decision)
            changes += decision.changed
        costs.append(time.perf_counter() - started)
    return {
        "positions": positions,
        "cycles": len(costs),
        "per_cycle_ms_median": round(statistics.median(costs) * 1000, 3),
        "per_cycle_ms_max": round(max(costs) * 1000, 3),
        "per_position_us_median": round(statistics.median(costs) / positions * 1e6, 1),
        "stop_changes": changes,
    }


def bench_simulation(symbols: int = SYMBOLS, years: int = YEARS) -> dict[str, object]:
    rng = np.random.default_rng(SEED + 1)
    days = nyse().sessions(dt.date(2019, 1, 2), dt.date(2023, 12, 29))[: years * 252]
    starts = np.asarray([ny_midnight_ns(day) for day in days], dtype=np.int64)
    bars, entries = {}, []
    for number in range(symbols):
        symbol = f"S{number:03d}"
        open_, high, low, close = _walk(rng, len(days), float(rng.uniform(20, 300)), 0.02)
        bars[symbol] = bar_arrays_from_values(starts, open_, high, low, close)
        for index in range(5, len(days) - 1, 21):
            at = dt.datetime.combine(days[index], dt.time(10), NEW_YORK).astimezone(dt.UTC)
            price = Decimal(repr(float(close[index])))
            stop = (price * Decimal("0.95")).quantize(Decimal("0.01"))
            entries.append(SimulatedEntry(f"pos_{number:04d}{index:028d}", symbol, at, price, 10, stop))
    started = time.perf_counter()
    exits = simulate_daily(entries, bars)
    elapsed = time.perf_counter() - started
    return {
        "symbols": symbols,
        "sessions": len(days),
        "trades": len(exits),
        "stopped": sum(item.outcome == "STOPPED" for item in exits),
        "seconds": round(elapsed, 3),
        "trades_per_second": round(len(exits) / elapsed, 1),
    }


def run(*, smoke: bool = False) -> dict[str, object]:
    if smoke:
        return {"smoke": True, "cycle": bench_cycle(positions=5), "simulation": bench_simulation(20, 1)}
    return {"smoke": False, "cycle": bench_cycle(), "simulation": bench_simulation()}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2, sort_keys=True))
