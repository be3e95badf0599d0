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
from avwap.execution.context import CycleDependencies, CycleFacts
from avwap.execution.cycle import establish_facts
from avwap.execution.exit_orders import submit_market_exit
from avwap.execution.sim_broker import SimBroker
from avwap.ledger.projection_state import PositionState
from avwap.ledger.records import Note, Record

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
    """The reason note, the lot's stop's cancellation and the lot's exit order (recorded, then sent): the
    shared exit path of :mod:`avwap.execution.exit_orders`."""
    return submit_market_exit(
        deps,
        facts,
        broker,
        position,
        code=DATA_ENDED_CODE,
        message=(
            f"{item.symbol}: the data ends on {item.last_bar} (no bar on {day} or later in the store); "
            f"{position.quantity} shares closed at the last close {item.last_close}"
        ),
        cancel_reason=f"{DATA_ENDED_CODE}: closing at the last price",
        detail={"last_bar": item.last_bar.isoformat(), "last_close": str(item.last_close)},
    )


def data_ended_orders(records: Sequence[Record]) -> set[str]:
    """Client order ids of the exits made because a symbol's data ended (from the notes)."""
    return {
        str(record.detail["client_order_id"])
        for record in records
        if isinstance(record, Note) and record.code == DATA_ENDED_CODE
    }
