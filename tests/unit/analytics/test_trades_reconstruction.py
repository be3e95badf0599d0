"""Trade reconstruction from ledger records only: partial fills, duplicates, commissions, stops, order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from avwap.analytics.trades import CLOSED, LONG, OPEN, reconstruct_trades, volume_weighted_price
from avwap.core.calendar import NEW_YORK
from avwap.core.ids import client_order_id
from avwap.ledger import record_ids
from avwap.ledger.record_enums import ExitEventKind, OrderPurpose, OrderType, Side, StopBasis
from avwap.ledger.records import ExitEvent, Fill, OrderSubmitted, PositionClosed, PositionOpened, Record
from avwap.ledger.router import Ledger

BOOK = "PAPER_SIM"
STRATEGY = "S1_AVWAP_CORE"
DAY = dt.date(2026, 4, 1)


def ny(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), NEW_YORK).astimezone(dt.UTC)


class Builder:
    """Records of one position of ``symbol`` entered on ``day``."""

    def __init__(self, symbol: str = "MSFT", day: dt.date = DAY) -> None:
        self.symbol, self.day = symbol, day
        self.intent = record_ids.intent_id(
            book_id=BOOK, strategy_id=STRATEGY, date_ny=day, symbol=symbol, side="BUY", setup="YTD"
        )
        self.position = record_ids.position_id(
            book_id=BOOK, strategy_id=STRATEGY, symbol=symbol, intent_id=self.intent
        )

    def base(self, ts: dt.datetime) -> dict[str, object]:
        return {"book_id": BOOK, "date_ny": ts.astimezone(NEW_YORK).date(), "ts": ts, "strategy_id": STRATEGY}

    def order(self, purpose: OrderPurpose, at: dt.datetime, quantity: int = 10) -> OrderSubmitted:
        client = client_order_id(self.intent, purpose.value.lower())
        is_entry = purpose is OrderPurpose.ENTRY
        return OrderSubmitted(
            **self.base(at),  # type: ignore[arg-type]
            order_id=record_ids.order_id(book_id=BOOK, client_order_id=client),
            client_order_id=client,
            symbol=self.symbol,
            intent_id=self.intent,
            position_id=None if is_entry else self.position,
            side=Side.BUY if is_entry else Side.SELL,
            order_type=OrderType.STOP if purpose is OrderPurpose.STOP else OrderType.MARKET,
            quantity=quantity,
            stop_price=Decimal("98.30") if purpose is OrderPurpose.STOP else None,
            purpose=purpose,
        )

    def fill(  # noqa: PLR0917
        self, order: OrderSubmitted, number: int, quantity: int, price: str, commission: str, at: dt.datetime
    ) -> Fill:
        broker = f"{order.client_order_id}-{number}"
        return Fill(
            **self.base(at),  # type: ignore[arg-type]
            fill_id=record_ids.fill_id(order_id=order.order_id, broker_fill_id=broker),
            order_id=order.order_id,
            client_order_id=order.client_order_id,
            position_id=self.position,
            symbol=self.symbol,
            side=order.side,
            quantity=quantity,
            price=Decimal(price),
            commission=Decimal(commission),
            broker_fill_id=broker,
        )

    def opened(self, at: dt.datetime, stop: str = "98.30") -> PositionOpened:
        return PositionOpened(
            **self.base(at),  # type: ignore[arg-type]
            position_id=self.position,
            intent_id=self.intent,
            symbol=self.symbol,
            quantity=10,
            average_price=Decimal("100.30"),
            initial_stop_price=Decimal(stop),
        )

    def stop_event(self, stop: str, revision: int, at: dt.datetime) -> ExitEvent:
        kind = ExitEventKind.STOP_RATCHET if revision else ExitEventKind.STOP_RESOLVED
        return ExitEvent(
            **self.base(at),  # type: ignore[arg-type]
            exit_id=record_ids.exit_id(position_id=self.position, kind=kind, stop_revision=revision, ts=at),
            position_id=self.position,
            symbol=self.symbol,
            kind=kind,
            stop_price=Decimal(stop),
            basis=StopBasis.INTRADAY_HL if revision else StopBasis.INITIAL,
            stop_revision=revision,
        )

    def closed(self, at: dt.datetime) -> PositionClosed:
        return PositionClosed(
            **self.base(at),  # type: ignore[arg-type]
            position_id=self.position,
            symbol=self.symbol,
            quantity=10,
            average_price=Decimal("100.30"),
            exit_price=Decimal("101.00"),
            realized_pnl=Decimal("4.00"),
        )


def round_trip(builder: Builder | None = None) -> list[Record]:
    """Buy 4 @ 100.00 + 6 @ 100.50 ($1 commission each, the second fill written twice), stop 98.30
    ratcheted to 99.70, stopped out 3 + 7 @ 101.00 ($0.50 each).
    Entry 100.30, gross 7.00, commissions 3.00, net 4.00."""
    b = builder or Builder()
    entry, stop = b.order(OrderPurpose.ENTRY, ny(10, 0)), b.order(OrderPurpose.STOP, ny(10, 10))
    second = b.fill(entry, 2, 6, "100.50", "1", ny(10, 2))
    return [
        entry,
        b.fill(entry, 1, 4, "100.00", "1", ny(10, 1)),
        second,
        second,
        b.opened(ny(10, 3)),
        stop,
        b.stop_event("98.30", 0, ny(10, 10)),
        b.stop_event("99.70", 1, ny(10, 30)),
        b.fill(stop, 1, 3, "101.00", "0.50", ny(14, 0)),
        b.fill(stop, 2, 7, "101.00", "0.50", ny(14, 1)),
        b.closed(ny(14, 1)),
    ]


def test_round_trip_by_hand() -> None:
    [trade] = reconstruct_trades(round_trip())
    assert (trade.status, trade.direction, trade.symbol) == (CLOSED, LONG, "MSFT")
    assert (trade.entry_quantity, trade.entry_price) == (10, Decimal("100.300000"))
    assert (trade.exit_quantity, trade.exit_price, trade.exit_reason) == (10, Decimal("101.000000"), "STOP")
    assert (trade.gross_pnl, trade.commissions, trade.net_pnl) == (
        Decimal("7.00"),
        Decimal("3.00"),
        Decimal("4.00"),
    )
    assert (trade.entry_time, trade.exit_time, trade.exit_date_ny) == (ny(10, 1), ny(14, 1), DAY)
    assert (trade.initial_stop, trade.final_stop, trade.stop_basis, trade.stop_revisions) == (
        Decimal("98.30"),
        Decimal("99.70"),
        StopBasis.INTRADAY_HL,
        1,
    )
    assert len(trade.entry_fill_ids) == 2 and len(trade.exit_fill_ids) == 2


def test_open_trade_and_deterministic_order(tmp_path) -> None:  # type: ignore[no-untyped-def]
    later = Builder("AAPL", dt.date(2026, 4, 2))
    b = later
    entry = b.order(OrderPurpose.ENTRY, ny(10, 0, b.day))
    open_records = [entry, b.fill(entry, 1, 10, "50.00", "0", ny(10, 5, b.day))]
    records = [*open_records, *round_trip()]  # written out of entry order
    trades = reconstruct_trades(records)
    assert [trade.symbol for trade in trades] == ["MSFT", "AAPL"]  # by entry time
    assert trades[1].status == OPEN and trades[1].exit_price is None and trades[1].exit_reason is None
    ledger = Ledger(tmp_path)
    for record in sorted(records, key=lambda record: record.date_ny):  # a day cannot grow after the next
        ledger.append(record)
    assert reconstruct_trades(ledger.read_book(BOOK)) == trades


def test_exit_by_market_order_and_unknown_orders() -> None:
    b = Builder()
    entry, exit_order = b.order(OrderPurpose.ENTRY, ny(10, 0)), b.order(OrderPurpose.EXIT, ny(15, 0))
    records = [
        entry,
        b.fill(entry, 1, 10, "100", "0", ny(10, 1)),
        exit_order,
        b.fill(exit_order, 1, 10, "99", "0", ny(15, 1)),
    ]
    [trade] = reconstruct_trades(records)
    assert (trade.exit_reason, trade.gross_pnl, trade.initial_stop) == ("EXIT", Decimal("-10.00"), None)
    [orphan] = reconstruct_trades(records[1:2] + records[3:])  # no OrderSubmitted records at all
    assert orphan.exit_reason == "UNKNOWN" and orphan.status == CLOSED


def test_volume_weighted_price() -> None:
    records = round_trip()
    fills = [record for record in records[1:4] if isinstance(record, Fill)][:2]
    assert volume_weighted_price(fills) == Decimal("100.300000")
