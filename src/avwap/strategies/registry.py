"""The strategy registry (Phase S0): every trade, position and PnL unit is addressable by ``strategy_id``."""

from __future__ import annotations

import dataclasses
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
    # A shadow strategy runs through the portfolio decision layer and is recorded, never routed to a broker.
    routable: bool = True
    shadow_of: str | None = None


S1_AVWAP_CORE: Final = "S1_AVWAP_CORE"
S1_AVWAP_CORE_SHADOW: Final = "S1_AVWAP_CORE_SHADOW"

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
# The shadow clone of S1 (roadmap 2A): the same metadata under its own id, recorded only.
REGISTRY[S1_AVWAP_CORE_SHADOW] = dataclasses.replace(
    REGISTRY[S1_AVWAP_CORE],
    strategy_id=S1_AVWAP_CORE_SHADOW,
    description="Shadow clone of S1_AVWAP_CORE: portfolio decisions recorded, never routed to a broker",
    routable=False,
    shadow_of=S1_AVWAP_CORE,
)


def strategy(strategy_id: str) -> StrategyMetadata:
    """The registered metadata; an unknown id is a configuration error (no anonymous trades)."""
    try:
        return REGISTRY[strategy_id]
    except KeyError:
        raise ConfigurationError(
            "strategy_id", f"unknown strategy {strategy_id!r}; known: {sorted(REGISTRY)}"
        ) from None


def is_routable(strategy_id: object) -> bool:
    """True only for a registered strategy that may reach a broker (a shadow or unknown id never does)."""
    metadata = REGISTRY.get(strategy_id) if isinstance(strategy_id, str) else None
    return metadata is not None and metadata.routable is True
