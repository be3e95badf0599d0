"""The two sides of a reconciliation, in the canonical schema of :mod:`avwap.execution.reconcile_schema`.

* :func:`expectation_from_book`: the ledger's side, from the folded
  :class:`~avwap.ledger.projection.BookState` (positions, working orders incl. protective stops, cash) and
  the book's ``Fill`` records (the fill window). Pure.
* :func:`snapshot_from_broker`: the broker's side from the broker protocol's records. Pure.
* :func:`capture_snapshot`: reads a :class:`~avwap.execution.broker_view.BrokerView`; a broker error or
  timeout becomes a :class:`SnapshotFailure` (the report is then marked incomplete), never an exception.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from avwap.core.clock import Clock
from avwap.core.errors import BrokerError, BrokerRejectedError, BrokerUnavailableError
from avwap.execution.broker import (
    BrokerAccount,
    BrokerFill,
    BrokerOrder,
    BrokerPosition,
    OrderSide,
    OrderType,
)
from avwap.execution.broker_view import BrokerView
from avwap.execution.reconcile_schema import (
    BrokerSnapshot,
    ExpectedFill,
    ExpectedOrder,
    ExpectedPosition,
    IncompleteCode,
    LedgerExpectation,
    SnapshotAccount,
    SnapshotFailure,
    SnapshotFill,
    SnapshotOrder,
    SnapshotPosition,
)
from avwap.ledger.projection import BookState
from avwap.ledger.projection_state import PositionState, average_price
from avwap.ledger.records import Fill, Record

FAILURE_REASON_LIMIT = 500


def expected_position(lots: tuple[PositionState, ...]) -> ExpectedPosition:
    """The broker-level position of one symbol: the sum of its lots (one lot: that lot as it is), at the
    average price of their combined basis; ``position_id`` names every lot."""
    if len(lots) == 1:
        lot = lots[0]
        return ExpectedPosition(
            symbol=lot.symbol,
            position_id=lot.position_id,
            quantity=lot.quantity,
            average_price=lot.average_price,
        )
    quantity = sum(lot.quantity for lot in lots)
    basis = sum((lot.cost_basis for lot in lots), Decimal("0"))
    return ExpectedPosition(
        symbol=lots[0].symbol,
        position_id="+".join(lot.position_id for lot in lots),
        quantity=quantity,
        average_price=average_price(basis, quantity) if quantity else Decimal("0"),
    )


def expectation_from_book(
    state: BookState,
    records: Iterable[Record],
    *,
    date_ny: dt.date,
    fills_since: dt.datetime | None,
    compare_cash: bool | None = None,
) -> LedgerExpectation:
    """The ledger's side of ``state.book_id`` on ``date_ny``.

    ``records`` are the book's records (only ``Fill`` records at or after ``fills_since`` are kept; pass
    the same window as the broker snapshot's). Working orders are those that can still work on
    ``date_ny`` (DAY orders of earlier dates have expired). ``compare_cash`` defaults to "the ledger
    recorded at least one cash movement": without funding the ledger's cash means nothing."""
    positions = tuple(expected_position(state.lots_of(symbol)) for symbol in state.held_symbols())
    working = state.working_orders(date_ny)
    orders = tuple(
        ExpectedOrder(
            client_order_id=order.client_order_id,
            broker_order_id=order.broker_order_id,
            symbol=order.symbol,
            side=OrderSide(order.side),
            order_type=OrderType(order.order_type),
            purpose=order.purpose,
            remaining_quantity=order.quantity - order.filled_quantity,
            limit_price=order.limit_price,
            stop_price=order.stop_price,
            position_id=order.position_id,
            status=order.status,
        )
        for _, order in sorted(working.items())
    )
    check_cash = bool(state.movement_ids) if compare_cash is None else compare_cash
    return LedgerExpectation(
        book_id=state.book_id,
        date_ny=date_ny,
        cash=state.cash if check_cash else None,
        fills_since=fills_since,
        positions=positions,
        open_orders=orders,
        fills=_ledger_fills(state.book_id, records, fills_since),
    )


def _ledger_fills(
    book_id: str, records: Iterable[Record], since: dt.datetime | None
) -> tuple[ExpectedFill, ...]:
    selected: dict[str, ExpectedFill] = {}
    for record in records:
        if not isinstance(record, Fill) or record.book_id != book_id:
            continue
        if since is not None and record.ts < since:
            continue
        selected.setdefault(  # a fill written twice (a retried write) counts once, as in the fold
            record.broker_fill_id,
            ExpectedFill(
                fill_id=record.fill_id,
                broker_fill_id=record.broker_fill_id,
                client_order_id=record.client_order_id,
                symbol=record.symbol,
                side=OrderSide(str(record.side)),
                quantity=record.quantity,
                price=record.price,
                timestamp=record.ts,
            ),
        )
    return tuple(selected[key] for key in sorted(selected))


def snapshot_from_broker(
    *,
    book_id: str,
    taken_at: dt.datetime,
    fills_since: dt.datetime | None,
    account: BrokerAccount,
    positions: Iterable[BrokerPosition],
    open_orders: Iterable[BrokerOrder],
    fills: Iterable[BrokerFill],
) -> BrokerSnapshot:
    """The broker's side in canonical form (sorted by key; fills before ``fills_since`` dropped)."""
    return BrokerSnapshot(
        book_id=book_id,
        taken_at=taken_at,
        fills_since=fills_since,
        account=SnapshotAccount(
            equity=account.equity,
            cash=account.cash,
            buying_power=account.buying_power,
            currency=account.currency,
        ),
        positions=tuple(
            SnapshotPosition(
                symbol=item.symbol, quantity=item.quantity, average_price=item.average_entry_price
            )
            for item in sorted(positions, key=lambda item: item.symbol)
            if item.quantity
        ),
        open_orders=tuple(
            _snapshot_order(order)
            for order in sorted(open_orders, key=lambda item: item.client_order_id)
            if order.is_open
        ),
        fills=tuple(
            _snapshot_fill(fill)
            for fill in sorted(fills, key=lambda item: item.fill_id)
            if fills_since is None or fill.timestamp >= fills_since
        ),
    )


def _snapshot_order(order: BrokerOrder) -> SnapshotOrder:
    return SnapshotOrder(
        client_order_id=order.client_order_id,
        broker_order_id=order.broker_order_id,
        symbol=order.symbol,
        side=order.side,
        order_type=order.order_type,
        time_in_force=str(order.time_in_force),
        quantity=order.quantity,
        filled_quantity=order.filled_quantity,
        limit_price=order.limit_price,
        stop_price=order.stop_price,
        status=str(order.status),
    )


def _snapshot_fill(fill: BrokerFill) -> SnapshotFill:
    return SnapshotFill(
        fill_id=fill.fill_id,
        client_order_id=fill.client_order_id,
        broker_order_id=fill.broker_order_id,
        symbol=fill.symbol,
        side=fill.side,
        quantity=fill.quantity,
        price=fill.price,
        timestamp=fill.timestamp,
    )


def failure_code(error: BrokerError) -> IncompleteCode:
    if isinstance(error, BrokerUnavailableError):
        return IncompleteCode.BROKER_UNAVAILABLE
    if isinstance(error, BrokerRejectedError):
        return IncompleteCode.BROKER_REJECTED
    return IncompleteCode.BROKER_ERROR


def capture_snapshot(
    view: BrokerView, *, book_id: str, clock: Clock, fills_since: dt.datetime | None
) -> BrokerSnapshot | SnapshotFailure:
    """Read the broker through ``view``; a broker error or timeout is returned as a failure record."""
    taken_at = clock.now().astimezone(dt.UTC)
    try:
        account = view.account()
        positions = view.positions()
        open_orders = view.open_orders()
        fills = view.fills(fills_since)
    except BrokerError as error:
        return _failure(book_id, taken_at, failure_code(error), error)
    try:
        return snapshot_from_broker(
            book_id=book_id,
            taken_at=taken_at,
            fills_since=fills_since,
            account=account,
            positions=positions,
            open_orders=open_orders,
            fills=fills,
        )
    except ValueError as error:  # e.g. one symbol reported twice: the answer cannot be trusted
        return _failure(book_id, taken_at, IncompleteCode.BROKER_ERROR, error)


def _failure(book_id: str, at: dt.datetime, code: IncompleteCode, error: Exception) -> SnapshotFailure:
    reason = f"{type(error).__name__}: {error}"[:FAILURE_REASON_LIMIT]
    return SnapshotFailure(book_id=book_id, at=at, code=code, reason=reason)
