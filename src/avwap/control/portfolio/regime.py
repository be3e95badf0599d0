"""Regime risk modulation (Phase E2): the market regime scales risk parameters, never signals. Pure.

With ``E2_REGIME_MODULATION=1`` the portfolio decision engine receives one :class:`RegimeModulation` per
batch: the regime label of the previous close (E1, ``avwap.regimes``) turned into two multipliers, one on
each candidate's proposed notional (sizing) and one on the day's new-entry quota (throttle):

    RISK_ON (1, 1)   NEUTRAL (0.6, 0.7)   RISK_OFF (0.2, 0.3)   STRESSED (0, 0)      (E2_MULTIPLIERS_*)

UNKNOWN (the benchmark could not be measured) is treated as STRESSED: fail closed. Below
``E2_CONFIDENCE_THRESHOLD`` (0.6) both multipliers are halved. A risk multiplier of 0 blocks every entry
(``PORTFOLIO_REGIME_NO_RISK``); the quota is floor(PORTFOLIO_MAX_NEW_ENTRIES x multiplier)
(``PORTFOLIO_REGIME_ENTRY_THROTTLE``). Both sit beside the drawdown throttle and every other guardrail, so
the stricter always wins. Exits are decided elsewhere and never read this.

Public API::

    RegimePolicy.from_config(config)
    RegimeModulation                         recorded in the decision batch
    modulation(label, confidence, as_of, policy) -> RegimeModulation
    entry_quota(max_new_entries, modulation) -> int
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import msgspec

from avwap.core.config import Config

LABELS: Final = ("RISK_ON", "NEUTRAL", "RISK_OFF", "STRESSED")
UNKNOWN: Final = "UNKNOWN"
HALF: Final = Decimal("0.5")


@dataclass(frozen=True)
class RegimePolicy:
    multipliers: dict[str, tuple[Decimal, Decimal]]
    confidence_threshold: Decimal = Decimal("0.6")

    @classmethod
    def from_config(cls, config: Config) -> RegimePolicy:
        return cls(
            multipliers={
                "RISK_ON": config.e2_multipliers_risk_on,
                "NEUTRAL": config.e2_multipliers_neutral,
                "RISK_OFF": config.e2_multipliers_risk_off,
                "STRESSED": config.e2_multipliers_stressed,
            },
            confidence_threshold=config.e2_confidence_threshold,
        )


class RegimeModulation(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What the batch applied: the label read (and its date), the label acted on, the multipliers."""

    label: str
    as_of: dt.date | None
    confidence: Decimal
    applied_label: str
    risk_multiplier: Decimal
    new_positions_multiplier: Decimal
    halved: bool

    def __post_init__(self) -> None:
        if self.label not in (*LABELS, UNKNOWN) or self.applied_label not in LABELS:
            raise ValueError(f"RegimeModulation: unknown label {self.label!r} / {self.applied_label!r}")
        for value in (self.confidence, self.risk_multiplier, self.new_positions_multiplier):
            if not (value.is_finite() and Decimal(0) <= value <= Decimal(1)):
                raise ValueError(f"RegimeModulation: {value} is not within [0, 1]")


def modulation(
    label: str, confidence: Decimal, as_of: dt.date | None, policy: RegimePolicy
) -> RegimeModulation:
    """The multipliers for ``label`` at ``confidence``: UNKNOWN (or any unknown text) acts as STRESSED."""
    applied = label if label in LABELS else "STRESSED"
    risk, positions = policy.multipliers[applied]
    halved = confidence < policy.confidence_threshold  # UNKNOWN has confidence 0: halved too
    if halved:
        risk, positions = risk * HALF, positions * HALF
    return RegimeModulation(
        label=label if label in LABELS else UNKNOWN,
        as_of=as_of,
        confidence=confidence,
        applied_label=applied,
        risk_multiplier=risk,
        new_positions_multiplier=positions,
        halved=halved,
    )


def entry_quota(max_new_entries: int, regime: RegimeModulation) -> int:
    """New entries the regime allows today: floor(limit x multiplier), never more than the limit."""
    return min(max_new_entries, math.floor(max_new_entries * regime.new_positions_multiplier))
