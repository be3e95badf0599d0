"""``avwap doctor``: check a deployment and print what to fix (exit 0 all good, 1 any problem).

See :mod:`avwap.jobs.doctor` for the checks; docs/RUNBOOK.md "Doctor" for what to do about each.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from avwap.cli.output import EXIT_OK, EXIT_PROBLEM, JSON_OPTION, print_json, print_table

ENV_FILE_OPTION = typer.Option(
    Path("/etc/avwap/avwap.env"),
    "--env-file",
    help="The environment file holding secrets (checked for 0600).",
)


def register(app: typer.Typer) -> None:
    @app.command("doctor")
    def doctor_command(env_file: Path = ENV_FILE_OPTION, as_json: bool = JSON_OPTION) -> None:
        """Check config, permissions, ledgers, data freshness, numba cache, clock, disk; say what to fix."""
        from avwap.core.clock import SystemClock
        from avwap.jobs.doctor import PROBLEM, Probes, alpaca_broker_time, run_doctor

        checks = run_doctor(os.environ, SystemClock(), Probes(broker_time=alpaca_broker_time), env_file)
        problems = [check for check in checks if check.status == PROBLEM]
        if as_json:
            rows = [vars(check) for check in checks]
            print_json({"ok": not problems, "checks": rows})
        else:
            print_table(
                "avwap doctor", ("check", "status", "detail"), [(c.name, c.status, c.detail) for c in checks]
            )
            for check in problems:
                typer.echo(f"FIX {check.name}: {check.fix}")
            typer.echo("OK: no problems" if not problems else f"{len(problems)} problem(s)")
        raise typer.Exit(EXIT_PROBLEM if problems else EXIT_OK)
