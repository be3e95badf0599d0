"""The sweep's HTML report: the results table, a heatmap of the metric over two parameters and, for a
walk-forward, the windows with in-sample beside out-of-sample figures and the stitched out-of-sample
equity (the presentation package's report frame, table and SVG; byte-stable)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from avwap.backtest.sweep_grid import ParameterGrid
from avwap.backtest.sweep_tables import FIGURES, WINDOW_FIGURES, Figures, ResultRow, SweepTables
from avwap.backtest.walk_forward import metric_value
from avwap.presentation.heatmap import Heatmap, render_heatmap
from avwap.presentation.report import Section, Table, render_report
from avwap.presentation.svg import Chart, LineSeries


def _figure(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.4f}"
    return str(value)


def heatmap_axes(grid: ParameterGrid, chosen: tuple[str, str] | None) -> tuple[str, str | None] | None:
    """The two keys to show: the chosen ones, else the first two that vary (one: a single row)."""
    if chosen is not None:
        return chosen
    varying = grid.varying()
    if not varying:
        return None
    return varying[0], varying[1] if len(varying) > 1 else None


def _ordered(grid: ParameterGrid, key: str) -> list[str]:
    return list(dict.fromkeys(str(dict(item.values)[key]) for item in grid.sets))


def metric_heatmap(
    grid: ParameterGrid, rows: Sequence[ResultRow], metric: str, axes: tuple[str, str | None]
) -> Heatmap:
    """Each cell: the best ``metric`` among the sets with those two values (best over the other keys)."""
    x_key, y_key = axes
    cells: dict[tuple[str, str], float | None] = {}
    for row in rows:
        cell = (str(row.parameters[x_key]), "all" if y_key is None else str(row.parameters[y_key]))
        value = metric_value(row.figures, metric)
        known = cells.get(cell)
        cells[cell] = value if known is None else (known if value is None else max(known, value))
    return Heatmap(
        title=f"{metric} by {x_key}" + ("" if y_key is None else f" and {y_key}"),
        x_name=x_key,
        y_name=y_key or "(one row)",
        x_values=_ordered(grid, x_key),
        y_values=["all"] if y_key is None else _ordered(grid, y_key),
        cells=cells,
    )


def results_section(grid: ParameterGrid, tables: SweepTables, metric: str, walk_forward: bool) -> Section:
    columns = ["rank", "id", *grid.keys, *FIGURES]
    rows = [
        [str(row.rank), row.id, *(str(row.parameters[key]) for key in grid.keys)]
        + [_figure(row.figures[name]) for name in FIGURES]
        for row in tables.results
    ]
    note = f"Sorted by {metric} (best first; n/a last; ties in grid order)."
    if walk_forward:
        note += " Walk-forward: each figure is the mean over the training windows (in-sample)."
    return Section("Parameter sets", tables=[Table("", columns, rows, note)])


def heatmap_section(
    grid: ParameterGrid, tables: SweepTables, metric: str, chosen: tuple[str, str] | None
) -> Section:
    axes = heatmap_axes(grid, chosen)
    if axes is None:
        return Section("Heatmap", paragraphs=["The grid has a single parameter set: nothing to compare."])
    heatmap = render_heatmap(metric_heatmap(grid, tables.results, metric, axes))
    text = f"{metric} of each pair of values; where other parameters vary too, the best set of the cell."
    return Section("Heatmap", paragraphs=[text], figures=[heatmap])


def _pairs(metric: str, figures: Mapping[str, Any]) -> list[str]:
    return [_figure(figures[name]) for name in dict.fromkeys((metric, *WINDOW_FIGURES))]


def walk_forward_section(tables: SweepTables, metric: str) -> Section:
    names = list(dict.fromkeys((metric, *WINDOW_FIGURES)))
    columns = ["window", "train", "test", "chosen", *(f"IS {n}" for n in names), *(f"OOS {n}" for n in names)]
    rows = [
        [
            row.window.name,
            f"{row.window.train_start} to {row.window.train_end}",
            f"{row.window.test_start} to {row.window.test_end}",
            row.chosen,
            *_pairs(metric, row.in_sample),
            *_pairs(metric, row.out_of_sample),
        ]
        for row in tables.windows
    ]
    windows = Table("Windows (IS: in-sample, the training window; OOS: out-of-sample)", columns, rows)
    stitched: Figures = tables.stitched or {}
    in_sample = [row.in_sample for row in tables.windows]
    comparison = [[name, _figure(_mean(in_sample, name)), _figure(stitched.get(name))] for name in names]
    summary = Table(
        "In-sample vs out-of-sample",
        ["figure", "in-sample (chosen sets, mean over windows)", "out-of-sample (windows stitched)"],
        comparison,
        "The out-of-sample figures are what the walk-forward would have earned; a large gap to the "
        "in-sample figures is overfitting.",
    )
    charts = []
    if tables.curve is not None:
        dates, equity = tables.curve
        charts.append(
            Chart(
                "Out-of-sample equity (test windows stitched)",
                [day.isoformat() for day in dates],
                lines=[LineSeries("out-of-sample equity", list(equity), "#2563eb")],
                value_format="{:,.0f}",
            )
        )
    paragraph = (
        "Parameters are chosen on each training window by the metric and traded on the test window that "
        "follows it; only those test windows count. Each test window starts flat with the starting cash."
    )
    return Section("Walk-forward", paragraphs=[paragraph], tables=[summary, windows], charts=charts)


def _mean(many: Sequence[Figures], name: str) -> float | None:
    values = [float(value) for item in many if (value := item.get(name)) is not None]
    return sum(values) / len(values) if values else None


def render_sweep_report(
    grid: ParameterGrid, tables: SweepTables, summary: Mapping[str, Any], heatmap: tuple[str, str] | None
) -> str:
    metric = str(summary["metric"])
    walk_forward = summary.get("walk_forward") is not None
    sections = [
        results_section(grid, tables, metric, walk_forward),
        heatmap_section(grid, tables, metric, heatmap),
    ]
    if walk_forward:
        sections.append(walk_forward_section(tables, metric))
    meta = (
        f"{summary['from']} to {summary['to']}; {len(grid.sets)} parameter sets; metric {metric}; "
        f"resolution {summary['resolution']}; code {summary['code_version']}"
        + (f"; walk-forward {summary['walk_forward']}" if walk_forward else "")
    )
    return render_report("avwap backtest sweep", meta, sections)
