"""Three-way reconciliation of the manual 401(k) book (issue 13, M1-D): tickets, replies, broker truth."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avwap.analytics.manual_reconcile import CODES, Reconciliation, reconcile
from avwap.analytics.manual_reconcile_report import summary_event, write_report
from avwap.integrations.slack.messages import AlertKind
from avwap.ledger.atomic import build_provenance
from avwap.ledger.record_enums import ConfirmationKind, ConfirmationMatch, OrderType, Side, SnapshotSource
from avwap.ledger.records import (
    BrokerSnapshotRecorded,
    ConfirmationRecorded,
    SnapshotOrder,
    SnapshotPosition,
    TicketSent,
)

BOOK = "SCHWAB_401K_MANUAL"
DAY = dt.date(2026, 12, 2)
TS = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)
STRATEGY = "S_401K_ALLOCATION"


def ticket(symbol: str = "FXAIX", quantity: int = 10, side: Side = Side.BUY, **changes: Any) -> TicketSent:
    fields: dict[str, Any] = {
        "book_id": BOOK,
        "date_ny": DAY,
        "ts": TS,
        "strategy_id": STRATEGY,
        "intent_id": f"int_{symbol.lower()}_{side.lower()}",
        "symbol": symbol,
        "side": side,
        "quantity": quantity,
        "order_type": OrderType.MARKET,
        "channel": "C0TICKETS",
        "message_ts": f"1700000000.{symbol}",
    }
    return TicketSent(**{**fields, **changes})


def reply(
    of: TicketSent,
    kind: ConfirmationKind,
    quantity: int | None = None,
    price: str | None = None,
    *,
    event: str = "Ev1",
    corrects: str | None = None,
    note: str = "",
) -> ConfirmationRecorded:
    return ConfirmationRecorded(
        book_id=BOOK,
        date_ny=of.date_ny,
        ts=TS + dt.timedelta(hours=1),
        strategy_id=of.strategy_id,
        confirmation_id=f"cnf_{event}",
        event_id=event,
        channel=of.channel,
        thread_ts=of.message_ts,
        message_ts="1700000100.000001",
        intent_id=of.intent_id,
        match=ConfirmationMatch.MATCHED,
        kind=kind,
        quantity=quantity,
        price=Decimal(price) if price else None,
        note=note,
        corrects=corrects,
    )


def order(
    symbol: str, filled: str, price: str, instruction: str = "BUY", entered: dt.date = DAY
) -> SnapshotOrder:
    moment = dt.datetime.combine(entered, dt.time(15, 30), tzinfo=dt.UTC)
    return SnapshotOrder(
        broker_order_id=f"9{symbol}{filled}",
        symbol=symbol,
        instruction=instruction,
        quantity=Decimal(filled),
        filled_quantity=Decimal(filled),
        average_price=Decimal(price),
        status="FILLED",
        entered_at=moment,
    )


def snapshot(
    positions: dict[str, str],
    *,
    orders: tuple[SnapshotOrder, ...] = (),
    day: dt.date = DAY,
    source: SnapshotSource = SnapshotSource.API,
    name: str = "a",
) -> BrokerSnapshotRecorded:
    as_of = dt.datetime.combine(day, dt.time(22, 0), tzinfo=dt.UTC)
    return BrokerSnapshotRecorded(
        book_id=BOOK,
        date_ny=day,
        ts=as_of,
        snapshot_id=f"snp_{name}",
        source=source,
        account="...123",
        as_of=as_of,
        cash=Decimal(100),
        positions=tuple(
            SnapshotPosition(symbol=s, quantity=Decimal(q)) for s, q in sorted(positions.items())
        ),
        orders=orders,
        source_sha256="f" * 64 if source is SnapshotSource.CSV else "",
    )


def run(tickets: list[TicketSent], replies: list[ConfirmationRecorded] = [],  # noqa: B006
        snapshots: list[BrokerSnapshotRecorded] = [], targets: frozenset[str] = frozenset({"FXAIX"}),  # noqa: B006
        as_of: dt.date = DAY) -> Reconciliation:  # fmt: skip
    return reconcile(book_id=BOOK, as_of=as_of, since=DAY - dt.timedelta(days=30), tickets=tickets,
                     confirmations=replies, snapshots=snapshots, target_symbols=targets)  # fmt: skip


def codes(report: Reconciliation) -> list[str]:
    return [item.code for item in report.findings]


def test_executed_as_asked_and_seen_at_the_broker_is_clean() -> None:
    sent = ticket()
    report = run([sent], [reply(sent, ConfirmationKind.EXECUTED, 10, "201.10")],
                 [snapshot({"FXAIX": "310"}, orders=(order("FXAIX", "10", "201.10"),))])  # fmt: skip
    assert codes(report) == [] and report.status == "CLEAN"
    [row] = report.rows
    assert (row.reply, row.broker_filled, row.broker_price, row.codes) == (
        "EXECUTED",
        Decimal(10),
        Decimal("201.10"),
        (),
    )


def test_no_snapshot_and_no_reply() -> None:
    report = run([ticket()])
    assert codes(report) == ["RECON_NO_SNAPSHOT", "RECON_UNCONFIRMED"] and report.status == "DRIFT"


@pytest.mark.parametrize(
    ("kind", "quantity", "price", "broker", "expected"),
    [
        (ConfirmationKind.PARTIAL, 6, "201.10", ("6", "201.10"), ["RECON_PARTIAL_FILL"]),
        (ConfirmationKind.EXECUTED, 10, "201.10", ("8", "201.10"), ["RECON_QUANTITY_MISMATCH"]),
        (ConfirmationKind.EXECUTED, 12, "201.10", ("12", "201.10"), ["RECON_QUANTITY_MISMATCH"]),
        (ConfirmationKind.EXECUTED, 10, "201.10", ("10", "205.00"), ["RECON_PRICE_MISMATCH"]),
        (ConfirmationKind.EXECUTED, 10, "201.10", ("10", "201.20"), []),  # within 0.1 %
        (ConfirmationKind.EXECUTED, 10, "201.10", None, ["RECON_MISSING_EXECUTION"]),
        (None, None, None, ("10", "201.10"), ["RECON_UNCONFIRMED_EXECUTION"]),
        (None, None, None, ("4", "201.10"), ["RECON_UNCONFIRMED_EXECUTION", "RECON_PARTIAL_FILL"]),
        (ConfirmationKind.SKIPPED, None, None, None, ["RECON_SKIPPED"]),
        (
            ConfirmationKind.SKIPPED,
            None,
            None,
            ("10", "201.10"),
            ["RECON_SKIPPED", "RECON_QUANTITY_MISMATCH"],
        ),
        (ConfirmationKind.ERROR, None, None, None, ["RECON_OPERATOR_ERROR"]),
    ],
)
def test_each_disagreement_has_its_code(
    kind: ConfirmationKind | None, quantity: int | None, price: str | None,
    broker: tuple[str, str] | None, expected: list[str],
) -> None:  # fmt: skip
    sent = ticket()
    replies = [reply(sent, kind, quantity, price)] if kind else []
    orders = (order("FXAIX", *broker),) if broker else ()
    report = run([sent], replies, [snapshot({"FXAIX": "310"}, orders=orders)])
    assert codes(report) == expected
    assert all(item.intent_id == sent.intent_id and item.strategy_id == STRATEGY for item in report.findings)


def test_a_fill_outside_the_tickets_limit_is_a_price_mismatch() -> None:
    sent = ticket(order_type=OrderType.LIMIT, limit_price=Decimal("200.00"))
    report = run([sent], [reply(sent, ConfirmationKind.EXECUTED, 10, "201.00")],
                 [snapshot({"FXAIX": "310"}, orders=(order("FXAIX", "10", "201.00"),))])  # fmt: skip
    assert codes(report) == ["RECON_PRICE_MISMATCH"]


def test_a_correction_supersedes_the_first_reply() -> None:
    sent = ticket()
    first = reply(sent, ConfirmationKind.EXECUTED, 5, "201.10", event="Ev1")
    fixed = reply(sent, ConfirmationKind.EXECUTED, 10, "201.10", event="Ev2", corrects=first.confirmation_id)
    not_understood = reply(sent, ConfirmationKind.NOT_UNDERSTOOD, event="Ev3")
    report = run([sent], [first, fixed, not_understood],
                 [snapshot({"FXAIX": "310"}, orders=(order("FXAIX", "10", "201.10"),))])  # fmt: skip
    assert codes(report) == []


def test_orders_and_positions_nobody_asked_for() -> None:
    report = run([], [], [snapshot({"FXAIX": "300", "GME": "5"}, orders=(order("VTI", "3", "250"),))])
    assert codes(report) == ["RECON_UNKNOWN_ORDER", "RECON_UNEXPECTED_POSITION"]
    assert [item.symbol for item in report.findings] == ["VTI", "GME"]


def test_a_broker_fill_counts_for_one_ticket_only() -> None:
    first, second = ticket(), ticket(intent_id="int_second", message_ts="1700000000.2")
    report = run([first, second], [], [snapshot({"FXAIX": "310"}, orders=(order("FXAIX", "10", "201.10"),))])
    assert codes(report) == ["RECON_UNCONFIRMED_EXECUTION", "RECON_UNCONFIRMED"]


def test_positions_move_by_the_confirmed_shares_between_csv_snapshots() -> None:
    before = snapshot({"FXAIX": "300", "FXNAX": "50"}, day=DAY - dt.timedelta(days=1),
                      source=SnapshotSource.CSV, name="before")  # fmt: skip
    buy, sell = ticket(), ticket("FXNAX", 20, Side.SELL)
    replies = [reply(buy, ConfirmationKind.EXECUTED, 10, "201.10", event="E1"),
               reply(sell, ConfirmationKind.EXECUTED, 20, "10.02", event="E2")]  # fmt: skip
    good = snapshot({"FXAIX": "310", "FXNAX": "30"}, source=SnapshotSource.CSV, name="good")
    assert codes(run([buy, sell], replies, [before, good], frozenset({"FXAIX", "FXNAX"}))) == []
    bad = snapshot({"FXAIX": "305", "FXNAX": "30"}, source=SnapshotSource.CSV, name="bad")
    report = run([buy, sell], replies, [before, bad], frozenset({"FXAIX", "FXNAX"}))
    assert codes(report) == ["RECON_POSITION_MISMATCH"]
    assert report.findings[0].symbol == "FXAIX" and report.baseline_snapshot_id == "snp_before"


def test_a_ticket_after_the_snapshot_is_not_judged_against_it() -> None:
    late = ticket(date_ny=DAY + dt.timedelta(days=1))
    report = run([late], [], [snapshot({"FXAIX": "300"})], as_of=DAY + dt.timedelta(days=1))
    assert codes(report) == ["RECON_NOT_YET_VISIBLE", "RECON_UNCONFIRMED"]


def test_a_reply_in_a_foreign_thread_is_reported() -> None:
    stray = ConfirmationRecorded(
        book_id=BOOK, date_ny=DAY, ts=TS, confirmation_id="cnf_x", event_id="EvX", channel="C0TICKETS",
        thread_ts="1.2", message_ts="1.3", match=ConfirmationMatch.UNMATCHED_THREAD,
        kind=ConfirmationKind.EXECUTED, quantity=1, price=Decimal(1), text="EXECUTED 1 @ 1",
    )  # fmt: skip
    report = run([], [stray], [snapshot({"FXAIX": "300"})])
    assert codes(report) == ["RECON_UNMATCHED_REPLY"] and report.status == "CLEAN"


def test_every_code_has_a_severity_and_is_documented() -> None:
    runbook = (Path(__file__).resolve().parents[3] / "docs" / "RUNBOOK.md").read_text(encoding="utf-8")
    assert set(CODES.values()) == {"WARNING", "INFO"}
    assert [code for code in CODES if code not in runbook] == []


def test_the_report_artifact_is_deterministic_and_the_summary_names_the_codes(tmp_path: Path) -> None:
    sent = ticket()
    inputs = ([sent], [reply(sent, ConfirmationKind.EXECUTED, 10, "201.10")],
              [snapshot({"FXAIX": "310"}, orders=(order("FXAIX", "8", "201.10"),))])  # fmt: skip
    provenance = build_provenance("c" * 64, "d" * 64, DAY, code_version="test")
    first_path, first_hash = write_report(tmp_path / "one", run(*inputs), provenance)
    second_path, second_hash = write_report(tmp_path / "two", run(*inputs), provenance)
    assert first_path.read_bytes() == second_path.read_bytes() and first_hash == second_hash
    assert first_path.relative_to(tmp_path / "one").as_posix() == f"manual_reconciliation/{BOOK}/{DAY}.json"
    payload = json.loads(first_path.read_text())
    assert payload["status"] == "DRIFT" and payload["counts"] == {"RECON_QUANTITY_MISMATCH": 1}
    assert payload["rows"][0]["strategy_id"] == STRATEGY
    event = summary_event(run(*inputs))
    assert event.kind is AlertKind.RECONCILIATION_DRIFT and event.reason_codes == ("RECON_QUANTITY_MISMATCH",)
    assert any("RECON_QUANTITY_MISMATCH" in line for line in event.details)
    assert summary_event(run([], [], [snapshot({"FXAIX": "300"})])).kind is AlertKind.DAILY_SUMMARY


SYMBOLS = ("FXAIX", "FXNAX", "VTI")


@st.composite
def scenarios(
    draw: st.DrawFn,
) -> tuple[list[TicketSent], list[ConfirmationRecorded], list[BrokerSnapshotRecorded]]:
    tickets = []
    for index in range(draw(st.integers(0, 4))):
        symbol, side = draw(st.sampled_from(SYMBOLS)), draw(st.sampled_from([Side.BUY, Side.SELL]))
        day = DAY - dt.timedelta(days=draw(st.integers(0, 3)))
        tickets.append(ticket(symbol, draw(st.integers(1, 50)), side, intent_id=f"int_{index}", date_ny=day,
                              message_ts=f"1700000000.{index}"))  # fmt: skip
    replies = []
    for number, sent in enumerate(tickets):
        kind = draw(st.sampled_from([None, *ConfirmationKind]))
        if kind in (ConfirmationKind.EXECUTED, ConfirmationKind.PARTIAL):
            replies.append(reply(sent, kind, draw(st.integers(1, 60)), "10.00", event=f"E{number}"))
        elif kind is not None:
            replies.append(reply(sent, kind, event=f"E{number}"))
    snapshots = []
    for number in range(draw(st.integers(0, 3))):
        holdings = {
            symbol: str(draw(st.integers(1, 500))) for symbol in draw(st.sets(st.sampled_from(SYMBOLS)))
        }
        ordered = draw(st.lists(st.sampled_from(SYMBOLS), max_size=3, unique=True))
        orders = tuple(order(symbol, str(draw(st.integers(1, 60))), "10.00") for symbol in ordered)
        day = DAY - dt.timedelta(days=draw(st.integers(0, 4)))
        source = draw(st.sampled_from(list(SnapshotSource)))
        snapshots.append(snapshot(holdings, orders=orders if source is SnapshotSource.API else (), day=day,
                                  source=source, name=f"s{number}"))  # fmt: skip
    return tickets, replies, snapshots


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_any_book_reconciles_the_same_whatever_the_input_order(
    scenario: tuple[list[TicketSent], list[ConfirmationRecorded], list[BrokerSnapshotRecorded]], shuffler: Any
) -> None:
    tickets, replies, snapshots = scenario
    report = run(tickets, replies, snapshots)
    assert {item.code for item in report.findings} <= set(CODES)
    assert all(item.severity == CODES[item.code] for item in report.findings)
    assert len(report.rows) == len(tickets)
    assert report.status == (
        "DRIFT" if any(CODES[item.code] == "WARNING" for item in report.findings) else "CLEAN"
    )
    shuffled_tickets, shuffled_snapshots = list(tickets), list(snapshots)
    shuffler.shuffle(shuffled_tickets)
    shuffler.shuffle(shuffled_snapshots)
    assert run(shuffled_tickets, replies, shuffled_snapshots) == report  # replies keep their ledger order
