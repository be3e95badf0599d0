"""S_401K_ALLOCATION end to end (issue 13): plan -> intents -> control plane -> Slack tickets for approved
intents only -> operator replies (a PARTIAL, a correction) -> fills -> snapshots -> strategy attribution.

Real slack_sdk against the fake Slack API on 127.0.0.1, the real reply handler and confirmation ledger, the
real snapshot job (closes from the bar store) and the real attribution; only the clock is fixed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from slack_sdk import WebClient
from tests.fakes.slack_server import FakeSlackServer
from tests.integration.allocation_files import CHANNEL, TARGETS

from avwap.analytics.attribution_artifact import attribution_from_home
from avwap.cli.tickets_command import send_tickets
from avwap.core.clock import FixedClock
from avwap.core.config import Config, load_config
from avwap.data.store import BarStore
from avwap.execution.manual_fills import book_confirmed_fills
from avwap.integrations.slack.reply_handler import ReplyHandler, web_client_answer
from avwap.jobs.portfolio import take_snapshot
from avwap.ledger import record_ids
from avwap.ledger.confirmations import ConfirmationLedger, ticket_finder
from avwap.ledger.paths import SCHWAB_401K_MANUAL
from avwap.ledger.record_enums import CashMovementKind, DecisionOutcome, Side
from avwap.ledger.records import AllocationTradeIntent, CashMovement, Decision, Fill, TicketSent
from avwap.ledger.router import Ledger

pytestmark = pytest.mark.integration
DAY_1, DAY_2 = dt.date(2026, 12, 15), dt.date(2026, 12, 16)
CLOCK_1 = FixedClock(dt.datetime(2026, 12, 15, 15, 0, tzinfo=dt.UTC))
CLOCK_2 = FixedClock(dt.datetime(2026, 12, 16, 15, 0, tzinfo=dt.UTC))
# An empty book of $10,000: buys FSPSX 50 ($2,500), FXAIX 30 ($6,000), FXNAX 150 ($1,500), in that order.
HOLDINGS = """
cash = "10000"
[prices]
FXAIX = "200"
FSPSX = "50"
FXNAX = "10"
"""
CLOSES = {DAY_1: {"FSPSX": 50.50, "FXAIX": 202.00}, DAY_2: {"FSPSX": 51.00, "FXAIX": 199.00}}


@pytest.fixture
def slack() -> Iterator[FakeSlackServer]:
    with FakeSlackServer(channels={"tickets": CHANNEL}) as running:
        yield running


def _config(home: Path, slack: FakeSlackServer, targets: Path, **caps: str) -> Config:
    environment = {
        "AVWAP_HOME": str(home),
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_BASE_URL": slack.base_url,
        "TICKETS_CHANNEL": CHANNEL,
        "ALLOCATION_401K_FILE": str(targets),
        "ALLOCATION_401K_DECISIONS": "1",
        # Caps of a 401(k) home: risk is the whole notional (no stop), so the risk caps are sized for it.
        "MAX_RISK_PER_TRADE": "10000",
        "MAX_RISK_PER_TRADE_PCT": "100",
        "MAX_NOTIONAL_PER_SYMBOL": "10000",
        "MAX_GROSS_EXPOSURE": "20000",
        "MAX_GROSS_EXPOSURE_PCT": "100",
        "MAX_POSITIONS": "5",
        "MAX_ORDERS_PER_DAY": "2",  # the third buy (FXNAX) is blocked
        **caps,
    }
    return load_config(environment)


def _files(tmp_path: Path) -> tuple[Path, Path]:
    targets, holdings = tmp_path / "targets.toml", tmp_path / "holdings.toml"
    targets.write_text(TARGETS, encoding="utf-8")
    holdings.write_text(HOLDINGS, encoding="utf-8")
    return targets, holdings


def _fund(config: Config) -> None:
    day = dt.date(2026, 12, 14)
    Ledger(config.ledger_dir).append(
        CashMovement(
            book_id=SCHWAB_401K_MANUAL,
            date_ny=day,
            ts=dt.datetime(2026, 12, 14, 21, 0, tzinfo=dt.UTC),
            movement_id=record_ids.cash_movement_id(
                book_id=SCHWAB_401K_MANUAL,
                date_ny=day,
                kind="DEPOSIT",
                amount=Decimal("10000"),
                reference="t",
            ),
            kind=CashMovementKind.DEPOSIT,
            amount=Decimal("10000"),
        )
    )


def _write_closes(config: Config) -> None:
    rows = [
        {"symbol": symbol, "timestamp": pd.Timestamp(day).tz_localize("America/New_York"), "open": close,
         "high": close, "low": close, "close": close, "volume": 1_000.0}
        for day, closes in CLOSES.items() for symbol, close in closes.items()
    ]  # fmt: skip
    BarStore(config.data_dir).write(pd.DataFrame(rows), "1d")


def _reply(
    config: Config, slack: FakeSlackServer, clock: FixedClock, ticket: TicketSent, text: str, *, n: int
) -> None:
    handler = ReplyHandler(
        ConfirmationLedger(config.ledger_dir, clock),
        book_id=SCHWAB_401K_MANUAL,
        channel=CHANNEL,
        find_intent=ticket_finder(config.ledger_dir, SCHWAB_401K_MANUAL),  # the seam over the book's ledger
        answer=web_client_answer(WebClient(token=slack.token, base_url=slack.base_url, retry_handlers=[])),
    )
    event = {"type": "message", "channel": CHANNEL, "user": "U0OPERATOR", "text": text,
             "ts": f"1765900000.{n:06d}", "thread_ts": ticket.message_ts}  # fmt: skip
    assert handler.handle({"event_id": f"Ev{n:04d}", "event": event}) == "RECORDED"


def _book(config: Config) -> list[object]:
    return list(Ledger(config.ledger_dir).read_book(SCHWAB_401K_MANUAL))


def test_plan_decide_ticket_confirm_and_attribute_to_the_cent(slack: FakeSlackServer, tmp_path: Path) -> None:
    targets, holdings = _files(tmp_path)
    config = _config(tmp_path / "home", slack, targets)
    _fund(config)

    rows = send_tickets(config, holdings, DAY_1, CLOCK_1, post=True)
    status = {row["symbol"]: (row["status"], row["quantity"], row["detail"]) for row in rows}
    assert status["FXNAX"] == ("BLOCKED", 150, "MAX_ENTRIES_PER_DAY_REACHED")
    assert status["FSPSX"][:2] == ("SENT", 50) and status["FXAIX"][:2] == ("SENT", 30)
    posted = [message for message in slack.messages if message.channel == CHANNEL]
    assert len(posted) == 2 and not any("FXNAX" in message.text for message in posted)

    records = _book(config)
    intents = [r for r in records if isinstance(r, AllocationTradeIntent)]
    decisions = {r.symbol: r for r in records if isinstance(r, Decision)}
    tickets = {r.symbol: r for r in records if isinstance(r, TicketSent)}
    assert {r.symbol for r in intents} == {"FSPSX", "FXAIX", "FXNAX"}
    assert decisions["FXNAX"].outcome == DecisionOutcome.REJECT
    assert decisions["FXNAX"].reason_codes == ("MAX_ENTRIES_PER_DAY_REACHED",)
    assert sorted(tickets) == ["FSPSX", "FXAIX"]  # no ticket for the blocked intent
    for symbol, ticket in tickets.items():  # one id links intent, decision and ticket
        assert decisions[symbol].outcome == DecisionOutcome.APPROVE
        assert ticket.intent_id == decisions[symbol].intent_id
    intent_index = records.index(next(r for r in intents if r.symbol == "FSPSX"))
    assert intent_index < records.index(decisions["FSPSX"]) < records.index(tickets["FSPSX"])

    again = send_tickets(config, holdings, DAY_1, CLOCK_1, post=True)  # idempotent: nothing new
    assert sorted(row["status"] for row in again) == ["ALREADY_SENT", "ALREADY_SENT", "BLOCKED"]
    assert len(_book(config)) == len(records) and len(slack.messages) == len(posted)

    # Day 1: FSPSX partly filled, FXAIX filled; both booked the same evening, then the snapshot.
    _reply(config, slack, CLOCK_1, tickets["FSPSX"], "PARTIAL 30 @ $50.10", n=1)
    _reply(config, slack, CLOCK_1, tickets["FXAIX"], "executed 30 @ 201.00", n=2)
    assert [
        (f.symbol, f.side, f.quantity, f.price)
        for f in book_confirmed_fills(config.ledger_dir, SCHWAB_401K_MANUAL, CLOCK_1)
    ] == [
        ("FSPSX", Side.BUY, 30, Decimal("50.10")),
        ("FXAIX", Side.BUY, 30, Decimal("201.00")),
    ]
    assert book_confirmed_fills(config.ledger_dir, SCHWAB_401K_MANUAL, CLOCK_1) == []  # booked once
    confirmations = ConfirmationLedger(config.ledger_dir, CLOCK_1).effective()
    assert {record.strategy_id for record in confirmations.values()} == {
        "S_401K_ALLOCATION"
    }  # from the ticket
    _write_closes(config)
    first = take_snapshot(config, SCHWAB_401K_MANUAL, DAY_1).snapshot
    assert first.equity == Decimal("10042.00")  # 2,467 cash + 30 x 50.50 + 30 x 202

    # Day 2: the operator corrects FXAIX's price; the booked fill is reversed and the correction booked.
    _reply(config, slack, CLOCK_2, tickets["FXAIX"], "EXECUTED 30 @ 200.50", n=3)
    rebooked = book_confirmed_fills(config.ledger_dir, SCHWAB_401K_MANUAL, CLOCK_2)
    assert [(f.side, f.quantity, f.price, f.date_ny) for f in rebooked] == [
        (Side.SELL, 30, Decimal("201.00"), DAY_2),
        (Side.BUY, 30, Decimal("200.50"), DAY_2),
    ]
    assert sum(isinstance(r, Fill) for r in _book(config)) == 4  # append-only: the first fill stays
    second = take_snapshot(config, SCHWAB_401K_MANUAL, DAY_2).snapshot
    assert second.equity == Decimal("9982.00")  # 2,482 cash + 30 x 51 + 30 x 199

    outcome = attribution_from_home(config.ledger_dir, config.artifacts_dir, SCHWAB_401K_MANUAL, DAY_1, DAY_2)
    report = outcome.report
    assert outcome.mismatched == ()  # every recomputed close equals the stored snapshot
    assert (report.start_equity, report.end_equity) == (Decimal("10000"), Decimal("9982.00"))
    (strategy,) = report.strategies
    assert strategy.name == "S_401K_ALLOCATION"
    assert strategy.pnl == report.portfolio.pnl == second.equity - Decimal("10000")
    assert strategy.end_gross_exposure == second.gross_exposure == Decimal("7500.00")
    assert sum(row.pnl for row in report.symbols) == report.portfolio.pnl
    blocked = [(b.strategy_id, b.reason_code) for b in report.blocked]
    assert blocked == [("S_401K_ALLOCATION", "MAX_ENTRIES_PER_DAY_REACHED")]


def test_with_the_flag_off_tickets_are_posted_as_planned_and_nothing_is_decided(
    slack: FakeSlackServer, tmp_path: Path
) -> None:
    targets, holdings = _files(tmp_path)
    config = _config(tmp_path / "home", slack, targets, ALLOCATION_401K_DECISIONS="0")
    rows = send_tickets(config, holdings, DAY_1, CLOCK_1, post=True)
    assert sorted((row["symbol"], row["status"], row["quantity"]) for row in rows) == [
        ("FSPSX", "SENT", 50), ("FXAIX", "SENT", 30), ("FXNAX", "SENT", 150)
    ]  # fmt: skip
    assert not any(isinstance(r, AllocationTradeIntent | Decision) for r in _book(config))


def test_a_dry_run_decides_but_records_and_posts_nothing(slack: FakeSlackServer, tmp_path: Path) -> None:
    targets, holdings = _files(tmp_path)
    config = _config(tmp_path / "home", slack, targets)
    rows = send_tickets(config, holdings, DAY_1, CLOCK_1, post=False)
    assert sorted((row["symbol"], row["status"]) for row in rows) == [
        ("FSPSX", "WOULD_POST"), ("FXAIX", "WOULD_POST"), ("FXNAX", "BLOCKED")
    ]  # fmt: skip
    assert _book(config) == [] and slack.requests_for("chat.postMessage") == ()
