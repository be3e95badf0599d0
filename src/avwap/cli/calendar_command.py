"""``avwap calendar``: NYSE sessions with open/close in New York time and UTC."""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer

from avwap.cli.output import EXIT_USAGE, JSON_OPTION, fail, print_json, print_table, run_guarded
from avwap.core.calendar import Session, nyse
from avwap.core.canonical import format_utc


def session_row(session: Session) -> dict[str, Any]:
    return {
        "date": session.date.isoformat(),
        "open_et": session.open_ny.isoformat(),
        "close_et": session.close_ny.isoformat(),
        "open_utc": format_utc(session.open),
        "close_utc": format_utc(session.close),
        "early_close": session.is_early_close,
        "minutes": session.minutes,
    }


FROM_OPTION = typer.Option(..., "--from", formats=["%Y-%m-%d"], help="First date (NY), YYYY-MM-DD.")
TO_OPTION = typer.Option(..., "--to", formats=["%Y-%m-%d"], help="Last date (NY), YYYY-MM-DD.")


def register(app: typer.Typer) -> None:
    @app.command("calendar")
    def calendar(
        date_from: dt.datetime = FROM_OPTION,
        date_to: dt.datetime = TO_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """List NYSE sessions between two dates (early closes and DST included)."""

        def body() -> None:
            calendar = nyse()
            start, end = date_from.date(), date_to.date()
            if end < start:
                fail(f"--from {start} is after --to {end}", EXIT_USAGE)
            sessions = calendar.session_records(start, end)
            rows = [session_row(session) for session in sessions]
            holidays = [day.isoformat() for day in calendar.holidays(start, end)]
            if as_json:
                print_json({"from": start, "to": end, "sessions": rows, "holidays": holidays})
                return
            columns = ("date", "open ET", "close ET", "open UTC", "close UTC", "early close")
            table = [
                (
                    row["date"],
                    row["open_et"][11:16],
                    row["close_et"][11:16],
                    row["open_utc"][11:16],
                    row["close_utc"][11:16],
                    "yes" if row["early_close"] else "",
                )
                for row in rows
            ]
            print_table(f"NYSE sessions {start}..{end} ({len(rows)})", columns, table)
            if holidays:
                typer.echo("Holidays (weekdays closed): " + ", ".join(holidays))

        run_guarded(body)
