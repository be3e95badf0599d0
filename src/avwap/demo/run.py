"""`avwap demo` end to end: home, market, the backtest engine with the demo preset, report, summary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from avwap.backtest.engine import BacktestResult, Progress
from avwap.core.calendar import nyse
from avwap.core.canonical import to_plain
from avwap.core.config import Config
from avwap.data.synthetic import SyntheticMarketSpec, ensure_market
from avwap.demo.home import prepare_demo_home
from avwap.demo.replay import demo_config, demo_engine
from avwap.demo.report import summary_figures, write_report
from avwap.ledger.atomic import build_provenance
from avwap.ledger.router import Ledger
from avwap.presentation.attribution_section import strategy_section


@dataclass(frozen=True)
class DemoOutcome:
    config: Config
    result: BacktestResult
    figures: dict[str, Any]
    report: Path
    market: str

    def to_dict(self) -> dict[str, Any]:
        home = self.config.home
        return dict(
            to_plain(
                {
                    **self.figures,
                    "market": self.market,
                    "files": {
                        "home": home,
                        "ledger": self.config.ledger_dir,
                        "candidates": self.config.artifacts_dir / "candidates",
                        "snapshots": self.config.artifacts_dir / "snapshots",
                        "report": self.report,
                    },
                }
            )
        )


def demo_market_spec(seed: int, sessions: int) -> SyntheticMarketSpec:
    """The embedded market of ``seed``; a replay longer than its five intraday weeks gets 5-minute bars on
    its last ``sessions`` sessions instead (``avwap demo --sessions 252``: a year of trading, what the
    disaster recovery drill rebuilds), so the demo never replays fewer sessions than asked for. A longer
    window is another market (its planted reclaims move the daily bars too), as deterministic as the
    default."""
    spec = SyntheticMarketSpec(seed=seed)
    assert spec.intraday_start is not None  # the embedded market has intraday bars
    calendar = nyse()
    if sessions <= len(calendar.sessions(spec.intraday_start, spec.daily_end)):
        return spec
    daily = calendar.sessions(spec.daily_start, spec.daily_end)
    return msgspec.structs.replace(spec, intraday_start=daily[-min(sessions, len(daily))])


def run_demo(
    environ: dict[str, str],
    home: Path,
    *,
    sessions: int | None = None,
    data_dir: Path | None = None,
    progress: Progress | None = None,
) -> DemoOutcome:
    """Reset the demo home, make sure there is a market, run the engine's demo preset, write the report."""
    config = demo_config(environ, prepare_demo_home(home))
    count = sessions or config.demo_sessions
    if data_dir is None:
        # data/ lives inside the marked demo home, so bars left there by a killed run are the demo's own.
        spec = demo_market_spec(config.demo_seed, count)
        summary = ensure_market(spec, config.data_dir, owned=True)
        data_root = config.data_dir
        market = f"synthetic (seed {config.demo_seed}, content {summary.content_hash[:12]})"
    else:
        data_root = Path(data_dir)
        market = f"imported bars from {data_root}"
    engine = demo_engine(config, data_root, count, progress)
    result = engine.run()
    records = Ledger(config.ledger_dir).read_book(engine.book.book_id)
    meta = (
        f"{market}; sessions {result.sessions[0]} to {result.sessions[-1]}; "
        f"code {engine.code_version}; config {config.config_hash()[:12]}"
    )
    provenance = build_provenance(
        config.config_hash(),
        result.data_hash,
        result.sessions[-1],
        code_version=engine.code_version,
        ruleset_version=config.ruleset_version,
    )
    assert engine.attribution is not None  # the demo preset attributes every evening
    attribution = engine.attribution.run_report(records)
    report = write_report(
        config.reports_dir / "demo.html",
        result,
        records,
        meta,
        provenance,
        attribution=strategy_section(attribution, engine.attribution.failure),
    )
    return DemoOutcome(config, result, summary_figures(result, records), report, market)
