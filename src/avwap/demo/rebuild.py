"""``avwap rebuild`` of a demo home: the replay's writers of the evening files and of ``reports/demo.html``.

A demo home was written by :class:`~avwap.backtest.engine.BacktestEngine` with the demo preset, whose
evening files differ from the production jobs' in what they are valued at (the replay's closes, the data
hash of the bars up to the day) and whose run report exists only there. :class:`DemoProducers` rebuilds
them with the engine's own pieces (``write_book_snapshot``, :class:`EveningAttribution`, the demo's
``write_report``) from the ledger folded up to each close and the bars of the home's market; nothing is
traded again. The orchestration (order, deletion, lock, the decisions check) is
:func:`avwap.jobs.rebuild.rebuild_home`'s.
"""

from __future__ import annotations

import bisect
import datetime as dt
from pathlib import Path

from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.backtest.engine import BacktestResult, data_hashes_by_date
from avwap.backtest.evening_attribution import EveningAttribution
from avwap.backtest.market import BacktestMarketData, five_minute_bars
from avwap.backtest.snapshots import write_book_snapshot
from avwap.control.portfolio.artifact import decisions_path, read_batch
from avwap.core.config import Config
from avwap.core.errors import DataError
from avwap.data.store import BarStore
from avwap.data.synthetic.store import MarketSummary, read_description
from avwap.demo.report import write_report
from avwap.execution.reconcile_render import read_report, report_path
from avwap.integrations.slack.notifier import NullNotifier
from avwap.jobs.portfolio import ReconcileOutcome
from avwap.jobs.rebuild_plan import RebuildPlan
from avwap.ledger.atomic import build_provenance, detect_code_version
from avwap.ledger.projection import fold_book
from avwap.ledger.records import PositionClosed, Record
from avwap.ledger.router import Ledger
from avwap.presentation.attribution_section import strategy_section


class DemoProducers:
    """The demo replay's evening writers over ``sessions`` (the dates of the home's snapshots)."""

    writes_run_report = True

    def __init__(self, config: Config, data_root: Path, plan: RebuildPlan, *, imported: bool) -> None:
        self.config, self.data_root = config, Path(data_root)
        self.sessions = sorted(
            {dt.date.fromisoformat(str(item.group("day"))) for item in plan.of("snapshots")}
        )
        if not self.sessions:
            raise DataError(f"{config.home} holds no snapshots: nothing of the demo run to rebuild")
        self.market_text = self._market_text(imported)
        store = BarStore(self.data_root)
        first, last = self.sessions[0], self.sessions[-1]
        daily = store.read("1d", end=last)
        self.market = BacktestMarketData(daily, five_minute_bars(store, None, first, last), "5m")
        self.hash_as_of = data_hashes_by_date(daily)
        self.data_hash = store.data_hash("1d")
        self.code_version = detect_code_version()
        self.records = Ledger(config.ledger_dir).read_book(self._book())
        self.dates = [record.date_ny for record in self.records]  # ledger order is date order
        self.state = fold_book([], self._book())
        self.folded = 0  # records folded into ``state`` so far: one pass over the book, not one per day
        self.snapshots: list[PortfolioSnapshot] = []
        self.attribution = EveningAttribution(
            config, self._book(), config.starting_cash, self.data_hash, NullNotifier()
        )
        self.range_report: object | None = None

    def _book(self) -> str:
        from avwap.demo.replay import DEMO_PRESET

        return DEMO_PRESET.book_id

    def _market_text(self, imported: bool) -> str:
        if imported:
            return f"imported bars from {self.data_root}"
        description = read_description(self.data_root)
        if description is None:
            raise DataError(
                f"{self.data_root} holds no synthetic market description: a demo run on imported bars is "
                "rebuilt with --data-dir pointing at those bars"
            )
        summary = MarketSummary(self.data_root, description, reused=True)
        return f"synthetic (seed {self.config.demo_seed}, content {summary.content_hash[:12]})"

    def _records_through(self, day: dt.date) -> list[Record]:
        return self.records[: bisect.bisect_right(self.dates, day)]

    def snapshot(self, book_id: str, day: dt.date) -> None:
        records = self._records_through(day)
        self.state = fold_book(records[self.folded :], book_id, self.state)
        self.folded = len(records)
        closed = [record for record in records if isinstance(record, PositionClosed)]
        self.snapshots.append(
            write_book_snapshot(
                self.config,
                self.state,
                closed,
                day,
                market=self.market,
                earlier=self.snapshots,
                data_hash=self.hash_as_of[max(item for item in self.hash_as_of if item <= day)],
                starting_equity=self.config.starting_cash,
                code_version=self.code_version,
            )
        )

    def day_attribution(self, book_id: str, day: dt.date) -> None:
        self.attribution.evening(day, self._records_through(day), self.snapshots[-1])

    def range_attribution(self, book_id: str, first: dt.date, last: dt.date) -> None:
        self.range_report = self.attribution.run_report(self._records_through(last))

    def run_report(self) -> None:
        config, book = self.config, self._book()
        result = BacktestResult(
            config=config, sessions=self.sessions, data_hash=self.data_hash, market=self.market
        )
        result.snapshots = list(self.snapshots)
        for day in self.sessions:
            batch = decisions_path(config.artifacts_dir, book, day)
            if batch.is_file():
                result.decisions[day] = read_batch(batch)
            reconciliation = report_path(config.artifacts_dir, book, day)
            if reconciliation.is_file():
                result.reconciliations[day] = ReconcileOutcome(
                    read_report(reconciliation), reconciliation, ""
                )
        first, last = self.sessions[0], self.sessions[-1]
        meta = (
            f"{self.market_text}; sessions {first} to {last}; "
            f"code {self.code_version}; config {config.config_hash()[:12]}"
        )
        provenance = build_provenance(
            config.config_hash(),
            self.data_hash,
            last,
            code_version=self.code_version,
            ruleset_version=config.ruleset_version,
        )
        write_report(
            config.reports_dir / "demo.html",
            result,
            self._records_through(last),
            meta,
            provenance,
            attribution=strategy_section(self.range_report, self.attribution.failure),  # type: ignore[arg-type]
        )
