"""``avwap scan``: build the watchlist of a trading day, and ``avwap scan explain SYMBOL``.

``--as-of D`` names the trading day the watchlist is FOR; the scan uses daily bars through the previous NYSE
session, so nothing from ``D`` leaks in. ``--as-of today`` takes today's New York date from the system clock
and, on a weekend or holiday, exits 0 without scanning (what the systemd timer wants); an explicit date that
is not a session is a data error (exit 4), and nothing is written.

The scan's body lives in :mod:`avwap.cli.scan_run` (no typer): :mod:`avwap.cli.fast_path` runs it directly
for a well-formed command line, so the callback's options below and ``fast_path.SCAN_OPTIONS`` must agree
(a test holds them equal).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from avwap.cli.output import (
    EXIT_PROBLEM,
    JSON_OPTION,
    load_cli_config,
    print_json,
    print_table,
    run_guarded,
)
from avwap.cli.scan_run import TODAY, parse_day, run_scan_command, today_ny

if TYPE_CHECKING:
    from avwap.core.config import Config
    from avwap.scanning.explain import Explanation

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
        run_scan_command(
            as_of,
            universe=universe,
            data=data,
            earnings=earnings,
            home=home,
            as_json=as_json,
            today=today_ny,  # this module's name, looked up per call (tests replace it)
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


__all__ = ["TODAY", "parse_day", "register", "today_ny"]
