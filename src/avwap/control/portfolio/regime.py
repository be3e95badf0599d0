"""Regime risk modulation (Phase E2): the market regime scales risk parameters, never signals. Pure.

With ``E2_REGIME_MODULATION=1`` the portfolio decision engine receives one :class:`RegimeModulation` per
batch: the regime label of the previous close (E1, ``avwap.regimes``) turned into three multipliers, one on
each candidate's proposed notional (sizing), one on the day's new-entry quota (throttle) and one on the
gross exposure cap:

    (risk, new positions)  RISK_ON (1, 1)  NEUTRAL (0.6, 0.7)  RISK_OFF (0.2, 0.3)  STRESSED (0, 0)
                                                                                       (E2_MULTIPLIERS_*)
    gross exposure         RISK_ON 1       NEUTRAL 0.6         RISK_OFF 0.2         STRESSED 0
                                                                                       (E2_GROSS_EXPOSURE_*)

UNKNOWN (the benchmark could not be measured) is treated as STRESSED: fail closed. Below
``E2_CONFIDENCE_THRESHOLD`` (0.6) every multiplier is halved. A risk multiplier of 0 blocks every entry
(``PORTFOLIO_REGIME_NO_RISK``); the quota is floor(PORTFOLIO_MAX_NEW_ENTRIES x multiplier)
(``PORTFOLIO_REGIME_ENTRY_THROTTLE``); gross exposure after an entry may not exceed PORTFOLIO_MAX_GROSS_PCT x
the gross multiplier of equity (``PORTFOLIO_REGIME_EXPOSURE_CAP``). All sit beside the drawdown throttle
and every other guardrail, so the stricter always wins. An ALLOW's scaled notional is also a hard cap on
the order's quantity in execution (:mod:`.order_cap`). Exits are decided elsewhere and never read this.

Public API::

    RegimePolicy.from_config(config)
    RegimeModulation                         recorded in the decision batch
    modulation(label, confidence, as_of, policy) -> RegimeModulation
    entry_quota(max_new_entries, modulation) -> int
    gross_cap_pct(max_gross_pct, modulation) -> Decimal
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

import msgspec

from avwap.core.config import Config

LABELS: Final = ("RISK_ON", "NEUTRAL", "RISK_OFF", "STRESSED")
UNKNOWN: Final = "UNKNOWN"
HALF: Final = Decimal("0.5")
DEFAULT_GROSS_EXPOSURE: Final = (Decimal("1"), Decimal("0.6"), Decimal("0.2"), Decimal("0"))


@dataclass(frozen=True)
class RegimePolicy:
    multipliers: dict[str, tuple[Decimal, Decimal]]
    confidence_threshold: Decimal = Decimal("0.6")
    gross_exposure: dict[str, Decimal] = field(
        default_factory=lambda: dict(zip(LABELS, DEFAULT_GROSS_EXPOSURE, strict=True))
    )

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
            gross_exposure={
                "RISK_ON": config.e2_gross_exposure_risk_on,
                "NEUTRAL": config.e2_gross_exposure_neutral,
                "RISK_OFF": config.e2_gross_exposure_risk_off,
                "STRESSED": config.e2_gross_exposure_stressed,
            },
        )


class RegimeModulation(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What the batch applied: the label read (and its date), the label acted on, the multipliers."""

    label: str
    as_of: dt.date | None
    confidence: Decimal
    applied_label: str
    risk_multiplier: Decimal
    new_positions_multiplier: Decimal
    gross_exposure_multiplier: Decimal
    halved: bool

    def __post_init__(self) -> None:
        if self.label not in (*LABELS, UNKNOWN) or self.applied_label not in LABELS:
            raise ValueError(f"RegimeModulation: unknown label {self.label!r} / {self.applied_label!r}")
        multipliers = (self.risk_multiplier, self.new_positions_multiplier, self.gross_exposure_multiplier)
        for value in (self.confidence, *multipliers):
            if not (value.is_finite() and Decimal(0) <= value <= Decimal(1)):
                raise ValueError(f"RegimeModulation: {value} is not within [0, 1]")


def modulation(
    label: str, confidence: Decimal, as_of: dt.date | None, policy: RegimePolicy
) -> RegimeModulation:
    """The multipliers for ``label`` at ``confidence``: UNKNOWN (or any unknown text) acts as STRESSED."""
    applied = label if label in LABELS else "STRESSED"
    risk, positions = policy.multipliers[applied]
    gross = policy.gross_exposure[applied]
    halved = confidence < policy.confidence_threshold  # UNKNOWN has confidence 0: halved too
    if halved:
        risk, positions, gross = risk * HALF, positions * HALF, gross * HALF
    return RegimeModulation(
        label=label if label in LABELS else UNKNOWN,
        as_of=as_of,
        confidence=confidence,
        applied_label=applied,
        risk_multiplier=risk,
        new_positions_multiplier=positions,
        gross_exposure_multiplier=gross,
        halved=halved,
    )


def entry_quota(max_new_entries: int, regime: RegimeModulation) -> int:
    """New entries the regime allows today: floor(limit x multiplier), never more than the limit."""
    return min(max_new_entries, math.floor(max_new_entries * regime.new_positions_multiplier))


def gross_cap_pct(max_gross_pct: Decimal, regime: RegimeModulation) -> Decimal:
    """The regime's gross exposure cap in percent of equity: PORTFOLIO_MAX_GROSS_PCT x the multiplier."""
    return max_gross_pct * regime.gross_exposure_multiplier
