"""Hand-built multi-strategy ledgers for the attribution tests: funding, fills, opens, closes, decisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.record_enums import CashMovementKind, DecisionOutcome, Side
from avwap.ledger.records import (
    CashMovement,
    Decision,
    Fill,
    PositionClosed,
    PositionOpened,
    Record,
)

S1 = "S1_AVWAP_CORE"
S2 = "S2_AVWAP_SWING"
S3 = "S3_TEST_SHADOW"


def at(day: dt.date, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 15, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)


@dataclass
class _Open:
    position_id: str
    strategy_id: str
    quantity: int  # signed
    cost: Decimal


@dataclass
class LedgerScript:
    """Appends valid records in ledger order; positions are per symbol (one lot per symbol, the default), or
    with ``lots`` per (symbol, strategy): each strategy trades its own lot beside the others' (what
    S2_ALLOW_SYMBOL_OVERLAP=1 writes: an entry of a strategy without a lot opens one under its own id)."""

    book_id: str = PAPER_SIM
    records: list[Record] = field(default_factory=list)
    counter: int = 0
    positions: dict[str, _Open] = field(default_factory=dict)
    lots: bool = False

    def _key(self, symbol: str, strategy_id: str) -> str:
        return f"{symbol}/{strategy_id}" if self.lots else symbol

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def fund(self, day: dt.date, amount: str) -> LedgerScript:
        number = self._next()
        self.records.append(
            CashMovement(
                book_id=self.book_id,
                date_ny=day,
                ts=at(day),
                movement_id=f"evt_{number:06d}",
                kind=CashMovementKind.DEPOSIT,
                amount=Decimal(amount),
            )
        )
        return self

    def trade(
        self,
        day: dt.date,
        strategy_id: str,
        symbol: str,
        *,
        side: Side,
        quantity: int,
        price: str,
        commission: str = "0",
    ) -> LedgerScript:
        """One fill; the first fill of a symbol opens a position, a fill that makes it flat closes it."""
        key = self._key(symbol, strategy_id)
        held = self.positions.get(key)
        if self.lots and held is None and side == Side.SELL:
            return self  # with lots, a strategy only sells its own lot
        number = self._next()
        signed = quantity if side == Side.BUY else -quantity
        position_id = held.position_id if held is not None else f"pos_{number:06d}"
        fill = Fill(
            book_id=self.book_id,
            date_ny=day,
            ts=at(day, number % 300),
            strategy_id=strategy_id,
            fill_id=f"fil_{number:06d}",
            order_id=f"ord_{number:06d}",
            client_order_id=f"coid-{number:06d}",
            position_id=position_id,
            symbol=symbol,
            side=side,
            quantity=quantity,
            price=Decimal(price),
            commission=Decimal(commission),
            broker_fill_id=f"b-{number:06d}",
        )
        self.records.append(fill)
        if held is None:
            self.positions[key] = _Open(position_id, strategy_id, signed, Decimal(price) * quantity)
            self.records.append(
                PositionOpened(
                    book_id=self.book_id,
                    date_ny=day,
                    ts=fill.ts,
                    strategy_id=strategy_id,
                    position_id=position_id,
                    intent_id=f"int_{number:06d}",
                    symbol=symbol,
                    quantity=quantity,
                    average_price=Decimal(price),
                    fill_ids=(fill.fill_id,),
                )
            )
            return self
        self._move(held, day, symbol, signed, fill)
        return self

    def _move(self, held: _Open, day: dt.date, symbol: str, signed: int, fill: Fill) -> None:
        key = self._key(symbol, held.strategy_id)
        if (held.quantity > 0) == (signed > 0) or held.quantity + signed != 0:
            # adding, partly closing or crossing zero: the fold knows the rest; keep a rough basis
            held.quantity += signed
            held.cost += fill.price * signed
            if held.quantity == 0:
                del self.positions[key]
            return
        average = abs(held.cost / (held.quantity or 1))
        self.records.append(
            PositionClosed(
                book_id=self.book_id,
                date_ny=day,
                ts=fill.ts,
                strategy_id=held.strategy_id,
                position_id=held.position_id,
                symbol=symbol,
                quantity=abs(held.quantity),
                average_price=average.quantize(Decimal("0.000001")) or Decimal("0.01"),
                exit_price=fill.price,
                realized_pnl=((fill.price - average) * held.quantity).quantize(Decimal("0.01")),
                fill_ids=(fill.fill_id,),
            )
        )
        del self.positions[key]

    def decide(
        self, day: dt.date, strategy_id: str, symbol: str, codes: tuple[str, ...], quantity: int = 0
    ) -> LedgerScript:
        number = self._next()
        outcome = DecisionOutcome.RESIZE if quantity else DecisionOutcome.REJECT
        self.records.append(
            Decision(
                book_id=self.book_id,
                date_ny=day,
                ts=at(day),
                strategy_id=strategy_id,
                decision_id=f"dec_{number:06d}",
                intent_id=f"int_{number:06d}",
                symbol=symbol,
                outcome=outcome,
                approved_quantity=quantity,
                reason_codes=codes,
            )
        )
        return self
