"""``avwap portfolio``: daily snapshot, show, broker reconciliation and pre-open decisions of a book.

Artifacts (``<home>/artifacts``): ``snapshots/<BOOK>/<D>.json``, ``reconciliation/<BOOK>/<D>.json``,
``portfolio_decisions/<BOOK>/<D>.json`` and ``portfolio_decisions/<BOOK>/latest.json``; the decisions ledger
stream is ``<home>/ledger/PORTFOLIO_DECISIONS/<D>.jsonl``. ``--book`` defaults to the book of the configured
execution mode. See docs/PORTFOLIO.md.

Exit codes: 0 done (reconcile: complete, no drift; decide: inputs usable); 1 reconcile found drift, or decide
blocked everything because its inputs are unusable; 3 configuration; 4 data (no snapshot, not a session,
unreadable file); 5 ledger integrity; 6 reconcile could not read the broker (report written, INCOMPLETE).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from avwap.cli.output import (
    EXIT_BROKER,
    EXIT_OK,
    EXIT_PROBLEM,
    JSON_OPTION,
    book_option,
    console,
    date_option,
    error_console,
    load_cli_config,
    print_json,
    print_table,
    run_guarded,
)

if TYPE_CHECKING:
    from avwap.core.clock import Clock
    from avwap.core.config import Config

DATE_OPTION = typer.Option(None, "--date", help="New York date YYYY-MM-DD (default: see the command).")
BOOK_OPTION = typer.Option(None, "--book", help="Book id (default: the book of EXECUTION_MODE).")
HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")


def system_clock() -> Clock:
    """The wall clock; tests replace this function to pin time."""
    from avwap.core.clock import SystemClock

    return SystemClock()


def last_closed_session(clock: Clock) -> dt.date:
    """Today when today's session has closed, else the session before (the last close there is)."""
    from avwap.core.calendar import ny_date, nyse

    now = clock.now()
    calendar = nyse()
    today = ny_date(now)
    if calendar.is_session(today) and now >= calendar.session_close(today):
        return today
    return calendar.previous_session(today)


def _snapshot(config: Config, book_id: str, day: dt.date, as_json: bool) -> None:
    from avwap.core.errors import ConfigurationError
    from avwap.integrations.slack.notifier import NullNotifier, build_notifier
    from avwap.jobs.audit import seal_evening
    from avwap.jobs.portfolio import take_snapshot

    try:  # only the attribution's failure alert uses it: a Slack misconfiguration must not stop a snapshot
        notifier = build_notifier(config, system_clock())
    except ConfigurationError:
        notifier = NullNotifier()
    try:
        outcome = take_snapshot(config, book_id, day, notifier)
        # The evening's audit seal rides on the snapshot job when AVWAP_AUDIT_KEY_FILE is set (a key that is
        # set but unusable fails the command: a seal silently skipped would look like a sealed day).
        seal = seal_evening(config, day, system_clock(), notifier, required=False)
    finally:
        notifier.close()
    if as_json:
        print_json(
            {
                "path": str(outcome.path),
                "sha256": outcome.sha256,
                "snapshot": outcome.snapshot,
                "unmarked": outcome.unmarked,
                "attribution": str(outcome.attribution) if outcome.attribution else None,
                "audit_root": seal["root"] if seal else None,
            }
        )
        return
    snapshot = outcome.snapshot
    console.print(
        f"snapshot {book_id} {day}: equity {snapshot.equity}, {snapshot.open_positions} position(s) "
        f"-> {outcome.path}"
    )
    if seal is not None:
        console.print(f"audit seal {day}: {len(seal['entries'])} ledger files, root {seal['root']}")
    if outcome.attribution is None:
        error_console.print("[yellow]warning:[/] the day's strategy attribution failed (see the log above)")
    if outcome.unmarked:
        console.print(
            f"[yellow]no close on {day} for {', '.join(outcome.unmarked)}: valued at average price[/]"
        )


def _show(config: Config, book_id: str, day: dt.date | None, as_json: bool) -> None:
    from avwap.analytics.portfolio_snapshots import read_snapshot, snapshot_dates, snapshot_path
    from avwap.core.errors import DataError

    if day is None:
        dates = snapshot_dates(config.artifacts_dir, book_id)
        if not dates:
            raise DataError(
                f"no snapshots of {book_id} under {config.artifacts_dir / 'snapshots'}; "
                "run `avwap portfolio snapshot`"
            )
        day = dates[-1]
    path = snapshot_path(config.artifacts_dir, book_id, day)
    if not path.exists():
        raise DataError(f"no snapshot of {book_id} for {day} ({path})")
    snapshot = read_snapshot(path)
    if as_json:
        print_json(snapshot)
        return
    title = (
        f"{book_id} {day}: equity {snapshot.equity}  cash {snapshot.cash}  gross {snapshot.gross_exposure}  "
        f"drawdown {snapshot.drawdown}  daily return {snapshot.daily_return}"
    )
    columns = ("symbol", "strategy", "qty", "avg price", "mark", "value", "unrealized", "stop", "weight")
    rows = [
        (
            line.symbol,
            line.strategy_id,
            line.quantity,
            line.average_price,
            line.mark,
            line.market_value,
            line.unrealized_pnl,
            line.stop_price or "-",
            line.weight,
        )
        for line in snapshot.positions
    ]
    print_table(title, columns, rows)


def _alert(config: Config, clock: Clock, report: Any, table: str) -> None:
    """Drift or an incomplete report goes to Slack (nothing when Slack is off; a Slack misconfiguration is
    a warning, so the exit code still says drift/incomplete)."""
    from avwap.core.errors import ConfigurationError
    from avwap.integrations.slack.notifier import build_notifier
    from avwap.jobs.portfolio import reconciliation_alert

    event = reconciliation_alert(report, table)
    if event is None:
        return
    try:
        notifier = build_notifier(config, clock)
    except ConfigurationError as error:  # a Slack misconfiguration must not hide the drift exit code
        error_console.print(f"[yellow]warning:[/] no Slack alert: {error}")
        return
    try:
        notifier.notify(event)
    finally:
        notifier.close()


def _reconcile(config: Config, book_id: str, day: dt.date, as_json: bool) -> int:
    from avwap.execution.reconcile_render import render_table
    from avwap.jobs import portfolio as portfolio_jobs

    clock = system_clock()
    outcome = portfolio_jobs.reconcile_book(config, book_id, day, clock, view_factory)
    report = outcome.report
    table = render_table(report)
    if as_json:
        print_json({"path": str(outcome.path), "sha256": outcome.sha256, "report": report})
    else:
        console.print(table, markup=False, highlight=False, end="")
        console.print(f"report: {outcome.path}")
    _alert(config, clock, report, table)
    if not report.complete:
        return EXIT_BROKER
    return EXIT_PROBLEM if report.items else EXIT_OK


def view_factory(config: Config, book_id: str) -> Any:
    """The broker view of the book (tests replace this function with a fake view)."""
    from avwap.jobs.portfolio import broker_view_for

    return broker_view_for(config, book_id)


def _attribution_notifier(config: Config, clock: Clock) -> Any:
    """Slack for the E3 risk attribution summary (E3_RISK_ATTRIBUTION_SLACK_SUMMARY=1 only); a Slack
    misconfiguration must not stop the decisions, so it means no message."""
    if not config.e3_risk_attribution_slack_summary:
        return None
    from avwap.core.errors import ConfigurationError
    from avwap.integrations.slack.notifier import build_notifier

    try:
        return build_notifier(config, clock)
    except ConfigurationError:
        return None


def _decide(config: Config, book_id: str, day: dt.date, as_json: bool) -> int:
    from avwap.jobs.portfolio_decide import build_batch, write_batch

    clock = system_clock()
    batch = build_batch(config, book_id, day, clock)
    notifier = _attribution_notifier(config, clock)
    try:
        path, digest = write_batch(config, batch, clock, notifier=notifier)
    finally:
        if notifier is not None:
            notifier.close()
    if as_json:
        print_json({"path": str(path), "sha256": digest, "batch": batch.plain()})
    else:
        status = "inputs ok" if batch.inputs_ok else f"ALL BLOCKED ({', '.join(batch.input_reasons)})"
        title = (
            f"Portfolio decisions {book_id} {day}: {batch.allowed} allowed, {batch.blocked} blocked; {status}"
        )
        rows = [
            (
                item.strategy_id,
                item.rank,
                item.symbol,
                item.verdict,
                ", ".join(item.reason_codes) or "-",
                item.sector,
                item.proposed_notional,
                "-" if item.max_correlation is None else item.max_correlation,
            )
            for item in batch.decisions
        ]
        print_table(
            title,
            ("strategy", "rank", "symbol", "verdict", "reasons", "sector", "notional", "max corr"),
            rows,
        )
        console.print(f"artifact: {path}")
    return EXIT_OK if batch.inputs_ok else EXIT_PROBLEM


def register(app: typer.Typer) -> None:
    portfolio = typer.Typer(
        help="Daily snapshots, broker reconciliation and pre-open portfolio decisions.", no_args_is_help=True
    )
    app.add_typer(portfolio, name="portfolio")

    @portfolio.command("snapshot")
    def snapshot_command(
        date: str | None = DATE_OPTION,
        book: str | None = BOOK_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Snapshot the book at a close (default: the last closed session): ledger fold + the day's closes."""
        config = run_guarded(lambda: load_cli_config(home=home))
        day = date_option(date, "--date")
        run_guarded(
            lambda: _snapshot(
                config, book_option(config, book), day or last_closed_session(system_clock()), as_json
            )
        )

    @portfolio.command("show")
    def show_command(
        date: str | None = DATE_OPTION,
        book: str | None = BOOK_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Show a snapshot (default: the latest) as a table, or ``--json``."""
        config = run_guarded(lambda: load_cli_config(home=home))
        day = date_option(date, "--date")
        run_guarded(lambda: _show(config, book_option(config, book), day, as_json))

    @portfolio.command("reconcile")
    def reconcile_command(
        date: str | None = DATE_OPTION,
        book: str | None = BOOK_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Reconcile ledger and broker (read-only); exit 1 on drift, 6 when the broker is unreadable."""
        config = run_guarded(lambda: load_cli_config(home=home))
        day = date_option(date, "--date")
        code = run_guarded(
            lambda: _reconcile(
                config, book_option(config, book), day or last_closed_session(system_clock()), as_json
            )
        )
        raise typer.Exit(code)

    @portfolio.command("decide")
    def decide_command(
        date: str = typer.Option(..., "--date", help="Trading date YYYY-MM-DD to decide (before its open)."),
        book: str | None = BOOK_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """ALLOW/BLOCK each candidate of the date (S1 and its shadow); exit 1 if inputs block everything."""
        config = run_guarded(lambda: load_cli_config(home=home))
        day = date_option(date, "--date")
        assert day is not None
        code = run_guarded(lambda: _decide(config, book_option(config, book), day, as_json))
        raise typer.Exit(code)
