"""Which strategy object trades a session simulated at daily resolution (the backtest without intraday bars).

An intraday trigger cannot be observed on daily bars, so each strategy that can trade such a session has a
daily-resolution variant under the same id and metadata (docs/BACKTEST.md, "Daily fill model"): S1's is
:mod:`avwap.strategies.s1_daily`, S2's is :data:`avwap.strategies.s2_swing.DAILY`. A strategy without one
(the S1 shadow, which is never routed) sits those sessions out.
"""

from __future__ import annotations

from avwap.strategies.protocol import Strategy
from avwap.strategies.registry import S1_AVWAP_CORE, S2_AVWAP_SWING


def daily_session_strategies(strategies: tuple[Strategy, ...]) -> tuple[Strategy, ...]:
    """The daily-resolution variants of ``strategies`` (same order); strategies without one are left out."""
    from avwap.strategies.s1_daily import STRATEGY as S1_DAILY
    from avwap.strategies.s2_swing import DAILY as S2_DAILY

    variants: dict[str, Strategy] = {S1_AVWAP_CORE: S1_DAILY, S2_AVWAP_SWING: S2_DAILY}
    return tuple(
        variants[item.metadata.strategy_id] for item in strategies if item.metadata.strategy_id in variants
    )
