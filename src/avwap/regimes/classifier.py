"""The deterministic regime classifier: per-feature levels, a score, a label with hysteresis, a confidence.

1. **Levels.** Each feature falls into one of four levels (0 RISK_ON .. 3 STRESSED) by its three cut points
   (:class:`~avwap.regimes.rules.RegimeRules`). Breadth may be missing (too small a universe).
2. **Score** = the mean level of the available features (3 or 4 of them).
3. **Candidate** = the score rounded to the nearest level (halves round up, toward caution), raised by
   two floors (``REGIME_STRESS_FLOOR``): when two features are at level L or worse the candidate is at least
   L, and one feature at STRESSED makes it at least RISK_OFF. A crash or a correction in the fast inputs
   (volatility and drawdown) is never averaged away by a slow trend that has not turned yet.
4. **Hysteresis** (so labels do not flicker), asymmetric to fail closed: a more severe candidate replaces the
   label at once; a milder one only when the score has been ``hysteresis`` below the label's band
   (label - 0.5 - hysteresis) for ``confirm_sessions`` sessions in a row. Until then the label is held
   (``REGIME_HELD_BY_HYSTERESIS``).
5. **Confidence** = 1 - mean |level - label| / 3 (the inputs' agreement with the label), times
   ``no_breadth_confidence`` when breadth is missing (``REGIME_BREADTH_UNAVAILABLE``). UNKNOWN: 0.

UNKNOWN (no benchmark bar, a short history, a data break) leaves the hysteresis state as it was, except
that a pending de-escalation starts over.

Public API::

    RegimeDay, RegimeState
    levels_of(values, cuts, rising) -> int array (-1 where missing)
    feature_levels(features, rules) -> int array (sessions x 4)
    step(state, levels, rules) -> (label, candidate, score, confidence, reasons, next state)
    label_sessions(sessions, benchmark_dates, close, universe_close, rules) -> list[RegimeDay]
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from avwap.regimes import rules as codes
from avwap.regimes.features import FloatArray, RegimeFeatures, regime_features
from avwap.regimes.rules import LABELS_BY_SEVERITY, Cuts, Regime, RegimeRules

FEATURES = ("volatility", "drawdown", "trend", "breadth")
IntArray = npt.NDArray[np.int64]
STRESSED_LEVEL = 3
RISK_OFF_LEVEL = 2


@dataclass(frozen=True)
class RegimeState:
    """What the next session needs: the label in force (None before the first known day) and how many
    sessions in a row a milder label has been due."""

    label: int | None = None
    pending_sessions: int = 0


@dataclass(frozen=True)
class RegimeDay:
    """One session's label with everything that decided it (features as fractions, None when missing)."""

    date: dt.date
    label: Regime
    candidate: Regime | None
    confidence: float
    score: float | None
    volatility: float | None
    drawdown: float | None
    trend: float | None
    breadth: float | None
    breadth_symbols: int
    levels: dict[str, Regime]
    pending_sessions: int
    reasons: tuple[str, ...]


def levels_of(values: FloatArray, cuts: Cuts, rising: bool) -> IntArray:
    """Level 0..3 of each value by three cut points (rising: worse upward; falling: worse downward);
    -1 where the value is missing."""
    values = np.asarray(values, dtype=np.float64)
    ascending = np.asarray(sorted(cuts), dtype=np.float64)
    at_or_below = np.searchsorted(ascending, np.nan_to_num(values, nan=0.0), side="right")  # cuts <= value
    level = at_or_below if rising else 3 - at_or_below
    return np.where(np.isnan(values), -1, level).astype(np.int64)


def feature_levels(features: RegimeFeatures, rules: RegimeRules) -> IntArray:
    """Levels of the four features, one row per session, columns in :data:`FEATURES` order."""
    return np.stack(
        [
            levels_of(features.volatility, rules.volatility_cuts, rising=True),
            levels_of(features.drawdown, rules.drawdown_cuts, rising=True),
            levels_of(features.trend, rules.trend_cuts, rising=False),
            levels_of(features.breadth, rules.breadth_cuts, rising=False),
        ],
        axis=1,
    )


@dataclass(frozen=True)
class Step:
    label: int
    candidate: int
    score: float
    confidence: float
    reasons: tuple[str, ...]
    state: RegimeState


def _candidate(levels: Sequence[int]) -> tuple[int, float, bool]:
    score = sum(levels) / len(levels)
    rounded = min(STRESSED_LEVEL, math.floor(score + 0.5))
    ordered = sorted(levels, reverse=True)
    witnessed = ordered[1] if len(ordered) > 1 else 0  # two inputs at level L or worse: at least L
    floor = max(witnessed, RISK_OFF_LEVEL if ordered[0] == STRESSED_LEVEL else 0)
    return max(rounded, floor), score, floor > rounded


def _next_label(state: RegimeState, candidate: int, score: float, rules: RegimeRules) -> tuple[int, int]:
    """(label, pending sessions) after today's candidate; see the module docstring, step 4."""
    current = state.label
    if current is None or candidate >= current:
        return candidate, 0
    if score >= current - 0.5 - rules.hysteresis:
        return current, 0
    pending = state.pending_sessions + 1
    return (candidate, 0) if pending >= rules.confirm_sessions else (current, pending)


def step(state: RegimeState, levels: Sequence[int], rules: RegimeRules) -> Step:
    """One known session: ``levels`` are the four feature levels (-1 = missing; only breadth may be)."""
    available = [int(level) for level in levels if level >= 0]
    candidate, score, floored = _candidate(available)
    label, pending = _next_label(state, candidate, score, rules)
    agreement = 1.0 - sum(abs(level - label) for level in available) / (3.0 * len(available))
    reasons: list[str] = []
    breadth_missing = len(available) < len(FEATURES)
    if breadth_missing:
        reasons.append(codes.BREADTH_UNAVAILABLE)
        agreement *= rules.no_breadth_confidence
    if floored:
        reasons.append(codes.STRESS_FLOOR)
    if label != candidate:
        reasons.append(codes.HELD_BY_HYSTERESIS)
    return Step(label, candidate, score, agreement, tuple(reasons), RegimeState(label, pending))


@dataclass(frozen=True)
class _Columns:
    """The features as plain Python values (NaN as None), converted once for the per-session loop."""

    values: dict[str, list[float | None]]
    symbols: list[int]
    broken: list[bool]
    levels: list[list[int]]

    @classmethod
    def of(cls, features: RegimeFeatures, levels: IntArray) -> _Columns:
        values = {
            name: [None if math.isnan(value) else value for value in getattr(features, name).tolist()]
            for name in FEATURES
        }
        return cls(
            values, features.breadth_symbols.tolist(), features.discontinuity.tolist(), levels.tolist()
        )

    def at(self, index: int | None) -> dict[str, float | None]:
        if index is None:
            return dict.fromkeys(FEATURES)
        return {name: column[index] for name, column in self.values.items()}

    def unknown_reason(self, index: int | None) -> str | None:
        if index is None:
            return codes.BENCHMARK_MISSING
        if self.broken[index]:
            return codes.BENCHMARK_DISCONTINUITY
        missing = any(self.values[name][index] is None for name in FEATURES[:3])
        return codes.BENCHMARK_HISTORY_SHORT if missing else None


def label_sessions(
    sessions: Sequence[dt.date],
    benchmark_dates: Sequence[dt.date],
    close: FloatArray,
    universe_close: FloatArray | None,
    rules: RegimeRules,
) -> list[RegimeDay]:
    """Label every session of ``sessions`` (ascending; the hysteresis runs through them in order).

    ``close`` holds the benchmark's closes on ``benchmark_dates`` (ascending, its own bars);
    ``universe_close`` the universe's closes on the same dates (symbols x dates, NaN = no bar) or None.
    A session without a benchmark bar is UNKNOWN (``REGIME_BENCHMARK_MISSING``), never a guess."""
    features = regime_features(close, universe_close, rules)
    columns = _Columns.of(features, feature_levels(features, rules))
    position = {day: index for index, day in enumerate(benchmark_dates)}
    state = RegimeState()
    days: list[RegimeDay] = []
    for day in sessions:
        index = position.get(day)
        unknown = columns.unknown_reason(index)
        if unknown is not None or index is None:
            state = RegimeState(state.label, 0)
            symbols = columns.symbols[index] if index is not None else 0
            days.append(
                RegimeDay(
                    date=day, label=Regime.UNKNOWN, candidate=None, confidence=0.0, score=None,
                    **columns.at(index), breadth_symbols=symbols, levels={}, pending_sessions=0,
                    reasons=(unknown or codes.BENCHMARK_MISSING,),
                )
            )  # fmt: skip
            continue
        result = step(state, columns.levels[index], rules)
        state = result.state
        days.append(_known_day(day, columns, index, result))
    return days


def _known_day(day: dt.date, columns: _Columns, index: int, result: Step) -> RegimeDay:
    levels = columns.levels[index]
    named = {
        name: LABELS_BY_SEVERITY[level] for name, level in zip(FEATURES, levels, strict=True) if level >= 0
    }
    return RegimeDay(
        date=day, label=LABELS_BY_SEVERITY[result.label], candidate=LABELS_BY_SEVERITY[result.candidate],
        confidence=result.confidence, score=result.score, **columns.at(index),
        breadth_symbols=columns.symbols[index], levels=named,
        pending_sessions=result.state.pending_sessions, reasons=result.reasons,
    )  # fmt: skip
