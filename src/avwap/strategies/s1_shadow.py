"""S1_AVWAP_CORE_SHADOW: the shadow clone of S1 (roadmap 2A).

The same entry planner under its own strategy id, registered as not routable: its plans and portfolio
decisions are recorded, and the control plane rejects any of its intents with STRATEGY_NOT_ROUTABLE before a
broker could see them. Enabling it beside S1 shows what S1 would do under another configuration without
sending a second order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Final

from avwap.strategies.protocol import EntryPlan, StrategyInputs, model_version
from avwap.strategies.registry import S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW
from avwap.strategies.s1 import STRATEGY as S1

METADATA: Final = dataclasses.replace(
    S1.metadata,
    strategy_id=S1_AVWAP_CORE_SHADOW,
    description="Shadow clone of S1_AVWAP_CORE: portfolio decisions recorded, never routed to a broker",
    routable=False,
    shadow_of=S1_AVWAP_CORE,
)


class S1Shadow:
    """S1's planner, re-labelled: every plan carries the shadow's id and model version."""

    metadata: Final = METADATA

    def entry_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return S1.entry_window(day)

    def entries(self, inputs: StrategyInputs) -> tuple[EntryPlan, ...]:
        version = model_version(METADATA)
        return tuple(
            dataclasses.replace(plan, strategy_id=S1_AVWAP_CORE_SHADOW, model_version=version)
            for plan in S1.entries(inputs)
        )


STRATEGY: Final = S1Shadow()
