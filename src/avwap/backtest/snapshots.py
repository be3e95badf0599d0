"""End-of-day portfolio snapshots of a replayed book (the demo, the backtest): the shared builder and
writer of :mod:`avwap.analytics.portfolio_snapshots`, with the replay's in-memory closes as marks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.analytics.portfolio_snapshots import snapshot_of_book, write_snapshot_artifact
from avwap.execution.context import CycleDependencies
from avwap.execution.market_data import FrameMarketData
from avwap.ledger.atomic import build_provenance
from avwap.ledger.records import Record


def write_snapshot(
    deps: CycleDependencies,
    day: dt.date,
    *,
    market: FrameMarketData,
    earlier: Sequence[PortfolioSnapshot],
    data_hash: str,
    starting_equity: Decimal,
    records: Sequence[Record] | None = None,
    code_version: str | None = None,
) -> PortfolioSnapshot:
    """Build the snapshot of ``day`` (marks: the day's closes) and write it atomically. ``records``: the
    book's records (default: the PositionClosed records the recorder holds in memory, in ledger order, the
    only ones a snapshot reads: no session re-reads the ledger or rescans the whole book); ``code_version``
    pins the provenance's (detected otherwise)."""
    state = deps.book.state
    marks = {symbol: close for symbol in state.held_symbols() if (close := market.daily_close(symbol, day))}
    snapshot = snapshot_of_book(
        state,
        deps.book.closed if records is None else records,
        day,
        marks=marks,
        equity_history=[starting_equity, *(item.equity for item in earlier)],
    )
    provenance = build_provenance(
        deps.config.config_hash(),
        data_hash,
        day,
        code_version=code_version,
        ruleset_version=deps.config.ruleset_version,
    )
    write_snapshot_artifact(deps.artifacts_dir, snapshot, provenance)
    return snapshot
