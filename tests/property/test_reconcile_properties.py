"""Reconciliation properties: a projection reconciled against a snapshot derived from itself has no
drift; removing one thing from that snapshot gives exactly the one drift item it should; reports are
deterministic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.execution.reconcile_factories import BOOK, DAY, SINCE, snapshot_of

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
from avwap.execution.reconcile_schema import (
    DriftCode,
    ExpectedFill,
    ExpectedOrder,
    ExpectedPosition,
    LedgerExpectation,
)
from avwap.ledger.projection import BookState, OpenOrder, PositionState
from avwap.ledger.record_enums import Side
from avwap.ledger.records import Fill

SYMBOLS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=5)
PRICES = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
SHARES = st.integers(min_value=1, max_value=10_000)


@st.composite
def expectations(draw: st.DrawFn) -> LedgerExpectation:
    symbols = draw(st.lists(SYMBOLS, unique=True, max_size=8))
    positions = tuple(
        ExpectedPosition(
            symbol=symbol,
            position_id=f"pos_{symbol}",
            quantity=draw(SHARES) * draw(st.sampled_from((1, -1))),
            average_price=draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=6)),
        )
        for symbol in sorted(symbols)
    )
    orders = []
    for number in range(draw(st.integers(min_value=0, max_value=8))):
        protective = draw(st.booleans())
        kind = OrderType.STOP if protective else draw(st.sampled_from((OrderType.LIMIT, OrderType.MARKET)))
        orders.append(
            ExpectedOrder(
                client_order_id=f"c-{number:03d}",
                broker_order_id=draw(st.none() | st.just(f"b-{number}")),
                symbol=draw(SYMBOLS),
                side=OrderSide.SELL if protective else draw(st.sampled_from(tuple(OrderSide))),
                order_type=kind,
                purpose="STOP" if protective else draw(st.sampled_from(("ENTRY", "EXIT"))),
                remaining_quantity=draw(SHARES),
                limit_price=draw(PRICES) if kind == OrderType.LIMIT else None,
                stop_price=draw(PRICES) if protective else None,
                position_id=None,
                status=draw(st.sampled_from(("SUBMITTED", "accepted", "PARTIAL"))),
            )
        )
    fill_keys = draw(st.lists(st.text(alphabet="0123456789abcdef-", min_size=1, max_size=12), unique=True))
    fills = tuple(
        ExpectedFill(
            fill_id=f"fil_{key}",
            broker_fill_id=key,
            client_order_id=f"c-{key}",
            symbol=draw(SYMBOLS),
            side=draw(st.sampled_from(tuple(OrderSide))),
            quantity=draw(SHARES),
            price=draw(PRICES),
            timestamp=SINCE + dt.timedelta(seconds=draw(st.integers(min_value=0, max_value=23_400))),
        )
        for key in sorted(fill_keys)
    )
    cash = draw(st.none() | st.decimals(min_value=Decimal("-1e6"), max_value=Decimal("1e7"), places=2))
    return LedgerExpectation(
        book_id=BOOK,
        date_ny=DAY,
        cash=cash,
        fills_since=SINCE,
        positions=positions,
        open_orders=tuple(orders),
        fills=fills,
    )


@given(expectations())
def test_a_projection_against_a_snapshot_derived_from_itself_has_no_drift(mine: LedgerExpectation) -> None:
    report = reconcile(mine, snapshot_of(mine))
    assert report.complete and report.items == ()
    assert set(report.counts.values()) == {0}
    assert report.cash_checked == (mine.cash is not None)


@given(expectations(), st.data())
def test_removing_one_thing_at_the_broker_is_exactly_one_drift_item(
    mine: LedgerExpectation, data: st.DataObject
) -> None:
    broker = snapshot_of(mine)
    choices = [("positions", index) for index in range(len(broker.positions))]
    choices += [("open_orders", index) for index in range(len(broker.open_orders))]
    choices += [("fills", index) for index in range(len(broker.fills))]
    if not choices:
        return
    field, index = data.draw(st.sampled_from(choices))
    kept = getattr(broker, field)[:index] + getattr(broker, field)[index + 1 :]
    report = reconcile(mine, msgspec.structs.replace(broker, **{field: kept}))
    (item,) = report.items
    if field == "positions":
        assert (item.code, item.reference) == (DriftCode.MISSING_AT_BROKER, mine.positions[index].symbol)
    elif field == "open_orders":
        order = mine.open_orders[index]
        expected = DriftCode.STOP_MISSING if order.is_protective_stop else DriftCode.ORDER_MISSING_AT_BROKER
        assert (item.code, item.reference) == (expected, order.client_order_id)
    else:
        assert (item.code, item.reference) == (
            DriftCode.FILL_MISSING_AT_BROKER,
            mine.fills[index].broker_fill_id,
        )


@given(expectations(), expectations())
def test_reports_are_deterministic_and_always_sorted(
    mine: LedgerExpectation, other: LedgerExpectation
) -> None:
    broker = snapshot_of(other)
    first = reconcile(mine, broker)
    assert canonical_json(first) == canonical_json(reconcile(mine, broker))
    keys = [item.sort_key for item in first.items]
    assert keys == sorted(keys) and sum(first.counts.values()) == len(first.items)


@st.composite
def books(draw: st.DrawFn) -> tuple[BookState, list[Fill]]:
    """A folded book state (positions, working orders incl. stops, cash) and its Fill records."""
    symbols = sorted(draw(st.lists(SYMBOLS, unique=True, max_size=6)))
    positions = {}
    for number, symbol in enumerate(symbols):
        quantity, average = draw(SHARES), draw(PRICES)
        positions[f"pos_{number}"] = PositionState(
            symbol=symbol, position_id=f"pos_{number}", strategy_id="S1_AVWAP_CORE", quantity=quantity,
            cost_basis=average * quantity, average_price=average, stop_price=None, opened_date_ny=DAY,
            realized_pnl=Decimal(0), fill_ids=(),
        )  # fmt: skip
    orders = {}
    for number in range(draw(st.integers(min_value=0, max_value=6))):
        protective = draw(st.booleans())
        key = f"c-{number:03d}"
        orders[key] = OpenOrder(
            order_id=f"ord_{number}",
            client_order_id=key,
            intent_id=f"int_{number}",
            strategy_id="S1_AVWAP_CORE",
            symbol=draw(SYMBOLS),
            side="SELL" if protective else "BUY",
            order_type="STOP" if protective else "LIMIT",
            purpose="STOP" if protective else "ENTRY",
            quantity=draw(SHARES) + 5,
            filled_quantity=draw(st.integers(min_value=0, max_value=5)),
            limit_price=None if protective else draw(PRICES),
            stop_price=draw(PRICES) if protective else None,
            position_id=None,
            status="accepted",
            date_ny=DAY,
            time_in_force=draw(st.sampled_from(("DAY", "GTC"))),
            broker_order_id=f"b-{number}",
        )
    fills = [
        Fill(
            book_id=BOOK, date_ny=DAY, ts=SINCE + dt.timedelta(seconds=draw(st.integers(0, 23_400))),
            strategy_id="S1_AVWAP_CORE", fill_id=f"fil_{number}", order_id=f"ord_{number}",
            client_order_id=f"c-{number:03d}", position_id=f"pos_{number}", symbol=draw(SYMBOLS),
            side=draw(st.sampled_from(tuple(Side))), quantity=draw(SHARES), price=draw(PRICES),
            broker_fill_id=f"bf-{number}",
        )
        for number in range(draw(st.integers(min_value=0, max_value=6)))
    ]  # fmt: skip
    cash = draw(st.decimals(min_value=Decimal("-1e5"), max_value=Decimal("1e6"), places=2))
    movements = ("evt_funding",) if draw(st.booleans()) else ()
    state = BookState(
        book_id=BOOK, cash=cash, positions=positions, open_orders=orders, movement_ids=movements
    )
    return state, fills


def _broker_records_of(state: BookState, fills: list[Fill]) -> dict[str, Any]:
    """What a broker in agreement with ``state`` reports, in the broker protocol's records."""
    return {
        "account": BrokerAccount(
            equity=state.cash, cash=state.cash, buying_power=max(state.cash, Decimal(0)), status="ACTIVE",
            currency="USD",
        ),
        "positions": [
            BrokerPosition(
                symbol=item.symbol, quantity=item.quantity, average_entry_price=item.average_price,
                cost_basis=item.cost_basis, market_value=None, current_price=None,
            )
            for item in state.positions.values()
        ],
        "open_orders": [
            BrokerOrder(
                broker_order_id=item.broker_order_id or "", client_order_id=item.client_order_id,
                symbol=item.symbol, side=OrderSide(item.side), order_type=OrderType(item.order_type),
                time_in_force=TimeInForce(item.time_in_force), quantity=item.quantity,
                status=OrderStatus.PARTIALLY_FILLED if item.filled_quantity else OrderStatus.ACCEPTED,
                broker_status="accepted", filled_quantity=item.filled_quantity, average_fill_price=None,
                limit_price=item.limit_price, stop_price=item.stop_price,
                submitted_at=SINCE, updated_at=SINCE,
            )
            for item in state.open_orders.values()
        ],
        "fills": [
            BrokerFill(
                fill_id=item.broker_fill_id, client_order_id=item.client_order_id, broker_order_id="b",
                symbol=item.symbol, side=OrderSide(str(item.side)), quantity=item.quantity, price=item.price,
                timestamp=item.ts,
            )
            for item in fills
        ],
    }  # fmt: skip


@given(books())
def test_a_folded_book_against_a_broker_that_agrees_with_it_has_no_drift(
    book: tuple[BookState, list[Fill]],
) -> None:
    state, fills = book
    mine = expectation_from_book(state, fills, date_ny=DAY, fills_since=SINCE)
    theirs = snapshot_from_broker(
        book_id=BOOK,
        taken_at=SINCE + dt.timedelta(hours=7),
        fills_since=SINCE,
        **_broker_records_of(state, fills),
    )
    report = reconcile(mine, theirs)
    assert report.complete and report.items == (), [item.detail for item in report.items]
    assert report.compared["ledger_orders"] == report.compared["broker_orders"] == len(state.open_orders)
    assert report.cash_checked == bool(state.movement_ids)
