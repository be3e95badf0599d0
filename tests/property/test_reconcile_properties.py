"""Reconciliation properties: a projection reconciled against a snapshot derived from itself has no
drift; removing one thing from that snapshot gives exactly the one drift item it should; reports are
deterministic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.execution.reconcile_factories import BOOK, DAY, SINCE, snapshot_of

from avwap.core.canonical import canonical_json
from avwap.execution.broker import OrderSide, OrderType
from avwap.execution.reconcile import reconcile
from avwap.execution.reconcile_schema import (
    DriftCode,
    ExpectedFill,
    ExpectedOrder,
    ExpectedPosition,
    LedgerExpectation,
)

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
