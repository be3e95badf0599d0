"""``avwap decommission``: stop new entries, watch positions close under their stops, then archive.

``stop-entries`` engages the kill switch file; ``close-positions`` sends each open position's MARKET exit
through the execution plane (``--dry-run``, or DRY_RUN, lists them and sends nothing; refused while
``avwap execute`` runs); ``status`` says what is still open and the next step (exit 0 when the deployment
can be archived, 1 while something is open). See docs/RUNBOOK.md "Decommission".
"""

from __future__ import annotations

import dataclasses

import typer

from avwap.cli.output import (
    EXIT_OK,
    EXIT_PROBLEM,
    JSON_OPTION,
    book_option,
    load_cli_config,
    print_json,
    print_table,
    run_guarded,
)


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

    @decommission.command("close-positions")
    def close_positions_command(
        book: str | None = typer.Option(None, "--book", help="Book to close (default: EXECUTION_MODE's)."),
        reason: str = typer.Option("decommission", "--reason", help="Recorded in each exit's note."),
        dry_run: bool = typer.Option(False, "--dry-run", help="List the exits; record and send nothing."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Close every open position as a MARKET exit (note DECOMMISSION_CLOSE) through the execution plane;
        the next cycles record the fills. Refused while avwap execute runs."""
        from avwap.cli.execute_command import alpaca_factory
        from avwap.core.clock import SystemClock
        from avwap.execution.book import BOOK_FOR_MODE
        from avwap.jobs.decommission import close_open_positions

        def body() -> int:
            config = load_cli_config()
            book_id = book_option(config, book) if book else BOOK_FOR_MODE[config.execution_mode]
            outcome = close_open_positions(
                config,
                SystemClock(),
                alpaca_factory(config),  # type: ignore[arg-type]
                book_id=book_id,
                reason=reason,
                dry_run=dry_run,
            )
            if as_json:
                print_json(dataclasses.asdict(outcome))
                return EXIT_OK
            if not outcome.kill_switch:
                typer.echo("warning: the kill switch is OFF: run avwap decommission stop-entries first")
            rows = [(p.symbol, p.strategy_id, p.quantity, p.stop_price) for p in outcome.positions]
            print_table(
                f"open positions of {outcome.book_id}", ("symbol", "strategy", "quantity", "stop"), rows
            )
            if not outcome.sent:
                typer.echo(
                    f"{outcome.mode} / --dry-run: {len(rows)} MARKET exits would be sent; nothing sent"
                )
            else:
                typer.echo(f"{len(outcome.client_order_ids)} MARKET exits sent ({outcome.mode}):")
                for client_id in outcome.client_order_ids:
                    typer.echo(f"  {client_id}")
                typer.echo(
                    "next: keep avwap-execute.timer running to record the fills; avwap decommission status"
                )
            return EXIT_OK

        raise typer.Exit(run_guarded(body))

    @decommission.command("status")
    def status_command(as_json: bool = JSON_OPTION) -> None:
        """Kill switch, open positions, working orders, ledger verification, and the next step."""
        from avwap.jobs.decommission import status

        report = status(load_cli_config())
        if as_json:
            print_json({**dataclasses.asdict(report), "next_step": report.next_step, "done": report.done})
        else:
            typer.echo(f"kill switch: {'engaged' if report.kill_switch else 'OFF'}")
            typer.echo(f"ledgers: {'verify' if report.ledgers_ok else report.first_ledger_problem}")
            rows = [(p.book_id, p.symbol, p.strategy_id, p.quantity, p.stop_price) for p in report.positions]
            print_table("open positions", ("book", "symbol", "strategy", "quantity", "stop"), rows)
            typer.echo(f"working orders: {report.working_orders}")
            typer.echo(f"next: {report.next_step}")
        raise typer.Exit(EXIT_OK if report.done else EXIT_PROBLEM)
