"""S1_AVWAP_CORE behind the :class:`~avwap.strategies.protocol.Strategy` protocol.

For each of today's candidates (rank order) not held and not yet considered today: the breakout-and-hold
trigger (:mod:`avwap.strategies.s1_trigger`) on closed 10-minute bars above the candidate's anchored VWAP;
on a signal, an entry at the hold bar's close with the initial stop of the stop rules
(:func:`avwap.exits.candidates.daily_stop`, the daily swing low the trailing stop also uses).

Two shortcuts only save work and never change a plan: a candidate whose visible bars never closed above its
entry level cannot break out, and a candidate that found no entry is not rescanned until its trigger inputs
change (:func:`trigger_key`, memoized in ``inputs.memo``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from avwap.core.money import round_price
from avwap.exits.rules import StopRules
from avwap.signals.scan_records import Candidate
from avwap.strategies.protocol import EntryPlan, MarketView, StrategyInputs, model_version
from avwap.strategies.registry import S1_AVWAP_CORE, RiskProfile, StrategyMetadata
from avwap.strategies.s1_trigger import (
    TRIGGER_MINUTES,
    WINDOW_START_AFTER_OPEN,
    EntrySignal,
    entry_window,
    find_entry,
)

if TYPE_CHECKING:  # numpy: the bar arrays are built only when an entry is planned (not by an idle cycle)
    from avwap.exits.bar_arrays import BarArrays

METADATA: Final = StrategyMetadata(
    strategy_id=S1_AVWAP_CORE,
    description="Long breakout-and-hold above the scan's anchored VWAP, structural stops",
    asset_universe="US equities from the daily AVWAP scan (liquid, trending, near an anchor)",
    holding_horizon="days to weeks (swing)",
    execution_style="market entry after a closed 10-minute breakout-and-hold; resting stop",
    risk_profile=RiskProfile.DIRECTIONAL,
    version="1",
    # Every book the execution modes trade in (the shadow clone inherits them and is still never routed).
    books=("DRY_RUN", "PAPER_SIM", "BACKTEST", "ALPACA_PAPER", "ALPACA_LIVE", "SCHWAB_401K_MANUAL"),
)
TRIGGER_STEP: Final = dt.timedelta(minutes=TRIGGER_MINUTES)
NO_SIGNAL: Final = "no_signal"  # memo key: symbol -> trigger key under which no entry was found


def setup_key(candidate: Candidate) -> str:
    return f"{candidate.anchor_type}:{candidate.anchor_date.isoformat()}"


def initial_stop(market: MarketView, symbol: str, today: dt.date, rules: StopRules) -> Decimal | None:
    """The stop rules' daily swing-low stop from daily bars before ``today`` (None when there is none)."""
    from avwap.exits.bar_arrays import bar_arrays, empty_arrays
    from avwap.exits.candidates import daily_stop

    fast = getattr(market, "daily_arrays", None)  # market data that keeps arrays serves them directly
    if fast is not None:
        arrays: BarArrays = fast(symbol, today)
    else:
        frame = market.daily_bars(symbol, today)
        arrays = empty_arrays() if frame.empty else bar_arrays(frame, symbol)
    candidate = daily_stop(arrays, rules)
    return None if candidate is None else candidate.price


def trigger_key(market: MarketView, candidate: Candidate, inputs: StrategyInputs) -> tuple[Any, ...] | None:
    """Everything :func:`find_entry` depends on, when the market data can say it cheaply (else None).

    The trigger reads the bars that ended by ``now`` and which 10-minute buckets have closed; buckets close
    on a fixed grid from the session open (capped at the close). So (day, level, visible bars, grid slots
    passed) determines its answer, and a candidate that found no entry under the same key need not be
    rescanned. The key is only valid for the same market data object (the cycle clears the memo when it
    changes).
    """
    count_visible = getattr(market, "visible_count", None)
    if count_visible is None:
        return None
    start, _ = entry_window(inputs.today)
    session_open = start - WINDOW_START_AFTER_OPEN
    slots = (inputs.now - session_open) // TRIGGER_STEP if inputs.now >= session_open else -1
    visible = count_visible(candidate.symbol, inputs.today, inputs.now)
    return (inputs.today, candidate.avwap, visible, slots)


def could_break_out(market: MarketView, candidate: Candidate, inputs: StrategyInputs) -> bool:
    """False only when S1 cannot fire: no bar that ended by now closed above the entry level (a breakout
    needs a 10-minute close above it, which is some 5-minute bar's close). A necessary condition, not a
    second trigger: when it holds (or the market data cannot say), :func:`find_entry` decides."""
    highest = getattr(market, "visible_highest_close", None)
    if highest is None:
        return True
    value = highest(candidate.symbol, inputs.today, inputs.now)
    return value is not None and not value <= float(candidate.avwap)  # NaN: let find_entry decide


def signal_for(candidate: Candidate, inputs: StrategyInputs) -> EntrySignal | None:
    """The trigger's answer for one candidate (memoized "no entry" under an unchanged trigger key)."""
    memo: dict[str, tuple[Any, ...]] = inputs.memo.setdefault(NO_SIGNAL, {})
    key = trigger_key(inputs.market, candidate, inputs)
    if key is not None and memo.get(candidate.symbol) == key:
        return None  # nothing changed since the trigger last found no entry
    signal = None
    if could_break_out(inputs.market, candidate, inputs):
        bars = inputs.market.session_bars(candidate.symbol, inputs.today, inputs.now)
        signal = find_entry(candidate.symbol, bars, float(candidate.avwap), inputs.now)
    if signal is None and key is not None:
        memo[candidate.symbol] = key
    return signal


def candidate_plan(
    candidate: Candidate,
    inputs: StrategyInputs,
    *,
    metadata: StrategyMetadata,
    setup: str,
    entry_price: Decimal,
    decided_at: dt.datetime,
    reason: str,
    thesis: str = "",
    tag: str | None = None,
) -> EntryPlan:
    """An entry plan for ``candidate`` at ``entry_price``, filled as every AVWAP strategy fills it: the
    initial stop from :func:`initial_stop`, the distance from the anchored VWAP, the scan's rank, score and
    tier as the thesis (``thesis`` appended), the candidate's tags, its anchor type and ``tag``."""
    tags = {*candidate.tags, candidate.anchor_type, *((tag,) if tag else ())}
    return EntryPlan(
        strategy_id=metadata.strategy_id,
        symbol=candidate.symbol,
        setup=setup,
        entry_price=entry_price,
        initial_stop=initial_stop(inputs.market, candidate.symbol, inputs.today, inputs.stop_rules),
        distance_pct=(entry_price - candidate.avwap) / candidate.avwap * 100,
        decided_at=decided_at,
        model_version=model_version(metadata),
        reason=reason,
        thesis=f"rank {candidate.rank} score {candidate.score} tier {candidate.trend_tier}{thesis}",
        tags=tuple(sorted(tags)),
    )


def plan(candidate: Candidate, signal: EntrySignal, inputs: StrategyInputs) -> EntryPlan:
    return candidate_plan(
        candidate,
        inputs,
        metadata=METADATA,
        setup=setup_key(candidate),
        entry_price=round_price(signal.hold_close),
        decided_at=signal.decided_at,
        reason=f"breakout-and-hold above {candidate.avwap} confirmed {signal.decided_at.isoformat()}",
    )


class S1AvwapCore:
    """S1_AVWAP_CORE (see the module docstring)."""

    metadata: Final = METADATA

    def entry_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return entry_window(day)

    def entries(self, inputs: StrategyInputs) -> tuple[EntryPlan, ...]:
        plans = []
        for candidate in inputs.candidates:
            if candidate.symbol in inputs.held or inputs.considered(candidate.symbol, setup_key(candidate)):
                continue  # held, or decided (or noted as unsizable) earlier today
            signal = signal_for(candidate, inputs)
            if signal is not None:
                plans.append(plan(candidate, signal, inputs))
        return tuple(plans)


STRATEGY: Final = S1AvwapCore()
