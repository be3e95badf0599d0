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
from avwap.core.files import atomic_write_bytes
from avwap.ledger.atomic import build_provenance, detect_code_version
from avwap.ledger.paths import BACKTEST
from avwap.ledger.router import Ledger
from avwap.strategies.registry import S1_AVWAP_CORE, S2_AVWAP_SWING

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


# Both strategies trade a backtest unless ENABLED_STRATEGIES (environment or file) says otherwise; the order
# is the conflict priority (docs/STRATEGIES.md). S2 first: at daily resolution S1's rule plans every
# candidate, so with S1 first S2 could never win a symbol; this way each keeps its own setup (S2 the
# continuation above the level, S1 the rest).
BACKTEST_STRATEGIES: Final = (S2_AVWAP_SWING, S1_AVWAP_CORE)


def backtest_config(environ: Mapping[str, str], out: Path, config_file: Path | None) -> Config:
    """The normal Config (environment, then the TOML file), in the run folder's home, book BACKTEST."""
    return load_config(
        environ,
        config_file,
        defaults={"enabled_strategies": BACKTEST_STRATEGIES},
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
    records = Ledger(config.ledger_dir).read_book(BACKTEST)
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
