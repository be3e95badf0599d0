"""``avwap schwab snapshot|reconcile|adopt``: read-only broker truth of the manual 401(k) book (issue 13).

``login`` runs Schwab's OAuth login (a browser, a person) and writes the token file. ``snapshot`` records
one snapshot (balances, positions; orders and trades from the API) of
``SCHWAB_401K_MANUAL`` in the append-only ``BROKER_SNAPSHOTS`` stream: from ``--csv FILE`` (a positions
export downloaded from Schwab's website), or from the Schwab API when ``SCHWAB_API_SNAPSHOTS=1``
(read-only client; ``SCHWAB_APP_KEY``, ``SCHWAB_APP_SECRET`` and the token file ``SCHWAB_TOKEN_FILE``).
``reconcile`` compares the book's tickets, the operator's replies and the latest snapshot and writes
``artifacts/manual_reconciliation/<BOOK>/<date>.json``, prints the table and posts the summary to Slack
(when ``SLACK_BOT_TOKEN`` and ``SLACK_CHANNEL`` are set). Neither places, changes or blocks an order.

``adopt`` books the latest snapshot's positions and cash as the book's opening state (once: a book with
fills or positions is refused unless ``--force``; ``--dry-run`` shows the records and writes nothing).

Exit codes: 0 done (reconcile: clean); 1 reconcile found drift; 3 configuration (the API flag off, a
missing credential, an expired Schwab token: alert ``SCHWAB_TOKEN_EXPIRED``); 4 data (a malformed CSV,
named by line); 5 ledger integrity; 6 broker (Schwab unreachable, refused, or the token in use by another
process).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from avwap.cli.output import (
    EXIT_OK,
    EXIT_PROBLEM,
    JSON_OPTION,
    console,
    date_option,
    load_cli_config,
    print_json,
    print_table,
    run_guarded,
)

if TYPE_CHECKING:
    from avwap.core.config import Config
    from avwap.integrations.slack.notifier import Notifier

HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")
CSV_OPTION = typer.Option(None, "--csv", help="A positions export from Schwab's website (else: the API).")
AS_OF_OPTION = typer.Option(None, "--as-of", help="NY date of the reconciliation (default: today).")
SINCE_OPTION = typer.Option(None, "--since", help="First ticket date reconciled (default: 30 days back).")
SLACK_OPTION = typer.Option(True, "--slack/--no-slack", help="Post the summary to Slack when configured.")
CALLBACK_OPTION = typer.Option(
    "https://127.0.0.1:8182", "--callback-url", help="The callback URL registered with your Schwab app."
)
RECEIVED_OPTION = typer.Option(None, "--received-url", help="The address the browser landed on (else asked).")
SNAPSHOT_ID_OPTION = typer.Option(None, "--snapshot", help="The snapshot id to adopt (default: the latest).")
FORCE_OPTION = typer.Option(
    False, "--force", help="Book with fills or positions: book the difference to the snapshot (a true-up)."
)
DRY_RUN_OPTION = typer.Option(False, "--dry-run", help="Show what would be recorded; record nothing.")
LOOKBACK_DAYS = 30


def _notifier(config: Config, enabled: bool) -> Notifier:
    from avwap.core.clock import SystemClock
    from avwap.core.errors import ConfigurationError
    from avwap.integrations.slack.notifier import NullNotifier, build_notifier

    if not enabled:
        return NullNotifier()
    try:  # a Slack misconfiguration must not stop a measurement; config-check reports it
        return build_notifier(config, SystemClock())
    except ConfigurationError:
        return NullNotifier()


def _snapshot(csv_path: Path | None, *, as_json: bool, home: Path | None) -> int:
    from avwap.core.clock import SystemClock
    from avwap.jobs.schwab import snapshot_job
    from avwap.ledger.paths import SCHWAB_401K_MANUAL
    from avwap.ledger.records import encode_record

    config = load_cli_config(home=home)
    notifier = _notifier(config, True)
    try:
        outcome = snapshot_job(config, SystemClock(), notifier, SCHWAB_401K_MANUAL, csv_path)
    finally:
        notifier.close()
    record = outcome.record
    if as_json:
        print_json({"path": str(outcome.path), "snapshot": encode_record(record)})
        return EXIT_OK
    print_table(
        f"Schwab snapshot {record.snapshot_id} ({record.source}, account {record.account}, as of "
        f"{record.as_of.isoformat()})",
        ("symbol", "quantity", "price", "market value", "description"),
        [(p.symbol, p.quantity, p.price, p.market_value, p.description) for p in record.positions],
    )
    console.print(
        f"cash {record.cash if record.cash is not None else 'n/a'}, total "
        f"{record.total_value if record.total_value is not None else 'n/a'}; {len(record.orders)} orders, "
        f"{len(record.transactions)} trades in the window; recorded in {outcome.path}"
    )
    if outcome.token_expires_at is not None:
        console.print(f"Schwab refresh token expires at {outcome.token_expires_at.isoformat()}")
    return EXIT_OK


def _targets(config: Config) -> frozenset[str]:
    if config.allocation_401k_file is None:
        return frozenset()
    from avwap.strategies.allocation_menu import load_allocation

    return frozenset(load_allocation(config.allocation_401k_file).targets)


def _reconcile(
    as_of: dt.date | None, since: dt.date | None, *, slack: bool, as_json: bool, home: Path | None
) -> int:
    from avwap.analytics.manual_reconcile_report import ROW_COLUMNS, finding_lines, report_payload, table_rows
    from avwap.core.calendar import ny_date
    from avwap.core.clock import SystemClock
    from avwap.jobs.schwab import reconcile_job
    from avwap.ledger.paths import SCHWAB_401K_MANUAL

    config = load_cli_config(home=home)
    day = as_of or ny_date(SystemClock().now())
    first = since or day - dt.timedelta(days=LOOKBACK_DAYS)
    notifier = _notifier(config, slack)
    try:
        report, path, digest = reconcile_job(
            config,
            notifier,
            book_id=SCHWAB_401K_MANUAL,
            as_of=day,
            since=first,
            target_symbols=_targets(config),
        )
    finally:
        notifier.close()
    if as_json:
        payload: dict[str, Any] = {"path": str(path), "sha256": digest, "report": report_payload(report)}
        print_json(payload)
    else:
        print_table(
            f"{report.book_id} reconciliation {day} ({report.status})", ROW_COLUMNS, table_rows(report)
        )
        for line in finding_lines(report):
            console.print(line)
        console.print(f"report: {path}")
    return EXIT_PROBLEM if report.status == "DRIFT" else EXIT_OK


def _adopt(snapshot_id: str | None, *, force: bool, dry_run: bool, as_json: bool, home: Path | None) -> int:
    from avwap.core.clock import SystemClock
    from avwap.jobs.schwab_adopt import adopt_job
    from avwap.ledger.paths import SCHWAB_401K_MANUAL
    from avwap.ledger.records import encode_record

    config = load_cli_config(home=home)
    adoption = adopt_job(
        config.ledger_dir,
        SystemClock(),
        SCHWAB_401K_MANUAL,
        snapshot_id=snapshot_id,
        force=force,
        dry_run=dry_run,
    )
    snapshot = adoption.snapshot
    if as_json:
        print_json(
            {
                "snapshot_id": snapshot.snapshot_id,
                "recorded": adoption.recorded,
                "book_value": adoption.book_value,
                "broker_total": snapshot.total_value,
                "records": [encode_record(record) for record in adoption.records],
            }
        )
        return EXIT_OK
    verb = "recorded" if adoption.recorded else "would record"
    print_table(
        f"Adopt {snapshot.snapshot_id} ({snapshot.source}, as of {snapshot.as_of.isoformat()}): {verb}",
        ("record", "symbol", "side / kind", "quantity", "price / amount", "strategy"),
        [(type(r).__name__, r.symbol, r.side, r.quantity, r.price, r.strategy_id) for r in adoption.fills]
        + [(type(r).__name__, "", r.kind, "", r.amount, "") for r in adoption.movements],
    )
    total = snapshot.total_value if snapshot.total_value is not None else "n/a"
    console.print(f"book value at the snapshot's prices {adoption.book_value}; broker total {total}")
    if not adoption.records:
        console.print("nothing to record: the book already holds this snapshot")
    return EXIT_OK


def _login(callback_url: str, received_url: str | None, home: Path | None) -> int:
    from avwap.core.clock import SystemClock
    from avwap.core.errors import ConfigurationError
    from avwap.integrations.schwab.login import login
    from avwap.integrations.schwab.token_store import TokenFile

    config = load_cli_config(home=home)
    for variable, value in (
        ("SCHWAB_APP_KEY", config.schwab_app_key),
        ("SCHWAB_APP_SECRET", config.schwab_app_secret),
    ):
        if not value:
            raise ConfigurationError(variable, "required to log in to Schwab (environment only)")

    def ask(authorization_url: str) -> str:
        console.print(f"Open this address, log in and approve the app:\n{authorization_url}")
        if received_url is not None:
            return received_url
        return str(typer.prompt("Paste the address your browser was sent to"))

    token_file = TokenFile(config.schwab_token_path, SystemClock())
    expires = login(config.schwab_app_key, config.schwab_app_secret, token_file, callback_url, ask)
    console.print(
        f"token written to {token_file.path} (mode 0600); refresh token valid until {expires.isoformat()}"
    )
    return EXIT_OK


def register(app: typer.Typer) -> None:
    schwab = typer.Typer(help="Read-only Schwab snapshots and reconciliation (manual 401(k) book).")
    schwab.info.no_args_is_help = True
    app.add_typer(schwab, name="schwab")

    @schwab.command("snapshot")
    def snapshot(
        csv_path: Path | None = CSV_OPTION, as_json: bool = JSON_OPTION, home: Path | None = HOME_OPTION
    ) -> None:
        """Record one read-only snapshot of the 401(k) book (CSV export, or the API when enabled)."""
        raise typer.Exit(run_guarded(lambda: _snapshot(csv_path, as_json=as_json, home=home)))

    @schwab.command("login")
    def login_command(
        callback_url: str = CALLBACK_OPTION,
        received_url: str | None = RECEIVED_OPTION,
        home: Path | None = HOME_OPTION,
    ) -> None:
        """Log in to Schwab (browser) and write the token file (SCHWAB_TOKEN_FILE, mode 0600)."""
        raise typer.Exit(run_guarded(lambda: _login(callback_url, received_url, home)))

    @schwab.command("adopt")
    def adopt(
        snapshot_id: str | None = SNAPSHOT_ID_OPTION,
        force: bool = FORCE_OPTION,
        dry_run: bool = DRY_RUN_OPTION,
        as_json: bool = JSON_OPTION,
        home: Path | None = HOME_OPTION,
    ) -> None:
        """Book the latest snapshot's holdings and cash as the 401(k) book's opening state (once)."""
        raise typer.Exit(
            run_guarded(lambda: _adopt(snapshot_id, force=force, dry_run=dry_run, as_json=as_json, home=home))
        )

    @schwab.command("reconcile")
    def reconcile(
        as_of: str | None = AS_OF_OPTION,
        since: str | None = SINCE_OPTION,
        slack: bool = SLACK_OPTION,
        as_json: bool = JSON_OPTION,
        home: Path | None = HOME_OPTION,
    ) -> None:
        """Tickets vs replies vs the latest snapshot: artifact, table, Slack summary (exit 1: drift)."""
        day, first = date_option(as_of, "--as-of"), date_option(since, "--since")
        raise typer.Exit(run_guarded(lambda: _reconcile(day, first, slack=slack, as_json=as_json, home=home)))
