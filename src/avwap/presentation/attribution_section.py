"""The "By strategy" section of the HTML reports (demo, backtest): Phase S4 attribution, tables and one chart.

From a :class:`~avwap.analytics.attribution_range.StrategyReport`: the strategies (then the portfolio row
they add up to), the sleeves when they differ from the strategies, the cumulative PnL of each strategy by
day, the largest (strategy, symbol) contributors, who caused the deepest drawdown, and the blocked intents
by reason code. A report that could not be built (attribution fails open) shows why instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from avwap.analytics.attribution_range import GroupRange, StrategyReport
from avwap.presentation.report import Section, Table
from avwap.presentation.svg import Chart, LineSeries

TITLE: Final = "By strategy"
COLORS: Final = ("#2563eb", "#d97706", "#059669", "#7c3aed", "#dc2626", "#0891b2")
GROUP_COLUMNS: Final = (
    "name",
    "realized",
    "fees",
    "unrealized change",
    "PnL",
    "contribution",
    "gross exposure (end)",
    "max drawdown",
    "drawdown contribution",
    "volatility",
)


def _money(value: object) -> str:
    return f"{value:,.2f}"


def _group_rows(groups: Sequence[GroupRange]) -> list[list[str]]:
    return [
        [
            group.name,
            _money(group.realized_pnl),
            _money(group.fees),
            _money(group.unrealized_change),
            _money(group.pnl),
            f"{group.contribution * 100:+.4f}%",
            _money(group.end_gross_exposure),
            _money(group.max_drawdown),
            _money(group.drawdown_contribution),
            str(group.volatility) if group.volatility is not None else "n/a",
        ]
        for group in groups
    ]


def _cumulative_chart(report: StrategyReport) -> Chart:
    labels = [day.date_ny.isoformat() for day in report.daily]
    names = [group.name for group in report.strategies]
    lines = []
    for index, name in enumerate(names):
        values: list[float | None] = []
        total = 0.0
        for day in report.daily:
            total += float(next((row.pnl for row in day.by_strategy if row.name == name), 0))
            values.append(total)
        lines.append(LineSeries(name, values, COLORS[index % len(COLORS)]))
    return Chart("Cumulative PnL by strategy over the window", labels, lines, value_format="{:,.0f}")


def strategy_section(report: StrategyReport | None, failure: str = "") -> Section:
    if report is None:
        return Section(TITLE, paragraphs=[f"Attribution unavailable: {failure or 'not computed'}."])
    strategies = Table(
        "",
        GROUP_COLUMNS,
        _group_rows([*report.strategies, report.portfolio]),
        note="PnL = realized (gross) - fees + change of unrealized; the strategies add up to the PORTFOLIO "
        "row to the cent. Contribution: PnL over the equity at the close before the window "
        f"({_money(report.start_equity)}).",
    )
    tables = [strategies]
    if [group.name for group in report.sleeves] != [group.name for group in report.strategies]:
        tables.append(Table("By sleeve", GROUP_COLUMNS, _group_rows(report.sleeves)))
    tables.append(
        Table(
            "Largest contributors (strategy, symbol)",
            ["strategy", "symbol", "PnL", "realized", "fees", "unrealized change"],
            [
                [
                    item.strategy_id,
                    item.symbol,
                    _money(item.pnl),
                    _money(item.realized_pnl),
                    _money(item.fees),
                    _money(item.unrealized_change),
                ]
                for item in report.top_contributors
            ],
        )
    )
    if report.blocked:
        tables.append(
            Table(
                "Blocked or resized intents by reason code",
                ["strategy", "source", "outcome", "reason code", "rule", "intents (first code)", "mentions"],
                [
                    [
                        item.strategy_id,
                        item.source,
                        item.outcome,
                        item.reason_code,
                        item.rule,
                        str(item.intents),
                        str(item.mentions),
                    ]
                    for item in report.blocked
                ],
            )
        )
    return Section(
        TITLE, charts=[_cumulative_chart(report)], tables=tables, paragraphs=[_drawdown_sentence(report)]
    )


def _drawdown_sentence(report: StrategyReport) -> str:
    drawdown = report.drawdown
    if drawdown is None:
        return f"{report.date_from} to {report.date_to}: equity never fell below a running peak."
    causes = ", ".join(
        f"{group.name} {_money(group.drawdown_contribution)}"
        for group in sorted(report.strategies, key=lambda group: (group.drawdown_contribution, group.name))
    )
    start = drawdown.peak_date.isoformat() if drawdown.peak_date else "the close before the window"
    return (
        f"Deepest drawdown {drawdown.depth * 100:.2f}% from {start} to {drawdown.trough_date} "
        f"(PnL {_money(drawdown.pnl)}), by strategy: {causes}."
    )
