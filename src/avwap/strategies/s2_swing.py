"""S2_AVWAP_SWING: a daily-resolution anchored-VWAP swing (the second strategy of Phase S).

Built from the same signals as S1 (the morning scan's candidates and their anchored VWAP), with another
holding horizon and execution style:

* **Setup, at the daily level.** The candidate's last daily close (the session before today) is above its
  anchored VWAP: the stock already holds the level on the daily chart. S1 instead waits for an intraday
  breakout of the level.
* **Entry, at the daily level.** The prior session's high, rounded up to a tick. Intraday, the entry is
  decided when a closed 10-minute bar closes above that high inside the entry window (a market order sized
  at that close). At daily resolution (:data:`DAILY`, the backtest's sessions without intraday bars) it rests
  as a DAY buy-stop at the level, decided when the window opens.
* **Stops and horizon.** The initial stop is the daily swing low of the stop rules (as S1's), and the stop
  is then maintained by the *daily* stop policy (:mod:`avwap.exits.policy_daily`, ``stop_policy="daily"``
  in the metadata) in every mode: one ratchet a day to the latest confirmed daily swing low, no intraday
  tightening, so positions are held for weeks unless the daily structure breaks.

Pure: the plans depend on the inputs only. A candidate whose visible closes never exceeded its level is not
read further (a necessary condition, not a second trigger).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

from avwap.core.money import round_price
from avwap.exits.bar_arrays import BarArrays, bar_arrays, empty_arrays
from avwap.signals.scan_records import Candidate
from avwap.strategies.protocol import EntryPlan, MarketView, StrategyInputs
from avwap.strategies.registry import S2_AVWAP_SWING, RiskProfile, StrategyMetadata
from avwap.strategies.s1 import candidate_plan
from avwap.strategies.s1_trigger import entry_window, ten_minute_closes

METADATA: Final = StrategyMetadata(
    strategy_id=S2_AVWAP_SWING,
    description="Long daily-level swing: above the scan's anchored VWAP at the close, entered on a break of "
    "the prior session's high",
    asset_universe="US equities from the daily AVWAP scan (liquid, trending, near an anchor)",
    holding_horizon="weeks (multi-week swing; daily stops only)",
    execution_style="stop-entry at the prior session's high (10-minute close above it intraday, a DAY "
    "buy-stop at daily resolution); daily swing-low stop ratcheted once a day",
    risk_profile=RiskProfile.DIRECTIONAL,
    version="1",
    books=("DRY_RUN", "PAPER_SIM", "BACKTEST", "ALPACA_PAPER", "ALPACA_LIVE", "SCHWAB_401K_MANUAL"),
    stop_policy="daily",
)
SETUP_PREFIX: Final = "swing"


def setup_key(candidate: Candidate) -> str:
    return f"{SETUP_PREFIX}:{candidate.anchor_type}:{candidate.anchor_date.isoformat()}"


def daily_history(market: MarketView, symbol: str, today: dt.date) -> BarArrays:
    fast = getattr(market, "daily_arrays", None)  # market data that keeps arrays serves them directly
    if fast is not None:
        arrays: BarArrays = fast(symbol, today)
        return arrays
    frame = market.daily_bars(symbol, today)
    return empty_arrays() if frame.empty else bar_arrays(frame, symbol)


def entry_level(candidate: Candidate, daily: BarArrays) -> Decimal | None:
    """The prior session's high (rounded up to a tick) when the prior close held above the anchored VWAP;
    None when the setup is absent (no history, or the close at or below the level)."""
    if len(daily) == 0 or not candidate.avwap > 0:
        return None
    last_close, last_high = float(daily.close[-1]), float(daily.high[-1])
    if not last_close > float(candidate.avwap) or not last_high > 0:
        return None
    return round_price(Decimal(repr(last_high)), "up")


def plan(
    candidate: Candidate,
    inputs: StrategyInputs,
    *,
    level: Decimal,
    price: Decimal,
    decided_at: dt.datetime,
    rule: str,
) -> EntryPlan:
    return candidate_plan(
        candidate,
        inputs,
        metadata=METADATA,
        setup=setup_key(candidate),
        entry_price=price,
        decided_at=decided_at,
        reason=f"{rule} {level} (prior close above the anchored VWAP {candidate.avwap})",
        thesis="; swing hold",
        tag="swing",
    )


def intraday_breakout(
    candidate: Candidate, level: Decimal, inputs: StrategyInputs
) -> tuple[dt.datetime, Decimal] | None:
    """The first closed 10-minute bar (inside the entry window) closing above ``level``: its end and close."""
    highest = getattr(inputs.market, "visible_highest_close", None)
    if highest is not None:
        value = highest(candidate.symbol, inputs.today, inputs.now)
        if value is None or value <= float(level):
            return None  # nothing closed above the level yet: no breakout is possible
    bars = inputs.market.session_bars(candidate.symbol, inputs.today, inputs.now)
    if bars.empty:
        return None
    import pandas as pd

    closes, ends = ten_minute_closes(bars, inputs.now)
    start, end = (pd.Timestamp(moment).value for moment in entry_window(inputs.today))
    for close, ended in zip(closes, ends, strict=True):
        if start <= ended <= end and close > float(level):
            decided = pd.Timestamp(int(ended), tz="UTC").to_pydatetime()
            return decided, round_price(Decimal(repr(float(close))))
    return None


class S2AvwapSwing:
    """S2_AVWAP_SWING, intraday (see the module docstring)."""

    metadata: Final = METADATA

    def entry_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return entry_window(day)

    def entries(self, inputs: StrategyInputs) -> tuple[EntryPlan, ...]:
        plans = []
        for candidate in inputs.candidates:
            if candidate.symbol in inputs.held or inputs.considered(candidate.symbol, setup_key(candidate)):
                continue
            level = entry_level(candidate, daily_history(inputs.market, candidate.symbol, inputs.today))
            signal = None if level is None else intraday_breakout(candidate, level, inputs)
            if level is not None and signal is not None:
                decided_at, price = signal
                plans.append(
                    plan(
                        candidate,
                        inputs,
                        level=level,
                        price=price,
                        decided_at=decided_at,
                        rule="10-minute close",
                    )
                )
        return tuple(plans)


class S2Daily:
    """S2_AVWAP_SWING at daily resolution: a DAY buy-stop at the level, decided when the window opens (the
    cycle places it, ``CycleDependencies.daily_resolution``); same id, metadata, setup and stop."""

    metadata: Final = METADATA

    def entry_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return entry_window(day)

    def entries(self, inputs: StrategyInputs) -> tuple[EntryPlan, ...]:
        opened, _ = entry_window(inputs.today)
        plans = []
        for candidate in inputs.candidates:
            if candidate.symbol in inputs.held or inputs.considered(candidate.symbol, setup_key(candidate)):
                continue
            level = entry_level(candidate, daily_history(inputs.market, candidate.symbol, inputs.today))
            if level is not None:
                plans.append(
                    plan(
                        candidate,
                        inputs,
                        level=level,
                        price=level,
                        decided_at=opened,
                        rule="daily buy-stop at",
                    )
                )
        return tuple(plans)


STRATEGY: Final = S2AvwapSwing()
DAILY: Final = S2Daily()
