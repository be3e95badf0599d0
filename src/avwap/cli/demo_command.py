"""``avwap demo``: the end-to-end paper-trading run (what ``make demo`` runs)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from avwap.cli.output import JSON_OPTION, console, print_json, print_table, run_guarded

HOME_OPTION = typer.Option(None, "--home", help="Demo home (default: <AVWAP_HOME>/demo, i.e. ./var/demo).")
DATA_OPTION = typer.Option(
    None, "--data", help="A bar store root with imported 1d and 5m bars (default: the synthetic market)."
)
SESSIONS_OPTION = typer.Option(None, "--sessions", min=1, help="Sessions to replay (default 20).")


def default_home() -> Path:
    return Path(os.environ.get("AVWAP_HOME", "var")) / "demo"


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        home: Path | None = HOME_OPTION,
        data: Path | None = DATA_OPTION,
        sessions: int | None = SESSIONS_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Replay sessions bar by bar in PAPER_SIM: scan, entries, stops, fills, ledgers, snapshots, report.

        Everything is written under the demo home, which is reset on each run (it refuses a folder that is
        not a demo home; a run killed midway leaves a home the next run resets). Two runs produce
        byte-identical ledgers and artifacts.

        With --data, the replayed sessions (the last --sessions days with intraday bars) must be consecutive
        NYSE sessions: a gap is refused (exit 4) with the --sessions value that avoids it. Benchmark index
        funds (BENCHMARK_SYMBOLS, default DIA, IWM, QQQ, SPY) are never candidates unless
        CANDIDATES_INCLUDE_BENCHMARKS=1.
        """
        from avwap.demo.run import run_demo

        def body() -> None:
            with Progress(
                TextColumn("[bold]replaying[/] {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=as_json,
            ) as bar:
                task = bar.add_task("sessions", total=None)

                def progress(day: dt.date, done: int, total: int) -> None:
                    bar.update(task, description=day.isoformat(), completed=done, total=total)

                outcome = run_demo(
                    dict(os.environ),
                    home or default_home(),
                    sessions=sessions,
                    data_dir=data,
                    progress=progress,
                )
            data_out = outcome.to_dict()
            if as_json:
                print_json(data_out)
                return
            files = data_out.pop("files")
            decisions, reasons = data_out.pop("decisions"), data_out.pop("block_reasons")
            rows = [(name.replace("_", " "), value) for name, value in data_out.items()]
            rows.append(("decisions", ", ".join(f"{key} {value}" for key, value in decisions.items())))
            rows.append(("entries blocked by", ", ".join(f"{key} {value}" for key, value in reasons.items())))
            print_table("avwap demo (PAPER_SIM)", ("figure", "value"), rows)
            print_table("Where the files are", ("what", "path"), list(files.items()))

        run_guarded(body)
