"""The regime taxonomy, its reason codes and the rules (thresholds) read from the one Config.

Labels, least to most severe: ``RISK_ON`` (0), ``NEUTRAL`` (1), ``RISK_OFF`` (2), ``STRESSED`` (3).
``UNKNOWN`` is not a level: it means the benchmark itself could not be measured that day (no bar, too short
a history, a data break); a consumer treats it as the most severe label (fail closed).

Public API::

    Regime, SEVERITY, LABELS_BY_SEVERITY
    RegimeRules(...)             windows, cut points, hysteresis, confidence factor
    rules_from_config(config) -> RegimeRules
    RULES_VERSION                names the rule set in every record (bump when the rules change meaning)
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any, Final

from avwap.core.config import Config


class Regime(enum.StrEnum):
    RISK_ON = "RISK_ON"
    NEUTRAL = "NEUTRAL"
    RISK_OFF = "RISK_OFF"
    STRESSED = "STRESSED"
    UNKNOWN = "UNKNOWN"


LABELS_BY_SEVERITY: Final = (Regime.RISK_ON, Regime.NEUTRAL, Regime.RISK_OFF, Regime.STRESSED)
SEVERITY: Final = {label: level for level, label in enumerate(LABELS_BY_SEVERITY)}
RULES_VERSION: Final = "REGIME_E1_V1"

# Reason codes of a regime day (UPPER_SNAKE, stable): why a label is UNKNOWN, held or less certain.
BENCHMARK_MISSING: Final = "REGIME_BENCHMARK_MISSING"  # no benchmark bar on the date
BENCHMARK_HISTORY_SHORT: Final = "REGIME_BENCHMARK_HISTORY_SHORT"  # a feature window is not full yet
BENCHMARK_DISCONTINUITY: Final = "REGIME_BENCHMARK_DISCONTINUITY"  # a move beyond REGIME_MAX_DAILY_MOVE
BREADTH_UNAVAILABLE: Final = "REGIME_BREADTH_UNAVAILABLE"  # too few symbols: label from the other inputs
STRESS_FLOOR: Final = "REGIME_STRESS_FLOOR"  # an input at STRESSED lifted a milder score to RISK_OFF
HELD_BY_HYSTERESIS: Final = "REGIME_HELD_BY_HYSTERESIS"  # the score moved, not far or long enough
REASON_CODES: Final = (
    BENCHMARK_MISSING,
    BENCHMARK_HISTORY_SHORT,
    BENCHMARK_DISCONTINUITY,
    BREADTH_UNAVAILABLE,
    STRESS_FLOOR,
    HELD_BY_HYSTERESIS,
)

Cuts = tuple[float, float, float]


@dataclass(frozen=True)
class RegimeRules:
    """Everything the classifier reads. Cut points split a feature into the four levels: volatility and
    drawdown cuts rise (a value at or above the n-th cut is at least level n), trend and breadth cuts fall
    (a value below the n-th cut is at least level n)."""

    benchmark: str = "SPY"
    volatility_window: int = 20
    drawdown_window: int = 63
    trend_fast: int = 50
    trend_slow: int = 200
    breadth_window: int = 50
    breadth_min_symbols: int = 30
    volatility_cuts: Cuts = (0.16, 0.24, 0.35)
    drawdown_cuts: Cuts = (0.04, 0.08, 0.15)
    trend_cuts: Cuts = (0.01, -0.02, -0.08)
    breadth_cuts: Cuts = (0.60, 0.45, 0.25)
    hysteresis: float = 0.25
    confirm_sessions: int = 3
    no_breadth_confidence: float = 0.75
    max_daily_move: float = 0.25

    @property
    def history_needed(self) -> int:
        """Bars the benchmark needs before every feature window is full."""
        return max(self.volatility_window + 1, self.drawdown_window, self.trend_slow)

    def as_dict(self) -> dict[str, Any]:
        return {"version": RULES_VERSION, **asdict(self)}


def _cuts(values: tuple[Any, Any, Any]) -> Cuts:
    first, second, third = (float(value) for value in values)
    return first, second, third


def rules_from_config(config: Config) -> RegimeRules:
    """The rules of ``config`` (validated there: a malformed value is a ConfigurationError naming it)."""
    return RegimeRules(
        benchmark=config.regime_benchmark,
        volatility_window=config.regime_volatility_window,
        drawdown_window=config.regime_drawdown_window,
        trend_fast=config.regime_trend_fast,
        trend_slow=config.regime_trend_slow,
        breadth_window=config.regime_breadth_window,
        breadth_min_symbols=config.regime_breadth_min_symbols,
        volatility_cuts=_cuts(config.regime_volatility_cuts),
        drawdown_cuts=_cuts(config.regime_drawdown_cuts),
        trend_cuts=_cuts(config.regime_trend_cuts),
        breadth_cuts=_cuts(config.regime_breadth_cuts),
        hysteresis=float(config.regime_hysteresis),
        confirm_sessions=config.regime_confirm_sessions,
        no_breadth_confidence=float(config.regime_no_breadth_confidence),
        max_daily_move=float(config.regime_max_daily_move),
    )
