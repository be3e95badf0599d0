"""The engine's evening strategy attribution (Phase S4; presets with ``evening_attribution``, e.g. the demo):
each evening after the snapshot, then once for the run.

Each evening the day's new book records are fed to one
:class:`~avwap.analytics.attribution.AttributionBuilder` and the close is valued at the snapshot's
marks; the day's report is written to
``artifacts/strategy_attribution/<BOOK>/<D>.json``. After the last session the whole run is summarized
(``<FIRST>_<LAST>.json``) for the report's "By strategy" section. Attribution fails open: a failure is
logged and alerted, attribution stops for the rest of the run (a half-fed builder would attribute wrong
figures), and trading goes on untouched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from avwap.analytics.attribution import AttributionBuilder, DayAttribution
from avwap.analytics.attribution_artifact import attribute_fail_open, enforcement_records, write_attribution
from avwap.analytics.attribution_range import StrategyReport, summarize
from avwap.analytics.portfolio import PortfolioSnapshot
from avwap.core.config import Config
from avwap.integrations.slack.notifier import Notifier
from avwap.ledger.atomic import build_provenance
from avwap.ledger.records import Record


class EveningAttribution:
    def __init__(
        self, config: Config, book_id: str, starting_equity: Decimal, data_hash: str, notifier: Notifier
    ) -> None:
        self.config = config
        self.book_id = book_id
        self.data_hash = data_hash
        self.notifier = notifier
        self.builder: AttributionBuilder | None = AttributionBuilder(book_id, starting_equity=starting_equity)
        self.days: list[DayAttribution] = []
        self.fed = 0
        self.failure = ""

    def evening(self, day: dt.date, records: Sequence[Record], snapshot: PortfolioSnapshot) -> None:
        """Attribute the close of ``day``; ``records``: every record of the book so far, in ledger order."""
        if self.builder is None:
            return
        done = attribute_fail_open(
            lambda: self._evening(day, records, snapshot),
            book_id=self.book_id,
            day=day,
            notifier=self.notifier,
        )
        if done is None:
            self.builder = None
            self.failure = f"attribution failed on {day} (logged and alerted); trading went on"

    def _evening(self, day: dt.date, records: Sequence[Record], snapshot: PortfolioSnapshot) -> bool:
        assert self.builder is not None
        new = records[self.fed :]
        marks = {line.symbol: line.mark for line in snapshot.positions}
        self.days.append(self.builder.add_day(day, new, marks))
        self.fed = len(records)
        self._write(summarize(self.book_id, self.days[-1:], day, day, self._blocked_inputs(new)))
        return True

    def _blocked_inputs(self, records: Sequence[Record]) -> list[Record]:
        return [*records, *enforcement_records(self.config.ledger_dir, self.book_id)]

    def _write(self, report: StrategyReport) -> None:
        provenance = build_provenance(
            self.config.config_hash(),
            self.data_hash,
            report.date_to,
            ruleset_version=self.config.ruleset_version,
        )
        write_attribution(self.config.artifacts_dir, report, provenance)

    def run_report(self, records: Sequence[Record]) -> StrategyReport | None:
        """The whole run's report (written too), or None when attribution failed (``failure`` says why)."""
        if self.builder is None or not self.days:
            return None
        first, last = self.days[0].date_ny, self.days[-1].date_ny

        def build() -> StrategyReport:
            report = summarize(self.book_id, self.days, first, last, self._blocked_inputs(records))
            self._write(report)
            return report

        report = attribute_fail_open(build, book_id=self.book_id, day=last, notifier=self.notifier)
        if report is None:
            self.failure = "the run's attribution report failed (logged and alerted)"
        return report
