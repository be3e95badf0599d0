"""Held symbols whose data has ended for good (a delisting, or a store that stops before the run's end).

On a session ``D`` a held symbol without a bar is one of two things, decided from the bar store's last daily
bar of the symbol (the store's coverage, not the bars read for the run, so a run that ends early decides as a
longer run would up to its end):

* **missing today** (the store has a later bar): the resting stop is kept and a ``BACKTEST_BAR_MISSING`` note
  says why (:meth:`avwap.backtest.engine.BacktestEngine.note_missing_bars`);
* **data ended** (the store's last bar is before ``D``): the position is closed at its last price, through
  the normal exit path: a ``BACKTEST_DATA_ENDED`` note (the reason, first), the resting stop canceled, a
  MARKET sell (purpose EXIT) recorded and sent to the simulated broker, which fills it in the first minute
  of ``D`` on a one-price bar at the last close with the last bar's volume (costs and any participation cap
  as for any fill; what a cap leaves is retried the next session under the next order revision). The
  session's first cycle records the fill and closes the position as for any other exit. The trades table
  gives such a trade the exit reason ``BACKTEST_DATA_ENDED``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from avwap.backtest.fill_rules import DATA_ENDED_CODE
from avwap.core.calendar import nyse
from avwap.core.clock import SimulatedClock
from avwap.core.ids import client_order_id
from avwap.execution.broker_sync import send
from avwap.execution.context import CycleDependencies, CycleFacts
from avwap.execution.cycle import establish_facts
from avwap.execution.protective import working_stop
from avwap.execution.sim_broker import SimBroker
from avwap.ledger import record_ids
from avwap.ledger.projection_state import PositionState
from avwap.ledger.record_enums import OrderPurpose, OrderType, Side, TimeInForce
from avwap.ledger.records import Note, OrderCanceled, OrderSubmitted, Record

__all__ = ["DATA_ENDED_CODE", "FILL_RULE", "Ended", "close_ended", "data_ended_orders"]

FILL_RULE: Final = "data ended: last close x (1 - slippage)"
FILL_BAR: Final = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Ended:
    symbol: str
    last_bar: dt.date
    last_close: Decimal
    last_volume: float  # the fill bar's volume (a participation cap, when configured, applies to it)


def close_ended(
    deps: CycleDependencies, clock: SimulatedClock, broker: SimBroker, ended: Sequence[Ended], day: dt.date
) -> list[str]:
    """Close each held symbol of ``ended`` at its last close at the open of ``day``; returns the exit orders'
    client order ids (the session's first cycle records their fills)."""
    opening = nyse().session_open(day)
    clock.set(opening)
    facts = establish_facts(deps)
    client_ids = [
        _submit_exit(deps, facts, broker, item, day, lot)
        for item in ended
        for lot in deps.book.state.lots_of(item.symbol)  # each strategy's lot its own exit (one, usually)
    ]
    clock.set(opening + FILL_BAR)
    for item in ended:
        price = item.last_close
        broker.on_bar(item.symbol, opening, price, price, price, price, item.last_volume, opening + FILL_BAR)
    return client_ids


def _submit_exit(  # noqa: PLR0917 - the lot is the sixth fact of one exit
    deps: CycleDependencies,
    facts: CycleFacts,
    broker: SimBroker,
    item: Ended,
    day: dt.date,
    position: PositionState,
) -> str:
    """The reason note, the lot's stop's cancellation and the lot's exit order (recorded, then sent)."""
    stamp = facts.stamp(deps.book.book_id)
    base = client_order_id(position.intent_id or position.position_id, "exit", 0)
    # a later attempt (the first filled only partly, under a participation cap) gets the next revision
    attempts = sum(1 for known in deps.book.state.client_order_ids if known.startswith(base))
    client_id = client_order_id(position.intent_id or position.position_id, "exit", attempts)
    deps.book.record(
        Note(
            **stamp,
            strategy_id=position.strategy_id,
            code=DATA_ENDED_CODE,
            message=(
                f"{item.symbol}: the data ends on {item.last_bar} (no bar on {day} or later in the store); "
                f"{position.quantity} shares closed at the last close {item.last_close}"
            ),
            symbol=item.symbol,
            detail={
                "last_bar": item.last_bar.isoformat(),
                "last_close": str(item.last_close),
                "position_id": position.position_id,
                "client_order_id": client_id,
            },
        )
    )
    stop = working_stop(deps, position)
    if stop is not None:
        broker.cancel_order(stop.client_order_id)
        deps.book.record(
            OrderCanceled(
                **stamp,
                strategy_id=stop.strategy_id,
                order_id=stop.order_id,
                client_order_id=stop.client_order_id,
                symbol=item.symbol,
                reason=f"{DATA_ENDED_CODE}: closing at the last price",
            )
        )
    deps.book.record(
        OrderSubmitted(
            **stamp,
            strategy_id=position.strategy_id,
            order_id=record_ids.order_id(book_id=deps.book.book_id, client_order_id=client_id),
            client_order_id=client_id,
            symbol=item.symbol,
            intent_id=position.intent_id or "int_adopted",
            position_id=position.position_id,
            side=Side.SELL,
            order_type=OrderType.MARKET,
            quantity=position.quantity,
            purpose=OrderPurpose.EXIT,
            time_in_force=TimeInForce.DAY,
        )
    )
    send(deps, facts, deps.book.state.open_orders[client_id], broker)
    return client_id


def data_ended_orders(records: Sequence[Record]) -> set[str]:
    """Client order ids of the exits made because a symbol's data ended (from the notes)."""
    return {
        str(record.detail["client_order_id"])
        for record in records
        if isinstance(record, Note) and record.code == DATA_ENDED_CODE
    }
