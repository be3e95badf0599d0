"""The closed trades of a date range with their exit metrics: what ``avwap exits report`` prints and the
dashboard's Performance page shows (one computation for both).

Public API::

    closed_trades(ledger_dir, book, first, last) -> list[Trade]    closed with an exit date in [first, last]
    range_metrics(ledger_dir, data_dir, book, first, last) -> list[ExitMetrics]
    trade_metrics_from_store(data_dir, trades) -> list[ExitMetrics]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from avwap.analytics.exit_metrics import ExitMetrics, trade_metrics
from avwap.analytics.trades import CLOSED, Trade, reconstruct_trades
from avwap.data.store import BarStore
from avwap.exits.bar_arrays import BarArrays, bar_arrays, empty_arrays
from avwap.ledger.router import Ledger

INTRADAY_FREQUENCIES: Final = (("5m", 5), ("1m", 1), ("10m", 10))


def closed_trades(ledger_dir: Path, book: str, first: dt.date, last: dt.date) -> list[Trade]:
    trades = reconstruct_trades(Ledger(ledger_dir).read_book(book))
    return [
        trade
        for trade in trades
        if trade.status == CLOSED and trade.exit_date_ny is not None and first <= trade.exit_date_ny <= last
    ]


def trade_bars(store: BarStore, trade: Trade) -> tuple[BarArrays, int | None]:
    """The trade's bars: the first stored intraday frequency that has them, else daily (minutes None)."""
    assert trade.exit_date_ny is not None
    available = set(store.frequencies())
    for frequency, minutes in (*INTRADAY_FREQUENCIES, ("1d", None)):
        if frequency in available:
            frame = store.read(frequency, [trade.symbol], trade.entry_date_ny, trade.exit_date_ny)
            if not frame.empty:
                return bar_arrays(frame), minutes
    return empty_arrays(), None


def trade_metrics_from_store(data_dir: Path, trades: Sequence[Trade]) -> list[ExitMetrics]:
    store = BarStore(data_dir)
    return [trade_metrics(trade, *trade_bars(store, trade)) for trade in trades]


def range_metrics(
    ledger_dir: Path, data_dir: Path, book: str, first: dt.date, last: dt.date
) -> list[ExitMetrics]:
    return trade_metrics_from_store(data_dir, closed_trades(ledger_dir, book, first, last))


__all__ = ["closed_trades", "range_metrics", "trade_bars", "trade_metrics_from_store"]
