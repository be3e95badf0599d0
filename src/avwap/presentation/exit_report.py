"""Exit charts and tables for the HTML reports (Phase D1): how each closed trade exited, and one trade's day.

Inputs are ledger records, the trades reconstructed from them and each trade's bars (``BarArrays``); nothing
here reads files or imports execution code. Output is byte-stable (sorted rows, fixed number formatting).

* :func:`exit_quality_table` — one row per closed trade: R-multiple, MAE/MFE (in R), stop efficiency,
  giveback, holding time, exit reason, net PnL (:func:`avwap.analytics.exit_metrics.trade_metrics`).
* :func:`stop_steps` — the stop in force over time, from the ledger's stop-setting ``ExitEvent`` s.
* :func:`trade_day_chart` — a trade's entry day in intraday candles, the stop as a step line (the stop each
  bar was checked against: the last one set at or before the bar's start) and the entry / exit fills.
  A fill is drawn on the bar it happened in (start < fill time <= end: the paper broker stamps a fill
  with its bar's end).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final

import numpy as np

from avwap.analytics.exit_metrics import ExitMetrics, summarize, trade_metrics
from avwap.analytics.trades import CLOSED, Trade
from avwap.core.calendar import NEW_YORK, ny_date
from avwap.exits.bar_arrays import BarArrays, IntArray, empty_arrays, from_ns, instant_ns
from avwap.ledger.record_enums import STOP_SETTING_KINDS
from avwap.ledger.records import ExitEvent, Fill, Record
from avwap.presentation.report import Section, Table
from avwap.presentation.svg import Candles, Chart, LineSeries, Marker

STOP_COLOR: Final = "#b91c1c"
BUY_COLOR: Final = "#15803d"
SELL_COLOR: Final = "#7c3aed"
COLUMNS: Final = (
    "symbol", "entry", "exit", "reason", "R", "MAE R", "MFE R", "efficiency", "giveback", "minutes",
    "stop revisions", "net PnL",
)  # fmt: skip


def _text(value: object) -> str:
    return "–" if value is None else str(value)


def _moment(value: dt.datetime) -> str:
    return value.astimezone(NEW_YORK).strftime("%m-%d %H:%M")


def exit_metrics_of(
    trades: Sequence[Trade], bars: Mapping[str, BarArrays], bar_minutes: int | None
) -> list[ExitMetrics]:
    """Exit metrics of every closed trade, from its bars (``bars[position_id]``; none: its own fills)."""
    closed = [trade for trade in trades if trade.status == CLOSED and trade.exit_time is not None]
    metrics = [
        trade_metrics(trade, bars.get(trade.position_id, empty_arrays()), bar_minutes) for trade in closed
    ]
    return sorted(metrics, key=lambda item: (item.exit_time, item.position_id))


def exit_quality_table(metrics: Sequence[ExitMetrics], trades: Sequence[Trade]) -> Table:
    """One row per closed trade, in exit order."""
    revisions = {trade.position_id: trade.stop_revisions for trade in trades}
    rows = [
        [
            item.symbol,
            _moment(item.entry_time),
            _moment(item.exit_time),
            item.exit_reason or "–",
            _text(item.r_multiple),
            _text(item.mae_r),
            _text(item.mfe_r),
            _text(item.efficiency),
            str(item.giveback),
            str(item.holding_minutes),
            str(revisions.get(item.position_id, 0)),
            str(item.net_pnl),
        ]
        for item in metrics
    ]
    note = (
        "Times are New York. R = (exit − entry) / (entry − initial stop); MAE/MFE = worst/best excursion "
        "from the entry over the bars held, in R; efficiency = captured move / best move available; "
        "giveback = best price − exit, per share."
    )
    return Table("Exit quality per trade", COLUMNS, rows, note=note)


def summary_text(metrics: Sequence[ExitMetrics]) -> str:
    figures = summarize(metrics)
    return (
        f"{figures['trades']} closed trades ({figures['winners']} winners, {figures['losers']} losers, "
        f"{figures['stopped_out']} stopped out); average R {_text(figures['average_r'])}, average stop "
        f"efficiency {_text(figures['average_efficiency'])}; net PnL {figures['net_pnl']}."
    )


def stop_steps(records: Sequence[Record], position_id: str) -> list[tuple[dt.datetime, Decimal]]:
    """(instant, stop) each time the position's stop in force rose (it never falls), in time order."""
    events = sorted(
        (
            record
            for record in records
            if isinstance(record, ExitEvent)
            and record.position_id == position_id
            and record.kind in STOP_SETTING_KINDS
            and record.stop_price is not None
        ),
        key=lambda record: (record.ts, record.stop_revision, record.exit_id),
    )
    steps: list[tuple[dt.datetime, Decimal]] = []
    for event in events:
        assert event.stop_price is not None
        if not steps or event.stop_price > steps[-1][1]:
            steps.append((event.ts, event.stop_price))
    return steps


def _fill_index(starts: IntArray, length: dt.timedelta, moment: dt.datetime) -> int | None:
    """The bar the fill happened in: start < moment <= start + length (None when not among ``starts``)."""
    at = instant_ns(moment)
    index = int(np.searchsorted(starts, at, side="left")) - 1
    if index < 0 or at > int(starts[index]) + length // dt.timedelta(microseconds=1) * 1_000:
        return None
    return index


def trade_day_chart(
    trade: Trade, records: Sequence[Record], bars: BarArrays, bar_minutes: int
) -> Chart | None:
    """The trade's entry day (``bars``: its symbol's intraday bars, any span); None without bars that day."""
    starts = [from_ns(int(value)) for value in bars.start_ns]
    keep = [index for index, start in enumerate(starts) if ny_date(start) == trade.entry_date_ny]
    if not keep:
        return None
    day = bars.window(keep[0], keep[-1] + 1)
    day_starts = day.start_ns
    length = dt.timedelta(minutes=bar_minutes)
    steps = stop_steps(records, trade.position_id)
    stops: list[float | None] = []
    for start in day_starts.tolist():
        moment = from_ns(int(start))
        in_force = [price for at, price in steps if at <= moment]
        after_exit = trade.exit_time is not None and moment >= trade.exit_time
        stops.append(float(in_force[-1]) if in_force and not after_exit else None)
    markers = []
    fills = [r for r in records if isinstance(r, Fill) and r.position_id == trade.position_id]
    for fill in sorted(fills, key=lambda item: (item.ts, item.fill_id)):
        index = _fill_index(day_starts, length, fill.ts)
        if index is None:
            continue
        buy = fill.side == "BUY"
        label = f"{'buy' if buy else 'exit'} {fill.price}"
        markers.append(Marker(index, float(fill.price), label, BUY_COLOR if buy else SELL_COLOR, upward=buy))
    labels = [from_ns(int(value)).astimezone(NEW_YORK).strftime("%H:%M") for value in day_starts.tolist()]
    candles = Candles(day.open.tolist(), day.high.tolist(), day.low.tolist(), day.close.tolist())
    title = (
        f"{trade.symbol} on {trade.entry_date_ny}: {bar_minutes}-minute bars, stop steps "
        f"({len(steps)}) and fills"
    )
    stop_line = LineSeries("stop in force", stops, STOP_COLOR, dashed=True, step=True)
    return Chart(title, labels, [stop_line], candles, markers)


def charted_trade(trades: Sequence[Trade]) -> Trade | None:
    """The trade to chart: closed on its entry day, most stop revisions; then earliest entry."""
    same_day = [t for t in trades if t.status == CLOSED and t.exit_date_ny == t.entry_date_ny]
    pool = same_day or [t for t in trades if t.status == CLOSED]
    if not pool:
        return None
    return min(pool, key=lambda t: (-t.stop_revisions, t.entry_time, t.position_id))


def exit_section(
    trades: Sequence[Trade],
    records: Sequence[Record],
    bars: Mapping[str, BarArrays],
    bar_minutes: int,
    title: str = "Exits: stops and exit quality",
) -> Section:
    """The report section: summary line, one trade's day chart, and the per-trade exit quality table."""
    metrics = exit_metrics_of(trades, bars, bar_minutes)
    chosen = charted_trade(trades)
    chart = None
    if chosen is not None and chosen.position_id in bars:
        chart = trade_day_chart(chosen, records, bars[chosen.position_id], bar_minutes)
    paragraphs = [summary_text(metrics)] if metrics else ["No closed trades yet."]
    if chosen is not None:
        steps = ", ".join(
            f"{_moment(at)[6:]} {price}" for at, price in stop_steps(records, chosen.position_id)
        )
        paragraphs.append(
            f"Charted: {chosen.symbol}, entered {_moment(chosen.entry_time)} at {chosen.entry_price}, "
            f"exited {_moment(chosen.exit_time) if chosen.exit_time else '–'} at {chosen.exit_price} "
            f"({chosen.exit_reason}); stop steps: {steps or 'none'}."
        )
    return Section(title, charts=[chart] if chart else [], tables=[exit_quality_table(metrics, trades)],
                   paragraphs=paragraphs)  # fmt: skip
