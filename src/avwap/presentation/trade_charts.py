"""One chart per backtest trade: its daily bars, the anchored VWAP of its setup, the stop steps, entry and
exit (the scan and demo charts' SVG helpers; byte-stable, no script, no CDN).

Which trades: all of them when there are at most :data:`CHART_LIMIT`, else the :data:`CHART_LIMIT` // 2
largest winners and as many largest losers by net PnL (closed trades; a side with fewer leaves its places to
the other), so a long run's report stays small;
:func:`chart_selection` says which in words. Inputs are ledger records, the trades and each symbol's daily
bars (a canonical bar frame); nothing here reads files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from avwap.analytics.trades import CLOSED, Trade
from avwap.core.calendar import nyse
from avwap.ledger.records import PositionOpened, Record, TradeIntent
from avwap.presentation.exit_report import BUY_COLOR, SELL_COLOR, STOP_COLOR, stop_steps
from avwap.presentation.svg import Candles, Chart, LineSeries, Marker
from avwap.signals.avwap import avwap_series

CHART_LIMIT: Final = 12
SESSIONS_BEFORE: Final = 15  # sessions shown before the entry (and after the exit: 5)
SESSIONS_AFTER: Final = 5
AVWAP_COLOR: Final = "#2563eb"


def chart_selection(trades: Sequence[Trade], limit: int = CHART_LIMIT) -> tuple[list[Trade], str]:
    """The trades to chart (in entry order) and a sentence saying which."""
    if len(trades) <= limit:
        return sorted(trades, key=_entry_order), f"All {len(trades)} trades."
    closed = [trade for trade in trades if trade.status == CLOSED]
    winners = sorted((t for t in closed if t.net_pnl > 0), key=lambda t: (-t.net_pnl, *_entry_order(t)))
    losers = sorted((t for t in closed if t.net_pnl <= 0), key=lambda t: (t.net_pnl, *_entry_order(t)))
    # half the charts each; a side with fewer trades leaves its places to the other
    losers = losers[: limit - min(len(winners), limit // 2)]
    winners = winners[: limit - len(losers)]
    chosen = winners + losers
    text = (
        f"{len(trades)} trades: charted are the {len(winners)} largest winners and the {len(losers)} "
        f"largest losers by net PnL (closed trades)."
    )
    return sorted(chosen, key=_entry_order), text


def _entry_order(trade: Trade) -> tuple[dt.datetime, str]:
    return trade.entry_time, trade.position_id


def anchor_dates(records: Sequence[Record]) -> dict[str, dt.date]:
    """position id -> the anchor date of its setup (``KIND:YYYY-MM-DD``), through its intent."""
    setups = {record.intent_id: record.setup for record in records if isinstance(record, TradeIntent)}
    anchors: dict[str, dt.date] = {}
    for record in records:
        if isinstance(record, PositionOpened) and record.intent_id in setups:
            _, _, text = setups[record.intent_id].partition(":")
            try:
                anchors[record.position_id] = dt.date.fromisoformat(text[:10])
            except ValueError:
                continue  # a setup without an anchor date: no AVWAP line
    return anchors


def _avwap(bars: pd.DataFrame, dates: list[dt.date], anchor: dt.date | None) -> list[float | None]:
    if anchor is None or not dates or anchor > dates[-1]:
        return [None] * len(dates)
    start = next(index for index, day in enumerate(dates) if day >= anchor)
    high, low, close, volume = (
        bars[name].to_numpy(dtype=np.float64)[None, :] for name in ("high", "low", "close", "volume")
    )
    series = avwap_series(high, low, close, volume, np.array([[start]]), engine="numpy")
    return [None if np.isnan(value) else float(value) for value in series.avwap[0, 0]]


def trade_chart(
    trade: Trade, records: Sequence[Record], daily: pd.DataFrame, anchor: dt.date | None
) -> Chart | None:
    """``daily``: the symbol's daily bars (any span, time order). None when none fall in the trade's window.

    The window runs from the anchor (at most :data:`SESSIONS_BEFORE` sessions before the entry) to
    :data:`SESSIONS_AFTER` sessions after the exit; the stop line is the stop each day's trading was checked
    against (the last one set before that day's close: a stop placed after the close counts from the next
    day), from the entry day through the exit day."""
    dates = [stamp.date() for stamp in daily["timestamp"]]
    entry = trade.entry_date_ny
    first_index = next((index for index, day in enumerate(dates) if day >= entry), None)
    if first_index is None:
        return None
    exit_day = trade.exit_date_ny or dates[-1]
    last_index = max([first_index, *(index for index, day in enumerate(dates) if day <= exit_day)])
    begin = max(0, first_index - SESSIONS_BEFORE)
    if anchor is not None:  # from the anchor when it is closer than SESSIONS_BEFORE
        begin = max(begin, next((index for index, day in enumerate(dates) if day >= anchor), begin))
    begin = min(begin, first_index)
    end = last_index + 1 + SESSIONS_AFTER
    # the AVWAP from its anchor over every bar up to the window's end, then cut to the window
    avwap = _avwap(daily.iloc[:end], dates[:end], anchor)[begin:end]
    window = daily.iloc[begin:end].reset_index(drop=True)
    shown = dates[begin:end]
    steps = stop_steps(records, trade.position_id)
    stops: list[float | None] = []
    calendar = nyse()
    for day in shown:  # the stop that day's trading was checked against: the last one set before its close
        close = calendar.session_close(day)
        in_force = [price for at, price in steps if at < close]
        held = entry <= day and (trade.exit_date_ny is None or day <= trade.exit_date_ny)
        stops.append(float(in_force[-1]) if in_force and held else None)
    markers = [Marker(shown.index(entry), float(trade.entry_price), f"entry {trade.entry_price}", BUY_COLOR)]
    if trade.exit_date_ny in shown and trade.exit_price is not None:
        label = f"exit {trade.exit_price} ({trade.exit_reason})"
        markers.append(
            Marker(shown.index(trade.exit_date_ny), float(trade.exit_price), label, SELL_COLOR, upward=False)
        )
    lines = [
        LineSeries(f"AVWAP (anchor {anchor})", avwap, AVWAP_COLOR),
        LineSeries("stop in force", stops, STOP_COLOR, dashed=True, step=True),
    ]
    candles = Candles(*(window[name].astype(float).tolist() for name in ("open", "high", "low", "close")))
    outcome = f"net {trade.net_pnl}" if trade.status == CLOSED else "open"
    title = f"{trade.symbol} {entry} to {trade.exit_date_ny or 'open'} ({outcome}): daily bars, AVWAP, stop"
    return Chart(title, [day.strftime("%Y-%m-%d") for day in shown], lines, candles, markers)


def trade_charts(
    trades: Sequence[Trade], records: Sequence[Record], daily_by_symbol: Mapping[str, pd.DataFrame]
) -> tuple[list[Chart], str]:
    """The selected trades' charts and the sentence saying which were selected."""
    chosen, text = chart_selection(trades)
    anchors = anchor_dates(records)
    charts = []
    for trade in chosen:
        daily = daily_by_symbol.get(trade.symbol)
        if daily is None or daily.empty:
            continue
        chart = trade_chart(trade, records, daily, anchors.get(trade.position_id))
        if chart is not None:
            charts.append(chart)
    return charts, text
