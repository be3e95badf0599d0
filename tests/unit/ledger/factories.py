"""Builders of valid ledger records for tests: one lifecycle (intent → decision → order → fills → exit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from avwap.core.ids import client_order_id
from avwap.ledger import record_ids
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.record_enums import (
    CashMovementKind,
    DecisionOutcome,
    ExitEventKind,
    OrderPurpose,
    OrderType,
    Side,
    StopBasis,
)
from avwap.ledger.records import (
    CashMovement,
    Decision,
    ExitEvent,
    Fill,
    OrderAcknowledged,
    OrderSubmitted,
    PositionClosed,
    PositionOpened,
    Record,
    TradeIntent,
)

BOOK = PAPER_SIM
STRATEGY = "S1_AVWAP_CORE"
DAY = dt.date(2026, 4, 1)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def deposit(amount: str, reference: str = "seed", day: dt.date = DAY, book: str = BOOK) -> CashMovement:
    value = Decimal(amount)
    movement = record_ids.cash_movement_id(
        book_id=book, date_ny=day, kind="DEPOSIT", amount=value, reference=reference
    )
    return CashMovement(
        book_id=book,
        date_ny=day,
        ts=at(13, 0, day),
        movement_id=movement,
        kind=CashMovementKind.DEPOSIT,
        amount=value,
        reason="funding",
    )


def intent(symbol: str = "AAPL", quantity: int = 10, day: dt.date = DAY, attempt: int = 0) -> TradeIntent:
    identifier = record_ids.intent_id(
        book_id=BOOK,
        strategy_id=STRATEGY,
        date_ny=day,
        symbol=symbol,
        side="BUY",
        setup="YTD",
        attempt=attempt,
    )
    return TradeIntent(
        book_id=BOOK,
        date_ny=day,
        ts=at(14, 0, day),
        strategy_id=STRATEGY,
        intent_id=identifier,
        symbol=symbol,
        side=Side.BUY,
        quantity=quantity,
        entry_price=Decimal("100.00"),
        stop_price=Decimal("97.50"),
        risk_per_share=Decimal("2.50"),
        notional=Decimal("1000.00"),
        setup="YTD",
        tags=("reclaim",),
        model_version="s1-v1",
        data_version="bars-2026-03-31",
    )


def approve(trade: TradeIntent) -> Decision:
    identifier = record_ids.decision_id(
        intent_id=trade.intent_id, outcome="APPROVE", approved_quantity=trade.quantity, reason_codes=()
    )
    return Decision(
        book_id=BOOK,
        date_ny=trade.date_ny,
        ts=at(14, 1, trade.date_ny),
        strategy_id=STRATEGY,
        decision_id=identifier,
        intent_id=trade.intent_id,
        symbol=trade.symbol,
        outcome=DecisionOutcome.APPROVE,
        approved_quantity=trade.quantity,
    )


def submit(
    trade: TradeIntent,
    purpose: OrderPurpose = OrderPurpose.ENTRY,
    side: Side = Side.BUY,
    *,
    quantity: int | None = None,
    position_id: str | None = None,
    stop_price: Decimal | None = None,
) -> OrderSubmitted:
    client = client_order_id(trade.intent_id, purpose.value.lower())
    is_stop = purpose is OrderPurpose.STOP
    return OrderSubmitted(
        book_id=BOOK,
        date_ny=trade.date_ny,
        ts=at(14, 2, trade.date_ny),
        strategy_id=STRATEGY,
        order_id=record_ids.order_id(book_id=BOOK, client_order_id=client),
        client_order_id=client,
        symbol=trade.symbol,
        intent_id=trade.intent_id,
        position_id=position_id,
        side=side,
        order_type=OrderType.STOP if is_stop else OrderType.MARKET,
        quantity=quantity or trade.quantity,
        stop_price=stop_price if is_stop else None,
        purpose=purpose,
    )


def acknowledge(order: OrderSubmitted) -> OrderAcknowledged:
    return OrderAcknowledged(
        book_id=BOOK,
        date_ny=order.date_ny,
        ts=at(14, 3, order.date_ny),
        strategy_id=STRATEGY,
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        broker_order_id="broker-" + order.client_order_id[-12:],
        status="accepted",
    )


def position_of(trade: TradeIntent) -> str:
    return record_ids.position_id(
        book_id=BOOK, strategy_id=STRATEGY, symbol=trade.symbol, intent_id=trade.intent_id
    )


def fill(
    order: OrderSubmitted,
    quantity: int,
    price: str,
    commission: str = "0",
    *,
    number: int = 1,
    minute: int = 5,
) -> Fill:
    broker_fill = f"{order.client_order_id}-{number}"
    return Fill(
        book_id=BOOK,
        date_ny=order.date_ny,
        ts=at(14, minute, order.date_ny),
        strategy_id=STRATEGY,
        fill_id=record_ids.fill_id(order_id=order.order_id, broker_fill_id=broker_fill),
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        position_id=order.position_id
        or record_ids.position_id(
            book_id=BOOK, strategy_id=STRATEGY, symbol=order.symbol, intent_id=order.intent_id
        ),
        symbol=order.symbol,
        side=order.side,
        quantity=quantity,
        price=Decimal(price),
        commission=Decimal(commission),
        broker_fill_id=broker_fill,
    )


def opened(trade: TradeIntent, fills: list[Fill], average: str) -> PositionOpened:
    return PositionOpened(
        book_id=BOOK,
        date_ny=trade.date_ny,
        ts=at(14, 10, trade.date_ny),
        strategy_id=STRATEGY,
        position_id=position_of(trade),
        intent_id=trade.intent_id,
        symbol=trade.symbol,
        quantity=sum(item.quantity for item in fills),
        average_price=Decimal(average),
        initial_stop_price=trade.stop_price,
        fill_ids=tuple(item.fill_id for item in fills),
    )


def ratchet(trade: TradeIntent, stop: str, revision: int, minute: int = 30) -> ExitEvent:
    moment = at(15, minute, trade.date_ny)
    position = position_of(trade)
    return ExitEvent(
        book_id=BOOK,
        date_ny=trade.date_ny,
        ts=moment,
        strategy_id=STRATEGY,
        exit_id=record_ids.exit_id(
            position_id=position, kind="STOP_RATCHET", stop_revision=revision, ts=moment
        ),
        position_id=position,
        symbol=trade.symbol,
        kind=ExitEventKind.STOP_RATCHET,
        stop_price=Decimal(stop),
        basis=StopBasis.INTRADAY_HL,
        reason="higher low confirmed",
        stop_revision=revision,
    )


def closed(trade: TradeIntent, fills: list[Fill], pnl: str) -> PositionClosed:
    return PositionClosed(
        book_id=BOOK,
        date_ny=fills[-1].date_ny,
        ts=at(19, 55, fills[-1].date_ny),
        strategy_id=STRATEGY,
        position_id=position_of(trade),
        symbol=trade.symbol,
        quantity=sum(item.quantity for item in fills),
        average_price=Decimal("100.00"),
        exit_price=fills[-1].price,
        realized_pnl=Decimal(pnl),
        fill_ids=tuple(item.fill_id for item in fills),
    )


class RoundTrip(NamedTuple):
    """The named pieces of :func:`round_trip`, for tests that need one of them typed."""

    trade: TradeIntent
    entry: OrderSubmitted
    first: Fill
    second: Fill
    exit_order: OrderSubmitted
    sale: Fill


def round_trip_parts() -> RoundTrip:
    trade = intent()
    entry = submit(trade)
    first = fill(entry, 4, "100.00", "1", number=1, minute=5)
    second = fill(entry, 6, "100.00", "1", number=2, minute=6)
    exit_order = submit(trade, OrderPurpose.EXIT, Side.SELL, quantity=10, position_id=position_of(trade))
    sale = fill(exit_order, 10, "105.00", "1", number=1, minute=50)
    return RoundTrip(trade, entry, first, second, exit_order, sale)


def round_trip() -> list[Record]:
    """Hand-computable day: fund 10,000; buy 10 AAPL @ 100 in two partial fills (4 + 6, $1 commission each);
    ratchet the stop to 99; sell 10 @ 105 with a $1 commission.

    cash = 10000 - 400 - 1 - 600 - 1 + 1050 - 1 = 10047; realized (gross) = 50; commissions = 3.
    """
    trade, entry, first, second, exit_order, sale = round_trip_parts()
    return [
        deposit("10000.00"),
        trade,
        approve(trade),
        entry,
        acknowledge(entry),
        first,
        second,
        opened(trade, [first, second], "100.00"),
        ratchet(trade, "99.00", 1),
        exit_order,
        sale,
        closed(trade, [sale], "47.00"),
    ]
