"""The demo's summary and HTML report, derived from the ledger, the snapshots and the bars only."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from avwap.analytics.trades import Trade, reconstruct_trades
from avwap.backtest.engine import BacktestResult
from avwap.backtest.market import BAR_MINUTES
from avwap.core.calendar import nyse
from avwap.core.files import atomic_write_bytes
from avwap.demo.portfolio_sections import decisions_section, reconciliation_section
from avwap.execution.market_data import FrameMarketData
from avwap.exits.bar_arrays import BarArrays, bar_arrays
from avwap.ledger.atomic import Provenance
from avwap.ledger.records import Decision, ExitEvent, Fill, PositionClosed, Record, TradeIntent
from avwap.presentation.exit_report import exit_section
from avwap.presentation.report import Section, Table, render_report
from avwap.presentation.svg import Candles, Chart, LineSeries, Marker
from avwap.signals.avwap import avwap_series

CHART_SESSIONS = 60
CHARTED_SYMBOLS = 2
# Summary figures that are counts by key: each gets its own table (title, key column), never a dict repr.
COUNTED_FIGURES: Final = {
    "decisions": ("Control-plane decisions", "outcome"),
    "block_reasons": ("Entries blocked or resized, by reason code", "reason code"),
}


def summary_figures(result: BacktestResult, records: list[Record]) -> dict[str, Any]:
    snapshots = result.snapshots
    start = result.config.starting_cash
    end = snapshots[-1].equity if snapshots else start
    closed = [record for record in records if isinstance(record, PositionClosed)]
    outcomes = Counter(str(record.outcome) for record in records if isinstance(record, Decision))
    reasons = Counter(
        code for record in records if isinstance(record, Decision) for code in record.reason_codes
    )
    stop_moves = sum(
        1 for record in records if isinstance(record, ExitEvent) and record.kind == "STOP_REPLACED"
    )
    return {
        "sessions": len(result.sessions),
        "first_session": result.sessions[0],
        "last_session": result.sessions[-1],
        "starting_equity": start,
        "ending_equity": end,
        "return_pct": ((end / start - 1) * 100).quantize(Decimal("0.01")),
        "realized_pnl": snapshots[-1].realized_pnl if snapshots else Decimal("0"),
        "unrealized_pnl": snapshots[-1].unrealized_pnl if snapshots else Decimal("0"),
        "fees": snapshots[-1].fees if snapshots else Decimal("0"),
        "max_drawdown_pct": (min((s.max_drawdown for s in snapshots), default=Decimal(0)) * 100).quantize(
            Decimal("0.01")
        ),
        "intents": sum(1 for record in records if isinstance(record, TradeIntent)),
        "decisions": dict(sorted(outcomes.items())),
        "block_reasons": dict(sorted(reasons.items())),
        "trades_closed": len(closed),
        "winning_trades": sum(1 for record in closed if record.realized_pnl > 0),
        "open_positions": snapshots[-1].open_positions if snapshots else 0,
        "stop_replacements": stop_moves,
    }


def _symbol_chart(market: FrameMarketData, records: list[Record], symbol: str, last: dt.date) -> Chart | None:
    daily = market.daily_bars(symbol, last + dt.timedelta(days=1)).tail(CHART_SESSIONS).reset_index(drop=True)
    if daily.empty:
        return None
    intent = next((r for r in records if isinstance(r, TradeIntent) and r.symbol == symbol), None)
    dates = [stamp.date() for stamp in daily["timestamp"]]
    lines = []
    if intent is not None:
        anchor_date = dt.date.fromisoformat(intent.setup.split(":", 1)[1])
        anchor = next((index for index, day in enumerate(dates) if day >= anchor_date), 0)
        high, low, close, volume = (
            daily[name].to_numpy(dtype=np.float64)[None, :] for name in ("high", "low", "close", "volume")
        )
        series = avwap_series(high, low, close, volume, np.array([[anchor]]), engine="numpy")
        values = [None if np.isnan(value) else float(value) for value in series.avwap[0, 0]]
        lines.append(LineSeries(f"AVWAP ({intent.setup.split(':')[0]})", values, "#2563eb"))
    stop_changes: dict[int, float] = {}
    markers = []
    for record in records:
        if getattr(record, "symbol", None) != symbol or record.date_ny not in dates:
            continue
        index = dates.index(record.date_ny)
        if isinstance(record, ExitEvent) and record.stop_price is not None:
            stop_changes[index] = float(record.stop_price)
        if isinstance(record, Fill):
            buy = record.side == "BUY"
            color = "#15803d" if buy else "#b91c1c"
            markers.append(Marker(index, float(record.price), "buy" if buy else "sell", color, upward=buy))
    lines.append(
        LineSeries("stop", _held_stops(stop_changes, markers, len(dates)), "#b91c1c", dashed=True, step=True)
    )
    candles = Candles(*(daily[name].astype(float).tolist() for name in ("open", "high", "low", "close")))
    labels = [day.strftime("%m-%d") for day in dates]
    return Chart(f"{symbol}: daily bars, anchored VWAP, stop and fills", labels, lines, candles, markers)


def _held_stops(changes: dict[int, float], markers: list[Marker], length: int) -> list[float | None]:
    """The stop in force each day, from its first setting to the last fill (None outside that span)."""
    if not changes:
        return [None] * length
    last_fill = max((marker.index for marker in markers), default=length - 1)
    values: list[float | None] = []
    current: float | None = None
    for index in range(length):
        current = changes.get(index, current)
        values.append(current if index <= last_fill else None)
    return values


def trade_bars(market: FrameMarketData, trades: list[Trade], sessions: list[dt.date]) -> dict[str, BarArrays]:
    """Each trade's intraday bars, from its entry session through its exit session (or the last one)."""
    bars: dict[str, BarArrays] = {}
    for trade in trades:
        last = trade.exit_date_ny or sessions[-1]
        days = [day for day in sessions if trade.entry_date_ny <= day <= last]
        frames = [market.session_bars(trade.symbol, day, nyse().session_close(day)) for day in days]
        frames = [frame for frame in frames if not frame.empty]
        if frames:
            bars[trade.position_id] = bar_arrays(pd.concat(frames, ignore_index=True), trade.symbol)
    return bars


def write_report(
    path: Path,
    result: BacktestResult,
    records: list[Record],
    meta: str,
    provenance: Provenance,
    *,
    attribution: Section | None = None,
) -> Path:
    """The demo's HTML report; ``attribution``: the "By strategy" section (Phase S4), after the trades."""
    figures = summary_figures(result, records)
    trades = reconstruct_trades(records)
    equity_labels = ["start", *(s.date_ny.strftime("%m-%d") for s in result.snapshots)]
    equity_values = [float(result.config.starting_cash), *(float(s.equity) for s in result.snapshots)]
    equity = Chart(
        "Equity (end of day)",
        equity_labels,
        [LineSeries("equity", equity_values, "#111827")],
        value_format="{:,.0f}",
    )
    counts = {name: figures.pop(name) for name in COUNTED_FIGURES}
    summary = Table(
        "", ["figure", "value"], [[name.replace("_", " "), str(value)] for name, value in figures.items()]
    )
    count_tables = [
        Table(title, [heading, "count"], [[key, str(value)] for key, value in counts[name].items()])
        for name, (title, heading) in COUNTED_FIGURES.items()
        if counts[name]
    ]
    trade_rows = [
        [
            trade.symbol,
            str(trade.entry_date_ny),
            str(trade.exit_date_ny or "open"),
            str(trade.entry_quantity),
            str(trade.entry_price),
            str(trade.exit_price or ""),
            str(trade.stop_revisions),
            str(trade.net_pnl) if trade.status != "OPEN" else "",
        ]
        for trade in trades
    ]
    trade_table = Table(
        "",
        ["symbol", "opened", "closed", "shares", "entry", "exit", "stop revisions", "net PnL"],
        trade_rows,
        note="Realized PnL is net of commissions. Open trades are marked in the snapshots.",
    )
    traded = list(dict.fromkeys(trade.symbol for trade in trades if trade.exit_date_ny is not None))
    market = result.market
    assert market is not None  # a finished replay always carries its market
    charts = [
        chart
        for symbol in traded[:CHARTED_SYMBOLS]
        if (chart := _symbol_chart(market, records, symbol, result.sessions[-1])) is not None
    ]
    sections = [
        Section("Summary", tables=[summary, *count_tables]),
        Section("Equity curve", charts=[equity]),
        Section("Trades", tables=[trade_table]),
        *([attribution] if attribution is not None else []),
        decisions_section(result.decisions),
        reconciliation_section(result.reconciliations),
        Section("Traded symbols", charts=charts),
        exit_section(trades, records, trade_bars(market, trades, result.sessions), BAR_MINUTES),
    ]
    html = render_report("avwap demo: PAPER_SIM replay", meta, sections, provenance)
    atomic_write_bytes(path, html.encode("utf-8"))
    return path
