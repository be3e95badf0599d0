"""Three-way reconciliation of a manual book (issue 13, M1-D): tickets, confirmations, broker truth. Pure.

Inputs are ledger records: the tickets we sent (``TicketSent``, M1-B), the operator's replies
(``ConfirmationRecorded``, M1-C; a correction supersedes what it corrects) and the broker's read-only
snapshots (``BrokerSnapshotRecorded``). The latest snapshot is the broker's truth; an API snapshot also
carries the orders of its window, a CSV export only positions. Each ticket dated ``since`` .. ``as_of``
gets one row and its findings; then the book-level findings. Codes (stable, docs/RUNBOOK.md):

==============================  =========  ==========================================================
``RECON_NO_SNAPSHOT``           WARNING    no snapshot of the book: broker truth unknown
``RECON_NOT_YET_VISIBLE``       INFO       the ticket is later than the snapshot: not judged against it
``RECON_UNCONFIRMED``           WARNING    a ticket with no reply (and no broker fill seen)
``RECON_SKIPPED``               INFO       the operator skipped the ticket
``RECON_OPERATOR_ERROR``        WARNING    the operator answered ERROR
``RECON_PARTIAL_FILL``          WARNING    fewer shares than the ticket asked (reply or broker)
``RECON_QUANTITY_MISMATCH``     WARNING    reply and ticket, or broker and reply, disagree on shares
``RECON_PRICE_MISMATCH``        WARNING    a fill outside the ticket's limit, or broker and reply prices
``RECON_MISSING_EXECUTION``     WARNING    the reply says filled; the broker's orders show no fill
``RECON_UNCONFIRMED_EXECUTION`` WARNING    the broker filled it; nobody replied
``RECON_UNKNOWN_ORDER``         WARNING    a broker fill that no ticket asked for
``RECON_POSITION_MISMATCH``     WARNING    a position moved by other than the confirmed shares
``RECON_UNEXPECTED_POSITION``   WARNING    a holding that no ticket and no target asked for
``RECON_UNMATCHED_REPLY``       INFO       a reply in a thread that is none of our tickets
==============================  =========  ==========================================================

Measurement only: nothing here places, changes or blocks an order; ``execution`` never imports it
(import-linter contract in pyproject.toml).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from avwap.core.calendar import ny_date
from avwap.ledger.record_enums import ConfirmationKind, ConfirmationMatch, OrderType, Side, SnapshotSource
from avwap.ledger.records import (
    BrokerSnapshotRecorded,
    ConfirmationRecorded,
    SnapshotOrder,
    TicketSent,
)

WARNING: Final = "WARNING"
INFO: Final = "INFO"
CODES: Final = {
    "RECON_NO_SNAPSHOT": WARNING,
    "RECON_NOT_YET_VISIBLE": INFO,
    "RECON_UNCONFIRMED": WARNING,
    "RECON_SKIPPED": INFO,
    "RECON_OPERATOR_ERROR": WARNING,
    "RECON_PARTIAL_FILL": WARNING,
    "RECON_QUANTITY_MISMATCH": WARNING,
    "RECON_PRICE_MISMATCH": WARNING,
    "RECON_MISSING_EXECUTION": WARNING,
    "RECON_UNCONFIRMED_EXECUTION": WARNING,
    "RECON_UNKNOWN_ORDER": WARNING,
    "RECON_POSITION_MISMATCH": WARNING,
    "RECON_UNEXPECTED_POSITION": WARNING,
    "RECON_UNMATCHED_REPLY": INFO,
}
FILLS: Final = (ConfirmationKind.EXECUTED, ConfirmationKind.PARTIAL)
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
PRICE_TOLERANCE: Final = Decimal("0.001")  # relative: 0.1 % between the broker's and the reply's price


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    symbol: str | None = None
    intent_id: str | None = None
    strategy_id: str | None = None


@dataclass(frozen=True)
class TicketRow:
    intent_id: str
    strategy_id: str
    date_ny: dt.date
    symbol: str
    side: str
    quantity: int
    limit_price: Decimal | None
    reply: str | None
    replied_quantity: int | None
    replied_price: Decimal | None
    broker_order_id: str | None
    broker_filled: Decimal | None
    broker_price: Decimal | None
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Reconciliation:
    book_id: str
    as_of: dt.date
    since: dt.date
    snapshot_id: str | None
    snapshot_as_of: dt.datetime | None
    snapshot_source: str | None
    baseline_snapshot_id: str | None
    rows: tuple[TicketRow, ...]
    findings: tuple[Finding, ...]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "DRIFT" if any(item.severity == WARNING for item in self.findings) else "CLEAN"


def _finding(code: str, message: str, ticket: TicketSent | None = None, symbol: str | None = None) -> Finding:
    return Finding(
        code,
        CODES[code],
        message,
        symbol=ticket.symbol if ticket else symbol,
        intent_id=ticket.intent_id if ticket else None,
        strategy_id=ticket.strategy_id if ticket else None,
    )


def effective_replies(confirmations: Iterable[ConfirmationRecorded]) -> dict[str, ConfirmationRecorded]:
    """The reply in force per intent: the last one that confirms something (corrections come later)."""
    latest: dict[str, ConfirmationRecorded] = {}
    for record in confirmations:
        if record.intent_id is not None and record.kind is not ConfirmationKind.NOT_UNDERSTOOD:
            latest[record.intent_id] = record
    return latest


def _side_of(order: SnapshotOrder) -> str:
    return str(Side.SELL) if order.instruction.upper().startswith("SELL") else str(Side.BUY)


def _match_order(ticket: TicketSent, orders: list[SnapshotOrder]) -> SnapshotOrder | None:
    """The unused filled broker order of the ticket's symbol and side entered on or after its date,
    closest in quantity (the earliest on a tie); removed from ``orders`` so no fill counts twice."""
    fitting = [
        order
        for order in orders
        if order.symbol == ticket.symbol
        and _side_of(order) == str(ticket.side)
        and order.filled_quantity > 0
        and (order.entered_at is None or ny_date(order.entered_at) >= ticket.date_ny)
    ]
    if not fitting:
        return None
    best = min(
        fitting,
        key=lambda order: (
            abs(order.filled_quantity - ticket.quantity),
            order.entered_at or _EPOCH,
            order.broker_order_id,
        ),
    )
    orders.remove(best)
    return best


def _snapshot_order(snapshot: BrokerSnapshotRecorded) -> tuple[dt.datetime, dt.datetime, str]:
    """Latest ``as_of`` first; on a tie the later recorded, then the id: never the input's order."""
    return snapshot.as_of, snapshot.ts, snapshot.snapshot_id


def _outside_limit(ticket: TicketSent, price: Decimal) -> bool:
    if ticket.order_type != OrderType.LIMIT or ticket.limit_price is None:
        return False
    return price > ticket.limit_price if ticket.side == Side.BUY else price < ticket.limit_price


def _prices_differ(first: Decimal, second: Decimal) -> bool:
    return abs(first - second) > max(Decimal("0.01"), PRICE_TOLERANCE * max(first, second))


def _reply_findings(ticket: TicketSent, reply: ConfirmationRecorded | None) -> list[Finding]:
    if reply is None:
        return []
    if reply.kind is ConfirmationKind.SKIPPED:
        return [_finding("RECON_SKIPPED", f"skipped: {reply.note or 'no reason given'}", ticket)]
    if reply.kind is ConfirmationKind.ERROR:
        return [_finding("RECON_OPERATOR_ERROR", f"the operator reported an error: {reply.note}", ticket)]
    found = []
    quantity, price = reply.quantity or 0, reply.price or Decimal(0)
    if quantity < ticket.quantity:
        found.append(
            _finding("RECON_PARTIAL_FILL", f"replied {quantity} of {ticket.quantity} shares", ticket)
        )
    if quantity > ticket.quantity:
        found.append(
            _finding(
                "RECON_QUANTITY_MISMATCH", f"replied {quantity} shares, ticket {ticket.quantity}", ticket
            )
        )
    if _outside_limit(ticket, price):
        found.append(_finding("RECON_PRICE_MISMATCH", f"replied {price}, limit {ticket.limit_price}", ticket))
    return found


def _broker_findings(
    ticket: TicketSent, reply: ConfirmationRecorded | None, order: SnapshotOrder | None
) -> list[Finding]:
    """Against the broker's orders (API snapshots only)."""
    replied_fill = reply is not None and reply.kind in FILLS
    if order is None:
        if replied_fill:
            return [_finding("RECON_MISSING_EXECUTION", "replied filled; no broker fill found", ticket)]
        return []
    filled = order.filled_quantity
    if reply is None:
        found = [_finding("RECON_UNCONFIRMED_EXECUTION", f"broker filled {filled}; no reply", ticket)]
        if filled < ticket.quantity:
            found.append(
                _finding("RECON_PARTIAL_FILL", f"broker filled {filled} of {ticket.quantity}", ticket)
            )
        return found
    replied = Decimal(reply.quantity or 0) if replied_fill else Decimal(0)
    found = []
    if filled != replied:
        message = f"broker filled {filled}, reply says {replied} ({reply.kind})"
        found.append(_finding("RECON_QUANTITY_MISMATCH", message, ticket))
    broker_price, replied_price = order.average_price, reply.price
    if (
        replied_fill
        and broker_price is not None
        and replied_price is not None
        and _prices_differ(broker_price, replied_price)
    ):
        message = f"broker price {broker_price}, reply {replied_price}"
        found.append(_finding("RECON_PRICE_MISMATCH", message, ticket))
    return found


def _signed(side: str, quantity: Decimal) -> Decimal:
    return -quantity if side == str(Side.SELL) else quantity


def _position_findings(
    tickets: Sequence[TicketSent],
    replies: dict[str, ConfirmationRecorded],
    baseline: BrokerSnapshotRecorded,
    latest: BrokerSnapshotRecorded,
) -> list[Finding]:
    """Each symbol's move between two snapshots against the shares confirmed for tickets between them."""
    before = {position.symbol: position.quantity for position in baseline.positions}
    after = {position.symbol: position.quantity for position in latest.positions}
    expected: dict[str, Decimal] = {}
    for ticket in tickets:
        reply = replies.get(ticket.intent_id)
        if (
            ny_date(baseline.as_of) <= ticket.date_ny <= ny_date(latest.as_of)
            and reply
            and reply.kind in FILLS
        ):
            moved = _signed(str(ticket.side), Decimal(reply.quantity or 0))
            expected[ticket.symbol] = expected.get(ticket.symbol, Decimal(0)) + moved
    found = []
    for symbol in sorted(set(before) | set(after) | set(expected)):
        moved = after.get(symbol, Decimal(0)) - before.get(symbol, Decimal(0))
        if moved != expected.get(symbol, Decimal(0)):
            message = (
                f"position moved {moved} between snapshots, confirmed {expected.get(symbol, Decimal(0))}"
            )
            found.append(_finding("RECON_POSITION_MISMATCH", message, symbol=symbol))
    return found


def reconcile(
    *,
    book_id: str,
    as_of: dt.date,
    since: dt.date,
    tickets: Sequence[TicketSent],
    confirmations: Sequence[ConfirmationRecorded],
    snapshots: Sequence[BrokerSnapshotRecorded],
    target_symbols: frozenset[str] = frozenset(),
) -> Reconciliation:
    """The book's reconciliation as of ``as_of`` over tickets dated ``since`` .. ``as_of``; see the module."""
    window = sorted(
        (ticket for ticket in tickets if since <= ticket.date_ny <= as_of),
        key=lambda ticket: (ticket.date_ny, ticket.intent_id),
    )
    replies = effective_replies(confirmations)
    visible = [snapshot for snapshot in snapshots if ny_date(snapshot.as_of) <= as_of]
    latest = max(visible, key=_snapshot_order) if visible else None
    findings: list[Finding] = []
    if latest is None:
        findings.append(_finding("RECON_NO_SNAPSHOT", f"no snapshot of {book_id} on or before {as_of}"))
    orders = list(latest.orders) if latest is not None else []
    rows = []
    for ticket in window:
        reply = replies.get(ticket.intent_id)
        mine = _reply_findings(ticket, reply)
        order = None
        if latest is not None and ticket.date_ny > ny_date(latest.as_of):
            mine.append(
                _finding("RECON_NOT_YET_VISIBLE", f"ticket after the snapshot ({latest.as_of})", ticket)
            )
        elif latest is not None and latest.source is SnapshotSource.API:  # a CSV export has no orders
            order = _match_order(ticket, orders)
            mine += _broker_findings(ticket, reply, order)
        if reply is None and order is None:
            mine.append(_finding("RECON_UNCONFIRMED", "no reply in the ticket's thread", ticket))
        findings += mine
        rows.append(_row(ticket, reply, order, mine))
    if latest is not None:
        findings += _book_findings(
            window=window,
            tickets=tickets,
            replies=replies,
            snapshots=snapshots,
            latest=latest,
            unused_orders=orders,
            target_symbols=target_symbols,
            since=since,
        )
    findings += [
        _finding("RECON_UNMATCHED_REPLY", f"reply in thread {record.thread_ts}: {record.text[:80]}")
        for record in confirmations
        if record.match is ConfirmationMatch.UNMATCHED_THREAD and since <= record.date_ny <= as_of
    ]
    counts = {code: sum(1 for item in findings if item.code == code) for code in CODES}
    baseline = _baseline(snapshots, window, latest)
    return Reconciliation(
        book_id=book_id,
        as_of=as_of,
        since=since,
        snapshot_id=latest.snapshot_id if latest else None,
        snapshot_as_of=latest.as_of if latest else None,
        snapshot_source=str(latest.source) if latest else None,
        baseline_snapshot_id=baseline.snapshot_id if baseline else None,
        rows=tuple(rows),
        findings=tuple(findings),
        counts={code: count for code, count in counts.items() if count},
    )


def _baseline(
    snapshots: Sequence[BrokerSnapshotRecorded],
    window: Sequence[TicketSent],
    latest: BrokerSnapshotRecorded | None,
) -> BrokerSnapshotRecorded | None:
    """The latest snapshot taken before the window's first ticket day (positions before any of them)."""
    if latest is None or not window:
        return None
    earlier = [snapshot for snapshot in snapshots if ny_date(snapshot.as_of) < window[0].date_ny]
    return max(earlier, key=_snapshot_order) if earlier else None


def _book_findings(
    *,
    window: Sequence[TicketSent],
    tickets: Sequence[TicketSent],
    replies: dict[str, ConfirmationRecorded],
    snapshots: Sequence[BrokerSnapshotRecorded],
    latest: BrokerSnapshotRecorded,
    unused_orders: Sequence[SnapshotOrder],
    target_symbols: frozenset[str],
    since: dt.date,
) -> list[Finding]:
    found = [
        _finding(
            "RECON_UNKNOWN_ORDER",
            f"broker order {order.broker_order_id}: {order.instruction} {order.filled_quantity} filled",
            symbol=order.symbol,
        )
        for order in unused_orders
        if order.filled_quantity > 0 and (order.entered_at is None or ny_date(order.entered_at) >= since)
    ]
    asked = target_symbols | {ticket.symbol for ticket in tickets}
    found += [
        _finding(
            "RECON_UNEXPECTED_POSITION",
            f"holds {position.quantity}: no ticket or target",
            symbol=position.symbol,
        )
        for position in latest.positions
        if position.symbol not in asked
    ]
    baseline = _baseline(snapshots, window, latest)
    if baseline is not None:
        found += _position_findings(tickets, replies, baseline, latest)
    return found


def _row(
    ticket: TicketSent, reply: ConfirmationRecorded | None, order: SnapshotOrder | None, found: list[Finding]
) -> TicketRow:
    return TicketRow(
        intent_id=ticket.intent_id,
        strategy_id=ticket.strategy_id,
        date_ny=ticket.date_ny,
        symbol=ticket.symbol,
        side=str(ticket.side),
        quantity=ticket.quantity,
        limit_price=ticket.limit_price,
        reply=str(reply.kind) if reply else None,
        replied_quantity=reply.quantity if reply else None,
        replied_price=reply.price if reply else None,
        broker_order_id=order.broker_order_id if order else None,
        broker_filled=order.filled_quantity if order else None,
        broker_price=order.average_price if order else None,
        codes=tuple(item.code for item in found),
    )
