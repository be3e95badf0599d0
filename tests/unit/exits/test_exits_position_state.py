"""Exit state from ledger records: rebuilds, duplicate and partial fills, stop revisions, working stop ids."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from exit_builders import INTRADAY_LOWS, daily_bars, intraday_bars, ny

from avwap.core.ids import client_order_id
from avwap.exits.events import exit_events
from avwap.exits.policy import apply_decision, resolve_stop
from avwap.exits.position_state import ExitFold, fold_exit_positions
from avwap.ledger import record_ids
from avwap.ledger.record_enums import ExitEventKind, OrderPurpose, OrderType, Side, StopBasis
from avwap.ledger.records import (
    ExitEvent,
    Fill,
    OrderCanceled,
    OrderReplaced,
    OrderSubmitted,
    PositionClosed,
    PositionOpened,
    Record,
)
from avwap.ledger.router import Ledger

BOOK = "PAPER_SIM"
STRATEGY = "S1_AVWAP_CORE"
DAY = dt.date(2026, 4, 1)
INTENT = record_ids.intent_id(
    book_id=BOOK, strategy_id=STRATEGY, date_ny=DAY, symbol="MSFT", side="BUY", setup="YTD"
)
POSITION = record_ids.position_id(book_id=BOOK, strategy_id=STRATEGY, symbol="MSFT", intent_id=INTENT)
ENTRY_CLIENT = client_order_id(INTENT, "entry")
STOP_CLIENT = client_order_id(INTENT, "stop")


def base(ts: dt.datetime) -> dict[str, object]:
    return {"book_id": BOOK, "date_ny": DAY, "ts": ts, "strategy_id": STRATEGY}


def fill(
    number: int, quantity: int, price: str, *, side: Side = Side.BUY, client: str = ENTRY_CLIENT
) -> Fill:
    order = record_ids.order_id(book_id=BOOK, client_order_id=client)
    return Fill(
        **base(ny(10, number)),  # type: ignore[arg-type]
        fill_id=record_ids.fill_id(order_id=order, broker_fill_id=f"{client}-{number}"),
        order_id=order,
        client_order_id=client,
        position_id=POSITION,
        symbol="MSFT",
        side=side,
        quantity=quantity,
        price=Decimal(price),
        broker_fill_id=f"{client}-{number}",
    )


def opened() -> PositionOpened:
    return PositionOpened(
        **base(ny(10, 3)),  # type: ignore[arg-type]
        position_id=POSITION,
        intent_id=INTENT,
        symbol="MSFT",
        quantity=10,
        average_price=Decimal("100.00"),
        initial_stop_price=Decimal("98.30"),
    )


def stop_order() -> OrderSubmitted:
    return OrderSubmitted(
        **base(ny(10, 10)),  # type: ignore[arg-type]
        order_id=record_ids.order_id(book_id=BOOK, client_order_id=STOP_CLIENT),
        client_order_id=STOP_CLIENT,
        symbol="MSFT",
        intent_id=INTENT,
        position_id=POSITION,
        side=Side.SELL,
        order_type=OrderType.STOP,
        quantity=10,
        stop_price=Decimal("98.30"),
        purpose=OrderPurpose.STOP,
    )


def event(kind: ExitEventKind, stop: str, revision: int, minute: int, basis: StopBasis) -> ExitEvent:
    moment = ny(10, minute)
    return ExitEvent(
        **base(moment),  # type: ignore[arg-type]
        exit_id=record_ids.exit_id(position_id=POSITION, kind=kind, stop_revision=revision, ts=moment),
        position_id=POSITION,
        symbol="MSFT",
        kind=kind,
        stop_price=Decimal(stop),
        basis=basis,
        stop_revision=revision,
        reason="HIGHER_LOW pivot_ts=2026-04-01T14:15:00Z pivot_price=99.8",
    )


def lifecycle() -> list[Record]:
    """Partial entry fills 4 @ 100.00 + 6 @ 100.50 (one duplicated), a stop order, a ratchet to 99.70."""
    first, second = fill(1, 4, "100.00"), fill(2, 6, "100.50")
    return [
        first,
        second,
        second,  # a retried write after a crash
        opened(),
        stop_order(),
        event(ExitEventKind.STOP_RESOLVED, "98.30", 0, 10, StopBasis.INITIAL),
        event(ExitEventKind.STOP_RATCHET, "99.70", 1, 30, StopBasis.INTRADAY_HL),
    ]


def test_fold_partial_and_duplicate_fills() -> None:
    state = fold_exit_positions(lifecycle()).positions["MSFT"]
    assert state.quantity == 10  # the duplicated 6-share fill counts once
    assert state.entry_price == Decimal("100.300000")  # (4 × 100 + 6 × 100.5) / 10
    assert state.entry_time == ny(10, 1)
    assert (state.stop_price, state.stop_basis, state.stop_revision, state.resolved) == (
        Decimal("99.70"),
        StopBasis.INTRADAY_HL,
        1,
        True,
    )
    assert (state.last_pivot_ts, state.last_pivot_price) == ("2026-04-01T14:15:00Z", "99.8")
    assert state.working_stop_client_order_id == STOP_CLIENT
    assert state.initial_stop == Decimal("98.30")


def test_state_survives_a_rebuild_from_the_ledger(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger(tmp_path / "ledger")
    for record in lifecycle():
        ledger.append(record)
    rebuilt = fold_exit_positions(Ledger(tmp_path / "ledger").read_book(BOOK))
    assert rebuilt == fold_exit_positions(lifecycle())


def test_a_lower_recorded_stop_never_loosens_the_state() -> None:
    records = [*lifecycle(), event(ExitEventKind.STOP_REPLACED, "99.00", 2, 40, StopBasis.DAILY_SWING_LOW)]
    state = fold_exit_positions(records).positions["MSFT"]
    assert state.stop_price == Decimal("99.70") and state.stop_revision == 2


def test_order_does_not_matter_for_stops() -> None:
    records = lifecycle()
    assert fold_exit_positions(records) == fold_exit_positions([*records[:5], records[6], records[5]])


def test_replaced_and_canceled_working_stop() -> None:
    new_client = client_order_id(INTENT, "stop", 1)
    replaced = OrderReplaced(
        **base(ny(10, 31)),  # type: ignore[arg-type]
        order_id=record_ids.order_id(book_id=BOOK, client_order_id=STOP_CLIENT),
        client_order_id=STOP_CLIENT,
        symbol="MSFT",
        new_order_id=record_ids.order_id(book_id=BOOK, client_order_id=new_client),
        new_client_order_id=new_client,
        new_price=Decimal("99.70"),
    )
    state = fold_exit_positions([*lifecycle(), replaced]).positions["MSFT"]
    assert state.working_stop_client_order_id == new_client
    canceled = OrderCanceled(
        **base(ny(10, 32)),  # type: ignore[arg-type]
        order_id=replaced.new_order_id,
        client_order_id=new_client,
        symbol="MSFT",
    )
    state = fold_exit_positions([*lifecycle(), replaced, canceled]).positions["MSFT"]
    assert state.working_stop_client_order_id is None


def test_exit_fills_reduce_then_close() -> None:
    partial = fill(40, 3, "101.00", side=Side.SELL, client=STOP_CLIENT)
    state = fold_exit_positions([*lifecycle(), partial]).positions["MSFT"]
    assert state.quantity == 7
    rest = fill(41, 7, "101.00", side=Side.SELL, client=STOP_CLIENT)
    book = fold_exit_positions([*lifecycle(), partial, rest])
    assert book.positions == {} and book.closed_position_ids == (POSITION,)


def test_position_closed_record_closes() -> None:
    closed = PositionClosed(
        **base(ny(15, 0)),  # type: ignore[arg-type]
        position_id=POSITION,
        symbol="MSFT",
        quantity=10,
        average_price=Decimal("100.30"),
        exit_price=Decimal("101.00"),
        realized_pnl=Decimal("7.00"),
    )
    assert fold_exit_positions([*lifecycle(), closed]).positions == {}


def test_recorded_decisions_fold_to_the_applied_state() -> None:
    """What the policy decides, recorded as events and folded back, equals ``apply_decision``."""
    records: list[Record] = [fill(0, 10, "100.00"), opened()]
    state = fold_exit_positions(records).positions["MSFT"]
    bars, daily = intraday_bars(INTRADAY_LOWS), daily_bars()
    for minute in (5, 10, 15, 30, 35):
        decision = resolve_stop(state, bars, daily, ny(10, minute))
        records.extend(exit_events(decision, book_id=BOOK, strategy_id=STRATEGY))
        applied = apply_decision(state, decision)
        state = fold_exit_positions(records).positions["MSFT"]
        assert state == applied, minute
    assert (state.stop_price, state.stop_revision, state.stop_basis) == (
        Decimal("99.70"),
        1,
        StopBasis.INTRADAY_HL,
    )
    kinds = [record.kind for record in records if isinstance(record, ExitEvent)]
    assert kinds == [
        ExitEventKind.STOP_SKIPPED_MIN_BARS,
        ExitEventKind.STOP_RESOLVED,
        ExitEventKind.STOP_RATCHET,
    ]


def test_the_incremental_fold_equals_the_full_fold_after_every_record() -> None:
    """The cycle's book folds each record once (ExitFold); after any prefix it is the full refold."""
    new_client = client_order_id(INTENT, "stop", 1)
    replaced = OrderReplaced(
        **base(ny(10, 31)),  # type: ignore[arg-type]
        order_id=record_ids.order_id(book_id=BOOK, client_order_id=STOP_CLIENT),
        client_order_id=STOP_CLIENT,
        symbol="MSFT",
        new_order_id=record_ids.order_id(book_id=BOOK, client_order_id=new_client),
        new_client_order_id=new_client,
        new_price=Decimal("99.70"),
    )
    partial = fill(40, 3, "101.00", side=Side.SELL, client=new_client)
    rest = fill(41, 7, "101.00", side=Side.SELL, client=new_client)
    records = [*lifecycle(), replaced, partial, rest]
    fold = ExitFold()
    for index, record in enumerate(records, start=1):
        fold.add(record)
        if index % 2:  # the book is also asked for between records, not only at the end
            assert fold.book() == fold_exit_positions(records[:index])
    assert fold.book() == fold_exit_positions(records)
    assert fold.book().closed_position_ids == (POSITION,)
