"""``avwap backtest sweep``: every parameter set of a grid through the backtest engine, in parallel.

Sweep folder (``--out``, reset by each sweep; refused if it holds something else)::

    runs/<id>/                   each run's folder, exactly what ``avwap backtest --out`` writes
    runs/<window>-train-<id>/    walk-forward: each training run, and the chosen set's test run
    results.json, results.csv    one row per parameter set, best first by --metric
    walk_forward.json, .csv      walk-forward only: windows, chosen sets, in- and out-of-sample figures
    report.html                  the table, a heatmap of the metric over two parameters, walk-forward

Nothing in it depends on the worker count, on Ray, or on the order runs finish in (rows are built in grid
order and sorted by value, then grid order): reruns are byte-identical.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from avwap.backtest.sweep_grid import ParameterGrid, ParameterSet
from avwap.backtest.sweep_report import render_sweep_report
from avwap.backtest.sweep_tables import (
    SweepTables,
    results_csv,
    results_rows,
    walk_forward_tables,
    window_json,
    windows_csv,
)
from avwap.backtest.sweep_tasks import RunPayload, RunTask, run_task
from avwap.backtest.sweep_workers import RunFunction, Runner, Workers, executor
from avwap.backtest.walk_forward import METRICS, WalkForwardSpec, Window, choose, walk_forward_windows
from avwap.core.canonical import pretty_json
from avwap.core.config_settings import SETTINGS
from avwap.core.errors import ConfigurationError
from avwap.core.files import atomic_write_bytes

MARKER: Final = ".avwap-sweep"
# The environment a run reads: the settings' own variables, secrets excluded (a backtest needs none, and
# tasks travel to Ray workers).
SETTING_NAMES: Final = frozenset(spec.variable for spec in SETTINGS if not spec.secret)


@dataclass(frozen=True)
class SweepRequest:
    grid: ParameterGrid
    start: dt.date
    end: dt.date
    data_root: Path
    out: Path
    environ: Mapping[str, str]
    config_file: Path | None = None
    universe: Sequence[str] | None = None
    resolution: str = "auto"
    metric: str = "sharpe"
    heatmap: tuple[str, str] | None = None
    walk_forward: WalkForwardSpec | None = None
    code_version: str = "unknown"


@dataclass(frozen=True)
class SweepOutcome:
    folder: Path
    tables: SweepTables


def prepare_sweep_folder(out: Path) -> Path:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise ConfigurationError("--out", f"{out} is not empty and not a sweep folder")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("avwap backtest sweep folder (reset by each sweep)\n", encoding="utf-8")
    return out


def check_request(request: SweepRequest) -> None:
    if request.metric not in METRICS:
        raise ConfigurationError("--metric", f"expected one of {', '.join(METRICS)}, got {request.metric!r}")
    if request.end < request.start:
        raise ConfigurationError("--to", f"{request.end} is before --from {request.start}")
    for key in request.heatmap or ():
        if key not in request.grid.keys:
            raise ConfigurationError(
                "--heatmap", f"{key!r} is not a grid key ({', '.join(request.grid.keys)})"
            )


def task(request: SweepRequest, key: str, item: ParameterSet, start: dt.date, end: dt.date) -> RunTask:
    environ = tuple(sorted((name, value) for name, value in request.environ.items() if name in SETTING_NAMES))
    config_file = request.config_file or request.environ.get("AVWAP_CONFIG") or None
    return RunTask(
        key=key,
        parameters=item,
        start=start,
        end=end,
        # Absolute: a Ray worker does not run in this process's working directory.
        data_root=str(Path(request.data_root).resolve()),
        out=str((request.out / "runs" / key).resolve()),
        environ=environ,
        config_file=None if config_file is None else str(Path(config_file).resolve()),
        universe=None if request.universe is None else tuple(request.universe),
        resolution=request.resolution,
        code_version=request.code_version,
    )


def run_sweep(request: SweepRequest, workers: Workers, function: RunFunction = run_task) -> SweepOutcome:
    """Run the grid (or the walk-forward) and write the sweep folder. ``function`` runs one task (the
    backtest engine; tests pass a stand-in with known figures)."""
    check_request(request)
    windows = (
        walk_forward_windows(request.walk_forward, request.start, request.end)
        if request.walk_forward is not None
        else []
    )
    if request.out.exists() and any(request.out.iterdir()) and not (request.out / MARKER).exists():
        raise ConfigurationError("--out", f"{request.out} is not empty and not a sweep folder")
    with executor(workers, function) as run:
        # Reset only once the workers are up: a Ray that cannot start leaves the last sweep's folder intact.
        folder = prepare_sweep_folder(request.out)
        if request.walk_forward is None:
            tasks = [task(request, item.id, item, request.start, request.end) for item in request.grid.sets]
            tables = SweepTables(results=results_rows(request.grid, run(tasks), request.metric))
        else:
            tables = _walk_forward(request, windows, run)
    write_sweep_outputs(folder, request, tables)
    return SweepOutcome(folder, tables)


def _walk_forward(request: SweepRequest, windows: Sequence[Window], run: Runner) -> SweepTables:
    grid = request.grid
    training = [
        task(request, f"{window.name}-train-{item.id}", item, window.train_start, window.train_end)
        for window in windows
        for item in grid.sets
    ]
    trained = run(training)
    order = {item.id: item.index for item in grid.sets}
    by_window: dict[int, list[RunPayload]] = {}
    for window in windows:
        by_window[window.index] = trained[window.index * len(grid.sets) : (window.index + 1) * len(grid.sets)]
    chosen = {index: choose(payloads, request.metric, order) for index, payloads in by_window.items()}
    sets = {item.id: item for item in grid.sets}
    testing = [
        task(
            request,
            f"{window.name}-test-{chosen[window.index].parameter_id}",
            sets[chosen[window.index].parameter_id],
            window.test_start,
            window.test_end,
        )
        for window in windows
    ]
    tested = run(testing)
    return walk_forward_tables(grid, request.metric, windows, by_window, chosen, tested)


def request_summary(request: SweepRequest) -> dict[str, Any]:
    """What the sweep was (in results.json and the report; no worker count, no absolute path)."""
    return {
        "from": request.start,
        "to": request.end,
        "resolution": request.resolution,
        "metric": request.metric,
        "code_version": request.code_version,
        "walk_forward": None
        if request.walk_forward is None
        else f"train={request.walk_forward.train},test={request.walk_forward.test}",
        "grid_keys": list(request.grid.keys),
        "parameter_sets": {item.id: dict(item.values) for item in request.grid.sets},
    }


def _rows_json(tables: SweepTables) -> list[dict[str, Any]]:
    return [
        {"rank": row.rank, "id": row.id, "parameters": row.parameters, **row.figures}
        for row in tables.results
    ]


def write_sweep_outputs(folder: Path, request: SweepRequest, tables: SweepTables) -> None:
    """results.json/.csv, walk_forward.json/.csv (walk-forward only) and report.html."""
    summary = request_summary(request)
    results = {**summary, "results": _rows_json(tables)}
    atomic_write_bytes(folder / "results.json", pretty_json(results).encode("utf-8"))
    atomic_write_bytes(folder / "results.csv", results_csv(request.grid.keys, tables.results))
    if request.walk_forward is not None:
        walk = {
            **summary,
            "windows": [window_json(row) for row in tables.windows],
            "out_of_sample_stitched": tables.stitched,
            "training_runs": tables.training,
        }
        atomic_write_bytes(folder / "walk_forward.json", pretty_json(walk).encode("utf-8"))
        atomic_write_bytes(folder / "walk_forward.csv", windows_csv(request.metric, tables.windows))
    html = render_sweep_report(request.grid, tables, summary, request.heatmap)
    atomic_write_bytes(folder / "report.html", html.encode("utf-8"))
