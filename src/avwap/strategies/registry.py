"""The strategy registry (Phase S0): every trade, position and PnL unit is addressable by ``strategy_id``."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from avwap.core.errors import ConfigurationError


class RiskProfile(enum.StrEnum):
    DIRECTIONAL = "directional"
    NEUTRAL = "neutral"
    CONVEX = "convex"


@dataclass(frozen=True)
class StrategyMetadata:
    """The metadata contract every strategy declares."""

    strategy_id: str
    description: str
    asset_universe: str
    holding_horizon: str
    execution_style: str
    risk_profile: RiskProfile
    version: str


S1_AVWAP_CORE: Final = "S1_AVWAP_CORE"

REGISTRY: Final[dict[str, StrategyMetadata]] = {
    S1_AVWAP_CORE: StrategyMetadata(
        strategy_id=S1_AVWAP_CORE,
        description="Long breakout-and-hold above the scan's anchored VWAP, structural stops",
        asset_universe="US equities from the daily AVWAP scan (liquid, trending, near an anchor)",
        holding_horizon="days to weeks (swing)",
        execution_style="market entry after a closed 10-minute breakout-and-hold; resting stop",
        risk_profile=RiskProfile.DIRECTIONAL,
        version="1",
    ),
}


def strategy(strategy_id: str) -> StrategyMetadata:
    """The registered metadata; an unknown id is a configuration error (no anonymous trades)."""
    try:
        return REGISTRY[strategy_id]
    except KeyError:
        raise ConfigurationError(
            "strategy_id", f"unknown strategy {strategy_id!r}; known: {sorted(REGISTRY)}"
        ) from None
