"""The contract between a strategy and the execution cycle (Phase S): strategies plan, the plane decides.

A strategy is a module with one :class:`Strategy` object, registered by one line in
:data:`avwap.strategies.registry.REGISTRY`. Each cycle asks every enabled strategy for its entry plans
(:meth:`Strategy.entries`), a pure function of :class:`StrategyInputs` (market view, today's candidates, what
the book holds, the clock, the stop rules). The cycle then gives each plan the same treatment: entry delay,
sizing, a ``TradeIntent`` with the plan's ``strategy_id``, the control plane (``evaluate_entry``), the
ledger, the broker. A strategy never sees a broker, a ledger writer or the caps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from avwap.exits.rules import StopRules
from avwap.ledger.record_enums import Side
from avwap.signals.scan_records import Candidate
from avwap.strategies.registry import StrategyMetadata

if TYPE_CHECKING:
    import pandas as pd


class MarketView(Protocol):
    """What a strategy may read of the market: bars that have ended by the decision instant."""

    def session_bars(self, symbol: str, day: dt.date, now: dt.datetime) -> pd.DataFrame:
        """Intraday bars of ``symbol`` on session ``day`` that ended by ``now`` (time order)."""
        ...

    def daily_bars(self, symbol: str, before: dt.date) -> pd.DataFrame:
        """Daily bars of ``symbol`` strictly before ``before`` (time order)."""
        ...


@dataclass(frozen=True)
class EntryPlan:
    """One entry a strategy wants, with its stop plan; the cycle turns it into a ``TradeIntent``.

    ``entry_price``: the price the size and the risk are computed at (tick-valid). ``initial_stop``: the
    stop the position starts with (None when the stop rules found no level: the cycle notes "no size").
    ``distance_pct``: how far the entry is above the setup's reference level, in percent (the sizing scale).
    ``setup``: identifies the setup within the day (one intent per book, strategy, day, symbol and setup).
    """

    strategy_id: str
    symbol: str
    setup: str
    entry_price: Decimal
    initial_stop: Decimal | None
    distance_pct: Decimal
    decided_at: dt.datetime
    model_version: str
    reason: str
    thesis: str = ""
    tags: tuple[str, ...] = ()
    side: Side = Side.BUY

    def __post_init__(self) -> None:
        if self.side != Side.BUY:  # stops, exits and caps are written for long positions only
            raise ValueError(f"{self.strategy_id}: the cycle trades long entries only, not {self.side}")


@dataclass(frozen=True)
class StrategyInputs:
    """Everything a strategy's decision may depend on (one cycle, one strategy).

    ``considered(symbol, setup)``: True when this strategy already has an intent (or an unsizable note) for
    that setup today, so it need not be re-derived. ``held``: symbols this strategy holds
    or is entering, plus symbols deferred this cycle (stale data); symbols other strategies hold are not in
    it: plans on them meet the conflict rules. ``memo``: this strategy's scratch space for work that only
    saves time; an empty memo (a restart) gives the same plans. The cycle clears it when the market data
    object changes.
    """

    market: MarketView
    candidates: tuple[Candidate, ...]  # today's watchlist, in rank order
    held: frozenset[str]
    considered: Callable[[str, str], bool]
    now: dt.datetime
    today: dt.date
    stop_rules: StopRules
    memo: dict[str, Any] = field(default_factory=dict)


class Strategy(Protocol):
    """A pluggable strategy: its registered metadata, its entry window, and its pure entry planner."""

    @property
    def metadata(self) -> StrategyMetadata:
        """The registry contract (id, description, universe, horizon, style, risk profile, version)."""
        ...

    def entry_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The [start, end] instants (UTC) within which this strategy's entries may be decided on ``day``
        (the control plane's ``ENTRY_WINDOW`` gate checks the intent's strategy's window)."""
        ...

    def entries(self, inputs: StrategyInputs) -> tuple[EntryPlan, ...]:
        """The entries to plan now (pure: same inputs, same plans)."""
        ...


def model_version(metadata: StrategyMetadata) -> str:
    """``<strategy id>/<version>``: recorded on every intent, so a report can tell strategy versions apart."""
    return f"{metadata.strategy_id}/{metadata.version}"
