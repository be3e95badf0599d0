"""The Performance page, for a book of the home or for a backtest run folder (its ``home/`` and the BACKTEST
book): equity and drawdown charts and monthly returns (the backtest report's own functions), exit quality
(what ``avwap exits report --json`` prints over the snapshots' span) and attribution by strategy (what
``avwap strategies report --json`` prints over the same span, without writing its artifact).

Public API::

    Performance, performance(config, book_id, data_dir=None) -> Performance
    run_config(config, name) -> Config | None     a backtest run folder under AVWAP_DASHBOARD_RUNS_DIR
    inputs_key(config, book_id, ledger) -> tuple  what the page reads, for the cache
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from avwap.analytics.attribution_artifact import attribution_from_home
from avwap.analytics.attribution_range import StrategyReport
from avwap.analytics.exit_metrics import ExitMetrics, summarize
from avwap.analytics.exit_trades import range_metrics
from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.analytics.portfolio_snapshots import funding, read_snapshot, snapshot_dates, snapshot_path
from avwap.backtest.report import drawdown_chart, equity_chart, monthly_returns
from avwap.backtest.run import MARKER
from avwap.core.config import Config
from avwap.core.errors import AvwapError
from avwap.dashboard.books import BookLedger
from avwap.dashboard.signature import folder_signature
from avwap.ledger.paths import LEDGER_SUFFIX
from avwap.ledger.router import read_book_records
from avwap.presentation.report import Table
from avwap.presentation.svg import render_chart

RUN_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class Performance:
    book_id: str
    problem: str
    first: Any = None
    last: Any = None
    equity_svg: str = ""
    drawdown_svg: str = ""
    monthly: Table | None = None
    exits: tuple[ExitMetrics, ...] = ()
    exit_summary: dict[str, Any] = dataclasses.field(default_factory=dict)
    attribution: StrategyReport | None = None
    attribution_problem: str = ""


def _snapshots(config: Config, book_id: str) -> list[PortfolioSnapshot]:
    days = snapshot_dates(config.artifacts_dir, book_id)
    return [read_snapshot(snapshot_path(config.artifacts_dir, book_id, day)) for day in days]


def performance(config: Config, book_id: str, data_dir: Path | None = None) -> Performance:
    """``data_dir``: the bar store the exit metrics read (a run folder has none of its own: the
    dashboard's store)."""
    try:
        snapshots = _snapshots(config, book_id)
        if not snapshots:
            return Performance(book_id, "no snapshot yet: run `avwap portfolio snapshot`")
        records = read_book_records(config.ledger_dir, book_id)
        first, last = snapshots[0].date_ny, snapshots[-1].date_ny
        starting = funding(records) or config.starting_cash
        metrics = range_metrics(config.ledger_dir, data_dir or config.data_dir, book_id, first, last)
    except (AvwapError, OSError, ValueError) as error:
        return Performance(book_id, f"cannot read the book: {error}")
    try:
        report = attribution_from_home(config.ledger_dir, config.artifacts_dir, book_id, first, last).report
        attribution_problem = ""
    except (AvwapError, OSError, ValueError) as error:
        report, attribution_problem = None, str(error)
    return Performance(
        book_id,
        "",
        first,
        last,
        render_chart(equity_chart(snapshots, {})),
        render_chart(drawdown_chart(snapshots)),
        monthly_returns(snapshots, Decimal(starting)),
        tuple(metrics),
        summarize(metrics),
        report,
        attribution_problem,
    )


def inputs_key(config: Config, book_id: str, ledger: BookLedger) -> tuple[object, ...]:
    """What :func:`performance` reads, for the cache: the snapshots (their folder's stats), the book's
    funding, and the ledger only up to the newest snapshot's day, by the verified end of each of those day
    files. Later records are outside every figure (trades closed within the snapshots' range, attribution up
    to the newest snapshot), so the records of a trading day do not recompute the page until its snapshot."""
    try:
        dates = snapshot_dates(config.artifacts_dir, book_id)
    except (AvwapError, OSError) as error:
        return ("performance", str(config.home), book_id, "snapshots unreadable", str(error))
    newest = f"{dates[-1].isoformat()}{LEDGER_SUFFIX}" if dates else ""
    return (
        "performance",
        str(config.home),
        book_id,
        folder_signature(config.artifacts_dir / "snapshots" / book_id),
        tuple(tail for tail in ledger.tails if tail[0] <= newest),
        funding(ledger.records),
        ledger.problem,
    )


def run_config(config: Config, name: str) -> Config | None:
    """The config of run folder ``name`` (its ``home/``), or None: no runs folder configured, a name that
    is not a plain folder name, a folder outside the runs folder (a link) or one that is not a run."""
    root = config.dashboard_runs_dir
    if root is None or not RUN_NAME.fullmatch(name) or name in (".", ".."):
        return None
    try:
        base = root.resolve(strict=True)
        folder = (base / name).resolve(strict=True)
    except OSError:
        return None
    if folder.parent != base or not (folder / MARKER).is_file() or not (folder / "home").is_dir():
        return None
    return dataclasses.replace(config, home=folder / "home", state_dir_override=None)


def run_names(config: Config) -> list[str]:
    root = config.dashboard_runs_dir
    if root is None or not root.is_dir():
        return []
    return sorted(path.name for path in root.iterdir() if run_config(config, path.name) is not None)


__all__ = ["Performance", "inputs_key", "performance", "run_config", "run_names"]
