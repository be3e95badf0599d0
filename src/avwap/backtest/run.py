"""``avwap backtest`` end to end: a fresh run folder, the engine, the outputs, the report.

Run folder (``--out``)::

    home/ledger/BACKTEST/<date>.jsonl    the book (normal record types)
    home/artifacts/candidates/...        each session's candidates artifact (panel scan)
    home/artifacts/snapshots/BACKTEST/   end-of-day portfolio snapshots
    trades.csv, trades.json, equity.csv, summary.json, provenance.json, report.html
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from avwap.backtest.engine import BacktestEngine, BacktestResult, Progress, Resolution
from avwap.backtest.metrics import PerformanceSummary
from avwap.backtest.outputs import write_outputs
from avwap.backtest.report import render_backtest_report
from avwap.core.canonical import pretty_json
from avwap.core.config import Config, ExecutionMode, load_config
from avwap.core.errors import ConfigurationError
from avwap.core.files import atomic_write_bytes, deferred_durability
from avwap.ledger.atomic import build_provenance, detect_code_version

MARKER: Final = ".avwap-backtest"


def prepare_folder(out: Path) -> Path:
    """An empty run folder: created, or reset when it holds an earlier run (refused otherwise)."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise ConfigurationError("--out", f"{out} is not empty and not a backtest run folder")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("avwap backtest run folder (reset by each run)\n", encoding="utf-8")
    return out


def backtest_config(environ: Mapping[str, str], out: Path, config_file: Path | None) -> Config:
    """The normal Config (environment, then the TOML file), in the run folder's home, book BACKTEST."""
    return load_config(
        environ,
        config_file,
        home=out / "home",
        state_dir_override=None,
        execution_mode=ExecutionMode.BACKTEST,
        dry_run=False,
        kill_switch=False,
    )


@dataclass(frozen=True)
class BacktestOutcome:
    folder: Path
    result: BacktestResult
    summary: PerformanceSummary
    trades: int

    def to_dict(self) -> dict[str, Any]:
        resolutions: dict[str, int] = {}
        for value in self.result.resolutions.values():
            resolutions[value] = resolutions.get(value, 0) + 1
        return {
            "folder": str(self.folder),
            "sessions": len(self.result.sessions),
            "resolutions": resolutions,
            "trades": self.trades,
            "summary": self.summary,
        }


def run_backtest(
    environ: Mapping[str, str],
    *,
    start: dt.date,
    end: dt.date,
    data_root: Path,
    out: Path,
    config_file: Path | None = None,
    universe: Sequence[str] | None = None,
    resolution: Resolution = "auto",
    progress: Progress | None = None,
    code_version: str | None = None,
) -> BacktestOutcome:
    folder = prepare_folder(out)
    # The run folder is disposable (each run resets it): its ledgers and artifacts skip the per-write fsync
    # of live trading and are flushed once at the end; their bytes are the same.
    with deferred_durability(folder):
        return _run_in_folder(
            environ,
            start=start,
            end=end,
            data_root=data_root,
            folder=folder,
            config_file=config_file,
            universe=universe,
            resolution=resolution,
            progress=progress,
            code_version=code_version,
        )


def _run_in_folder(
    environ: Mapping[str, str],
    *,
    start: dt.date,
    end: dt.date,
    data_root: Path,
    folder: Path,
    config_file: Path | None,
    universe: Sequence[str] | None,
    resolution: Resolution,
    progress: Progress | None,
    code_version: str | None,
) -> BacktestOutcome:
    config = backtest_config(environ, folder, config_file)
    version = code_version or detect_code_version()
    engine = BacktestEngine(
        config,
        data_root,
        start=start,
        end=end,
        resolution=resolution,
        universe=universe,
        progress=progress,
        code_version=version,
    )
    result = engine.run()
    records = engine.book.records  # what the run appended, in ledger order (equal to the files read back)
    provenance = build_provenance(
        config.config_hash(), result.data_hash, result.sessions[-1], code_version=version
    )
    resolutions: dict[str, int] = {}
    for value in result.resolutions.values():
        resolutions[value] = resolutions.get(value, 0) + 1
    extra = {
        "from": start,
        "to": end,
        "resolution": resolution,
        "sessions_by_resolution": resolutions,
        "starting_cash": config.starting_cash,
    }
    summary, rows = write_outputs(folder, records, result.snapshots, provenance, extra, config.starting_cash)
    atomic_write_bytes(folder / "provenance.json", pretty_json(provenance).encode("utf-8"))
    benchmark = engine.benchmark
    closes = {
        stamp.date(): float(close)
        for stamp, close in zip(benchmark["timestamp"], benchmark["close"], strict=True)
    }
    meta = (
        f"{result.sessions[0]} to {result.sessions[-1]}; data {result.data_hash[:12]}; "
        f"config {config.config_hash()[:12]}; code {version}"
    )
    html = render_backtest_report(
        summary=summary,
        snapshots=result.snapshots,
        rows=rows,
        benchmark=closes,
        resolutions=resolutions,
        meta=meta,
        provenance=provenance,
    )
    atomic_write_bytes(folder / "report.html", html.encode("utf-8"))
    return BacktestOutcome(folder, result, summary, len(rows))
