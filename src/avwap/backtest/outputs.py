"""What a backtest run leaves in its folder, all derived from the BACKTEST ledger and the daily snapshots.

``trades.json`` / ``trades.csv`` (one row per position: the ledger's round trip, its R multiple, and the
resolution and fill rule of its entry and exit fills), ``equity.csv`` (one row per session),
``summary.json`` (:func:`avwap.backtest.metrics.summarize` over the equity curve and the closed trades, plus
counts) and ``provenance.json`` (code version, config hash, data hash, sessions). Everything is canonical
(sorted keys, fixed number formatting), so two runs of the same inputs write the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import msgspec

from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.analytics.trades import CLOSED, Trade, reconstruct_trades
from avwap.backtest.data_ended import DATA_ENDED_CODE, data_ended_orders
from avwap.backtest.fill_rules import FILL_RULE_CODE
from avwap.backtest.metrics import PerformanceSummary, TradeOutcome, summarize
from avwap.core.calendar import nyse
from avwap.core.canonical import to_plain
from avwap.core.files import atomic_write_bytes
from avwap.ledger.atomic import Provenance, atomic_write_json
from avwap.ledger.records import Fill, Note, OrderSubmitted, Record

TRADE_COLUMNS: Final = (
    "position_id",
    "symbol",
    "status",
    "entry_date_ny",
    "entry_quantity",
    "entry_price",
    "exit_date_ny",
    "exit_price",
    "exit_reason",
    "initial_stop",
    "commissions",
    "net_pnl",
    "r_multiple",
    "entry_resolution",
    "entry_fill_rule",
    "exit_resolution",
    "exit_fill_rule",
)


class TradeRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    trade: Trade
    r_multiple: Decimal | None
    entry_resolution: str
    entry_fill_rule: str
    exit_resolution: str | None
    exit_fill_rule: str | None

    def flat(self) -> dict[str, Any]:
        plain = to_plain(self.trade)
        extra = {name: getattr(self, name) for name in TRADE_COLUMNS if name not in plain}
        return {name: to_plain({**plain, **extra}).get(name) for name in TRADE_COLUMNS}


def r_multiple(trade: Trade) -> Decimal | None:
    """Net PnL over the initial risk ``(entry − initial stop) × quantity`` (None without a risk)."""
    if trade.initial_stop is None or trade.status != CLOSED:
        return None
    risk = (trade.entry_price - trade.initial_stop) * trade.entry_quantity
    return None if risk <= 0 else (trade.net_pnl / risk).quantize(Decimal("0.0001"))


def fill_rules_by_fill(records: Sequence[Record]) -> dict[str, tuple[str, str]]:
    """Ledger fill id -> (resolution, fill rule), from the engine's notes (keyed by broker fill id)."""
    by_broker = {
        str(record.detail["broker_fill_id"]): (
            str(record.detail["resolution"]),
            str(record.detail["fill_rule"]),
        )
        for record in records
        if isinstance(record, Note) and record.code == FILL_RULE_CODE
    }
    return {
        record.fill_id: by_broker[record.broker_fill_id]
        for record in records
        if isinstance(record, Fill) and record.broker_fill_id in by_broker
    }


def trade_rows(records: Sequence[Record]) -> list[TradeRow]:
    """One row per trade; a trade closed because its symbol's data ended has the exit reason
    ``BACKTEST_DATA_ENDED`` (the ledger's exit order purpose says only EXIT)."""
    rules = fill_rules_by_fill(records)
    unknown = ("unknown", "unknown")
    ended = data_ended_orders(records)
    ended_fills = {
        record.fill_id for record in records if isinstance(record, Fill) and record.client_order_id in ended
    }
    rows = []
    for trade in reconstruct_trades(records):
        if trade.exit_fill_ids and trade.exit_fill_ids[-1] in ended_fills:
            trade = msgspec.structs.replace(trade, exit_reason=DATA_ENDED_CODE)
        entry = rules.get(trade.entry_fill_ids[0], unknown) if trade.entry_fill_ids else unknown
        exit_rule = rules.get(trade.exit_fill_ids[-1], unknown) if trade.exit_fill_ids else None
        rows.append(
            TradeRow(
                trade=trade,
                r_multiple=r_multiple(trade),
                entry_resolution=entry[0],
                entry_fill_rule=entry[1],
                exit_resolution=None if exit_rule is None else exit_rule[0],
                exit_fill_rule=None if exit_rule is None else exit_rule[1],
            )
        )
    return rows


def traded_value(records: Sequence[Record], dates: Sequence[dt.date]) -> list[float]:
    """Bought plus sold value per session (the turnover's input)."""
    by_day = dict.fromkeys(dates, 0.0)
    for record in records:
        if isinstance(record, Fill) and record.date_ny in by_day:
            by_day[record.date_ny] += float(record.price * record.quantity)
    return [by_day[day] for day in dates]


def summary_of(
    records: Sequence[Record],
    snapshots: Sequence[PortfolioSnapshot],
    rows: Sequence[TradeRow],
    starting: Decimal,
) -> PerformanceSummary:
    dates = [snapshot.date_ny for snapshot in snapshots]
    # The equity curve starts with the starting capital at the close before the first session, so the first
    # session's return counts.
    start = nyse().previous_session(dates[0])
    equity = [float(starting), *(float(snapshot.equity) for snapshot in snapshots)]
    gross = [0.0, *(float(snapshot.gross_exposure) for snapshot in snapshots)]
    outcomes = [
        TradeOutcome(
            symbol=row.trade.symbol,
            entry_date=row.trade.entry_date_ny,
            exit_date=row.trade.exit_date_ny,
            net_pnl=float(row.trade.net_pnl),
            r_multiple=None if row.r_multiple is None else float(row.r_multiple),
        )
        for row in rows
        if row.trade.status == CLOSED and row.trade.exit_date_ny is not None
    ]
    return summarize(
        [start, *dates],
        equity,
        outcomes,
        gross_exposure=gross,
        traded_value=[0.0, *traded_value(records, dates)],
    )


def trades_csv(rows: Sequence[TradeRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TRADE_COLUMNS)
    for row in rows:
        flat = row.flat()
        writer.writerow(["" if flat[name] is None else str(flat[name]) for name in TRADE_COLUMNS])
    return buffer.getvalue().encode("utf-8")


def equity_csv(snapshots: Sequence[PortfolioSnapshot]) -> bytes:
    lines = ["date,equity,cash,gross_exposure,drawdown,open_positions"]
    lines += [
        f"{item.date_ny},{item.equity},{item.cash},{item.gross_exposure},{item.drawdown},{item.open_positions}"
        for item in snapshots
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def order_list_hash(records: Sequence[Record]) -> str:
    """sha256 over the canonical order submissions (symbol, side, type, quantity, prices, day): the golden
    regression's fingerprint of what the engine decided to trade."""
    from avwap.core.canonical import content_hash

    orders = [
        {
            "date": record.date_ny,
            "symbol": record.symbol,
            "side": record.side,
            "type": record.order_type,
            "quantity": record.quantity,
            "stop": record.stop_price,
            "limit": record.limit_price,
            "purpose": record.purpose,
        }
        for record in records
        if isinstance(record, OrderSubmitted)
    ]
    return content_hash(orders)


def write_outputs(  # noqa: PLR0917 - the run's parts
    folder: Path,
    records: Sequence[Record],
    snapshots: Sequence[PortfolioSnapshot],
    provenance: Provenance,
    extra: dict[str, Any],
    starting: Decimal,
) -> tuple[PerformanceSummary, list[TradeRow]]:
    """Write trades, equity, summary and provenance files into ``folder``."""
    rows = trade_rows(records)
    summary = summary_of(records, snapshots, rows, starting)
    atomic_write_bytes(folder / "trades.csv", trades_csv(rows))
    atomic_write_json(folder / "trades.json", {"trades": [row.flat() for row in rows]}, provenance)
    atomic_write_bytes(folder / "equity.csv", equity_csv(snapshots))
    payload = {**to_plain(summary), **extra, "order_list_sha256": order_list_hash(records)}
    atomic_write_json(folder / "summary.json", payload, provenance)
    return summary, rows
