"""Risk attribution in the decision job (Phase E3): what the written batch did to each proposed size.

:func:`attribute_decisions` runs once the day's portfolio decision batch is durably written
(``jobs.portfolio_decide.write_batch``, the one seam ``avwap portfolio decide``, the backtest and the demo
share), each stage behind its own flag (all default off):

1. ``E3_RISK_ATTRIBUTION_WRITE``: one event per decision to the ``PORTFOLIO_RISK_ATTRIBUTION`` stream;
2. ``E3_RISK_ATTRIBUTION_SUMMARY_WRITE``: the day's summary, rebuilt from the stream;
3. ``E3_RISK_ATTRIBUTION_ROLLING_WRITE``: the 5D/20D/60D windows from the daily summaries;
4. ``E3_RISK_ATTRIBUTION_SLACK_SUMMARY``: the day's message, read from the artifacts of 2 and 3.

Fail open: the batch is already written and is never read back or changed here; a stage that fails is
logged (``avwap.jobs.risk_attribution``) and skipped, and the later stages still run on what exists.
Quantities use the entry level of the candidates the batch was decided on (their sha256 must match, else
the quantities are left unknown).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from avwap.analytics.risk_attribution import build_events
from avwap.analytics.risk_attribution_slack import summary_event
from avwap.analytics.risk_attribution_store import (
    read_summary,
    record_events,
    rolling_path,
    summary_path,
    write_rolling,
    write_summary,
)
from avwap.analytics.risk_attribution_summary import WINDOWS
from avwap.control.portfolio.records import PortfolioDecisionBatch
from avwap.control.portfolio.regime import RegimePolicy
from avwap.core.config import Config

if TYPE_CHECKING:
    from avwap.integrations.slack.notifier import Notifier

LOGGER: Final = logging.getLogger("avwap.jobs.risk_attribution")


@dataclass
class AttributionOutcome:
    events: int = 0
    summary: Path | None = None
    rolling: list[Path] = field(default_factory=list)
    notified: bool = False
    failures: list[str] = field(default_factory=list)


def enabled(config: Config) -> bool:
    return any(
        (
            config.e3_risk_attribution_write,
            config.e3_risk_attribution_summary_write,
            config.e3_risk_attribution_rolling_write,
            config.e3_risk_attribution_slack_summary,
        )
    )


def entry_prices(config: Config, batch: PortfolioDecisionBatch) -> dict[str, Decimal]:
    """Each candidate's entry level, from the candidates the batch was decided on ({} otherwise)."""
    from avwap.jobs.portfolio_decide import load_candidates

    loaded = load_candidates(config.artifacts_dir, batch.date_ny)
    if loaded.sha256 is None or loaded.sha256 != batch.candidates_sha256:
        return {}
    return {item.symbol: item.entry_price for item in loaded.candidates}


def record_batch_events(config: Config, batch: PortfolioDecisionBatch, batch_sha256: str) -> int:
    policy = RegimePolicy.from_config(config) if batch.regime is not None else None
    events = build_events(batch, batch_sha256, entry_prices(config, batch), policy)
    return record_events(config.ledger_dir, events)


def send_summary(config: Config, batch: PortfolioDecisionBatch, notifier: Notifier | None) -> bool:
    """Post the day's message built from the artifacts on disk; False when there is no summary of the day."""
    if notifier is None or not summary_path(config.ledger_dir, batch.date_ny).exists():
        return False
    summary, _ = read_summary(config.ledger_dir, batch.date_ny)
    windows = {}
    for window in WINDOWS:
        path = rolling_path(config.ledger_dir, window, batch.date_ny)
        if path.exists():
            document = json.loads(path.read_bytes())
            document.pop("provenance", None)
            windows[window] = document
    notifier.notify(summary_event(summary, windows))
    return True


def _stage(outcome: AttributionOutcome, name: str, action: Callable[[], Any], day: object) -> Any:
    try:
        return action()
    except Exception as error:  # analytics fail open, by design: the decisions are already written
        LOGGER.exception(
            "risk attribution (%s) of %s failed; decisions and trading are unaffected", name, day
        )
        outcome.failures.append(f"{name}: {type(error).__name__}: {error}"[:300])
        return None


def attribute_decisions(
    config: Config,
    batch: PortfolioDecisionBatch,
    batch_sha256: str,
    *,
    notifier: Notifier | None = None,
    code_version: str | None = None,
) -> AttributionOutcome:
    """Run the enabled E3 stages for a written batch; never raises (see the module docstring)."""
    outcome = AttributionOutcome()
    if not enabled(config):
        return outcome
    day = batch.date_ny
    if config.e3_risk_attribution_write:
        outcome.events = (
            _stage(outcome, "events", lambda: record_batch_events(config, batch, batch_sha256), day) or 0
        )
    if config.e3_risk_attribution_summary_write:
        outcome.summary = _stage(
            outcome, "summary", lambda: write_summary(config, day, code_version=code_version), day
        )
    if config.e3_risk_attribution_rolling_write:
        outcome.rolling = (
            _stage(outcome, "rolling", lambda: write_rolling(config, day, code_version=code_version), day)
            or []
        )
    if config.e3_risk_attribution_slack_summary:
        outcome.notified = bool(_stage(outcome, "slack", lambda: send_summary(config, batch, notifier), day))
    return outcome
