#!/usr/bin/env python3
"""Backtest sweeps on Ray vs one process (``run() -> dict``): 32 parameter sets on the synthetic market.

The same 32 tasks (a 4 x 4 x 2 grid of ``STOP_BUFFER``, ``MAX_POSITIONS`` and the scan's ``max_distance``,
each a full :func:`avwap.backtest.run.run_backtest` at ``--resolution 1d``) run

* ``in_process``: one after the other in this process (``--workers 1``);
* ``ray``: on local Ray with ``WORKERS`` CPUs (``ray_start_seconds``: ``ray.init`` until ready, apart).

Reported: wall and CPU seconds, ``speedup`` (in-process wall / Ray wall without and with the start),
``task_seconds_mean`` in-process, and two overheads per task: ``overhead_per_task_ms`` (Ray's wall x
workers minus the in-process wall, per task: what a run costs extra on a worker) and
``empty_task_overhead_ms`` (wall per task of the same number of tasks that do nothing, on the same Ray).
``payloads_identical``: both paths gave the same figures for every set. A warm-up run first (numba
kernels loaded, imports done). ``run(smoke=True)``: 4 sets over 3 sessions, the same code path.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

WORKERS: Final = 2
CAPS: Final = {
    "MAX_GROSS_EXPOSURE": "100000",
    "MAX_NOTIONAL_PER_SYMBOL": "10000",
    "MAX_RISK_PER_TRADE": "500",
}
FULL: Final = {
    "grid": {
        "STOP_BUFFER": [0.05, 0.10, 0.20, 0.50],
        "MAX_POSITIONS": [2, 5, 10, 20],
        "scan": {"max_distance": [0.04, 0.06]},
    },
    "from": dt.date(2026, 9, 1),
    "to": dt.date(2026, 9, 30),
    "symbols": 30,
}
SMOKE: Final = {
    "grid": {"STOP_BUFFER": [0.05, 0.5], "MAX_POSITIONS": [2, 10]},
    "from": dt.date(2026, 9, 14),
    "to": dt.date(2026, 9, 16),
    "symbols": 12,
}


def _timed(action: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, round(time.perf_counter() - wall, 3), round(time.process_time() - cpu, 3)


def _empty(task: Any) -> Any:
    from avwap.backtest.sweep_tasks import RunPayload

    return RunPayload(task.key, task.parameters.id, {}, (), (), ())


def run(*, smoke: bool = False) -> dict[str, Any]:
    from avwap.backtest.sweep import SweepRequest, task
    from avwap.backtest.sweep_grid import grid_from_mapping
    from avwap.backtest.sweep_tasks import run_task
    from avwap.backtest.sweep_workers import Workers, execute, start_ray
    from avwap.data.synthetic import SyntheticMarketSpec, ensure_market

    size = SMOKE if smoke else FULL
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as name:
        folder = Path(name)
        spec = SyntheticMarketSpec(
            seed=7,
            symbols=size["symbols"],
            daily_start=dt.date(2025, 9, 2),
            daily_end=dt.date(2026, 9, 30),
            intraday_start=dt.date(2026, 9, 29),
        )
        ensure_market(spec, folder / "market", owned=True)
        grid = grid_from_mapping(size["grid"])

        def tasks(out: str) -> list[Any]:
            request = SweepRequest(
                grid=grid,
                start=size["from"],
                end=size["to"],
                data_root=folder / "market",
                out=folder / out,
                environ=CAPS,
                resolution="1d",
                code_version="bench",
            )
            return [task(request, item.id, item, request.start, request.end) for item in grid.sets]

        execute(tasks("warm")[:1], Workers(count=1))
        local, local_wall, local_cpu = _timed(lambda: execute(tasks("local"), Workers(count=1)))
        session, start_wall, _ = _timed(lambda: start_ray(Workers(count=WORKERS, start_timeout=300)))
        try:
            ray = session.ray
            remote = ray.remote(num_cpus=1, max_retries=0)(run_task)
            empty = ray.remote(num_cpus=1, max_retries=0)(_empty)
            # Every worker process imports avwap and loads the numba kernels once, before the timing.
            ray.get([remote.remote(item) for item in tasks("ray-warm")[:WORKERS]])
            on_ray, ray_wall, ray_cpu = _timed(
                lambda: ray.get([remote.remote(item) for item in tasks("ray")])
            )
            _, empty_wall, _ = _timed(lambda: ray.get([empty.remote(item) for item in tasks("empty")]))
        finally:
            session.shutdown()
    count = len(grid.sets)
    return {
        "benchmark": "backtest_sweep",
        "smoke": smoke,
        "parameter_sets": count,
        "sessions": f"{size['from']} to {size['to']}",
        "symbols": size["symbols"],
        "workers": WORKERS,
        "in_process": {"wall_seconds": local_wall, "cpu_seconds": local_cpu},
        "task_seconds_mean": round(local_wall / count, 3),
        "ray": {"wall_seconds": ray_wall, "driver_cpu_seconds": ray_cpu, "ray_start_seconds": start_wall},
        "speedup": round(local_wall / ray_wall, 2),
        "speedup_with_start": round(local_wall / (ray_wall + start_wall), 2),
        "overhead_per_task_ms": round((ray_wall * WORKERS - local_wall) / count * 1000, 1),
        "empty_task_overhead_ms": round(empty_wall / count * 1000, 2),
        "payloads_identical": [item.summary for item in local] == [item.summary for item in on_ray],
    }


if __name__ == "__main__":
    print(json.dumps(run(smoke=len(sys.argv) > 1 and sys.argv[1] == "smoke"), indent=2, sort_keys=True))
