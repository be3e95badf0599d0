"""One run of a sweep: a task (what to run, picklable, shipped to a Ray worker or run in-process) and its
payload (the figures the driver needs back; the run's files stay in its folder).

Every task goes through :func:`avwap.backtest.run.run_backtest`, the same entry point as ``avwap backtest``:
one engine, only the Config settings and scan rules differ.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avwap.analytics.trades import CLOSED
from avwap.backtest.metrics import TradeOutcome
from avwap.backtest.outputs import TradeRow, trade_rows
from avwap.backtest.sweep_grid import ParameterSet
from avwap.core.canonical import to_plain


@dataclass(frozen=True)
class RunTask:
    key: str  # the run's folder name under <out>/runs, e.g. p003 or w01-train-p003
    parameters: ParameterSet
    start: dt.date
    end: dt.date
    data_root: str
    out: str
    environ: tuple[tuple[str, str], ...]
    config_file: str | None
    universe: tuple[str, ...] | None
    resolution: str
    code_version: str


@dataclass(frozen=True)
class RunPayload:
    key: str
    parameter_id: str
    summary: dict[str, Any]  # the run's PerformanceSummary, as plain JSON values
    dates: tuple[dt.date, ...]  # the equity curve: the close before the first session, then each session
    equity: tuple[float, ...]
    trades: tuple[TradeOutcome, ...]  # closed trades (for stitched walk-forward figures)


def run_task(task: RunTask) -> RunPayload:
    """Run one parameter set through the backtest engine (in a Ray worker or in this process)."""
    from avwap.backtest.run import run_backtest
    from avwap.core.calendar import nyse
    from avwap.ledger.paths import BACKTEST
    from avwap.ledger.router import Ledger

    outcome = run_backtest(
        dict(task.environ),
        start=task.start,
        end=task.end,
        data_root=Path(task.data_root),
        out=Path(task.out),
        config_file=None if task.config_file is None else Path(task.config_file),
        universe=task.universe,
        resolution=task.resolution,  # type: ignore[arg-type]  # checked by the engine
        code_version=task.code_version,
        settings=task.parameters.settings(),
        rules=task.parameters.rules(),
    )
    snapshots = outcome.result.snapshots
    starting = outcome.result.config.starting_cash
    records = Ledger(outcome.result.config.ledger_dir).read_book(BACKTEST)
    first = nyse().previous_session(snapshots[0].date_ny)
    return RunPayload(
        key=task.key,
        parameter_id=task.parameters.id,
        summary=to_plain(outcome.summary),
        dates=(first, *(snapshot.date_ny for snapshot in snapshots)),
        equity=(float(starting), *(float(snapshot.equity) for snapshot in snapshots)),
        trades=closed_trades(trade_rows(records)),
    )


def closed_trades(rows: Sequence[TradeRow]) -> tuple[TradeOutcome, ...]:
    """The closed trades as the metrics read them (what the run's own summary counts)."""
    return tuple(
        TradeOutcome(
            symbol=row.trade.symbol,
            entry_date=row.trade.entry_date_ny,
            exit_date=row.trade.exit_date_ny,
            net_pnl=float(row.trade.net_pnl),
            r_multiple=None if row.r_multiple is None else float(row.r_multiple),
        )
        for row in rows
        if row.trade.status == CLOSED and row.trade.exit_date_ny is not None
    )
