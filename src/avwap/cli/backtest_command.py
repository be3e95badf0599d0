"""``avwap backtest``: sessions [--from, --to] through the production cycle, book BACKTEST."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import typer

from avwap.cli.output import EXIT_USAGE, JSON_OPTION, fail, print_json, print_table, run_guarded

FROM_OPTION = typer.Option(None, "--from", help="First session (YYYY-MM-DD); required.")
TO_OPTION = typer.Option(None, "--to", help="Last session (YYYY-MM-DD); required.")
DATA_OPTION = typer.Option(None, "--data", help="Bar store root (default: the config's data folder).")
CONFIG_OPTION = typer.Option(None, "--config", help="A TOML config file (the normal Config settings).")
UNIVERSE_OPTION = typer.Option(None, "--universe", help="A file with one symbol per line (default: all).")
RESOLUTION_OPTION = typer.Option(
    "auto", "--resolution", help="auto (5m where the store has 5-minute bars, else 1d) | 5m | 1d."
)
OUT_OPTION = typer.Option(Path("var/backtest"), "--out", help="Run folder (reset by each run).")


def read_universe(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    return sorted({line.strip().upper() for line in lines if line.strip() and not line.startswith("#")})


def required_dates(start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    if start is None or end is None:
        fail("--from and --to are required (YYYY-MM-DD)", EXIT_USAGE)
    try:
        return dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError as error:
        fail(f"--from/--to: {error}", EXIT_USAGE)


ProgressLine = Callable[[dt.date, int, int], None]


def progress_printer(
    stream: TextIO, *, as_json: bool, timer: Callable[[], float] = time.perf_counter, every: int = 20
) -> ProgressLine | None:
    """``backtest D n/N sessions, x sessions/s`` on ``stream`` every ``every`` sessions and at the end; None
    (no progress) for --json or when ``stream`` is not a terminal, so logs and pipes get only the result.
    Wall-clock rates never reach the run's files."""
    if as_json or not stream.isatty():
        return None
    began = timer()

    def progress(day: dt.date, done: int, total: int) -> None:
        if done == total or done % every == 0:
            rate = done / max(timer() - began, 1e-9)
            print(f"backtest {day} {done}/{total} sessions, {rate:.1f} sessions/s", file=stream, flush=True)

    return progress


def register(app: typer.Typer) -> None:
    from avwap.cli.backtest_sweep_command import register_sweep

    backtest_app = typer.Typer(name="backtest", help="Backtest through the production cycle; sweeps.")
    app.add_typer(backtest_app, name="backtest")
    register_sweep(backtest_app)

    @backtest_app.callback(invoke_without_command=True)
    def backtest(  # noqa: PLR0917 - one option each (typer passes them by name)
        context: typer.Context,
        start: str | None = FROM_OPTION,
        end: str | None = TO_OPTION,
        data: Path | None = DATA_OPTION,
        config_file: Path | None = CONFIG_OPTION,
        universe: Path | None = UNIVERSE_OPTION,
        resolution: str = RESOLUTION_OPTION,
        out: Path = OUT_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Backtest through the same scan, cycle, control plane, stops and ledgers as live trading.

        Writes ledgers, daily snapshots, trades (CSV/JSON), summary.json, provenance.json and report.html
        into --out. Progress (sessions/s) goes to stderr on a terminal (not with --json). Reruns of the
        same inputs are byte-identical. `avwap backtest sweep --help`: a parameter grid on Ray, walk-forward.
        """
        if context.invoked_subcommand is not None:
            return
        first, last = required_dates(start, end)
        from avwap.backtest.run import run_backtest
        from avwap.core.canonical import to_plain
        from avwap.core.config import load_config

        def body() -> None:
            environ = dict(os.environ)
            data_root = data or load_config(environ, config_file).data_dir
            progress = progress_printer(sys.stderr, as_json=as_json)
            outcome = run_backtest(
                environ,
                start=first,
                end=last,
                data_root=data_root,
                out=out,
                config_file=config_file,
                universe=read_universe(universe),
                resolution=resolution,  # type: ignore[arg-type]  # checked by the engine
                progress=progress,
            )
            data_out = outcome.to_dict()
            if as_json:
                print_json(data_out)
                return
            summary = data_out.pop("summary")
            rows = list(data_out.items())
            rows += [(name.replace("_", " "), value) for name, value in to_plain(summary).items()]
            print_table("avwap backtest (BACKTEST)", ("figure", "value"), rows)

        run_guarded(body)
