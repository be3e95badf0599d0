"""Reconciliation of one book: 500 positions, 1,000 working orders (a protective stop per position and 500
entry orders) and 1,000 fills (seeded, in memory, no I/O).

The ledger side is a folded ``BookState`` plus ``Fill`` records; the broker side is the broker protocol's
records. About 1% of each kind disagrees (quantities, stop prices, missing and unknown items), so the report
carries drift of every kind. Timed: ``end_to_end`` = expectation from the book + snapshot from the broker
records + ``reconcile``; ``engine`` = ``reconcile`` alone. Reported: median / max milliseconds over the
repeats and the number of drift items. Target: end-to-end median ≤ 100 ms.

``python benchmarks/bench_reconcile.py --smoke`` runs a small size (seconds, for a quick check).
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from decimal import Decimal
from typing import Any

import numpy as np

from avwap.core.canonical import canonical_json
from avwap.execution.broker import (
    BrokerAccount,
    BrokerFill,
    BrokerOrder,
    BrokerPosition,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from avwap.execution.reconcile import reconcile
from avwap.execution.reconcile_inputs import expectation_from_book, snapshot_from_broker
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.projection import BookState, OpenOrder, PositionState
from avwap.ledger.record_enums import Side
from avwap.ledger.records import Fill

SEED = 20260401
DAY = dt.date(2026, 4, 1)
OPEN = dt.datetime(2026, 4, 1, 13, 30, tzinfo=dt.UTC)
TAKEN_AT = dt.datetime(2026, 4, 1, 20, 30, tzinfo=dt.UTC)
DRIFT_EVERY = 100  # one item in a hundred disagrees
SMOKE = {"positions": 20, "entries": 20, "fills": 40, "repeats": 3}


def _price(rng: np.random.Generator) -> Decimal:
    return Decimal(f"{rng.uniform(5, 500):.2f}")


def _position(number: int, rng: np.random.Generator) -> PositionState:
    symbol = f"S{number:04d}"
    quantity = int(rng.integers(1, 2000))
    average = _price(rng)
    return PositionState(
        symbol=symbol,
        position_id=f"pos_{number:060d}",
        strategy_id="S1_AVWAP_CORE",
        quantity=quantity,
        cost_basis=average * quantity,
        average_price=average,
        stop_price=None,
        opened_date_ny=DAY,
        realized_pnl=Decimal(0),
        fill_ids=(),
    )


def _order(
    key: str, symbol: str, quantity: int, price: Decimal, position_id: str | None, *, stop: bool
) -> OpenOrder:
    return OpenOrder(
        order_id=f"ord_{key}",
        client_order_id=key,
        intent_id=f"int_{key}",
        strategy_id="S1_AVWAP_CORE",
        symbol=symbol,
        side="SELL" if stop else "BUY",
        order_type="STOP" if stop else "LIMIT",
        purpose="STOP" if stop else "ENTRY",
        quantity=quantity,
        filled_quantity=0,
        limit_price=None if stop else price,
        stop_price=price if stop else None,
        position_id=position_id,
        status="accepted",
        date_ny=DAY,
        time_in_force="GTC",
        broker_order_id=f"b-{key}",
    )


def _ledger_side(sizes: dict[str, int], rng: np.random.Generator) -> tuple[BookState, list[Fill]]:
    positions = {state.symbol: state for state in (_position(n, rng) for n in range(sizes["positions"]))}
    orders = {}
    for state in positions.values():
        key = f"stop-{state.symbol}"
        orders[key] = _order(key, state.symbol, state.quantity, _price(rng), state.position_id, stop=True)
    for number in range(sizes["entries"]):
        key = f"entry-{number:05d}"
        orders[key] = _order(key, f"E{number:04d}", int(rng.integers(1, 500)), _price(rng), None, stop=False)
    fills = [
        Fill(
            book_id=PAPER_SIM,
            date_ny=DAY,
            ts=OPEN + dt.timedelta(seconds=int(rng.integers(0, 23_400))),
            strategy_id="S1_AVWAP_CORE",
            fill_id=f"fil_{number:060d}",
            order_id=f"ord_{number:060d}",
            client_order_id=f"c-{number:05d}",
            position_id=f"pos_{number:060d}",
            symbol=f"S{number % max(1, sizes['positions']):04d}",
            side=Side.BUY,
            quantity=int(rng.integers(1, 500)),
            price=_price(rng),
            broker_fill_id=f"bf-{number:06d}",
        )
        for number in range(sizes["fills"])
    ]
    state = BookState(
        book_id=PAPER_SIM,
        cash=Decimal("1000000.00"),
        positions=dict(sorted(positions.items())),
        open_orders=dict(sorted(orders.items())),
        movement_ids=("evt_funding",),
    )
    return state, fills


def _broker_side(
    state: BookState, fills: list[Fill]
) -> tuple[list[BrokerPosition], list[BrokerOrder], list[BrokerFill]]:
    """The broker agreeing with the ledger, except for every ``DRIFT_EVERY``-th item of each kind."""
    positions = [
        BrokerPosition(
            symbol=item.symbol,
            quantity=item.quantity + (1 if index % DRIFT_EVERY == 1 else 0),
            average_entry_price=item.average_price,
            cost_basis=item.cost_basis,
            market_value=None,
            current_price=None,
        )
        for index, item in enumerate(state.positions.values())
        if index % DRIFT_EVERY != 0  # missing at the broker
    ]
    orders = [
        BrokerOrder(
            broker_order_id=item.broker_order_id or "",
            client_order_id=item.client_order_id if index % DRIFT_EVERY != 2 else f"manual-{index}",
            symbol=item.symbol,
            side=OrderSide(item.side),
            order_type=OrderType(item.order_type),
            time_in_force=TimeInForce.GTC,
            quantity=item.quantity,
            status=OrderStatus.ACCEPTED,
            broker_status="accepted",
            filled_quantity=0,
            average_fill_price=None,
            limit_price=item.limit_price,
            stop_price=item.stop_price if index % DRIFT_EVERY != 3 or item.stop_price is None
            else item.stop_price + Decimal("0.01"),
            submitted_at=OPEN,
            updated_at=OPEN,
        )
        for index, item in enumerate(state.open_orders.values())
    ]  # fmt: skip
    broker_fills = [
        BrokerFill(
            fill_id=item.broker_fill_id if index % DRIFT_EVERY != 4 else f"unrecorded-{index}",
            client_order_id=item.client_order_id,
            broker_order_id=f"b-{item.client_order_id}",
            symbol=item.symbol,
            side=OrderSide(str(item.side)),
            quantity=item.quantity,
            price=item.price,
            timestamp=item.ts,
        )
        for index, item in enumerate(fills)
    ]
    return positions, orders, broker_fills


def _time(action: Any, repeats: int) -> tuple[list[float], Any]:
    timings, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = action()
        timings.append((time.perf_counter() - started) * 1000)
    return timings, result


def run(*, smoke: bool = False) -> dict[str, Any]:
    """Full size (500 positions, 1,000 orders, 1,000 fills), or :data:`SMOKE` for CI."""
    return {**measure(**(SMOKE if smoke else {})), "smoke": smoke}


def measure(
    *, positions: int = 500, entries: int = 500, fills: int = 1000, repeats: int = 21
) -> dict[str, Any]:
    sizes = {"positions": positions, "entries": entries, "fills": fills}
    state, fill_records = _ledger_side(sizes, np.random.default_rng(SEED))
    broker_positions, broker_orders, broker_fills = _broker_side(state, fill_records)
    account = BrokerAccount(
        equity=Decimal("2000000"), cash=Decimal("1000000.00"), buying_power=Decimal("1000000"),
        status="ACTIVE", currency="USD",
    )  # fmt: skip

    def end_to_end() -> Any:
        mine = expectation_from_book(state, fill_records, date_ny=DAY, fills_since=OPEN)
        theirs = snapshot_from_broker(
            book_id=PAPER_SIM, taken_at=TAKEN_AT, fills_since=OPEN, account=account,
            positions=broker_positions, open_orders=broker_orders, fills=broker_fills,
        )  # fmt: skip
        return mine, theirs, reconcile(mine, theirs)

    whole, (mine, theirs, report) = _time(end_to_end, repeats)
    engine, again = _time(lambda: reconcile(mine, theirs), repeats)
    assert canonical_json(again) == canonical_json(report), "reconciliation is not deterministic"
    return {
        "positions": positions,
        "orders": len(state.open_orders),
        "fills": fills,
        "repeats": repeats,
        "drift_items": len(report.items),
        "drift_codes": sorted(code for code, count in report.counts.items() if count),
        "end_to_end_ms_median": round(statistics.median(whole), 2),
        "end_to_end_ms_max": round(max(whole), 2),
        "engine_ms_median": round(statistics.median(engine), 2),
        "engine_ms_max": round(max(engine), 2),
        "target_median_ms": 100,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2, sort_keys=True))
