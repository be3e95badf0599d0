"""End-of-day portfolio snapshots of a book (Phase D2), written as artifacts from the ledger projection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from avwap.analytics.portfolio import HeldPosition, PortfolioSnapshot, build_snapshot
from avwap.execution.context import CycleDependencies
from avwap.execution.market_data import FrameMarketData
from avwap.ledger.atomic import atomic_write_json, build_provenance
from avwap.ledger.records import PositionClosed


def realized_by_symbol(deps: CycleDependencies) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for record in deps.book.ledger.read_book(deps.book.book_id):
        if isinstance(record, PositionClosed):
            totals[record.symbol] = totals.get(record.symbol, Decimal("0")) + record.realized_pnl
    return totals


def write_snapshot(
    deps: CycleDependencies,
    day: dt.date,
    *,
    market: FrameMarketData,
    earlier: Sequence[PortfolioSnapshot],
    data_hash: str,
    starting_equity: Decimal,
) -> PortfolioSnapshot:
    """Build the snapshot of ``day`` (marks: the day's closes) and write it atomically."""
    state = deps.book.state
    positions = [
        HeldPosition(
            symbol=position.symbol,
            quantity=position.quantity,
            average_price=position.average_price,
            strategy_id=position.strategy_id,
            stop_price=position.stop_price,
        )
        for position in state.positions.values()
    ]
    marks = {symbol: close for symbol in state.positions if (close := market.daily_close(symbol, day))}
    snapshot = build_snapshot(
        book_id=deps.book.book_id,
        date_ny=day,
        cash=state.cash,
        positions=positions,
        marks=marks,
        realized_pnl=state.realized_pnl,
        fees=state.commissions,
        realized_by_symbol=realized_by_symbol(deps),
        equity_history=[starting_equity, *(item.equity for item in earlier)],
    )
    path = deps.artifacts_dir / "snapshots" / deps.book.book_id / f"{day.isoformat()}.json"
    provenance = build_provenance(deps.config.config_hash(), data_hash, day)
    atomic_write_json(path, {"kind": "portfolio_snapshot", "snapshot": snapshot}, provenance)
    return snapshot
