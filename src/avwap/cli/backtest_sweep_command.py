"""``avwap backtest sweep``: a parameter grid through the backtest engine on Ray (or in-process), with an
optional walk-forward. See docs/BACKTEST.md "Sweeps and walk-forward"."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from avwap.cli.backtest_command import (
    CONFIG_OPTION,
    DATA_OPTION,
    FROM_OPTION,
    RESOLUTION_OPTION,
    TO_OPTION,
    UNIVERSE_OPTION,
    read_universe,
    required_dates,
)
from avwap.cli.output import EXIT_USAGE, JSON_OPTION, fail, print_json, print_table, run_guarded

GRID_OPTION = typer.Option(
    ..., "--grid", help="TOML file: a list of values per Config key (scan rules in a scan table)."
)
SWEEP_OUT_OPTION = typer.Option(
    Path("var/backtest-sweep"), "--out", help="Sweep folder (reset by each sweep)."
)
ADDRESS_OPTION = typer.Option(
    None,
    "--address",
    help="An existing Ray cluster (HOST:PORT, ray://HOST:PORT or auto); default: local Ray.",
)
WORKERS_OPTION = typer.Option(
    None, "--workers", help="Local Ray CPUs (default: this machine's); 1 runs in this process, without Ray."
)
METRIC_OPTION = typer.Option("sharpe", "--metric", help="Ranks the sets and chooses walk-forward parameters.")
HEATMAP_OPTION = typer.Option(None, "--heatmap", help="Two grid keys X,Y (default: the first two that vary).")
WALK_FORWARD_OPTION = typer.Option(None, "--walk-forward", help="e.g. train=2y,test=6m (units y, m, w, d).")
CSV_OPTION = typer.Option(None, "--csv", help="Also write the results table to this CSV file.")
RAY_TIMEOUT_OPTION = typer.Option(120.0, "--ray-timeout", help="Seconds Ray may take to start or connect.")


def available_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def parse_heatmap(text: str | None) -> tuple[str, str] | None:
    if text is None:
        return None
    keys = [part.strip() for part in text.split(",")]
    if len(keys) != 2 or not all(keys) or keys[0] == keys[1]:
        fail(f"--heatmap: expected two different grid keys X,Y, got {text!r}", EXIT_USAGE)
    return keys[0], keys[1]


def _print(outcome: Any, workers: str, as_json: bool) -> None:
    from avwap.backtest.sweep_tables import FIGURES

    tables = outcome.tables
    rows = [
        {"rank": row.rank, "id": row.id, "parameters": row.parameters, **row.figures}
        for row in tables.results
    ]
    if as_json:
        data: dict[str, Any] = {"folder": str(outcome.folder), "workers": workers, "results": rows}
        if tables.windows:
            data["out_of_sample_stitched"] = tables.stitched
            data["windows"] = [{"window": row.window.name, "chosen": row.chosen} for row in tables.windows]
        print_json(data)
        return
    shown = ("sharpe", "total_return", "max_drawdown", "trade_count")
    print_table(
        f"avwap backtest sweep ({workers}): {outcome.folder}",
        ("rank", "id", "parameters", *shown),
        [
            (
                row.rank,
                row.id,
                ", ".join(f"{key}={value}" for key, value in row.parameters.items()),
                *(row.figures[name] for name in shown),
            )
            for row in tables.results
        ],
    )
    if tables.windows:
        print_table(
            "walk-forward: out-of-sample (windows stitched)",
            ("figure", "value"),
            [(name, tables.stitched.get(name)) for name in FIGURES] if tables.stitched else [],
        )


def register_sweep(backtest_app: typer.Typer) -> None:
    @backtest_app.command("sweep")
    def sweep(  # noqa: PLR0917 - one option each (typer passes them by name)
        start: str | None = FROM_OPTION,
        end: str | None = TO_OPTION,
        grid: Path = GRID_OPTION,
        data: Path | None = DATA_OPTION,
        config_file: Path | None = CONFIG_OPTION,
        universe: Path | None = UNIVERSE_OPTION,
        resolution: str = RESOLUTION_OPTION,
        out: Path = SWEEP_OUT_OPTION,
        address: str | None = ADDRESS_OPTION,
        workers: int | None = WORKERS_OPTION,
        metric: str = METRIC_OPTION,
        heatmap: str | None = HEATMAP_OPTION,
        walk_forward: str | None = WALK_FORWARD_OPTION,
        csv_out: Path | None = CSV_OPTION,
        ray_timeout: float = RAY_TIMEOUT_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Run every parameter set of --grid through the backtest engine (Ray; --workers 1: in-process).

        Writes runs/<id>/ (each a normal backtest run folder), results.json, results.csv and report.html
        (with a heatmap) into --out; --walk-forward adds walk_forward.json/.csv and a report section.
        Outputs are byte-identical across reruns and worker counts. Exit 1 when Ray cannot start or be
        reached (SweepError), 3 on a bad grid key or value (named).
        """
        first, last = required_dates(start, end)
        axes = parse_heatmap(heatmap)

        def body() -> None:
            from avwap.backtest.sweep import SweepRequest, run_sweep
            from avwap.backtest.sweep_grid import load_grid
            from avwap.backtest.sweep_workers import Workers
            from avwap.backtest.walk_forward import parse_walk_forward
            from avwap.core.config import load_config
            from avwap.core.files import atomic_write_bytes
            from avwap.ledger.atomic import detect_code_version

            environ = dict(os.environ)
            request = SweepRequest(
                grid=load_grid(grid),
                start=first,
                end=last,
                data_root=data or load_config(environ, config_file).data_dir,
                out=out,
                environ=environ,
                config_file=config_file,
                universe=read_universe(universe),
                resolution=resolution,
                metric=metric,
                heatmap=axes,
                walk_forward=None if walk_forward is None else parse_walk_forward(walk_forward),
                code_version=detect_code_version(),
            )
            chosen = Workers(count=workers or available_cpus(), address=address, start_timeout=ray_timeout)
            outcome = run_sweep(request, chosen)
            if csv_out is not None:
                atomic_write_bytes(csv_out, (outcome.folder / "results.csv").read_bytes())
            _print(outcome, chosen.describe(), as_json)

        run_guarded(body)
