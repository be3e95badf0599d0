"""``avwap scan``: build the watchlist of a trading day, and ``avwap scan explain SYMBOL``.

``--as-of D`` names the trading day the watchlist is FOR; the scan uses daily bars through the previous NYSE
session, so nothing from ``D`` leaks in. ``--as-of today`` takes today's New York date from the system clock
and, on a weekend or holiday, exits 0 without scanning (what the systemd timer wants); an explicit date that
is not a session is a data error (exit 4), and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import typer

from avwap.cli.output import (
    EXIT_PROBLEM,
    EXIT_USAGE,
    JSON_OPTION,
    error_console,
    fail,
    load_cli_config,
    print_json,
    print_table,
    run_guarded,
)

if TYPE_CHECKING:
    from avwap.core.config import Config
    from avwap.scanning.explain import Explanation
    from avwap.scanning.job import ScanJobResult, ScanProgress
    from avwap.signals.scan_rules import ScanRules

TODAY: Final = "today"
AS_OF_OPTION = typer.Option(
    None,
    "--as-of",
    help=(
        "Trading day the watchlist is FOR (YYYY-MM-DD or 'today' = today's New York date). The scan uses "
        "daily bars through the PREVIOUS session. With 'today' a non-session day exits 0 without scanning."
    ),
)
UNIVERSE_OPTION = typer.Option(
    None,
    "--universe",
    help=(
        "Holdings CSV (symbol,name,sector,weight), cached under <data>/universe/; when the file does not "
        "exist: the cached copy, else the committed fallback. Default: every stored daily symbol."
    ),
)
DATA_OPTION = typer.Option(None, "--data", help="Bar store folder (default: <home>/data).")
EARNINGS_OPTION = typer.Option(
    None, "--earnings", help="Earnings dates CSV (symbol,date[,time] or Alpha Vantage quarterly)."
)
HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")
EXPLAIN_DATE_OPTION = typer.Option(
    None, "--as-of", help="Trading day of the artifacts to read (YYYY-MM-DD; default: the latest)."
)
SYMBOL_ARGUMENT = typer.Argument(..., help="Ticker symbol, e.g. AAPL.")


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


def _scan(
    as_of: str,
    *,
    universe: Path | None,
    data: Path | None,
    earnings: Path | None,
    home: Path | None,
    as_json: bool,
) -> None:
    from avwap.core.calendar import nyse
    from avwap.core.clock import SystemClock
    from avwap.scanning.job import run_scan
    from avwap.signals.kernel_choice import prefer_twins

    prefer_twins()  # one scan per process: numba's start would cost more than its kernels save
    config = load_cli_config(home=home)
    if as_of.strip().lower() == TODAY:
        day = today_ny()
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
            rules=_ruleset_scan_rules(config),
        )
    if as_json:
        print_json(_job_record(job))
    else:
        _print_job(job)


def _ruleset_scan_rules(config: Config) -> ScanRules | None:
    """The scan rules of the ruleset in force (None: the defaults, when no ruleset was ever activated)."""
    if not config.ruleset_version:
        return None
    from avwap.control.ruleset_registry import read_ruleset

    return read_ruleset(config, config.ruleset_version).scan_rules


def _advisory(config: Config, explanation: Explanation) -> dict[str, Any] | None:
    """The symbol's ML advisory score of the explained day (ML_ADVISORY=1 only; docs/ML.md)."""
    from avwap.watchlist.advisory import advisory_score

    return advisory_score(config.artifacts_dir, explanation.data_through, explanation.symbol)


def _print_explanation(explanation: Explanation) -> None:
    typer.echo(explanation.summary)
    gate = explanation.market_gate
    typer.echo(f"market gate {'open' if gate.is_open else 'CLOSED'}: {gate.detail}")
    if explanation.checks:
        columns = ("check", "measure", "value", "must be", "threshold", "detail")
        checks = [
            (c.code, c.measure, c.value, c.comparison, c.threshold, c.detail) for c in explanation.checks
        ]
        print_table("Failing checks (pipeline order)", columns, checks)
    if explanation.anchor_rejections:
        anchors = [
            (item.anchor_type, item.anchor_date, item.reason, item.value, item.threshold)
            for item in explanation.anchor_rejections
        ]
        print_table("Anchor rejections", ("anchor", "date", "reason", "value", "threshold"), anchors)
    if explanation.diagnostic is not None and len(explanation.diagnostic.reasons) > 1:
        typer.echo("all reasons: " + ", ".join(explanation.diagnostic.reasons))
    if explanation.quarantined:
        bars = [
            (bar.timestamp, ", ".join(bar.reasons), f"{bar.source}:{bar.line}")
            for bar in explanation.quarantined
        ]
        print_table("Quarantined source rows (not scanned)", ("bar", "reasons", "source"), bars)


def register(app: typer.Typer) -> None:
    scan_app = typer.Typer(name="scan", help="Daily AVWAP scan: build a trading day's watchlist; explain it.")
    app.add_typer(scan_app, name="scan")

    @scan_app.callback(invoke_without_command=True)
    def scan_command(
        context: typer.Context,
        *,
        as_of: str | None = AS_OF_OPTION,
        universe: Path | None = UNIVERSE_OPTION,
        data: Path | None = DATA_OPTION,
        earnings: Path | None = EARNINGS_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Scan daily bars through the session BEFORE --as-of and write that day's candidates, diagnostics,
        TradingView watchlist and HTML report (exit 0 ok, 4 data error: nothing written)."""
        if context.invoked_subcommand is not None:
            return
        if as_of is None:
            fail(
                "--as-of is required: the trading day the watchlist is for (YYYY-MM-DD or 'today')",
                EXIT_USAGE,
            )
        run_guarded(
            lambda: _scan(as_of, universe=universe, data=data, earnings=earnings, home=home, as_json=as_json)
        )

    @scan_app.command("explain")
    def explain_command(
        symbol: str = SYMBOL_ARGUMENT,
        as_of: str | None = EXPLAIN_DATE_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Why SYMBOL is (not) a candidate: every failing check with value vs threshold, anchor rejections.
        Exit 1 when SYMBOL was not in the scanned universe, 4 when the day's artifacts are missing."""
        from avwap.scanning.explain import NOT_SCANNED, explain_symbol

        day = parse_day(as_of, "--as-of") if as_of is not None else None
        config = load_cli_config(home=home)
        explanation = run_guarded(lambda: explain_symbol(config.artifacts_dir, symbol, day))
        advisory = _advisory(config, explanation) if config.ml_advisory else None
        if as_json and advisory is not None:
            import msgspec

            print_json({**msgspec.to_builtins(explanation), "advisory": advisory})
        elif as_json:
            print_json(explanation)
        else:
            _print_explanation(explanation)
            if advisory is not None:
                typer.echo(
                    "ML advisory (advisory only, never an order): "
                    f"P(R1 before stop) {advisory['p_hit_r1']:.4f}, model {advisory['model_sha256'][:12]}"
                )
        if explanation.status == NOT_SCANNED:
            raise typer.Exit(EXIT_PROBLEM)


__all__ = ["parse_day", "register", "today_ny"]
