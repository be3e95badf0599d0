"""``avwap tickets send|list``: Slack trade tickets of the manual Schwab 401(k) book (issue 13 M1-B).

``send`` plans today's ``S_401K_ALLOCATION`` intents from the targets file (``ALLOCATION_401K_FILE``) and
the operator's holdings file, then, per ticket, checks the ledger and Slack channel history. ``--dry-run``
(the default) posts and writes nothing; ``--post`` posts each new ticket once and records it, and only
when the environment says ``AVWAP_TICKETS_POST=1`` (a deliberate second key: a config file or a stray
flag alone never posts). ``list`` prints the book's ticket records. slack_sdk is imported only to post.

``--post`` also refuses while ``KILL_SWITCH`` is on.

``fills`` books the confirmations in force (EXECUTED/PARTIAL, corrections superseding) as ``Fill``
records of the book (avwap.execution.manual_fills), so snapshots, sleeves and attribution see them.
With ``ALLOCATION_401K_DECISIONS=1``, ``send`` first records each intent and the control plane's decision
and tickets only the approved quantities; a blocked intent is listed with its reason codes, no ticket.

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
    from avwap.core.clock import Clock
    from avwap.core.config import Config
    from avwap.integrations.schwab.ticket_adapter import TicketOutcome
    from avwap.integrations.schwab.tickets import Ticket
    from avwap.strategies.allocation_401k import AllocationIntent

POST_FLAG: Final = "AVWAP_TICKETS_POST"
HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")
HOLDINGS_OPTION = typer.Option(..., "--holdings", help="TOML: cash, [positions] (shares), [prices].")
AS_OF_OPTION = typer.Option(None, "--as-of", help="NY trading date of the tickets (default: today).")
POST_OPTION = typer.Option(False, "--post/--dry-run", help="Post to Slack (needs AVWAP_TICKETS_POST=1).")
DATE_OPTION = typer.Option(None, "--date", help="Only this NY date (YYYY-MM-DD).")


def plan_intents(config: Config, holdings_path: Path, as_of: dt.date) -> list[AllocationIntent]:
    """Today's allocation intents from the targets file and the operator's holdings file."""
    from avwap.core.calendar import nyse
    from avwap.integrations.schwab.holdings_file import load_holdings
    from avwap.strategies.allocation_401k import allocation_intents
    from avwap.strategies.allocation_menu import load_allocation

    plan = load_allocation(config.allocation_401k_file)
    holdings, prices = load_holdings(holdings_path)
    previous = nyse().previous_session(as_of)
    return list(allocation_intents(plan, holdings, prices, as_of, previous))


def plan_tickets(config: Config, holdings_path: Path, as_of: dt.date) -> list[Ticket]:
    """Today's tickets: the allocation strategy's intents under their stable ids."""
    from avwap.integrations.schwab.tickets import ticket_from_intent

    return [ticket_from_intent(item) for item in plan_intents(config, holdings_path, as_of)]


def decided_tickets(
    config: Config, holdings_path: Path, as_of: dt.date, clock: Clock, *, record: bool
) -> tuple[list[Ticket], list[dict[str, Any]]]:
    """ALLOCATION_401K_DECISIONS=1: the control plane decides each intent
    (avwap.integrations.schwab.allocation_decisions); with ``record`` the new intents and decisions are
    appended to the book's ledger before any ticket is posted.
    Returns the tickets of the approved quantities and a row per blocked intent (no ticket)."""
    import hashlib

    from avwap.control.state_files import kill_switch_file_present
    from avwap.core.calendar import nyse
    from avwap.integrations.schwab.allocation_decisions import AllocationFacts, decide_allocation
    from avwap.integrations.schwab.holdings_file import load_holdings
    from avwap.integrations.schwab.tickets import ticket_from_intent
    from avwap.ledger.paths import SCHWAB_401K_MANUAL
    from avwap.ledger.router import Ledger

    plans = plan_intents(config, holdings_path, as_of)
    holdings, prices = load_holdings(holdings_path)
    ledger = Ledger(config.ledger_dir)
    now = clock.now()
    facts = AllocationFacts(
        config=config,
        holdings=holdings,
        prices=prices,
        now=now,
        today=as_of,
        kill_switch=config.kill_switch or kill_switch_file_present(config.state_dir),
        calendar=nyse(),
        data_version=hashlib.sha256(holdings_path.read_bytes()).hexdigest(),
    )
    verdicts = decide_allocation(plans, facts, ledger.read_book(SCHWAB_401K_MANUAL))
    if record:
        for verdict in verdicts:
            if not verdict.recorded:
                ledger.append_together([verdict.intent, verdict.decision])
    tickets = [ticket_from_intent(v.plan, v.approved_quantity) for v in verdicts if v.approved_quantity > 0]
    blocked = [
        {
            "intent_id": v.intent.intent_id, "date_ny": as_of, "symbol": v.plan.symbol, "side": v.plan.side,
            "quantity": v.plan.quantity, "order_type": v.plan.order_type, "limit_price": v.plan.limit_price,
            "status": "BLOCKED", "detail": " ".join(v.decision.reason_codes), "permalink": None,
        }
        for v in verdicts
        if v.approved_quantity == 0
    ]  # fmt: skip
    return tickets, blocked


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


def send_tickets(
    config: Config, holdings: Path, as_of: dt.date, clock: Clock, *, post: bool
) -> list[dict[str, Any]]:
    """Plan (and, with ALLOCATION_401K_DECISIONS=1, decide) today's tickets and send them; a row each."""
    from avwap.execution.adapters import build_adapter
    from avwap.integrations.schwab.ticket_adapter import TicketAdapter
    from avwap.ledger.paths import SCHWAB_401K_MANUAL

    blocked: list[dict[str, Any]] = []
    if config.allocation_401k_decisions:
        tickets, blocked = decided_tickets(config, holdings, as_of, clock, record=post)
    else:
        tickets = plan_tickets(config, holdings, as_of)
    adapter = build_adapter(SCHWAB_401K_MANUAL, config)
    assert isinstance(adapter, TicketAdapter)
    adapter.clock = clock  # the records it writes are stamped by the same clock as the decisions
    return [*blocked, *(_outcome_row(outcome) for outcome in adapter.send(tickets, post=post))]


def _send(holdings: Path, as_of: dt.date | None, *, post: bool, as_json: bool, home: Path | None) -> int:
    from avwap.core.calendar import ny_date
    from avwap.core.clock import SystemClock
    from avwap.integrations.schwab.ticket_adapter import TicketStatus

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
    clock = SystemClock()
    rows = send_tickets(config, holdings, as_of or ny_date(clock.now()), clock, post=post)
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


def _fills(*, as_json: bool, home: Path | None) -> int:
    from avwap.core.clock import SystemClock
    from avwap.execution.manual_fills import book_confirmed_fills
    from avwap.ledger.paths import SCHWAB_401K_MANUAL
    from avwap.ledger.records import encode_record

    config = load_cli_config(home=home)
    fills = book_confirmed_fills(config.ledger_dir, SCHWAB_401K_MANUAL, SystemClock())
    if as_json:
        print_json([encode_record(fill) for fill in fills])
        return EXIT_OK
    rows = [(f.date_ny, f.symbol, f.side, f.quantity, f.price, f.broker_fill_id, f.fill_id) for f in fills]
    print_table(
        "401(k) fills booked", ("date", "symbol", "side", "qty", "price", "confirmation", "fill_id"), rows
    )
    if not rows:
        console.print("nothing new to book")
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

    @tickets.command("fills")
    def fills(as_json: bool = JSON_OPTION, home: Path | None = HOME_OPTION) -> None:
        """Book the fills of confirmed tickets (corrections reverse and rebook); run before the snapshot."""
        raise typer.Exit(run_guarded(lambda: _fills(as_json=as_json, home=home)))

    @tickets.command("list")
    def list_tickets(
        date: str | None = DATE_OPTION, as_json: bool = JSON_OPTION, home: Path | None = HOME_OPTION
    ) -> None:
        """The book's ticket records (SENT and FAILED), oldest first."""
        day = date_option(date, "--date")
        raise typer.Exit(run_guarded(lambda: _list(day, as_json=as_json, home=home)))
