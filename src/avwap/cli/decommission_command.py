"""``avwap decommission``: stop new entries, watch positions close under their stops, then archive.

``stop-entries`` engages the kill switch file; ``status`` says what is still open and the next step (exit 0
when the deployment can be archived, 1 while something is open). See docs/RUNBOOK.md "Decommission".
"""

from __future__ import annotations

import typer

from avwap.cli.output import EXIT_OK, EXIT_PROBLEM, JSON_OPTION, load_cli_config, print_json, print_table


def register(app: typer.Typer) -> None:
    decommission = typer.Typer(
        name="decommission", help="Wind a deployment down safely.", no_args_is_help=True
    )
    app.add_typer(decommission, name="decommission")

    @decommission.command("stop-entries")
    def stop_entries_command(
        reason: str = typer.Option("decommission", "--reason", help="Kept in the kill switch file."),
    ) -> None:
        """Engage the kill switch file: no new entry from the next cycle on; exits and stops keep running."""
        from avwap.core.clock import SystemClock
        from avwap.jobs.decommission import stop_entries

        path = stop_entries(load_cli_config(), SystemClock(), reason)
        typer.echo(f"kill switch engaged: {path} (remove the file to resume entries)")
        typer.echo("keep avwap-execute.timer running so stops keep managing the open positions")

    @decommission.command("status")
    def status_command(as_json: bool = JSON_OPTION) -> None:
        """Kill switch, open positions, working orders, ledger verification, and the next step."""
        from avwap.jobs.decommission import status

        report = status(load_cli_config())
        if as_json:
            positions = [vars(item) for item in report.positions]  # dataclasses: plain dicts for JSON
            print_json(
                {**vars(report), "positions": positions, "next_step": report.next_step, "done": report.done}
            )
        else:
            typer.echo(f"kill switch: {'engaged' if report.kill_switch else 'OFF'}")
            typer.echo(f"ledgers: {'verify' if report.ledgers_ok else report.first_ledger_problem}")
            rows = [(p.book_id, p.symbol, p.strategy_id, p.quantity, p.stop_price) for p in report.positions]
            print_table("open positions", ("book", "symbol", "strategy", "quantity", "stop"), rows)
            typer.echo(f"working orders: {report.working_orders}")
            typer.echo(f"next: {report.next_step}")
        raise typer.Exit(EXIT_OK if report.done else EXIT_PROBLEM)
