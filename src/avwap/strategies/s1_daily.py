"""S1_AVWAP_CORE at daily resolution: the backtest's trigger for sessions without intraday bars.

With daily bars only, the 10-minute breakout-and-hold cannot be observed. The daily rule (docs/BACKTEST.md,
"Daily fill model") is: each candidate of the day (rank order, not held, not yet considered) gets an entry
plan at its entry level, the scan's anchored VWAP rounded up to a tick, decided when the entry window opens.
The cycle places it as a DAY buy-stop at that level (``CycleDependencies.daily_resolution``), so it fills
only when the session trades through the level, at ``max(open, level)``, through the simulated broker's
fill model. Same strategy id, metadata, setup key and initial stop (the daily swing low of the stop rules)
as the intraday trigger, so ledgers, caps and reports treat both resolutions alike; the plan's ``reason``
names the daily rule.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

from avwap.core.money import round_price
from avwap.signals.scan_records import Candidate
from avwap.strategies.protocol import EntryPlan, StrategyInputs
from avwap.strategies.registry import StrategyMetadata
from avwap.strategies.s1 import METADATA, candidate_plan, setup_key
from avwap.strategies.s1_trigger import entry_window

DAILY_RULE: Final = "daily stop-entry at the anchored VWAP, filled at max(open, level)"


def entry_level(candidate: Candidate) -> Decimal:
    """The buy-stop price: the anchored VWAP rounded up to a valid tick (never below the level)."""
    return round_price(candidate.avwap, "up")


def plan(candidate: Candidate, inputs: StrategyInputs, decided_at: dt.datetime) -> EntryPlan:
    level = entry_level(candidate)
    return candidate_plan(
        candidate,
        inputs,
        metadata=METADATA,
        setup=setup_key(candidate),
        entry_price=level,
        decided_at=decided_at,
        reason=f"{DAILY_RULE} {level}",
        tag="daily",
    )


class S1Daily:
    """S1_AVWAP_CORE's daily-resolution trigger (see the module docstring); not registered: the backtest
    engine passes it to the cycle for daily sessions only."""

    metadata: Final[StrategyMetadata] = METADATA

    def entry_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return entry_window(day)

    def entries(self, inputs: StrategyInputs) -> tuple[EntryPlan, ...]:
        opened, _ = entry_window(inputs.today)
        plans = []
        for candidate in inputs.candidates:
            if candidate.symbol in inputs.held or inputs.considered(candidate.symbol, setup_key(candidate)):
                continue
            if candidate.avwap > 0:
                plans.append(plan(candidate, inputs, opened))
        return tuple(plans)


STRATEGY: Final = S1Daily()
