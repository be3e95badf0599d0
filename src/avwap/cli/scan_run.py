"""What ``avwap scan`` runs, without typer: :func:`run_scan_command` is the command's body, called by the
typer command (:mod:`avwap.cli.scan_command`) and by :mod:`avwap.cli.fast_path`, which runs a well-formed
``avwap scan --as-of ...`` without importing typer or pydantic (docs/ROADMAP.md issue 8). rich is imported
by the progress bar and the tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from avwap.cli.output import (
    EXIT_USAGE,
    error_console,
    fail,
    load_cli_config,
    print_json,
    print_table,
    run_guarded,
)

if TYPE_CHECKING:
    from avwap.scanning.job import ScanJobResult, ScanProgress

TODAY: Final = "today"


def parse_day(text: str, option: str) -> dt.date:
    """A YYYY-MM-DD option value; a usage error (exit 2) otherwise."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option}: expected YYYY-MM-DD or '{TODAY}', got {text!r}", EXIT_USAGE)


def today_ny() -> dt.date:
    """Today's New York date from the system clock (the one wall-clock read of these commands)."""
    from avwap.core.calendar import ny_date
    from avwap.core.clock import SystemClock

    return ny_date(SystemClock().now())


def _universe(path: Path | None, data_dir: Path) -> tuple[str, ...] | None:
    """Symbols of ``--universe`` through :func:`load_universe`: the file (then cached under the home data
    folder ``data_dir``, not ``--data``, like `avwap universe show` and `avwap sync`), or,
    when it does not exist, the cache, else the committed fallback. A malformed file raises DataError (exit 4)
    before anything is written (the cache included)."""
    if path is None:
        return None
    from avwap.data.universe import load_universe

    return load_universe(path, data_dir).symbols


def _earnings(path: Path | None) -> dict[str, tuple[dt.date, ...]] | None:
    if path is None:
        return None
    from avwap.data.earnings import reaction_sessions

    return reaction_sessions(path)


def _job_record(job: ScanJobResult) -> dict[str, Any]:
    return {
        "status": "SCANNED",
        "trading_date": job.trading_date,
        "data_through": job.as_of,
        "market_gate": job.result.market_gate,
        "scanned": job.scanned,
        "candidate_count": len(job.result.candidates),
        "candidates": list(job.result.candidates),
        "reason_counts": job.reason_counts,
        "files": [path.as_posix() for path in job.files],
        "provenance": job.provenance,
        "summary_sent": job.summary_sent,
    }


def _gate_state(is_open: bool, reason: str | None) -> str:
    if is_open:
        return "open"
    return "UNKNOWN (fail closed, no candidates)" if reason == "MARKET_GATE_UNKNOWN" else "CLOSED"


def _print_job(job: ScanJobResult) -> None:
    gate = job.result.market_gate
    overview = [
        ("trading date", job.trading_date),
        ("data through", job.as_of),
        ("market gate", f"{_gate_state(gate.is_open, gate.reason)}: {gate.detail}"),
        ("symbols scanned", job.scanned),
        ("candidates", len(job.result.candidates)),
        ("filtered out", len(job.result.diagnostics)),
    ]
    print_table(f"Scan for {job.trading_date}", ("item", "value"), overview)
    rows = [
        (
            c.rank,
            c.symbol,
            c.trend_tier,
            c.anchor_type,
            c.anchor_date,
            c.avwap,
            f"{100 * c.distance:+.2f}%",
            f"{c.score:.2f}",
        )
        for c in sorted(job.result.candidates, key=lambda item: item.rank)
    ]
    columns = ("rank", "symbol", "tier", "anchor", "anchor date", "AVWAP", "distance", "score")
    print_table("Top candidates", columns, rows)
    print_table("Filtered out, by first reason", ("reason", "symbols"), job.reason_counts.items())
    print_table("Files written", ("file",), ((path.as_posix(),) for path in job.files))


def _progress_bar(enabled: bool) -> tuple[Any, ScanProgress]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    bar = Progress(*columns, console=error_console, transient=True, disable=not enabled)
    task = bar.add_task("scan", total=1)

    def advance(stage: str, done: int, total: int) -> None:
        bar.update(task, description=stage, completed=done, total=max(total, 1))

    return bar, advance


def _no_session(day: dt.date, as_json: bool) -> None:
    message = f"{day} is not an NYSE session (weekend or holiday): no scan today, nothing written"
    if as_json:
        print_json({"status": "NO_SESSION", "trading_date": day, "detail": message})
    else:
        error_console.print(message)


def run_scan_command(
    as_of: str | None,
    *,
    universe: Path | None,
    data: Path | None,
    earnings: Path | None,
    home: Path | None,
    as_json: bool,
    today: Callable[[], dt.date] = today_ny,
) -> None:
    """The command's body once its options are parsed; ``today`` reads the New York date for
    ``--as-of today``. Refusals print one line and exit with their code (:func:`run_guarded`)."""
    if as_of is None:
        fail(
            "--as-of is required: the trading day the watchlist is for (YYYY-MM-DD or 'today')",
            EXIT_USAGE,
        )
    scan_day = as_of
    run_guarded(
        lambda: _scan(
            scan_day, universe=universe, data=data, earnings=earnings, home=home, as_json=as_json, today=today
        )
    )


def _scan(
    as_of: str,
    *,
    universe: Path | None,
    data: Path | None,
    earnings: Path | None,
    home: Path | None,
    as_json: bool,
    today: Callable[[], dt.date],
) -> None:
    from avwap.core.calendar import nyse
    from avwap.core.clock import SystemClock
    from avwap.scanning.job import ruleset_scan_rules, run_scan
    from avwap.signals.kernel_choice import prefer_twins

    prefer_twins()  # one scan per process: numba's start would cost more than its kernels save
    config = load_cli_config(home=home)
    if as_of.strip().lower() == TODAY:
        day = today()
        if not nyse().is_session(day):
            _no_session(day, as_json)
            return
    else:
        day = parse_day(as_of, "--as-of")
    bar, advance = _progress_bar(enabled=not as_json)
    with bar:
        job = run_scan(
            config,
            day,
            clock=SystemClock(),
            data_dir=data,
            universe=_universe(universe, config.data_dir),
            earnings=_earnings(earnings),
            progress=advance,
            rules=ruleset_scan_rules(config),
        )
    if as_json:
        print_json(_job_record(job))
    else:
        _print_job(job)
