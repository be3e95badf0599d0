"""The Positions page: each open position with its entry, quantity, stop in force and the rule that set it
(basis), distance to the stop, R so far and a server-rendered SVG chart of its daily bars with the AVWAP of
its setup and the stop steps (the backtest report's chart,
:func:`avwap.presentation.trade_charts.trade_chart`).

Entry, stop and basis come from the ledger's round trip (:func:`avwap.analytics.trades.reconstruct_trades`,
as ``avwap exits report`` reads it); the mark from the newest snapshot (``avwap portfolio show``). R so far is
(mark - entry) / (entry - initial stop); distance to stop is (mark - stop) / mark, in percent.

Public API::

    OpenPosition, open_positions(facts) -> list[OpenPosition]
    position_chart(config, records, position, today) -> (svg, problem)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from avwap.analytics.trades import OPEN, Trade, reconstruct_trades
from avwap.core.config import Config
from avwap.core.errors import AvwapError
from avwap.dashboard.overview import BookFacts
from avwap.data.store import BarStore
from avwap.ledger.records import Record
from avwap.presentation.svg import render_chart
from avwap.presentation.trade_charts import anchor_dates, trade_chart

CHART_DAYS_BEFORE = 60  # calendar days of bars read before the entry (the chart shows at most 15 sessions)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class OpenPosition:
    trade: Trade
    mark: Decimal | None
    stop: Decimal | None
    basis: str
    distance_pct: Decimal | None
    r_so_far: Decimal | None


def _figures(trade: Trade, mark: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    stop, initial = trade.final_stop, trade.initial_stop
    distance = None if mark is None or stop is None or mark <= 0 else ((mark - stop) / mark * HUNDRED)
    risk = None if initial is None else trade.entry_price - initial
    r_value = None if mark is None or not risk or risk <= 0 else (mark - trade.entry_price) / risk
    quantize = Decimal("0.01")
    return (
        None if distance is None else distance.quantize(quantize),
        None if r_value is None else r_value.quantize(quantize),
    )


def open_positions(facts: BookFacts) -> list[OpenPosition]:
    marks = {line.symbol: line.mark for line in facts.snapshot.positions} if facts.snapshot else {}
    found = []
    for trade in reconstruct_trades(facts.ledger.records):
        if trade.status != OPEN:
            continue
        mark = marks.get(trade.symbol)
        distance, r_value = _figures(trade, mark)
        basis = str(trade.stop_basis) if trade.stop_basis is not None else "initial (entry)"
        found.append(OpenPosition(trade, mark, trade.final_stop, basis, distance, r_value))
    return found


def position_chart(
    config: Config, records: Sequence[Record], position: OpenPosition, today: dt.date
) -> tuple[str, str]:
    """(inline SVG, problem): the SVG is built from escaped text only; the problem is plain text."""
    trade = position.trade
    start = trade.entry_date_ny - dt.timedelta(days=CHART_DAYS_BEFORE)
    try:
        daily = BarStore(config.data_dir).read("1d", [trade.symbol], start, today)
    except (AvwapError, OSError) as error:
        return "", f"bars unreadable: {error}"
    if daily.empty:
        return "", f"no daily bars of {trade.symbol} in the store"
    daily = daily.reset_index(drop=True)
    chart = trade_chart(trade, records, daily, anchor_dates(records).get(trade.position_id))
    return ("", "no bars in the position's window") if chart is None else (render_chart(chart), "")


__all__ = ["OpenPosition", "open_positions", "position_chart"]
