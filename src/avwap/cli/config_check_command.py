"""``avwap config-check``: offline preflight of the execution configuration (no network, no broker).

Prints the effective mode and why, every gate with its state, every cap, Phase C, the paths and the problems.
Exit 0 when there is no problem, 1 when there is any, 3 on a malformed setting (the message names it).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import typer

from avwap.cli.output import (
    EXIT_OK,
    EXIT_PROBLEM,
    JSON_OPTION,
    load_cli_config,
    print_json,
    print_table,
    run_guarded,
)

if TYPE_CHECKING:  # the control plane is imported by the command, not by every `avwap` start
    from avwap.control.preflight import PreflightReport

TODAY_OPTION = typer.Option(
    None, "--today", formats=["%Y-%m-%d"], help="Check as of this New York date (default: today in New York)."
)


def _print_report(report: PreflightReport) -> None:
    from avwap.control.preflight import report_data

    data = report_data(report)
    mode = data["mode"]
    typer.echo(f"Effective mode: {mode['effective']} (requested {mode['requested']})")
    for item in mode["reasons"]:
        typer.echo(f"  {item['code']}: {item['description']}")
    for alert in mode["alerts"]:
        typer.echo(f"  alert: {alert}")
    switch = data["kill_switch"]
    typer.echo(
        f"Kill switch: {'ACTIVE' if switch['active'] else 'off'} (env={switch['env']}, file={switch['file']})"
    )
    keys = data["live_keys"]
    token = "set" if keys["token_set"] else "unset"
    typer.echo(
        f"Live keys: LIVE_TRADING={int(keys['live_trading'])}, LIVE_CONFIRM_TOKEN {token}, "
        f"token file {keys['token_file']}, match={keys['token_matches']}, endpoint {keys['endpoint']}"
    )
    phase = data["phase_c"]
    failures = ", ".join(phase["failures"]) or "none"
    typer.echo(f"Phase C: enabled={phase['enabled']} applies={phase['applies']} failures: {failures}")
    print_table(
        "Gates (in evaluation order)",
        ("gate", "state", "detail"),
        _rows(data["gates"], ("gate", "state", "detail")),
    )
    print_table("Caps", ("variable", "value", "state"), _rows(data["caps"], ("variable", "value", "state")))
    print_table("Paths", ("name", "path"), sorted((name, str(path)) for name, path in data["paths"].items()))
    for title, items in (("Problems", report.problems), ("Notices", report.notices)):
        if items:
            print_table(title, ("code", "message"), [(item.code, item.message) for item in items])
    typer.echo(
        "OK: no problems"
        if report.ok
        else f"{len(report.problems)} problem(s): " + ", ".join(item.code for item in report.problems)
    )


def _rows(items: list[dict[str, Any]], keys: tuple[str, ...]) -> list[tuple[Any, ...]]:
    return [tuple(item[key] for key in keys) for item in items]


def register(app: typer.Typer) -> None:
    @app.command("config-check")
    def config_check(as_json: bool = JSON_OPTION, today: dt.datetime | None = TODAY_OPTION) -> None:
        """Offline preflight: effective mode, every gate and cap, Phase C, paths, problems (exit 1 if any)."""

        def body() -> int:
            from avwap.control.preflight import build_preflight, report_data
            from avwap.control.state_files import read_state_files
            from avwap.core.calendar import ny_date
            from avwap.core.clock import SystemClock
            from avwap.exits.rules import stop_rules
            from avwap.strategies.registry import enabled_strategies

            config = load_cli_config()
            # what `avwap execute` resolves at start-up: a bad STOP_* or ENABLED_STRATEGIES stops here too
            stop_rules(config)
            enabled_strategies(config)
            files = read_state_files(config.state_dir)
            today_ny = today.date() if today is not None else ny_date(SystemClock().now())
            report = build_preflight(config, files, today_ny)
            if as_json:
                print_json(report_data(report))
            else:
                _print_report(report)
            return EXIT_OK if report.ok else EXIT_PROBLEM

        raise typer.Exit(run_guarded(body))
