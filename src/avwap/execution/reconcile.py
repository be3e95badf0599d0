"""The reconciliation engine (roadmap D3.3): ledger expectation against broker snapshot, as a report.

Pure and deterministic: no clock, no I/O; the same two inputs always give an equal report (and so equal
bytes). What is compared, and the drift code each difference gets:

* positions by symbol: ``MISSING_AT_BROKER``, ``UNKNOWN_AT_BROKER``, ``QTY_MISMATCH``; when the
  quantities agree, ``AVG_PRICE_MISMATCH`` beyond the average-price tolerance (with different quantities
  the averages say nothing more).
* working orders by ``client_order_id``: a ledger protective stop (purpose ``STOP``) not open at the broker
  is ``STOP_MISSING``; open there with another remaining quantity or stop price, ``STOP_QTY_MISMATCH`` /
  ``STOP_PRICE_MISMATCH``. Any other ledger order not open at the broker is ``ORDER_MISSING_AT_BROKER``; a
  broker open order the ledger has not working (stops included) is ``ORDER_UNKNOWN_AT_BROKER``.
* fills by the broker's fill id, inside the common window (the later of the two ``fills_since``):
  ``FILL_UNRECORDED`` (broker only) and ``FILL_MISSING_AT_BROKER`` (ledger only).
* cash, when the ledger knows it: ``CASH_MISMATCH`` beyond the cash tolerance.

A :class:`SnapshotFailure` (broker error or timeout) or a snapshot of another book gives an INCOMPLETE
report with the reason and no items: nothing was compared, which must never read as "no drift".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from avwap.execution.reconcile_schema import (
    BrokerSnapshot,
    DriftCode,
    DriftItem,
    ExpectedFill,
    IncompleteCode,
    LedgerExpectation,
    ReconciliationReport,
    ReconciliationTolerances,
    SnapshotFailure,
    SnapshotFill,
    drift_counts,
)

DEFAULT_TOLERANCES = ReconciliationTolerances()


def reconcile(
    expectation: LedgerExpectation,
    snapshot: BrokerSnapshot | SnapshotFailure,
    tolerances: ReconciliationTolerances = DEFAULT_TOLERANCES,
) -> ReconciliationReport:
    """Compare the two sides of one book; see the module docstring for the rules."""
    if isinstance(snapshot, SnapshotFailure):
        return _incomplete(expectation, snapshot.at, snapshot.code, snapshot.reason, tolerances)
    if snapshot.book_id != expectation.book_id:
        reason = f"snapshot of book {snapshot.book_id}, ledger of book {expectation.book_id}"
        code = IncompleteCode.SNAPSHOT_BOOK_MISMATCH
        return _incomplete(expectation, snapshot.taken_at, code, reason, tolerances)
    since = _common_window(expectation.fills_since, snapshot.fills_since)
    ledger_fills = [fill for fill in expectation.fills if since is None or fill.timestamp >= since]
    broker_fills = [fill for fill in snapshot.fills if since is None or fill.timestamp >= since]
    items = [
        *_position_drift(expectation, snapshot, tolerances),
        *_order_drift(expectation, snapshot),
        *_fill_drift(ledger_fills, broker_fills),
        *_cash_drift(expectation, snapshot, tolerances),
    ]
    items.sort(key=lambda item: item.sort_key)
    return ReconciliationReport(
        book_id=expectation.book_id,
        date_ny=expectation.date_ny,
        as_of=snapshot.taken_at,
        complete=True,
        tolerances=tolerances,
        cash_checked=expectation.cash is not None,
        ledger_cash=expectation.cash,
        broker_account=snapshot.account,
        compared={
            "broker_fills": len(broker_fills),
            "broker_orders": len(snapshot.open_orders),
            "broker_positions": len(snapshot.positions),
            "ledger_fills": len(ledger_fills),
            "ledger_orders": len(expectation.open_orders),
            "ledger_positions": len(expectation.positions),
        },
        items=tuple(items),
        counts=drift_counts(items),
    )


def _incomplete(
    expectation: LedgerExpectation,
    at: dt.datetime,
    code: IncompleteCode,
    reason: str,
    tolerances: ReconciliationTolerances,
) -> ReconciliationReport:
    return ReconciliationReport(
        book_id=expectation.book_id,
        date_ny=expectation.date_ny,
        as_of=at,
        complete=False,
        incomplete_code=code,
        incomplete_reason=reason,
        tolerances=tolerances,
        ledger_cash=expectation.cash,
        counts=drift_counts(()),
    )


def _common_window(first: dt.datetime | None, second: dt.datetime | None) -> dt.datetime | None:
    """Fills are compared only where both sides looked: from the later start."""
    starts = [moment for moment in (first, second) if moment is not None]
    return max(starts) if starts else None


def _item(
    code: DriftCode,
    where: tuple[str, str],
    ledger: Decimal | int | None,
    broker: Decimal | int | None,
    detail: str,
) -> DriftItem:
    """One drift item; ``where`` is (symbol, reference)."""
    symbol, reference = where
    return DriftItem(
        code=code,
        symbol=symbol,
        reference=reference,
        ledger_value=None if ledger is None else Decimal(ledger),
        broker_value=None if broker is None else Decimal(broker),
        detail=detail,
    )


def _position_drift(
    expectation: LedgerExpectation, snapshot: BrokerSnapshot, tolerances: ReconciliationTolerances
) -> Iterator[DriftItem]:
    held = {position.symbol: position for position in snapshot.positions}
    expected = {position.symbol: position for position in expectation.positions}
    for symbol, mine in expected.items():
        theirs = held.get(symbol)
        if theirs is None:
            yield _item(
                DriftCode.MISSING_AT_BROKER,
                (symbol, symbol),
                mine.quantity,
                None,
                f"ledger holds {mine.quantity} ({mine.position_id}), the broker none",
            )
        elif theirs.quantity != mine.quantity:
            yield _item(
                DriftCode.QTY_MISMATCH,
                (symbol, symbol),
                mine.quantity,
                theirs.quantity,
                f"ledger {mine.quantity} shares, broker {theirs.quantity}",
            )
        elif abs(theirs.average_price - mine.average_price) > tolerances.average_price:
            yield _item(
                DriftCode.AVG_PRICE_MISMATCH,
                (symbol, symbol),
                mine.average_price,
                theirs.average_price,
                f"average price ledger {mine.average_price}, broker {theirs.average_price}",
            )
    for symbol, theirs in held.items():
        if symbol not in expected:
            yield _item(
                DriftCode.UNKNOWN_AT_BROKER,
                (symbol, symbol),
                None,
                theirs.quantity,
                f"broker holds {theirs.quantity} at {theirs.average_price}, the ledger none",
            )


def _order_drift(expectation: LedgerExpectation, snapshot: BrokerSnapshot) -> Iterator[DriftItem]:
    broker_open = {order.client_order_id: order for order in snapshot.open_orders}
    for mine in expectation.open_orders:
        key, symbol, remaining = mine.client_order_id, mine.symbol, mine.remaining_quantity
        theirs = broker_open.get(key)
        if not mine.is_protective_stop:
            if theirs is None:
                yield _item(
                    DriftCode.ORDER_MISSING_AT_BROKER,
                    (symbol, key),
                    remaining,
                    None,
                    f"ledger {mine.purpose} {mine.side} {remaining} {mine.order_type} "
                    f"({mine.status}) is not open at the broker",
                )
            continue
        if theirs is None:
            yield _item(
                DriftCode.STOP_MISSING,
                (symbol, key),
                remaining,
                None,
                f"protective stop {remaining} @ {mine.stop_price} is not open at the broker",
            )
            continue
        if theirs.remaining_quantity != remaining:
            yield _item(
                DriftCode.STOP_QTY_MISMATCH,
                (symbol, key),
                remaining,
                theirs.remaining_quantity,
                f"stop covers {theirs.remaining_quantity} at the broker, ledger {remaining}",
            )
        if theirs.stop_price != mine.stop_price:
            yield _item(
                DriftCode.STOP_PRICE_MISMATCH,
                (symbol, key),
                mine.stop_price,
                theirs.stop_price,
                f"stop price ledger {mine.stop_price}, broker {theirs.stop_price}",
            )
    expected = {order.client_order_id for order in expectation.open_orders}
    for key, theirs in broker_open.items():
        if key not in expected:
            price = theirs.stop_price if theirs.stop_price is not None else theirs.limit_price
            terms = f"{theirs.side} {theirs.remaining_quantity} {theirs.order_type}"
            yield _item(
                DriftCode.ORDER_UNKNOWN_AT_BROKER,
                (theirs.symbol, key),
                None,
                theirs.remaining_quantity,
                f"broker works {terms}{'' if price is None else f' @ {price}'}, the ledger has "
                "no such working order",
            )


def _fill_drift(ledger: list[ExpectedFill], broker: list[SnapshotFill]) -> Iterator[DriftItem]:
    recorded = {fill.broker_fill_id: fill for fill in ledger}
    reported = {fill.fill_id: fill for fill in broker}
    for key, theirs in reported.items():
        if key not in recorded:
            yield _item(
                DriftCode.FILL_UNRECORDED,
                (theirs.symbol, key),
                None,
                theirs.quantity,
                f"broker fill {theirs.side} {theirs.quantity} @ {theirs.price} of order "
                f"{theirs.client_order_id} is not in the ledger",
            )
    for key, mine in recorded.items():
        if key not in reported:
            yield _item(
                DriftCode.FILL_MISSING_AT_BROKER,
                (mine.symbol, key),
                mine.quantity,
                None,
                f"ledger fill {mine.fill_id} ({mine.side} {mine.quantity} @ {mine.price}) is not "
                "reported by the broker",
            )


def _cash_drift(
    expectation: LedgerExpectation, snapshot: BrokerSnapshot, tolerances: ReconciliationTolerances
) -> Iterator[DriftItem]:
    if expectation.cash is None:
        return
    difference = snapshot.account.cash - expectation.cash
    if abs(difference) > tolerances.cash:
        yield _item(
            DriftCode.CASH_MISMATCH,
            ("", "cash"),
            expectation.cash,
            snapshot.account.cash,
            f"broker cash minus ledger cash is {difference} (tolerance {tolerances.cash})",
        )
