"""Two strategies in one symbol of one book (issue 11, S2_ALLOW_SYMBOL_OVERLAP=1), through the one engine:
the demo replays the synthetic market with S1 and S2 and the flag on. On the second session S2 enters a
symbol, S1 enters the same symbol beside it: two lots, each with its own structural stop (S1's intraday
policy ratchets, S2's daily swing-low stop stays) and its own broker stop order sized to the lot. S1's stop
fills: its lot closes, attributed to S1, and S2's lot, its quantity and its stop order are untouched. Every
cycle reconciled the broker's netted position against the sum of the lots (no drift), and the attribution
by strategy still adds up to the portfolio to the cent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from tests.property.test_attribution_properties import _check_day

from avwap.analytics.attribution import attribute_days
from avwap.analytics.portfolio_snapshots import read_snapshot
from avwap.analytics.trades import reconstruct_trades
from avwap.demo.run import DemoOutcome, run_demo
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.projection import BookState
from avwap.ledger.projection_fold import FoldAccumulator
from avwap.ledger.record_enums import ExitEventKind, OrderPurpose
from avwap.ledger.records import Alert, ExitEvent, Fill, PositionClosed, Record
from avwap.ledger.router import Ledger

S1, S2 = "S1_AVWAP_CORE", "S2_AVWAP_SWING"
SESSIONS = 2


@pytest.fixture(scope="module")
def overlap_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoOutcome, list[Record]]:
    home = tmp_path_factory.mktemp("overlap") / "home"
    outcome = run_demo({"S2_ALLOW_SYMBOL_OVERLAP": "1"}, home, sessions=SESSIONS)
    return outcome, Ledger(outcome.config.ledger_dir).read_book(PAPER_SIM)


def _states(records: list[Record]) -> list[tuple[Record, BookState]]:
    """Every record with the book's state right after it (the fold, record by record)."""
    fold = FoldAccumulator(BookState(book_id=PAPER_SIM))
    steps = []
    for record in records:
        fold.apply(record)
        steps.append((record, fold.freeze()))
    return steps


def _shared_lots(records: list[Record]) -> tuple[str, dict[str, str]]:
    """The first symbol S1 and S2 held at once, and their lots' position ids by strategy."""
    for _, state in _states(records):
        for symbol in state.held_symbols():
            lots = {lot.strategy_id: lot.position_id for lot in state.lots_of(symbol)}
            if set(lots) == {S1, S2}:
                return symbol, lots
    raise AssertionError("S1 and S2 never held one symbol at once")


def _stops_of(state: BookState, position_id: str) -> list[tuple[str, int, Decimal | None]]:
    return [
        (order.client_order_id, order.quantity - order.filled_quantity, order.stop_price)
        for order in state.open_orders.values()
        if order.purpose == OrderPurpose.STOP and order.position_id == position_id
    ]


def test_two_strategies_hold_one_symbol_with_their_own_stops_and_one_exits(
    overlap_run: tuple[DemoOutcome, list[Record]],
) -> None:
    _, records = overlap_run
    steps = _states(records)
    symbol, lots = _shared_lots(records)
    shared = [(record, state) for record, state in steps if len(state.lots_of(symbol)) == 2]
    both_protected = []
    for _, state in shared:
        for lot in state.lots_of(symbol):
            stops = _stops_of(state, lot.position_id)
            assert len(stops) <= 1, f"duplicate stop orders for {lot.position_id}: {stops}"
            if stops:
                assert stops[0][1] == lot.quantity  # each stop sized to its own lot
        if all(_stops_of(state, position_id) for position_id in lots.values()):
            both_protected.append(
                {lot.strategy_id: _stops_of(state, lot.position_id)[0] for lot in state.lots_of(symbol)}
            )
    assert both_protected, "the two lots were never protected by their own stop orders at once"
    assert any(item[S1][2] != item[S2][2] for item in both_protected)  # each lot its own strategy's stop
    # The first lot to close is closed by its own stop, attributed to its strategy; the other is untouched.
    index = next(
        i
        for i, (record, _) in enumerate(steps)
        if isinstance(record, Fill) and record.position_id in lots.values() and record.side == "SELL"
    )
    fill = steps[index][0]
    assert isinstance(fill, Fill)
    closer = next(strategy for strategy, position_id in lots.items() if position_id == fill.position_id)
    stayer = S2 if closer == S1 else S1
    assert fill.strategy_id == closer and "-stop" in fill.client_order_id
    before, after = steps[index - 1][1], steps[index][1]
    kept_before, kept_after = before.positions[lots[stayer]], after.positions[lots[stayer]]
    assert lots[closer] not in after.positions and kept_after == kept_before
    assert _stops_of(after, lots[stayer]) == _stops_of(before, lots[stayer])
    closed = [r for r in records if isinstance(r, PositionClosed) and r.position_id == lots[closer]]
    assert [(r.strategy_id, r.symbol) for r in closed] == [(closer, symbol)]
    # The stayer's shares are only ever sold by its own orders (its stop, or its strategy's exit).
    sells = [r for r in records if isinstance(r, Fill) and r.position_id == lots[stayer] and r.side == "SELL"]
    assert all(r.strategy_id == stayer for r in sells)
    # Each lot is its own trade: its own entry, initial stop (so its own R), exit and strategy.
    trades = {trade.position_id: trade for trade in reconstruct_trades(records)}
    closing, staying = trades[lots[closer]], trades[lots[stayer]]
    assert (closing.strategy_id, closing.status, closing.exit_reason) == (closer, "CLOSED", "STOP")
    assert closing.exit_quantity == closing.entry_quantity and closing.final_stop == fill.price
    assert staying.strategy_id == stayer and staying.exit_quantity < staying.entry_quantity
    # Every cycle reconciled the netted broker position against the lots summed: no drift, no blocked stop.
    assert not [r for r in records if isinstance(r, Alert) and r.code == "RECONCILIATION_DRIFT"]
    assert not [
        r for r in records if isinstance(r, ExitEvent) and r.kind == ExitEventKind.STOP_SUBMIT_BLOCKED
    ]


def test_the_attribution_by_strategy_reconciles_to_the_portfolio_with_lots(
    overlap_run: tuple[DemoOutcome, list[Record]],
) -> None:
    outcome, records = overlap_run
    folder = outcome.config.artifacts_dir / "snapshots" / PAPER_SIM
    snapshots = {day: read_snapshot(Path(folder) / f"{day}.json") for day in outcome.result.sessions}
    marks = {day: {line.symbol: line.mark for line in item.positions} for day, item in snapshots.items()}
    days = attribute_days(PAPER_SIM, records, marks, starting_equity=outcome.config.starting_cash)
    for attribution in days:
        _check_day(attribution, snapshots[attribution.date_ny])
    # Each lot's realized PnL went to its own strategy: on the day a lot of the shared symbol closed, its
    # strategy's row of the symbol holds exactly that lot's realized PnL, the other strategy's row none.
    symbol, lots = _shared_lots(records)
    for record in records:
        if isinstance(record, PositionClosed) and record.position_id in lots.values():
            day = next(item for item in days if item.date_ny == record.date_ny)
            rows = {group.name: group for group in day.by_strategy_symbol}
            other = S2 if record.strategy_id == S1 else S1
            gross = (record.exit_price - record.average_price) * record.quantity
            assert rows[f"{record.strategy_id}/{symbol}"].realized_pnl == gross.quantize(Decimal("0.01"))
            assert rows[f"{other}/{symbol}"].realized_pnl == 0


def test_with_the_flag_off_no_symbol_ever_holds_two_lots(tmp_path: Path) -> None:
    """The default (S2_ALLOW_SYMBOL_OVERLAP unset): one lot per symbol, as before (ALREADY_HOLDING)."""
    outcome = run_demo({}, tmp_path / "home", sessions=SESSIONS)
    records = Ledger(outcome.config.ledger_dir).read_book(PAPER_SIM)
    for _, state in _states(records):
        assert len(state.positions) == len(state.held_symbols())
