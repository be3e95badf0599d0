"""The reconciliation engine: every drift code from a minimal case, clean books, incompleteness, ordering,
determinism, tolerances and the fill window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import msgspec
import pytest
from tests.unit.execution.reconcile_factories import (
    BOOK,
    SINCE,
    TAKEN_AT,
    entry,
    expectation,
    fill,
    position,
    snapshot_of,
    stop,
)

from avwap.core.canonical import canonical_json
from avwap.execution.reconcile import reconcile
from avwap.execution.reconcile_schema import (
    DRIFT_MEANINGS,
    INCOMPLETE_MEANINGS,
    BrokerSnapshot,
    DriftCode,
    IncompleteCode,
    LedgerExpectation,
    ReconciliationTolerances,
    SnapshotFailure,
    SnapshotOrder,
    SnapshotPosition,
)

Case = Callable[[], tuple[LedgerExpectation, BrokerSnapshot]]


def _broker_positions(snapshot: BrokerSnapshot, *positions: SnapshotPosition) -> BrokerSnapshot:
    return msgspec.structs.replace(snapshot, positions=tuple(sorted(positions, key=lambda item: item.symbol)))


def _broker_orders(snapshot: BrokerSnapshot, transform: Callable[[SnapshotOrder], Any]) -> BrokerSnapshot:
    orders = [order for order in map(transform, snapshot.open_orders) if order is not None]
    return msgspec.structs.replace(snapshot, open_orders=tuple(orders))


def qty_mismatch() -> tuple[LedgerExpectation, BrokerSnapshot]:
    mine = expectation()
    theirs = SnapshotPosition(symbol="AAPL", quantity=7, average_price=D("100.25"))
    return mine, _broker_positions(snapshot_of(mine), theirs)


def avg_price_mismatch() -> tuple[LedgerExpectation, BrokerSnapshot]:
    mine = expectation()
    theirs = SnapshotPosition(symbol="AAPL", quantity=10, average_price=D("100.30"))
    return mine, _broker_positions(snapshot_of(mine), theirs)


def missing_at_broker() -> tuple[LedgerExpectation, BrokerSnapshot]:
    mine = expectation()
    return mine, _broker_positions(snapshot_of(mine))


def unknown_at_broker() -> tuple[LedgerExpectation, BrokerSnapshot]:
    mine = expectation()
    held = (*snapshot_of(mine).positions, SnapshotPosition(symbol="ZZZ", quantity=3, average_price=D("9")))
    return mine, _broker_positions(snapshot_of(mine), *held)


def stop_missing() -> tuple[LedgerExpectation, BrokerSnapshot]:
    mine = expectation()
    return mine, _broker_orders(
        snapshot_of(mine), lambda order: None if order.order_type == "STOP" else order
    )


def stop_qty_mismatch() -> tuple[LedgerExpectation, BrokerSnapshot]:
    mine = expectation()
    smaller = msgspec.structs.replace
    return mine, _broker_orders(
        snapshot_of(mine),
        lambda order: smaller(order, filled_quantity=4) if order.order_type == "STOP" else order,
    )


def stop_price_mismatch() -> tuple[LedgerExpectation, BrokerSnapshot]:
    mine = expectation()
    lowered = msgspec.structs.replace
    return mine, _broker_orders(
        snapshot_of(mine),
        lambda order: lowered(order, stop_price=D("94.00")) if order.order_type == "STOP" else order,
    )


def order_missing_at_broker() -> tuple[LedgerExpectation, BrokerSnapshot]:
    mine = expectation()
    return mine, _broker_orders(snapshot_of(mine), lambda order: None if order.side == "BUY" else order)


def order_unknown_at_broker() -> tuple[LedgerExpectation, BrokerSnapshot]:
    mine = expectation()
    stray = entry("NVDA", key="operator-manual-1")
    broker = snapshot_of(expectation(open_orders=(*mine.open_orders, stray)))
    return mine, broker


def fill_unrecorded() -> tuple[LedgerExpectation, BrokerSnapshot]:
    mine = expectation()
    broker = snapshot_of(expectation(fills=(*mine.fills, fill("f-2", quantity=3))))
    return mine, broker


def fill_missing_at_broker() -> tuple[LedgerExpectation, BrokerSnapshot]:
    mine = expectation()
    return mine, snapshot_of(mine, fills=())


def cash_mismatch() -> tuple[LedgerExpectation, BrokerSnapshot]:
    mine = expectation()
    broker = snapshot_of(mine)
    account = msgspec.structs.replace(broker.account, cash=D("98997.40"))
    return mine, msgspec.structs.replace(broker, account=account)


CASES: dict[DriftCode, tuple[Case, str, D | None, D | None]] = {
    DriftCode.QTY_MISMATCH: (qty_mismatch, "AAPL", D(10), D(7)),
    DriftCode.AVG_PRICE_MISMATCH: (avg_price_mismatch, "AAPL", D("100.25"), D("100.30")),
    DriftCode.MISSING_AT_BROKER: (missing_at_broker, "AAPL", D(10), None),
    DriftCode.UNKNOWN_AT_BROKER: (unknown_at_broker, "ZZZ", None, D(3)),
    DriftCode.STOP_MISSING: (stop_missing, "stop-aapl", D(10), None),
    DriftCode.STOP_QTY_MISMATCH: (stop_qty_mismatch, "stop-aapl", D(10), D(6)),
    DriftCode.STOP_PRICE_MISMATCH: (stop_price_mismatch, "stop-aapl", D("95.00"), D("94.00")),
    DriftCode.ORDER_MISSING_AT_BROKER: (order_missing_at_broker, "entry-msft", D(5), None),
    DriftCode.ORDER_UNKNOWN_AT_BROKER: (order_unknown_at_broker, "operator-manual-1", None, D(5)),
    DriftCode.FILL_UNRECORDED: (fill_unrecorded, "f-2", None, D(3)),
    DriftCode.FILL_MISSING_AT_BROKER: (fill_missing_at_broker, "f-1", D(10), None),
    DriftCode.CASH_MISMATCH: (cash_mismatch, "cash", D("98997.50"), D("98997.40")),
}


def test_every_drift_code_has_a_case() -> None:
    assert set(CASES) == set(DriftCode)


@pytest.mark.parametrize("code", list(DriftCode))
def test_each_drift_code_comes_from_its_minimal_case(code: DriftCode) -> None:
    build, reference, ledger_value, broker_value = CASES[code]
    report = reconcile(*build())
    assert report.complete
    assert [(item.code, item.reference) for item in report.items] == [(code, reference)]
    (item,) = report.items
    assert (item.ledger_value, item.broker_value) == (ledger_value, broker_value)
    assert report.counts[code] == 1 and sum(report.counts.values()) == 1
    assert item.detail


def test_a_clean_book_has_no_drift_and_zero_counts() -> None:
    mine = expectation()
    report = reconcile(mine, snapshot_of(mine))
    assert report.complete and not report.has_drift and report.items == ()
    assert report.counts == dict.fromkeys((str(code) for code in DriftCode), 0)
    assert report.cash_checked and report.ledger_cash == D("98997.50")
    assert report.compared == {
        "broker_fills": 1,
        "broker_orders": 2,
        "broker_positions": 1,
        "ledger_fills": 1,
        "ledger_orders": 2,
        "ledger_positions": 1,
    }


def test_a_quantity_mismatch_does_not_also_report_the_average_price() -> None:
    mine = expectation()
    theirs = SnapshotPosition(symbol="AAPL", quantity=12, average_price=D("101"))
    report = reconcile(mine, _broker_positions(snapshot_of(mine), theirs))
    assert [item.code for item in report.items] == [DriftCode.QTY_MISMATCH]


def test_differences_within_the_tolerances_are_not_drift() -> None:
    mine = expectation()
    broker = snapshot_of(mine)
    near = msgspec.structs.replace(broker.account, cash=D("98997.51"))
    nudged = SnapshotPosition(symbol="AAPL", quantity=10, average_price=D("100.25004"))
    broker = _broker_positions(msgspec.structs.replace(broker, account=near), nudged)
    assert reconcile(mine, broker).items == ()
    strict = ReconciliationTolerances(cash=D("0"), average_price=D("0"))
    codes = [item.code for item in reconcile(mine, broker, strict).items]
    assert codes == [DriftCode.AVG_PRICE_MISMATCH, DriftCode.CASH_MISMATCH]


def test_unknown_ledger_cash_is_not_compared() -> None:
    mine = expectation(cash=None)
    broker = snapshot_of(mine)
    report = reconcile(mine, broker)
    assert report.items == () and not report.cash_checked
    assert broker.account.cash == D("12345.67")


def test_fills_are_compared_only_inside_the_common_window() -> None:
    early = fill("f-0", at=SINCE - dt.timedelta(minutes=1))
    mine = expectation(fills=(early, fill()), fills_since=SINCE - dt.timedelta(hours=1))
    broker = snapshot_of(mine, fills_since=SINCE, fills=snapshot_of(expectation()).fills)
    report = reconcile(mine, broker)
    assert report.items == ()  # f-0 is before the broker's window: not comparable, not drift
    assert report.compared["ledger_fills"] == 1


def test_a_broker_failure_gives_an_incomplete_report_never_no_drift() -> None:
    failure = SnapshotFailure(
        book_id=BOOK, at=TAKEN_AT, code=IncompleteCode.BROKER_UNAVAILABLE, reason="ReadTimeout: 10 s"
    )
    report = reconcile(expectation(), failure)
    assert not report.complete and report.incomplete_code == IncompleteCode.BROKER_UNAVAILABLE
    assert report.incomplete_reason == "ReadTimeout: 10 s" and report.items == ()
    assert report.as_of == TAKEN_AT and report.broker_account is None


def test_a_snapshot_of_another_book_is_incomplete() -> None:
    mine = expectation()
    report = reconcile(mine, snapshot_of(mine, book_id="ALPACA_PAPER"))
    assert report.incomplete_code == IncompleteCode.SNAPSHOT_BOOK_MISMATCH
    assert "ALPACA_PAPER" in report.incomplete_reason and report.items == ()


def _everything_drifts() -> tuple[LedgerExpectation, BrokerSnapshot]:
    mine = expectation(
        positions=(position("AAPL"), position("MSFT", 4), position("TSLA", 2)),
        open_orders=(stop("AAPL"), stop("MSFT", 4), entry("NVDA")),
        fills=(fill("f-1"), fill("f-9", "TSLA")),
    )
    broker = snapshot_of(
        expectation(
            positions=(position("AAPL", 8), position("MSFT", 4, "99"), position("ZZZ", 1)),
            open_orders=(stop("AAPL", 8), stop("MSFT", 4, "90.00"), entry("AMD", key="stray")),
            fills=(fill("f-1"), fill("f-5", "AAPL", 2)),
        ),
    )
    cash = msgspec.structs.replace(broker.account, cash=D("1"))
    return mine, msgspec.structs.replace(broker, account=cash)


def test_items_are_sorted_by_code_then_symbol_then_reference() -> None:
    report = reconcile(*_everything_drifts())
    codes = [(str(item.code), item.symbol, item.reference) for item in report.items]
    assert codes == [
        ("QTY_MISMATCH", "AAPL", "AAPL"),
        ("AVG_PRICE_MISMATCH", "MSFT", "MSFT"),
        ("MISSING_AT_BROKER", "TSLA", "TSLA"),
        ("UNKNOWN_AT_BROKER", "ZZZ", "ZZZ"),
        ("STOP_QTY_MISMATCH", "AAPL", "stop-aapl"),
        ("STOP_PRICE_MISMATCH", "MSFT", "stop-msft"),
        ("ORDER_MISSING_AT_BROKER", "NVDA", "entry-nvda"),
        ("ORDER_UNKNOWN_AT_BROKER", "AMD", "stray"),
        ("FILL_UNRECORDED", "AAPL", "f-5"),
        ("FILL_MISSING_AT_BROKER", "TSLA", "f-9"),
        ("CASH_MISMATCH", "", "cash"),
    ]


def test_same_inputs_give_the_same_bytes() -> None:
    mine, broker = _everything_drifts()
    first = canonical_json(reconcile(mine, broker))
    for _ in range(3):  # fresh, decoded copies of both sides: equal values, equal bytes
        copy_mine = msgspec.convert(msgspec.to_builtins(mine), LedgerExpectation, strict=False)
        copy_broker = msgspec.convert(msgspec.to_builtins(broker), BrokerSnapshot, strict=False)
        assert canonical_json(reconcile(copy_mine, copy_broker)) == first


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"positions": (position("MSFT"), position("AAPL"))}, "not sorted"),
        ({"positions": (position("AAPL"), position("AAPL"))}, "twice"),
        ({"schema_version": 2}, "schema_version"),
    ],
)
def test_the_schema_refuses_unsorted_duplicated_or_foreign_versions(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        expectation(**change)


def test_decoding_rejects_unknown_fields_and_reads_money_as_decimal() -> None:
    plain = msgspec.to_builtins(expectation())
    assert msgspec.convert(plain, LedgerExpectation) == expectation()
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.convert({**plain, "surprise": 1}, LedgerExpectation)
    report = reconcile(*cash_mismatch())
    encoded = msgspec.json.encode(report)
    assert b'"98997.40"' in encoded
    assert msgspec.json.decode(encoded, type=type(report)) == report


def test_tolerances_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="cash"):
        ReconciliationTolerances(cash=D("-0.01"))


def test_every_code_has_a_documented_meaning() -> None:
    assert set(DRIFT_MEANINGS) == set(DriftCode) and all(DRIFT_MEANINGS.values())
    assert set(INCOMPLETE_MEANINGS) == set(IncompleteCode) and all(INCOMPLETE_MEANINGS.values())
