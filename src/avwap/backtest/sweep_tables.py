"""A sweep's tables: one row per parameter set (best first), and the walk-forward windows with their
in-sample and out-of-sample figures (plain, JSON-ready values; CSV text)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from avwap.backtest.sweep_grid import ParameterGrid, Scalar
from avwap.backtest.sweep_tasks import RunPayload
from avwap.backtest.walk_forward import Window, ranking_key, stitch, stitched_curve
from avwap.core.canonical import to_plain

FIGURES: Final = (
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "max_drawdown",
    "annualized_volatility",
    "trade_count",
    "win_rate",
    "profit_factor",
    "expectancy_r",
    "exposure",
    "ending_equity",
)
Figures = dict[str, float | int | None]


@dataclass(frozen=True)
class ResultRow:
    rank: int
    id: str
    parameters: dict[str, Scalar]
    figures: Figures


@dataclass(frozen=True)
class WindowRow:
    window: Window
    chosen: str
    parameters: dict[str, Scalar]
    in_sample: Figures
    out_of_sample: Figures


@dataclass(frozen=True)
class SweepTables:
    results: list[ResultRow]
    windows: list[WindowRow] = field(default_factory=list)
    training: list[dict[str, Any]] = field(default_factory=list)  # every training run's figures
    stitched: Figures | None = None  # the out-of-sample windows chained
    curve: tuple[tuple[dt.date, ...], tuple[float, ...]] | None = None  # the stitched equity curve


def figures_of(summary: Mapping[str, Any]) -> Figures:
    return {name: summary.get(name) for name in FIGURES}


def mean_figures(many: Sequence[Figures]) -> Figures:
    """Each figure's mean over the runs where it is defined (None where it never is)."""
    means: Figures = {}
    for name in FIGURES:
        values = [float(value) for item in many if (value := item[name]) is not None]
        means[name] = round(sum(values) / len(values), 10) if values else None
    return means


def ranked(grid: ParameterGrid, figures: Mapping[str, Figures], metric: str) -> list[ResultRow]:
    """One row per parameter set, best ``metric`` first (undefined last; ties in grid order)."""
    order = sorted(grid.sets, key=lambda item: ranking_key(metric, figures[item.id], item.index))
    return [
        ResultRow(rank, item.id, dict(item.values), figures[item.id])
        for rank, item in enumerate(order, start=1)
    ]


def results_rows(grid: ParameterGrid, payloads: Sequence[RunPayload], metric: str) -> list[ResultRow]:
    return ranked(grid, {payload.parameter_id: figures_of(payload.summary) for payload in payloads}, metric)


def walk_forward_tables(  # noqa: PLR0917 - the walk-forward's parts
    grid: ParameterGrid,
    metric: str,
    windows: Sequence[Window],
    trained: Mapping[int, Sequence[RunPayload]],
    chosen: Mapping[int, RunPayload],
    tested: Sequence[RunPayload],
) -> SweepTables:
    """Results: each set's figures averaged over the training windows; windows: the chosen set's in-sample
    and out-of-sample figures; stitched: the out-of-sample windows as one run."""
    per_set = {
        item.id: mean_figures([figures_of(runs[item.index].summary) for runs in trained.values()])
        for item in grid.sets
    }
    sets = {item.id: item for item in grid.sets}
    rows = [
        WindowRow(
            window,
            chosen[window.index].parameter_id,
            dict(sets[chosen[window.index].parameter_id].values),
            figures_of(chosen[window.index].summary),
            figures_of(test.summary),
        )
        for window, test in zip(windows, tested, strict=True)
    ]
    training = [
        {"window": window.name, "id": payload.parameter_id, **figures_of(payload.summary)}
        for window in windows
        for payload in trained[window.index]
    ]
    stitched = stitch(tested)
    dates, equity = stitched_curve(tested)
    return SweepTables(
        results=ranked(grid, per_set, metric),
        windows=rows,
        training=training,
        stitched=figures_of(to_plain(stitched)),
        curve=(tuple(dates), tuple(equity)),
    )


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def results_csv(keys: Sequence[str], rows: Sequence[ResultRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["rank", "id", *keys, *FIGURES])
    for row in rows:
        writer.writerow(
            [row.rank, row.id, *(_cell(row.parameters[key]) for key in keys)]
            + [_cell(row.figures[name]) for name in FIGURES]
        )
    return buffer.getvalue().encode("utf-8")


WINDOW_FIGURES: Final = ("total_return", "cagr", "sharpe", "max_drawdown", "trade_count")


def windows_csv(metric: str, rows: Sequence[WindowRow]) -> bytes:
    names = tuple(dict.fromkeys((metric, *WINDOW_FIGURES)))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["window", "train_from", "train_to", "test_from", "test_to", "chosen"]
        + [f"in_sample_{name}" for name in names]
        + [f"out_of_sample_{name}" for name in names]
    )
    for row in rows:
        window = row.window
        writer.writerow(
            [
                window.name,
                window.train_start,
                window.train_end,
                window.test_start,
                window.test_end,
                row.chosen,
            ]
            + [_cell(row.in_sample[name]) for name in names]
            + [_cell(row.out_of_sample[name]) for name in names]
        )
    return buffer.getvalue().encode("utf-8")


def window_json(row: WindowRow) -> dict[str, Any]:
    window = row.window
    return {
        "window": window.name,
        "train": [window.train_start, window.train_end],
        "test": [window.test_start, window.test_end],
        "chosen": row.chosen,
        "parameters": row.parameters,
        "in_sample": row.in_sample,
        "out_of_sample": row.out_of_sample,
    }
