"""``avwap tickets send|list``: Slack trade tickets of the manual Schwab 401(k) book (issue 13 M1-B).

``send`` plans today's ``S_401K_ALLOCATION`` intents from the targets file (``ALLOCATION_401K_FILE``) and
the operator's holdings file, then, per ticket, checks the ledger and Slack channel history. ``--dry-run``
(the default) posts and writes nothing; ``--post`` posts each new ticket once and records it, and only
when the environment says ``AVWAP_TICKETS_POST=1`` (a deliberate second key: a config file or a stray
flag alone never posts). ``list`` prints the book's ticket records. slack_sdk is imported only to post.

``--post`` also refuses while ``KILL_SWITCH`` is on.

Exit codes: 0 done; 1 a ticket failed to post, or the kill switch is on; 2 bad option; 3 configuration
(including the missing post flag); 4 data (holdings file, prices); 5 ledger integrity.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import typer

from avwap.cli.output import (
    EXIT_CONFIGURATION,
    EXIT_OK,
    EXIT_PROBLEM,
    JSON_OPTION,
    console,
    date_option,
    fail,
    load_cli_config,
    print_json,
    print_table,
    run_guarded,
)

if TYPE_CHECKING:
    from avwap.core.config import Config
    from avwap.integrations.schwab.ticket_adapter import TicketOutcome
    from avwap.integrations.schwab.tickets import Ticket

POST_FLAG: Final = "AVWAP_TICKETS_POST"
HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")
HOLDINGS_OPTION = typer.Option(..., "--holdings", help="TOML: cash, [positions] (shares), [prices].")
AS_OF_OPTION = typer.Option(None, "--as-of", help="NY trading date of the tickets (default: today).")
POST_OPTION = typer.Option(False, "--post/--dry-run", help="Post to Slack (needs AVWAP_TICKETS_POST=1).")
DATE_OPTION = typer.Option(None, "--date", help="Only this NY date (YYYY-MM-DD).")


def plan_tickets(config: Config, holdings_path: Path, as_of: dt.date) -> list[Ticket]:
    """Today's tickets: the allocation strategy's intents under their stable ids."""
    from avwap.core.calendar import nyse
    from avwap.integrations.schwab.holdings_file import load_holdings
    from avwap.integrations.schwab.tickets import ticket_from_intent
    from avwap.strategies.allocation_401k import allocation_intents
    from avwap.strategies.allocation_menu import load_allocation

    plan = load_allocation(config.allocation_401k_file)
    holdings, prices = load_holdings(holdings_path)
    previous = nyse().previous_session(as_of)
    return [ticket_from_intent(item) for item in allocation_intents(plan, holdings, prices, as_of, previous)]


def _outcome_row(outcome: TicketOutcome) -> dict[str, Any]:
    ticket = outcome.ticket
    record = outcome.record
    return {
        "intent_id": ticket.intent_id,
        "date_ny": ticket.date_ny,
        "symbol": ticket.symbol,
        "side": ticket.side,
        "quantity": ticket.quantity,
        "order_type": ticket.order_type,
        "limit_price": ticket.limit_price,
        "status": outcome.status,
        "detail": outcome.detail,
        "permalink": getattr(record, "permalink", None),
    }


def _send(holdings: Path, as_of: dt.date | None, *, post: bool, as_json: bool, home: Path | None) -> int:
    from avwap.core.calendar import ny_date
    from avwap.core.clock import SystemClock
    from avwap.execution.adapters import build_adapter
    from avwap.integrations.schwab.ticket_adapter import TicketAdapter, TicketStatus
    from avwap.ledger.paths import SCHWAB_401K_MANUAL

    if post and os.environ.get(POST_FLAG) != "1":
        fail(
            f"refusing to post: set {POST_FLAG}=1 in the environment to post tickets to Slack "
            "(or run with --dry-run to see them)",
            EXIT_CONFIGURATION,
        )
    config = load_cli_config(home=home)
    if post and config.kill_switch:  # the kill switch stops new orders, and a ticket asks for one
        fail(
            "refusing to post: KILL_SWITCH is on (new orders are stopped); --dry-run still works",
            EXIT_PROBLEM,
        )
    tickets = plan_tickets(config, holdings, as_of or ny_date(SystemClock().now()))
    adapter = build_adapter(SCHWAB_401K_MANUAL, config)
    assert isinstance(adapter, TicketAdapter)
    rows = [_outcome_row(outcome) for outcome in adapter.send(tickets, post=post)]
    if as_json:
        print_json({"post": post, "tickets": rows})
    else:
        columns = ("date", "symbol", "side", "qty", "type", "limit", "status", "detail", "intent_id")
        print_table(
            "401(k) tickets" + ("" if post else " (dry run)"),
            columns,
            [(r["date_ny"], r["symbol"], r["side"], r["quantity"], r["order_type"], r["limit_price"] or "",
              r["status"], r["detail"].splitlines()[0] if r["detail"] else "", r["intent_id"]) for r in rows],
        )  # fmt: skip
        if not rows:
            console.print("no rebalance due: no tickets")
    return EXIT_PROBLEM if any(r["status"] == TicketStatus.FAILED for r in rows) else EXIT_OK


def _list(day: dt.date | None, *, as_json: bool, home: Path | None) -> int:
    from avwap.ledger.paths import SCHWAB_401K_MANUAL
    from avwap.ledger.records import TicketFailed, TicketSent, encode_record
    from avwap.ledger.router import Ledger

    config = load_cli_config(home=home)
    records = [
        record
        for record in Ledger(config.ledger_dir).read_book(SCHWAB_401K_MANUAL)
        if isinstance(record, TicketSent | TicketFailed) and (day is None or record.date_ny == day)
    ]
    if as_json:
        print_json([encode_record(record) for record in records])
        return EXIT_OK
    rows = []
    for record in records:
        if isinstance(record, TicketSent):
            status = "SENT (recovered)" if record.recovered else "SENT"
            order = f"{record.side} {record.quantity} {record.order_type}"
            where = record.permalink or f"{record.channel} {record.message_ts}"
        else:
            status, order, where = f"FAILED {record.outcome}", "", record.detail
        rows.append((record.date_ny, record.symbol, order, status, where, record.intent_id))
    print_table("401(k) tickets", ("date", "symbol", "order", "status", "where", "intent_id"), rows)
    return EXIT_OK


def register(app: typer.Typer) -> None:
    tickets = typer.Typer(help="Slack trade tickets of the manual Schwab 401(k) book.", no_args_is_help=True)
    app.add_typer(tickets, name="tickets")

    @tickets.command("send")
    def send(
        holdings: Path = HOLDINGS_OPTION,
        as_of: str | None = AS_OF_OPTION,
        post: bool = POST_OPTION,
        as_json: bool = JSON_OPTION,
        home: Path | None = HOME_OPTION,
    ) -> None:
        """Plan today's S_401K_ALLOCATION tickets; post new ones once (--post, AVWAP_TICKETS_POST=1)."""
        day = date_option(as_of, "--as-of")
        raise typer.Exit(run_guarded(lambda: _send(holdings, day, post=post, as_json=as_json, home=home)))

    @tickets.command("list")
    def list_tickets(
        date: str | None = DATE_OPTION, as_json: bool = JSON_OPTION, home: Path | None = HOME_OPTION
    ) -> None:
        """The book's ticket records (SENT and FAILED), oldest first."""
        day = date_option(date, "--date")
        raise typer.Exit(run_guarded(lambda: _list(day, as_json=as_json, home=home)))
