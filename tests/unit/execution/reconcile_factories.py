"""Builders of the two sides of a reconciliation for tests, and a snapshot derived from an expectation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from avwap.execution.broker import OrderSide, OrderType
from avwap.execution.reconcile_schema import (
    BrokerSnapshot,
    ExpectedFill,
    ExpectedOrder,
    ExpectedPosition,
    LedgerExpectation,
    SnapshotAccount,
    SnapshotFill,
    SnapshotOrder,
    SnapshotPosition,
)

BOOK = "PAPER_SIM"
DAY = dt.date(2026, 4, 1)
TAKEN_AT = dt.datetime(2026, 4, 1, 20, 30, tzinfo=dt.UTC)
SINCE = dt.datetime(2026, 4, 1, 13, 30, tzinfo=dt.UTC)


def position(symbol: str = "AAPL", quantity: int = 10, average: str = "100.25") -> ExpectedPosition:
    return ExpectedPosition(
        symbol=symbol, position_id=f"pos_{symbol.lower()}", quantity=quantity, average_price=Decimal(average)
    )


def stop(symbol: str = "AAPL", quantity: int = 10, price: str = "95.00", key: str = "") -> ExpectedOrder:
    return ExpectedOrder(
        client_order_id=key or f"stop-{symbol.lower()}",
        broker_order_id=f"b-stop-{symbol.lower()}",
        symbol=symbol,
        side=OrderSide.SELL,
        order_type=OrderType.STOP,
        purpose="STOP",
        remaining_quantity=quantity,
        limit_price=None,
        stop_price=Decimal(price),
        position_id=f"pos_{symbol.lower()}",
        status="NEW",
    )


def entry(symbol: str = "MSFT", quantity: int = 5, price: str = "300.00", key: str = "") -> ExpectedOrder:
    return ExpectedOrder(
        client_order_id=key or f"entry-{symbol.lower()}",
        broker_order_id=f"b-entry-{symbol.lower()}",
        symbol=symbol,
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        purpose="ENTRY",
        remaining_quantity=quantity,
        limit_price=Decimal(price),
        stop_price=None,
        position_id=None,
        status="NEW",
    )


def fill(
    broker_fill_id: str = "f-1",
    symbol: str = "AAPL",
    quantity: int = 10,
    price: str = "100.25",
    at: dt.datetime = SINCE + dt.timedelta(hours=1),
) -> ExpectedFill:
    return ExpectedFill(
        fill_id=f"fil_{broker_fill_id}",
        broker_fill_id=broker_fill_id,
        client_order_id=f"entry-{symbol.lower()}",
        symbol=symbol,
        side=OrderSide.BUY,
        quantity=quantity,
        price=Decimal(price),
        timestamp=at,
    )


def expectation(**changes: Any) -> LedgerExpectation:
    values: dict[str, Any] = {
        "book_id": BOOK,
        "date_ny": DAY,
        "cash": Decimal("98997.50"),
        "fills_since": SINCE,
        "positions": (position(),),
        "open_orders": (stop(), entry()),
        "fills": (fill(),),
    }
    values.update(changes)
    values["open_orders"] = tuple(sorted(values["open_orders"], key=lambda item: item.client_order_id))
    return LedgerExpectation(**values)


def snapshot_of(expected: LedgerExpectation, **changes: Any) -> BrokerSnapshot:
    """The snapshot a broker in perfect agreement with ``expected`` would give."""
    values: dict[str, Any] = {
        "book_id": expected.book_id,
        "taken_at": TAKEN_AT,
        "fills_since": expected.fills_since,
        "account": SnapshotAccount(
            equity=Decimal("100000"),
            cash=expected.cash if expected.cash is not None else Decimal("12345.67"),
            buying_power=Decimal("50000"),
            currency="USD",
        ),
        "positions": tuple(
            SnapshotPosition(symbol=item.symbol, quantity=item.quantity, average_price=item.average_price)
            for item in expected.positions
        ),
        "open_orders": tuple(
            SnapshotOrder(
                client_order_id=item.client_order_id,
                broker_order_id=item.broker_order_id or f"b-{item.client_order_id}",
                symbol=item.symbol,
                side=item.side,
                order_type=item.order_type,
                time_in_force="GTC",
                quantity=item.remaining_quantity,
                filled_quantity=0,
                limit_price=item.limit_price,
                stop_price=item.stop_price,
                status="NEW",
            )
            for item in expected.open_orders
        ),
        "fills": tuple(
            SnapshotFill(
                fill_id=item.broker_fill_id,
                client_order_id=item.client_order_id,
                broker_order_id=f"b-{item.client_order_id}",
                symbol=item.symbol,
                side=item.side,
                quantity=item.quantity,
                price=item.price,
                timestamp=item.timestamp,
            )
            for item in expected.fills
        ),
    }
    values.update(changes)
    return BrokerSnapshot(**values)
