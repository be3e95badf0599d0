"""The backtest's HTML report: equity vs the benchmark, drawdown, monthly returns, R distribution,
per-symbol contribution and trade charts (daily bars, AVWAP, stop steps, entry and exit of every trade, or
of the largest winners and losers of a long run: :mod:`avwap.presentation.trade_charts`). The presentation
package's report frame and SVG charts; byte-stable."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.backtest.metrics import PerformanceSummary
from avwap.backtest.outputs import TradeRow
from avwap.core.canonical import to_plain
from avwap.ledger.atomic import Provenance
from avwap.ledger.records import Record
from avwap.presentation.report import Section, Table, render_report
from avwap.presentation.svg import Chart, LineSeries
from avwap.presentation.trade_charts import trade_charts

if TYPE_CHECKING:
    import pandas as pd

R_BUCKETS: tuple[float, ...] = (-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0)


def _figure(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.4f}"
    return str(value)


def equity_chart(snapshots: Sequence[PortfolioSnapshot], benchmark: Mapping[object, float]) -> Chart:
    """Equity and the benchmark's closes scaled to the starting equity (a buy-and-hold line)."""
    labels = [snapshot.date_ny.isoformat() for snapshot in snapshots]
    equity = [float(snapshot.equity) for snapshot in snapshots]
    closes = [benchmark.get(snapshot.date_ny) for snapshot in snapshots]
    first = next((value for value in closes if value), None)
    scaled = [None if value is None or not first else equity[0] * value / first for value in closes]
    lines = [LineSeries("equity", equity, "#2563eb")]
    if first:
        lines.append(LineSeries("benchmark (buy and hold)", scaled, "#9ca3af", dashed=True))
    return Chart("Equity vs benchmark", labels, lines=lines, value_format="{:,.0f}")


def drawdown_chart(snapshots: Sequence[PortfolioSnapshot]) -> Chart:
    labels = [snapshot.date_ny.isoformat() for snapshot in snapshots]
    values = [float(snapshot.drawdown) * 100 for snapshot in snapshots]
    return Chart(
        "Drawdown (%)", labels, lines=[LineSeries("drawdown", values, "#dc2626")], value_format="{:,.1f}"
    )


def monthly_returns(snapshots: Sequence[PortfolioSnapshot], starting: Decimal) -> Table:
    """Return of each calendar month (close of its last session over the previous month's)."""
    last: dict[tuple[int, int], Decimal] = {}
    for snapshot in snapshots:
        last[(snapshot.date_ny.year, snapshot.date_ny.month)] = snapshot.equity
    rows, previous = [], starting
    for (year, month), equity in sorted(last.items()):
        change = (equity / previous - 1) * 100 if previous else Decimal(0)
        rows.append([f"{year}-{month:02d}", f"{equity:,.2f}", f"{change:+.2f}%"])
        previous = equity
    return Table("Monthly returns", ("month", "equity", "return"), rows)


def r_distribution(rows: Sequence[TradeRow]) -> Table:
    multiples = [float(row.r_multiple) for row in rows if row.r_multiple is not None]
    edges = (-math.inf, *R_BUCKETS, math.inf)
    table = []
    for low, high in itertools.pairwise(edges):
        count = sum(1 for value in multiples if low <= value < high)
        table.append([f"[{low:g}, {high:g})", str(count)])
    return Table("R multiple distribution (closed trades)", ("R bucket", "trades"), table)


def contribution(rows: Sequence[TradeRow], limit: int = 15) -> Table:
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row.trade.symbol] = totals.get(row.trade.symbol, Decimal(0)) + row.trade.net_pnl
    ordered = sorted(totals.items(), key=lambda item: (-abs(item[1]), item[0]))[:limit]
    return Table(
        "Per-symbol contribution (net PnL, largest first)",
        ("symbol", "net PnL"),
        [[symbol, f"{value:,.2f}"] for symbol, value in ordered],
    )


def render_backtest_report(
    *,
    summary: PerformanceSummary,
    snapshots: Sequence[PortfolioSnapshot],
    rows: Sequence[TradeRow],
    benchmark: Mapping[object, float],
    resolutions: Mapping[str, int],
    meta: str,
    provenance: Provenance,
    attribution: Section | None = None,
    records: Sequence[Record] = (),
    daily_by_symbol: Mapping[str, pd.DataFrame] | None = None,
) -> str:
    """``records`` and ``daily_by_symbol`` (the traded symbols' daily bars) feed the trade charts."""
    figures = Table(
        "Summary",
        ("figure", "value"),
        [[name.replace("_", " "), _figure(value)] for name, value in to_plain(summary).items()],
    )
    sessions = Table(
        "Sessions by resolution",
        ("resolution", "sessions"),
        [[k, str(v)] for k, v in sorted(resolutions.items())],
    )
    sections = [
        Section("Summary", tables=(figures, sessions)),
        Section("Equity", charts=(equity_chart(snapshots, benchmark), drawdown_chart(snapshots))),
        Section("Returns", tables=(monthly_returns(snapshots, Decimal(str(summary.starting_equity))),)),
        Section("Trades", tables=(r_distribution(rows), contribution(rows))),
        *([attribution] if attribution is not None else []),
    ]
    charts, which = trade_charts([row.trade for row in rows], records, daily_by_symbol or {})
    sections.append(Section("Trade charts", charts=charts, paragraphs=[which]))
    return render_report("avwap backtest", meta, sections, provenance)
