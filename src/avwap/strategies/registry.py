"""The strategy registry (Phase S0): every trade, position and PnL unit is addressable by ``strategy_id``.

Adding a strategy is one module (a :class:`~avwap.strategies.protocol.Strategy` object named ``STRATEGY``)
and one line in :data:`REGISTRY`. Modules are imported when a strategy is first asked for, so commands that
never trade do not pay for them. ``ENABLED_STRATEGIES`` (Config) lists the ids each cycle asks for entries.
"""

from __future__ import annotations

import enum
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from avwap.core.config import Config
from avwap.core.errors import ConfigurationError

if TYPE_CHECKING:
    from avwap.strategies.protocol import Strategy


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

# strategy id -> the module holding its ``STRATEGY`` object
REGISTRY: Final[dict[str, str]] = {
    S1_AVWAP_CORE: "avwap.strategies.s1",
    S1_AVWAP_CORE_SHADOW: "avwap.strategies.s1_shadow",  # the shadow clone of S1 (roadmap 2A): never routed
}


def load_strategy(strategy_id: str, variable: str = "strategy_id") -> Strategy:
    """The registered strategy; an unknown id is a configuration error naming ``variable``."""
    try:
        module_name = REGISTRY[strategy_id]
    except KeyError:
        raise ConfigurationError(
            variable, f"unknown strategy {strategy_id!r}; known: {sorted(REGISTRY)}"
        ) from None
    loaded: Strategy = importlib.import_module(module_name).STRATEGY
    if loaded.metadata.strategy_id != strategy_id:
        raise ConfigurationError(variable, f"{module_name} declares {loaded.metadata.strategy_id!r}")
    return loaded


def strategy(strategy_id: str) -> StrategyMetadata:
    """The registered metadata; an unknown id is a configuration error (no anonymous trades)."""
    return load_strategy(strategy_id).metadata


def enabled_strategies(config: Config) -> tuple[Strategy, ...]:
    """The strategies ``ENABLED_STRATEGIES`` names, in its order; an unknown id is a ConfigurationError."""
    return tuple(load_strategy(item, "ENABLED_STRATEGIES") for item in config.enabled_strategies)


def is_routable(strategy_id: object) -> bool:
    """True only for a registered strategy that may reach a broker (a shadow or unknown id never does)."""
    if not isinstance(strategy_id, str) or strategy_id not in REGISTRY:
        return False
    try:
        return load_strategy(strategy_id).metadata.routable is True
    except ConfigurationError:
        return False
