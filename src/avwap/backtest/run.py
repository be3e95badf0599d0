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

from avwap.analytics.attribution import attribute_days
from avwap.analytics.attribution_artifact import attribute_fail_open, write_attribution
from avwap.analytics.attribution_range import StrategyReport, summarize
from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.backtest.engine import BacktestEngine, BacktestResult, Progress, Resolution
from avwap.backtest.metrics import PerformanceSummary
from avwap.backtest.outputs import write_outputs
from avwap.backtest.report import render_backtest_report
from avwap.core.canonical import pretty_json
from avwap.core.config import Config, load_config
from avwap.core.errors import ConfigurationError
from avwap.core.execution_mode import ExecutionMode
from avwap.core.files import atomic_write_bytes, deferred_durability
from avwap.ledger.atomic import Provenance, build_provenance, detect_code_version
from avwap.ledger.paths import BACKTEST
from avwap.ledger.records import Record
from avwap.presentation.attribution_section import strategy_section
from avwap.presentation.report import Section
from avwap.signals.scan_rules import ScanRules
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


def backtest_config(
    environ: Mapping[str, str], out: Path, config_file: Path | None, **settings: Any
) -> Config:
    """The normal Config (environment, then the TOML file), in the run folder's home, book BACKTEST;
    ``settings`` (by attribute, e.g. a sweep's parameter set) win over both."""
    return load_config(
        environ,
        config_file,
        defaults={"enabled_strategies": BACKTEST_STRATEGIES},
        **settings,
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


def backtest_attribution(
    config: Config, records: Sequence[Record], snapshots: Sequence[PortfolioSnapshot], provenance: Provenance
) -> Section:
    """The run's "By strategy" section (Phase S4), its report written to
    ``home/artifacts/strategy_attribution/BACKTEST/<FIRST>_<LAST>.json``; fails open (logged, shown)."""
    if not snapshots:
        return strategy_section(None, "no session was snapshotted")
    first, last = snapshots[0].date_ny, snapshots[-1].date_ny

    def build() -> StrategyReport:
        marks = {item.date_ny: {line.symbol: line.mark for line in item.positions} for item in snapshots}
        days = attribute_days(BACKTEST, records, marks, starting_equity=config.starting_cash)
        report = summarize(BACKTEST, days, first, last, records)
        write_attribution(config.artifacts_dir, report, provenance)
        return report

    report = attribute_fail_open(build, book_id=BACKTEST, day=last)
    return strategy_section(report, "the attribution failed (see the log)")


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
    settings: Mapping[str, Any] | None = None,
    rules: ScanRules | None = None,
) -> BacktestOutcome:
    """One run; ``settings`` (Config attributes) and ``rules`` are the seam a parameter sweep varies."""
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
            settings=settings,
            rules=rules,
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
    settings: Mapping[str, Any] | None,
    rules: ScanRules | None,
) -> BacktestOutcome:
    config = backtest_config(environ, folder, config_file, **(settings or {}))
    version = code_version or detect_code_version()
    engine = BacktestEngine(
        config,
        data_root,
        start=start,
        end=end,
        resolution=resolution,
        universe=universe,
        rules=rules,
        progress=progress,
        code_version=version,
    )
    result = engine.run()
    records = engine.book.records  # what the run appended, in ledger order (equal to the files read back)
    provenance = build_provenance(
        config.config_hash(),
        result.data_hash,
        result.sessions[-1],
        code_version=version,
        ruleset_version=config.ruleset_version,
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
    attribution = backtest_attribution(config, records, result.snapshots, provenance)
    html = render_backtest_report(
        attribution=attribution,
        summary=summary,
        snapshots=result.snapshots,
        rows=rows,
        benchmark=closes,
        resolutions=resolutions,
        meta=meta,
        provenance=provenance,
        records=records,
        daily_by_symbol=engine.daily_of({row.trade.symbol for row in rows}),
    )
    atomic_write_bytes(folder / "report.html", html.encode("utf-8"))
    return BacktestOutcome(folder, result, summary, len(rows))
