"""Anchor eligibility and scoring for the scan, vectorized over symbols × anchor types.

An anchor is eligible when it lies at least ``min_anchor_age_bars`` (1) bars before the as-of bar (an anchor
on the as-of bar itself has σ = 0 and slope 0, and its AVWAP is just that bar's typical price), its AVWAP
is defined, the close is above it (or reclaimed it), its 5-bar slope is
at least −3% (reclaims exempt), the close is at most 6% above it, and the candidate stop lies at least one
tick below it (otherwise R, and the R-multiple targets, would be meaningless). Score = priority + 1.5·trend
score − |distance %| (+50 when 0.1% ≤ distance ≤ 1.5%, +40 on a reclaim).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from avwap.signals.anchors import ANCHOR_TYPES, NO_ANCHOR, AnchorRules
from avwap.signals.avwap import AvwapSnapshot
from avwap.signals.scan_rules import ScanRules

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ANCHOR_REASONS: tuple[str, ...] = (
    "ANCHOR_TOO_YOUNG",
    "AVWAP_UNAVAILABLE",
    "CLOSE_BELOW_AVWAP",
    "AVWAP_SLOPE_TOO_NEGATIVE",
    "DISTANCE_TOO_FAR",
    "STOP_NOT_BELOW_ENTRY",
)
ELIGIBLE = -1


def tick_below(price: FloatArray) -> FloatArray:
    """``price`` minus one price tick ($0.01 at or above $1, $0.0001 below)."""
    return price - np.where(price >= 1.0, 0.01, 0.0001)


def anchor_ages(indices: IntArray, as_of_column: int) -> FloatArray:
    """Bars from each anchor to the as-of column (0 = the as-of bar itself); NaN where there is no anchor."""
    ages: FloatArray = np.where(indices >= 0, as_of_column - indices, np.nan).astype(np.float64)
    return ages


def anchor_rejections(
    snapshot: AvwapSnapshot, stop: FloatArray, rules: ScanRules, ages: FloatArray | None = None
) -> tuple[IntArray, FloatArray, FloatArray]:
    """(reason index into :data:`ANCHOR_REASONS` or −1 when eligible, measured value, threshold) per anchor.

    ``stop`` is the candidate stop per symbol (a column vector broadcast over anchors); ``ages`` the
    :func:`anchor_ages` (None: every anchor counts as old enough).
    """
    level, slope, distance, reclaim = snapshot.avwap, snapshot.slope, snapshot.distance, snapshot.reclaim
    stops = np.broadcast_to(np.asarray(stop, dtype=np.float64).reshape(-1, 1), level.shape)
    age = np.full(level.shape, np.inf) if ages is None else np.asarray(ages, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        failures = [
            age < rules.min_anchor_age_bars,
            ~np.isfinite(level) | ~np.isfinite(slope),
            ~((distance > 0.0) | reclaim),
            (slope < rules.min_avwap_slope) & ~reclaim,
            distance > rules.max_distance,
            (
                ~(stops <= tick_below(level))
                if rules.require_stop_below_entry
                else np.zeros(level.shape, bool)
            ),
        ]
    values = [age, level, distance, slope, distance, stops]
    limits = [
        np.full(level.shape, limit)
        for limit in (rules.min_anchor_age_bars, np.nan, 0.0, rules.min_avwap_slope, rules.max_distance)
    ]
    limits.append(tick_below(level))
    reason = np.select(failures, list(range(len(ANCHOR_REASONS))), default=ELIGIBLE).astype(np.int64)
    value = np.select(failures, values, default=np.nan)
    threshold = np.select(failures, limits, default=np.nan)
    return reason, value, threshold


def merged_priorities(indices: IntArray, rules: AnchorRules) -> IntArray:
    """Priority of each anchor after merging: the highest priority of all types on the same bar."""
    table = rules.priorities()
    own = np.array([table[name] for name in ANCHOR_TYPES], dtype=np.int64)
    same_bar = (indices[:, :, None] == indices[:, None, :]) & (indices[:, None, :] >= 0)
    merged: IntArray = np.where(same_bar, own[None, None, :], -1).max(axis=2)
    return merged


def anchor_scores(
    priority: npt.ArrayLike,
    trend_score: npt.ArrayLike,
    distance: npt.ArrayLike,
    reclaim: npt.ArrayLike,
    rules: ScanRules,
) -> FloatArray:
    """priority + w·trend score − |distance %| + near bonus + reclaim bonus (trend score per symbol)."""
    distances = np.asarray(distance, dtype=np.float64)
    trend = np.asarray(trend_score, dtype=np.float64)
    trend = trend.reshape(-1, 1) if distances.ndim == 2 else trend
    with np.errstate(invalid="ignore"):
        near = (distances >= rules.near_distance_low) & (distances <= rules.near_distance_high)
    return (
        np.asarray(priority, dtype=np.float64)
        + rules.trend_weight * trend
        - np.abs(100.0 * distances)
        + rules.near_bonus * near
        + rules.reclaim_bonus * np.asarray(reclaim, dtype=bool)
    )


def best_anchors(
    scores: FloatArray, priorities: IntArray, indices: IntArray, eligible: BoolArray
) -> IntArray:
    """Column of each row's best eligible anchor (−1 when none): highest score, then priority, then the
    most recent bar, then :data:`ANCHOR_TYPES` order (fully deterministic). Rows × anchors in, one pass.

    Each key narrows the tied set (a lexicographic minimum); a row whose eligible scores are not all
    comparable (NaN) is decided by Python's tuple order, as it always was.
    """
    tied = np.asarray(eligible, dtype=np.bool_).copy()
    for key in (scores, priorities, indices):
        keyed = np.where(tied, np.asarray(key, dtype=np.float64), -np.inf)
        tied &= keyed == keyed.max(axis=1, keepdims=True)
    best: IntArray = np.where(tied.any(axis=1), tied.argmax(axis=1), NO_ANCHOR).astype(np.int64)
    with np.errstate(invalid="ignore"):
        unordered = np.flatnonzero((eligible & np.isnan(scores)).any(axis=1))
    for row in unordered.tolist():
        best[row] = _best_by_tuples(scores[row], priorities[row], indices[row], eligible[row])
    return best


def _best_by_tuples(scores: FloatArray, priorities: IntArray, indices: IntArray, eligible: BoolArray) -> int:
    columns = [column for column in range(scores.size) if eligible[column]]
    return min(columns, key=lambda column: (-scores[column], -priorities[column], -indices[column], column))


def best_anchor(scores: FloatArray, priorities: IntArray, indices: IntArray, eligible: BoolArray) -> int:
    """:func:`best_anchors` of one symbol (1-D arrays over its anchors)."""
    return int(best_anchors(scores[None, :], priorities[None, :], indices[None, :], eligible[None, :])[0])
