"""End-of-day portfolio snapshots of a replayed book (the demo, the backtest): the shared builder and
writer of :mod:`avwap.analytics.portfolio_snapshots`, with the replay's in-memory closes as marks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.analytics.portfolio_snapshots import snapshot_of_book, write_snapshot_artifact
from avwap.core.config import Config
from avwap.execution.context import CycleDependencies
from avwap.execution.market_data import FrameMarketData
from avwap.ledger.atomic import build_provenance
from avwap.ledger.projection import BookState
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
    return write_book_snapshot(
        deps.config,
        deps.book.state,
        deps.book.closed if records is None else records,
        day,
        market=market,
        earlier=earlier,
        data_hash=data_hash,
        starting_equity=starting_equity,
        code_version=code_version,
    )


def write_book_snapshot(
    config: Config,
    state: BookState,
    records: Sequence[Record],
    day: dt.date,
    *,
    market: FrameMarketData,
    earlier: Sequence[PortfolioSnapshot],
    data_hash: str,
    starting_equity: Decimal,
    code_version: str | None = None,
) -> PortfolioSnapshot:
    """:func:`write_snapshot` from a folded ``state`` and the book's ``records`` (what ``avwap rebuild``
    calls for a replayed home, with the state folded from the ledger up to ``day``)."""
    marks = {symbol: close for symbol in state.held_symbols() if (close := market.daily_close(symbol, day))}
    snapshot = snapshot_of_book(
        state,
        records,
        day,
        marks=marks,
        equity_history=[starting_equity, *(item.equity for item in earlier)],
    )
    provenance = build_provenance(
        config.config_hash(),
        data_hash,
        day,
        code_version=code_version,
        ruleset_version=config.ruleset_version,
    )
    write_snapshot_artifact(config.artifacts_dir, snapshot, provenance)
    return snapshot
