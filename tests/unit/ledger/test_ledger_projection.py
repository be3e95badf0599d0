from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.ledger import factories

from avwap.core.errors import LedgerIntegrityError
from avwap.ledger.chain import Envelope
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.projection import BookState, fold_book, fold_records, rebuild, state_bytes
from avwap.ledger.projection_cache import cache_path
from avwap.ledger.projection_fold import SortedIds
from avwap.ledger.projection_state import count_with_prefix, holds_id
from avwap.ledger.record_enums import OrderPurpose, OrderType, Side
from avwap.ledger.records import Fill, OrderRejected, OrderReplaced, OrderSubmitted, Record
from avwap.ledger.router import Ledger
from avwap.ledger.store import LedgerStore

D = Decimal


def test_hand_computed_round_trip() -> None:
    records = factories.round_trip()
    trade = factories.round_trip_parts().trade
    state = fold_book(records, PAPER_SIM)
    # cash = 10000 - (400 + 1) - (600 + 1) + (1050 - 1)
    assert state.cash == D("10047.00")
    assert state.realized_pnl == D("50.00")
    assert state.commissions == D("3")
    assert state.positions == {}
    assert state.open_orders == {}
    assert state.closed_position_ids == (factories.position_of(trade),)
    assert state.counters(factories.DAY) == msgspec.convert(
        {"intents": 1, "entries_submitted": 1, "orders_submitted": 2, "orders_rejected": 0, "fills": 3},
        type(state.counters(factories.DAY)),
    )
    assert state.counters(dt.date(2026, 4, 2)).fills == 0
    assert len(state.client_order_ids) == 2 and len(state.fill_ids) == 3 and state.records == 12
    assert state.intent_ids == (trade.intent_id,)


def test_partial_fill_midway_state() -> None:
    records = factories.round_trip()
    trade = factories.round_trip_parts().trade
    state = fold_book(records[:6], PAPER_SIM)  # deposit .. first partial fill of 4
    position = state.lots_of("AAPL")[0]
    assert (position.quantity, position.cost_basis, position.average_price) == (
        4,
        D("400.00"),
        D("100.000000"),
    )
    assert position.stop_price is None
    (order,) = state.open_orders.values()
    assert (order.filled_quantity, order.quantity, order.status) == (4, 10, "PARTIAL")
    assert order.broker_order_id is not None
    state = fold_book(records[:9], PAPER_SIM)  # + second fill, PositionOpened, ratchet
    position = state.lots_of("AAPL")[0]
    assert (position.quantity, position.cost_basis) == (10, D("1000.00"))
    assert position.stop_price == D("99.00")  # initial 97.50, then ratcheted
    assert position.position_id == factories.position_of(trade)
    assert position.strategy_id == "S1_AVWAP_CORE"
    assert position.opened_date_ny == factories.DAY
    assert state.open_orders == {}
    assert state.cash == D("8998.00")


def test_duplicate_records_count_once_except_orders() -> None:
    records = factories.round_trip()
    doubled = [
        item
        for record in records
        for item in ((record,) if isinstance(record, OrderSubmitted) else (record, record))
    ]
    once = fold_book(records, PAPER_SIM)
    twice = fold_book(doubled, PAPER_SIM)
    assert msgspec.structs.replace(twice, records=once.records) == once


def test_a_duplicated_order_submission_is_refused_by_the_fold() -> None:
    records = factories.round_trip()
    order = next(record for record in records if isinstance(record, OrderSubmitted))
    position = records.index(order)
    doubled = [*records[: position + 1], order, *records[position + 1 :]]
    with pytest.raises(
        LedgerIntegrityError, match=f"duplicate OrderSubmitted: client_order_id {order.client_order_id}"
    ):
        fold_book(doubled, PAPER_SIM)


def make_fill(number: int, side: Side, quantity: int, price: str, symbol: str = "MSFT") -> Fill:
    return Fill(
        book_id=PAPER_SIM,
        date_ny=factories.DAY,
        ts=factories.at(15, 0),
        strategy_id="S1_AVWAP_CORE",
        fill_id=f"fil_{number}",
        order_id=f"ord_{number}",
        client_order_id=f"client-{number}",
        position_id=f"pos_{symbol}",
        symbol=symbol,
        side=side,
        quantity=quantity,
        price=D(price),
        broker_fill_id=str(number),
    )


def test_partial_closes_release_basis_and_the_round_trip_is_exact() -> None:
    fills = [
        make_fill(1, Side.BUY, 2, "10.00"),
        make_fill(2, Side.BUY, 1, "10.01"),  # basis 30.01 over 3 shares
        make_fill(3, Side.SELL, 1, "10.00"),  # releases 10.003333 (rounded)
    ]
    state = fold_book(fills, PAPER_SIM)
    position = state.lots_of("MSFT")[0]
    assert (position.quantity, position.cost_basis, position.average_price) == (
        2,
        D("20.006667"),
        D("10.003334"),
    )
    assert state.realized_pnl == D("-0.003333")
    state = fold_book([make_fill(4, Side.SELL, 2, "10.00")], PAPER_SIM, state)
    assert state.positions == {}
    assert state.realized_pnl == D("-0.01")  # 30.00 proceeds - 30.01 cost, exactly
    assert state.cash == D("-0.01")


def test_short_and_crossing_zero() -> None:
    state = fold_book([make_fill(1, Side.SELL, 5, "20.00"), make_fill(2, Side.BUY, 8, "18.00")], PAPER_SIM)
    position = state.lots_of("MSFT")[0]
    assert state.realized_pnl == D("10.00")  # covered 5 at 2 below
    assert (position.quantity, position.cost_basis) == (3, D("54.00"))
    assert state.cash == D("100.00") - D("144.00")


def test_stop_known_before_the_first_fill_is_kept() -> None:
    trade, entry, first, *_ = factories.round_trip_parts()
    opened = factories.opened(trade, [first], "100.00")
    state = fold_book([trade, entry, opened, first], PAPER_SIM)
    assert state.lots_of("AAPL")[0].stop_price == D("97.50")
    assert state.pending_stops == {}


def test_replace_and_reject_update_open_orders() -> None:
    records = factories.round_trip()
    trade = factories.round_trip_parts().trade
    position = factories.position_of(trade)
    stop = factories.submit(
        trade,
        OrderPurpose.STOP,
        Side.SELL,
        quantity=10,
        position_id=position,
        stop_price=D("97.50"),
    )
    assert stop.order_type is OrderType.STOP
    common: dict[str, Any] = {
        "book_id": PAPER_SIM,
        "date_ny": factories.DAY,
        "ts": factories.at(16, 0),
        "strategy_id": "S1_AVWAP_CORE",
        "symbol": "AAPL",
    }
    replaced = OrderReplaced(
        **common,
        order_id=stop.order_id,
        client_order_id=stop.client_order_id,
        new_order_id="ord_new",
        new_client_order_id=stop.client_order_id + "-r1",
        new_price=D("99.00"),
    )
    state = fold_book([*records[:9], stop, replaced], PAPER_SIM)
    (order,) = state.open_orders.values()
    assert (order.client_order_id, order.stop_price, order.quantity) == (
        stop.client_order_id + "-r1",
        D("99.00"),
        10,
    )
    assert stop.client_order_id + "-r1" in state.client_order_ids
    rejected = OrderRejected(
        **common,
        order_id="ord_new",
        client_order_id=stop.client_order_id + "-r1",
        reason_code="BROKER_REJECT",
    )
    state = fold_book([rejected], PAPER_SIM, state)
    assert state.open_orders == {}
    assert state.counters(factories.DAY).orders_rejected == 1


def test_records_of_another_book_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot fold"):
        fold_book([factories.deposit("1.00", book="ALPACA_PAPER")], PAPER_SIM)
    states = fold_records([factories.deposit("1.00", book="ALPACA_PAPER"), factories.deposit("2.00")])
    assert list(states) == ["ALPACA_PAPER", PAPER_SIM]
    assert states[PAPER_SIM].cash == D("2.00")


def two_day_ledger(root: Path) -> Ledger:
    ledger = Ledger(root)
    day_two = dt.date(2026, 4, 2)
    for record in factories.round_trip():
        ledger.append(record)
    second = factories.intent("MSFT", 3, day=day_two)
    order = factories.submit(second)
    for record in (
        factories.deposit("500.00", "top-up", day_two),
        second,
        order,
        factories.fill(order, 3, "50.00"),
    ):
        ledger.append(record)
    return ledger


def test_rebuild_equals_fold_of_the_canonical_order(tmp_path: Path) -> None:
    ledger = two_day_ledger(tmp_path / "ledger")
    state = rebuild(ledger.root, PAPER_SIM)
    assert state_bytes(state) == state_bytes(fold_book(ledger.read_book(PAPER_SIM), PAPER_SIM))
    assert state.lots_of("MSFT")[0].quantity == 3
    assert state.cash == D("10047.00") + D("500.00") - D("150.00")
    assert rebuild(tmp_path / "nowhere", PAPER_SIM) == BookState(book_id=PAPER_SIM)


def test_deleting_the_cache_rebuilds_the_same_bytes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ledger = two_day_ledger(tmp_path / "ledger")
    cache_dir = tmp_path / "state" / "projections"
    reference = state_bytes(rebuild(ledger.root, PAPER_SIM))
    assert state_bytes(rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir)) == reference
    cache_file = cache_path(cache_dir, PAPER_SIM)
    cached = json.loads(cache_file.read_bytes())
    assert [mark["name"] for mark in cached["files"]] == ["2026-04-01.jsonl", "2026-04-02.jsonl"]
    assert state_bytes(rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir)) == reference  # from the cache
    cache_file.unlink()
    assert state_bytes(rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir)) == reference
    cache_file.write_bytes(b"{broken")
    with caplog.at_level(logging.WARNING):
        assert state_bytes(rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir)) == reference
    assert any("unreadable" in message for message in caplog.messages)


def test_cache_follows_appends_to_today_and_new_files_and_older_files_cannot_grow(tmp_path: Path) -> None:
    ledger = two_day_ledger(tmp_path / "ledger")
    cache_dir = tmp_path / "cache"
    rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir)
    ledger.append(factories.deposit("7.00", "late", dt.date(2026, 4, 2)))  # today's file grows
    fresh = rebuild(ledger.root, PAPER_SIM)
    assert state_bytes(rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir)) == state_bytes(fresh)
    with pytest.raises(LedgerIntegrityError, match="refusing to append"):  # its successor commits to its end
        ledger.append(factories.deposit("3.00", "backfill", dt.date(2026, 4, 1)))
    fresh = rebuild(ledger.root, PAPER_SIM)
    assert fresh.cash == D("10404.00")
    assert state_bytes(rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir)) == state_bytes(fresh)
    ledger.append(factories.deposit("1.00", "next", dt.date(2026, 4, 3)))  # a new file appears
    fresh = rebuild(ledger.root, PAPER_SIM)
    assert state_bytes(rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir)) == state_bytes(fresh)


fill_steps = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=1, max_value=30),
        st.integers(min_value=100, max_value=20_000),
        st.sampled_from(["AAA", "BBB"]),
    ),
    max_size=25,
)


def records_from(steps: list[tuple[Side, int, int, str]]) -> list[Record]:
    records: list[Record] = [factories.deposit("100000.00")]
    for number, (side, quantity, cents, symbol) in enumerate(steps):
        records.append(make_fill(number, side, quantity, str(D(cents) / 100), symbol))
    return records


@given(fill_steps, st.integers(min_value=0, max_value=26))
def test_fold_is_deterministic_and_resumable(steps: list[tuple[Side, int, int, str]], cut: int) -> None:
    records = records_from(steps)
    whole = state_bytes(fold_book(records, PAPER_SIM))
    assert state_bytes(fold_book(list(records), PAPER_SIM)) == whole
    prefix = fold_book(records[:cut], PAPER_SIM)
    assert state_bytes(fold_book(records[cut:], PAPER_SIM, prefix)) == whole  # what the cache relies on
    thawed = msgspec.json.decode(msgspec.json.encode(prefix), type=BookState)
    assert state_bytes(fold_book(records[cut:], PAPER_SIM, thawed)) == whole
    assert state_bytes(fold_records(records)[PAPER_SIM]) == whole


@given(fill_steps)
def test_cash_and_pnl_identities(steps: list[tuple[Side, int, int, str]]) -> None:
    state = fold_book(records_from(steps), PAPER_SIM)
    net_shares = {
        symbol: sum(q if side is Side.BUY else -q for side, q, _, name in steps if name == symbol)
        for symbol in ("AAA", "BBB")
    }
    assert state.symbol_quantities() == {symbol: shares for symbol, shares in net_shares.items() if shares}
    flat_symbols = [symbol for symbol, shares in net_shares.items() if shares == 0]
    if len(flat_symbols) == 2:
        # everything closed: realized PnL is exactly the cash made (no commissions here)
        assert state.realized_pnl == state.cash - D("100000.00")


def test_cache_reads_only_the_last_cached_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = two_day_ledger(tmp_path / "ledger")
    cache_dir = tmp_path / "cache"
    reference = state_bytes(rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir))
    read: list[str] = []
    real = LedgerStore.read_envelopes

    def spy(self: LedgerStore) -> list[Envelope]:
        read.append(self.path.name)
        return real(self)

    monkeypatch.setattr(LedgerStore, "read_envelopes", spy)
    assert state_bytes(rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir)) == reference
    assert read == ["2026-04-02.jsonl"]  # 2026-04-01 was checked in O(1) by its last line only


def test_day_orders_of_earlier_dates_are_not_working() -> None:
    trade = factories.round_trip_parts().trade
    entry = factories.submit(trade)  # a DAY order that was never filled nor canceled (e.g. DRY_RUN)
    state = fold_book([trade, entry], PAPER_SIM)
    assert list(state.working_orders(factories.DAY)) == [entry.client_order_id]
    assert state.working_orders(dt.date(2026, 4, 2)) == {}
    assert list(state.open_orders) == [entry.client_order_id]  # the ledger fact stays visible


def test_folding_record_by_record_equals_one_fold_of_everything() -> None:
    """The cycle folds each record into the previous state; the id sets stay sorted and deduplicated."""
    trip = factories.round_trip()
    again = [record for record in trip if not isinstance(record, OrderSubmitted)]  # duplicates count once
    records = [
        *trip,
        factories.deposit("5", reference="late"),
        *again,
        factories.deposit("7", reference="early"),
    ]
    state = BookState(book_id=PAPER_SIM)
    for record in records:
        state = fold_book([record], PAPER_SIM, state)
    assert state == fold_book(records, PAPER_SIM)
    assert list(state.movement_ids) == sorted(set(state.movement_ids)) and len(state.movement_ids) == 3
    assert list(state.fill_ids) == sorted(set(state.fill_ids))


def test_sorted_ids_behave_as_a_set_frozen_sorted() -> None:
    ids = SortedIds(("b", "d"))
    assert "b" in ids and "d" in ids and "c" not in ids and 3 not in ids
    assert ids.frozen() == ("b", "d")
    for key in ("c", "a", "c", "d"):
        ids.add(key)
    assert "a" in ids and "c" in ids
    assert ids.frozen() == ("a", "b", "c", "d")


def test_sorted_id_lookups_match_the_linear_ones() -> None:
    ids = tuple(sorted(["avw-a-stop", "avw-a-stop-r1", "avw-a-stop-r2", "avw-ab-entry", "avw-b-stop", "z"]))
    for key in [*ids, "avw-a", "avw-c", "", "zz"]:
        assert holds_id(ids, key) == (key in ids)
    for prefix in ["avw-a-stop", "avw-a", "avw-b-stop", "avw-c", "", "z"]:
        assert count_with_prefix(ids, prefix) == sum(1 for known in ids if known.startswith(prefix))
    assert not holds_id((), "x") and count_with_prefix((), "x") == 0
