"""``avwap watchlist check``: the freshness gate as a command (usable as a systemd ``ExecStartPre``).

Exit 0 only when today's New York date is an NYSE session and today's candidates artifact exists, parses and
is dated today; otherwise exit 1 and print the reason code (``WATCHLIST_STALE`` or ``WATCHLIST_NO_SESSION``).
The execution loop applies the same rule (:func:`avwap.watchlist.artifact.check_freshness`).
"""

from __future__ import annotations

from pathlib import Path

import typer

from avwap.cli.output import (
    EXIT_OK,
    EXIT_PROBLEM,
    JSON_OPTION,
    error_console,
    load_cli_config,
    print_json,
    run_guarded,
)

DATE_OPTION = typer.Option(
    None, "--date", help="New York date to check (YYYY-MM-DD; default: today from the system clock)."
)
HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")


def register(app: typer.Typer) -> None:
    watchlist_app = typer.Typer(
        name="watchlist", help="The scan's watchlist: freshness check.", no_args_is_help=True
    )
    app.add_typer(watchlist_app, name="watchlist")

    @watchlist_app.command("check")
    def check_command(
        date: str | None = DATE_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Exit 0 when today's candidates artifact is fresh; exit 1 with WATCHLIST_STALE or
        WATCHLIST_NO_SESSION otherwise."""
        from avwap.cli.scan_command import parse_day, today_ny
        from avwap.core.calendar import nyse
        from avwap.watchlist.artifact import candidates_path, check_freshness

        day = parse_day(date, "--date") if date is not None else today_ny()
        config = load_cli_config(home=home)
        is_session = run_guarded(lambda: nyse().is_session(day))
        freshness = check_freshness(config.artifacts_dir, day, is_session)
        record = {
            "date": day,
            "fresh": freshness.fresh,
            "reason": freshness.reason,
            "detail": freshness.detail,
            "artifact": candidates_path(config.artifacts_dir, day).as_posix(),
        }
        if as_json:
            print_json(record)
        elif freshness.fresh:
            typer.echo(f"OK watchlist for {day} is fresh: {freshness.detail}")
        else:
            error_console.print(f"{freshness.reason}: {freshness.detail}")
        raise typer.Exit(EXIT_OK if freshness.fresh else EXIT_PROBLEM)
