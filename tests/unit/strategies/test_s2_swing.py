"""S2_AVWAP_SWING: a daily-level setup (prior close above the anchored VWAP), an entry at the prior
session's high (a closed 10-minute bar above it intraday, a DAY buy-stop at daily resolution), daily
swing-low stops; registered beside S1 and run by the backtest's daily sessions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from tests.integration.crash_driver import candidate

from avwap.core.calendar import NEW_YORK
from avwap.exits.rules import StopRules
from avwap.strategies.daily_variants import daily_session_strategies
from avwap.strategies.protocol import StrategyInputs
from avwap.strategies.registry import (
    S1_AVWAP_CORE,
    S2_AVWAP_SWING,
    enabled_strategies,
    load_strategy,
    uses_daily_stops,
)
from avwap.strategies.s1_daily import STRATEGY as S1_DAILY
from avwap.strategies.s2_swing import DAILY, STRATEGY, setup_key

DAY = dt.date(2026, 4, 1)


class Market:
    """Daily bars before DAY (last close/high given) and 5-minute bars of DAY."""

    def __init__(self, close: float, high: float, intraday_closes: list[float]) -> None:
        days = pd.to_datetime(
            ["2026-03-23", "2026-03-24", "2026-03-25", "2026-03-26", "2026-03-27", "2026-03-30", "2026-03-31"]
        ).tz_localize("UTC")
        self.daily = pd.DataFrame(
            {
                "symbol": "AAA",
                "timestamp": days,
                "open": [49.0, 48.5, 48.0, 48.5, 49.0, 49.5, 50.0],
                "high": [49.5, 49.0, 48.5, 49.0, 49.8, 50.0, high],
                "low": [48.5, 48.0, 47.0, 48.0, 48.6, 49.0, 49.6],  # a swing low of 47.00 on the 25th
                "close": [49.0, 48.5, 48.2, 48.8, 49.5, 49.8, close],
                "volume": 1000,
            }
        )
        start = dt.datetime.combine(DAY, dt.time(9, 30), NEW_YORK).astimezone(dt.UTC)
        stamps = [start + dt.timedelta(minutes=5 * index) for index in range(len(intraday_closes))]
        self.bars = pd.DataFrame(
            {
                "symbol": "AAA",
                "timestamp": pd.to_datetime(stamps),
                "open": intraday_closes,
                "high": intraday_closes,
                "low": intraday_closes,
                "close": intraday_closes,
                "volume": 100,
            }
        )

    def session_bars(self, symbol: str, day: dt.date, now: dt.datetime) -> pd.DataFrame:
        ends = self.bars["timestamp"] + pd.Timedelta(minutes=5)
        return self.bars.loc[ends <= pd.Timestamp(now)].reset_index(drop=True)

    def daily_bars(self, symbol: str, before: dt.date) -> pd.DataFrame:
        return self.daily.loc[self.daily["timestamp"].dt.date < before].reset_index(drop=True)


def inputs(market: Market, hour: int = 11) -> StrategyInputs:
    now = dt.datetime.combine(DAY, dt.time(hour, 0), NEW_YORK).astimezone(dt.UTC)
    return StrategyInputs(
        market=market,
        candidates=(candidate("AAA", 1),),  # anchored VWAP 50.00
        held=frozenset(),
        considered=lambda symbol, setup: False,
        now=now,
        today=DAY,
        stop_rules=StopRules(),
    )


def test_entry_on_the_first_ten_minute_close_above_the_prior_high() -> None:
    # prior close 50.40 above the 50.00 level, prior high 51.00; 10:10-10:20 closes at 51.20
    closes = [50.5] * 8 + [51.2, 51.2] + [51.3] * 10
    plans = STRATEGY.entries(inputs(Market(50.4, 51.0, closes)))
    assert len(plans) == 1
    plan = plans[0]
    assert (plan.strategy_id, plan.symbol, plan.setup) == (
        S2_AVWAP_SWING,
        "AAA",
        setup_key(candidate("AAA", 1)),
    )
    assert plan.entry_price == Decimal("51.20") and plan.model_version == "S2_AVWAP_SWING/1"
    assert plan.decided_at == dt.datetime.combine(DAY, dt.time(10, 20), NEW_YORK).astimezone(dt.UTC)
    assert plan.initial_stop is not None and plan.initial_stop < Decimal("47")  # below the swing low
    assert STRATEGY.entries(inputs(Market(50.4, 51.0, closes))) == plans  # pure


def test_no_entry_without_the_daily_setup_or_the_breakout() -> None:
    closes = [50.5] * 8 + [51.2] * 12
    assert STRATEGY.entries(inputs(Market(49.9, 51.0, closes))) == ()  # prior close below the level
    assert STRATEGY.entries(inputs(Market(50.4, 52.0, closes))) == ()  # never above the prior high
    assert STRATEGY.entries(inputs(Market(50.4, 51.0, closes), hour=9)) == ()  # nothing closed yet


def test_the_daily_variant_rests_a_buy_stop_at_the_prior_high() -> None:
    plans = DAILY.entries(inputs(Market(50.4, 51.004, [])))
    assert [(plan.entry_price, plan.strategy_id) for plan in plans] == [(Decimal("51.01"), S2_AVWAP_SWING)]
    assert DAILY.entries(inputs(Market(49.0, 51.0, []))) == ()


def test_registered_with_daily_stops_and_run_by_daily_sessions() -> None:
    metadata = load_strategy(S2_AVWAP_SWING).metadata
    assert metadata.stop_policy == "daily" and metadata.routable
    assert metadata.holding_horizon != load_strategy(S1_AVWAP_CORE).metadata.holding_horizon
    assert uses_daily_stops(S2_AVWAP_SWING) and not uses_daily_stops(S1_AVWAP_CORE)
    assert not uses_daily_stops("NOT_REGISTERED")
    from avwap.core.config import load_config

    both = enabled_strategies(
        load_config({"ENABLED_STRATEGIES": "S1_AVWAP_CORE,S1_AVWAP_CORE_SHADOW,S2_AVWAP_SWING"})
    )
    assert daily_session_strategies(both) == (S1_DAILY, DAILY)  # the shadow sits daily sessions out
