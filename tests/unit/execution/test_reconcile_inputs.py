"""The two sides of a reconciliation: the ledger expectation folded from real records, the broker snapshot
from broker records and views (errors become an incomplete report), and the renderings."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D
from pathlib import Path

import msgspec
import pytest
from tests.unit.execution.reconcile_factories import BOOK, TAKEN_AT, expectation, snapshot_of
from tests.unit.ledger import factories as ledger

from avwap.core.clock import FixedClock
from avwap.core.errors import BrokerError, BrokerRejectedError, BrokerUnavailableError, DataError
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
from avwap.execution.reconcile_inputs import capture_snapshot, expectation_from_book, snapshot_from_broker
from avwap.execution.reconcile_render import (
    inputs_hash,
    read_report,
    render_table,
    report_path,
    write_report,
)
from avwap.execution.reconcile_schema import DriftCode, IncompleteCode, SnapshotFailure
from avwap.ledger.atomic import build_provenance
from avwap.ledger.projection import fold_book
from avwap.ledger.record_enums import OrderPurpose, Side

DAY = ledger.DAY
SINCE = dt.datetime(2026, 4, 1, 13, 30, tzinfo=dt.UTC)


def _held_with_stop() -> list:
    """Fund 10,000; buy 10 AAPL @ 100 in two fills; a protective stop for the 10 shares at 97.50."""
    trade, entry, first, second, _, _ = ledger.round_trip_parts()
    guard = ledger.submit(
        trade,
        OrderPurpose.STOP,
        Side.SELL,
        quantity=10,
        position_id=ledger.position_of(trade),
        stop_price=D("97.50"),
    )
    return [
        ledger.deposit("10000.00"),
        trade,
        ledger.approve(trade),
        entry,
        ledger.acknowledge(entry),
        first,
        second,
        ledger.opened(trade, [first, second], "100.00"),
        guard,
        ledger.acknowledge(guard),
    ]


def test_the_expectation_is_the_folded_book_plus_its_fills_in_the_window() -> None:
    records = _held_with_stop()
    state = fold_book(records, BOOK)
    mine = expectation_from_book(state, records, date_ny=DAY, fills_since=SINCE)
    ((symbol, quantity, average),) = [(p.symbol, p.quantity, p.average_price) for p in mine.positions]
    assert (symbol, quantity, average) == ("AAPL", 10, D("100"))
    (guard,) = mine.open_orders
    assert guard.is_protective_stop and (guard.remaining_quantity, guard.stop_price) == (10, D("97.50"))
    assert guard.broker_order_id is not None and guard.broker_order_id.startswith("broker-")
    assert mine.cash == D("10000.00") - D("1000.00") - D("2")  # two $1 commissions
    assert [fill.quantity for fill in mine.fills] == [4, 6]
    later = expectation_from_book(state, records, date_ny=DAY, fills_since=SINCE + dt.timedelta(hours=2))
    assert later.fills == ()  # both fills were before the window


def test_without_funding_the_ledger_cash_is_not_compared_unless_asked() -> None:
    records = _held_with_stop()[1:]
    state = fold_book(records, BOOK)
    assert expectation_from_book(state, records, date_ny=DAY, fills_since=None).cash is None
    forced = expectation_from_book(state, records, date_ny=DAY, fills_since=None, compare_cash=True)
    assert forced.cash == D("-1002")


def test_day_orders_of_earlier_dates_are_not_expected_to_work() -> None:
    trade = ledger.intent()
    entry = ledger.submit(trade)  # a DAY market order of DAY, never filled
    records = [trade, entry]
    state = fold_book(records, BOOK)
    assert len(expectation_from_book(state, records, date_ny=DAY, fills_since=None).open_orders) == 1
    next_day = DAY + dt.timedelta(days=1)
    assert expectation_from_book(state, records, date_ny=next_day, fills_since=None).open_orders == ()


def _order(key: str, symbol: str, status: OrderStatus = OrderStatus.NEW) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=f"b-{key}",
        client_order_id=key,
        symbol=symbol,
        side=OrderSide.SELL,
        order_type=OrderType.STOP,
        time_in_force=TimeInForce.GTC,
        quantity=10,
        status=status,
        broker_status=status.value.lower(),
        filled_quantity=0,
        average_fill_price=None,
        limit_price=None,
        stop_price=D("97.5"),
        submitted_at=SINCE,
        updated_at=SINCE,
    )


ACCOUNT = BrokerAccount(
    equity=D("10000"), cash=D("8998"), buying_power=D("8998"), status="ACTIVE", currency="USD"
)


def _position(symbol: str, quantity: int) -> BrokerPosition:
    return BrokerPosition(
        symbol=symbol,
        quantity=quantity,
        average_entry_price=D("100"),
        cost_basis=D(100 * quantity),
        market_value=None,
        current_price=None,
    )


def _fill(key: str, at: dt.datetime) -> BrokerFill:
    return BrokerFill(
        fill_id=key,
        client_order_id="c-1",
        broker_order_id="b-1",
        symbol="AAPL",
        side=OrderSide.BUY,
        quantity=1,
        price=D("100"),
        timestamp=at,
    )


def test_the_snapshot_is_canonical_whatever_order_the_broker_answers_in() -> None:
    positions = [_position("MSFT", 3), _position("AAPL", 10), _position("ZERO", 0)]
    orders = [_order("z", "MSFT"), _order("a", "AAPL"), _order("done", "AAPL", OrderStatus.FILLED)]
    fills = [_fill("f-2", SINCE), _fill("f-1", SINCE), _fill("old", SINCE - dt.timedelta(seconds=1))]
    common = {"book_id": BOOK, "taken_at": TAKEN_AT, "fills_since": SINCE, "account": ACCOUNT}
    first = snapshot_from_broker(**common, positions=positions, open_orders=orders, fills=fills)
    second = snapshot_from_broker(
        **common, positions=positions[::-1], open_orders=orders[::-1], fills=fills[::-1]
    )
    assert first == second
    assert [item.symbol for item in first.positions] == ["AAPL", "MSFT"]  # zero quantity dropped
    assert [item.client_order_id for item in first.open_orders] == ["a", "z"]  # filled order dropped
    assert [item.fill_id for item in first.fills] == ["f-1", "f-2"]  # before the window dropped


class _View:
    def __init__(self, error: Exception | None = None, failing: str = "") -> None:
        self.error, self.failing = error, failing

    def _maybe_fail(self, name: str) -> None:
        if name == self.failing and self.error is not None:
            raise self.error

    def account(self) -> BrokerAccount:
        self._maybe_fail("account")
        return ACCOUNT

    def positions(self) -> list[BrokerPosition]:
        self._maybe_fail("positions")
        return [_position("AAPL", 10), _position("AAPL", 10)] if self.failing == "duplicate" else []

    def open_orders(self) -> list[BrokerOrder]:
        self._maybe_fail("open_orders")
        return []

    def fills(self, since: dt.datetime | None) -> list[BrokerFill]:
        self._maybe_fail("fills")
        return []


@pytest.mark.parametrize(
    ("error", "failing", "code"),
    [
        (
            BrokerUnavailableError("Alpaca unreachable: ReadTimeout"),
            "fills",
            IncompleteCode.BROKER_UNAVAILABLE,
        ),
        (BrokerUnavailableError("Alpaca HTTP 503"), "account", IncompleteCode.BROKER_UNAVAILABLE),
        (BrokerRejectedError("HTTP 401", status=401), "positions", IncompleteCode.BROKER_REJECTED),
        (BrokerError("fractional qty"), "open_orders", IncompleteCode.BROKER_ERROR),
        (None, "duplicate", IncompleteCode.BROKER_ERROR),
    ],
)
def test_a_broker_error_while_snapshotting_is_an_incomplete_report(
    error: Exception | None, failing: str, code: IncompleteCode
) -> None:
    clock = FixedClock(TAKEN_AT)
    taken = capture_snapshot(_View(error, failing), book_id=BOOK, clock=clock, fills_since=SINCE)
    assert isinstance(taken, SnapshotFailure) and taken.code == code and taken.at == TAKEN_AT
    report = reconcile(expectation(), taken)
    assert not report.complete and report.incomplete_code == code and report.incomplete_reason
    assert "INCOMPLETE" in render_table(report)


def test_a_healthy_view_gives_a_snapshot() -> None:
    taken = capture_snapshot(_View(), book_id=BOOK, clock=FixedClock(TAKEN_AT), fills_since=SINCE)
    assert not isinstance(taken, SnapshotFailure)
    assert (taken.taken_at, taken.account.cash, taken.positions) == (TAKEN_AT, D("8998"), ())


def _drifting() -> tuple:
    mine = expectation()
    theirs = snapshot_of(mine, positions=())
    return mine, theirs, reconcile(mine, theirs)


def test_the_artifact_is_atomic_canonical_with_provenance_and_reads_back(tmp_path: Path) -> None:
    mine, theirs, report = _drifting()
    provenance = build_provenance("cfg", inputs_hash(mine, theirs), DAY, code_version="test")
    path, digest = write_report(tmp_path / "a", report, provenance)
    again, again_digest = write_report(tmp_path / "b", reconcile(mine, theirs), provenance)
    assert (
        path
        == report_path(tmp_path / "a", BOOK, DAY)
        == tmp_path / "a/reconciliation/PAPER_SIM/2026-04-01.json"
    )
    assert path.read_bytes() == again.read_bytes() and digest == again_digest
    document = json.loads(path.read_text())
    assert document["kind"] == "reconciliation_report"
    assert document["provenance"]["data_hash"] == inputs_hash(mine, theirs)
    assert document["report"]["counts"]["MISSING_AT_BROKER"] == 1
    assert read_report(path) == report
    assert list(path.parent.iterdir()) == [path]  # no temp file left behind


def test_inputs_hash_changes_with_either_side() -> None:
    mine, theirs, _ = _drifting()
    assert inputs_hash(mine, theirs) != inputs_hash(mine, snapshot_of(mine))
    assert inputs_hash(mine, theirs) != inputs_hash(expectation(cash=None), theirs)


def test_a_malformed_or_foreign_artifact_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{"kind": "reconciliation_report", "report": {"book_id": "PAPER_SIM"')
    with pytest.raises(DataError, match="unreadable"):
        read_report(path)
    path.write_text('{"kind": "portfolio_snapshot", "report": {}}')
    with pytest.raises(DataError, match="not a reconciliation report"):
        read_report(path)
    _, _, report = _drifting()
    document = {"kind": "reconciliation_report", "report": {**msgspec.to_builtins(report), "extra": 1}}
    path.write_text(json.dumps(document))
    with pytest.raises(DataError, match="unknown field"):
        read_report(path)


def test_provenance_of_another_date_is_refused(tmp_path: Path) -> None:
    _, _, report = _drifting()
    provenance = build_provenance("cfg", "data", DAY + dt.timedelta(days=1), code_version="test")
    with pytest.raises(ValueError, match="dated"):
        write_report(tmp_path, report, provenance)


def test_the_table_lists_each_item_with_both_values() -> None:
    _, _, report = _drifting()
    table = render_table(report)
    lines = table.splitlines()
    assert lines[0] == "Reconciliation PAPER_SIM 2026-04-01 as of 2026-04-01T20:30:00Z"
    assert lines[1] == "drift: 1 item(s) (MISSING_AT_BROKER 1)"
    assert lines[2].split() == ["code", "symbol", "reference", "ledger", "broker", "detail"]
    assert lines[3].split()[:5] == [DriftCode.MISSING_AT_BROKER, "AAPL", "AAPL", "10", "-"]
    clean = render_table(reconcile(expectation(cash=None), snapshot_of(expectation(cash=None))))
    assert clean.splitlines()[1:] == [
        "drift: 0 item(s)",
        "cash: not compared (the ledger records no funding)",
        "no drift",
    ]


def test_two_strategies_lots_of_one_symbol_are_compared_as_their_sum() -> None:
    """Issue 11: the broker nets the lots of a symbol into one position; the ledger side is their sum, at the
    average price of their combined basis, and a broker holding exactly that is no drift."""
    from tests.unit.ledger.test_projection_lots import two_lots

    records = two_lots()  # S2: 10 AAA @ 50, S1: 6 AAA @ 51
    mine = expectation_from_book(fold_book(records, "PAPER_SIM"), records, date_ny=DAY, fills_since=None)
    ((position),) = mine.positions
    assert (position.symbol, position.quantity, position.average_price) == ("AAA", 16, D("50.375"))
    assert position.position_id == "pos_s1+pos_s2"
    assert not [item for item in reconcile(mine, snapshot_of(mine)).items if item.symbol == "AAA"]
    netted = snapshot_of(mine, positions=())
    assert [item.code for item in reconcile(mine, netted).items] == [DriftCode.MISSING_AT_BROKER]
