"""Anchor eligibility, merge priorities, scores and candidate order as tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from avwap.signals.anchors import ANCHOR_TYPES, AnchorRules
from avwap.signals.avwap import AvwapSnapshot
from avwap.signals.scan import candidate_order
from avwap.signals.scan_anchors import (
    ANCHOR_REASONS,
    ELIGIBLE,
    anchor_rejections,
    anchor_scores,
    best_anchor,
    best_anchors,
    merged_priorities,
)
from avwap.signals.scan_rules import ScanRules

NAN = math.nan


@pytest.mark.parametrize(
    ("avwap", "slope", "distance", "reclaim", "stop", "expected"),
    [
        (100.0, 0.01, 0.02, False, 95.0, None),  # eligible
        (NAN, NAN, NAN, False, 95.0, "AVWAP_UNAVAILABLE"),
        (100.0, NAN, 0.02, False, 95.0, "AVWAP_UNAVAILABLE"),  # zero volume at the slope base
        (100.0, 0.01, -0.01, False, 95.0, "CLOSE_BELOW_AVWAP"),
        (100.0, 0.01, 0.0, False, 95.0, "CLOSE_BELOW_AVWAP"),  # must close strictly above
        (100.0, -0.031, 0.02, False, 95.0, "AVWAP_SLOPE_TOO_NEGATIVE"),
        (100.0, -0.03, 0.02, False, 95.0, None),  # exactly −3% is allowed
        (100.0, -0.10, 0.02, True, 95.0, None),  # reclaims are exempt from the slope rule
        (100.0, 0.01, 0.0601, False, 95.0, "DISTANCE_TOO_FAR"),
        (100.0, 0.01, 0.06, False, 95.0, None),  # exactly 6% is allowed
        (100.0, 0.01, 0.02, False, 99.995, "STOP_NOT_BELOW_ENTRY"),  # within a tick of the entry
        (100.0, 0.01, 0.02, False, 99.99, None),  # one tick below
        (0.5, 0.01, 0.02, False, 0.4999, None),  # below $1 the tick is $0.0001
        (0.5, 0.01, 0.02, False, 0.49995, "STOP_NOT_BELOW_ENTRY"),
    ],
)
def test_anchor_eligibility_table(  # noqa: PLR0917 - one parameter per table column
    avwap: float, slope: float, distance: float, reclaim: bool, stop: float, expected: str | None
) -> None:
    snapshot = AvwapSnapshot(
        avwap=np.array([[avwap]]),
        sigma=np.array([[1.0]]),
        slope=np.array([[slope]]),
        distance=np.array([[distance]]),
        reclaim=np.array([[reclaim]]),
    )
    reason, value, threshold = anchor_rejections(snapshot, np.array([stop]), ScanRules())
    assert (None if reason[0, 0] == ELIGIBLE else ANCHOR_REASONS[reason[0, 0]]) == expected
    if expected == "DISTANCE_TOO_FAR":
        assert (value[0, 0], threshold[0, 0]) == (distance, 0.06)


def test_the_stop_rule_can_be_switched_off() -> None:
    snapshot = AvwapSnapshot(
        *(np.array([[value]]) for value in (100.0, 1.0, 0.01, 0.02)), np.array([[False]])
    )
    reason, _, _ = anchor_rejections(snapshot, np.array([100.5]), ScanRules(require_stop_below_entry=False))
    assert reason[0, 0] == ELIGIBLE


def test_merged_priorities_take_the_highest_on_the_same_bar() -> None:
    # YTD and GAP share bar 5; LOW_20 and HIGH_20 share bar 9; MTD alone on 7; EARNINGS and BREAKOUT missing
    indices = np.array([[5, -1, 5, -1, 7, 9, 9]])
    assert dict(zip(ANCHOR_TYPES, merged_priorities(indices, AnchorRules())[0].tolist(), strict=True)) == {
        "YTD": 100, "EARNINGS": -1, "GAP": 100, "VOLUME_BREAKOUT": -1, "MTD": 70, "LOW_20": 50, "HIGH_20": 50,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("priority", "trend", "distance", "reclaim", "expected"),
    [
        (90, 10.0, 0.01, False, 90 + 15 - 1 + 50),  # near the AVWAP: +50
        (90, 10.0, 0.015, False, 90 + 15 - 1.5 + 50),  # 1.5% is still near
        (90, 10.0, 0.02, False, 90 + 15 - 2),
        (90, 10.0, 0.0005, False, 90 + 15 - 0.05),  # under 0.1%: no bonus
        (90, 10.0, 0.001, False, 90 + 15 - 0.1 + 50),  # 0.1% gets it
        (90, -4.0, 0.03, True, 90 - 6 - 3 + 40),  # reclaim: +40
        (100, 0.0, 0.012, True, 100 - 1.2 + 50 + 40),  # both bonuses
    ],
)
def test_score_table(priority: int, trend: float, distance: float, reclaim: bool, expected: float) -> None:
    assert anchor_scores(priority, trend, distance, reclaim, ScanRules()) == pytest.approx(expected, abs=1e-9)


def test_scores_broadcast_the_trend_score_per_symbol() -> None:
    priorities, trend = np.array([[100, 50], [100, 50]]), np.array([0.0, 10.0])
    scores = anchor_scores(priorities, trend, np.full((2, 2), 0.02), np.zeros((2, 2), bool), ScanRules())
    np.testing.assert_allclose(scores, [[98, 48], [113, 63]])


def test_best_anchor_tie_breaks() -> None:
    scores = np.array([150.0, 150.0, 150.0, 120.0])
    priorities = np.array([90, 100, 100, 100])
    indices = np.array([30, 10, 20, 40])
    eligible = np.array([True, True, True, True])
    assert best_anchor(scores, priorities, indices, eligible) == 2  # equal score: priority, then latest bar
    assert best_anchor(scores, priorities, indices, np.array([True, False, False, True])) == 0
    assert best_anchor(scores, priorities, indices, np.zeros(4, bool)) == -1


def test_best_anchors_of_many_rows_equal_the_tuple_order_of_each_row() -> None:
    """The vectorized search picks, row by row, the column Python's min over (−score, −priority, −bar,
    column) picks, ties included (few distinct values make ties common); NaN scores keep that order too."""
    rng = np.random.default_rng(3)
    shape = (400, 7)
    scores = rng.choice([100.0, 120.5, 150.0, -3.0], size=shape)
    scores[5, 2] = np.nan
    priorities = rng.choice([40, 90, 100], size=shape)
    indices = rng.choice([-1, 10, 20, 30], size=shape)
    eligible = rng.random(shape) < 0.6
    eligible[5] = True
    best = best_anchors(scores, priorities, indices, eligible)
    for row in range(shape[0]):
        columns = [column for column in range(shape[1]) if eligible[row, column]]
        key = lambda column: (-scores[row, column], -priorities[row, column], -indices[row, column], column)  # noqa: E731, B023
        assert best[row] == (min(columns, key=key) if columns else -1), row


def test_candidate_order_is_tier_then_score_then_symbol() -> None:
    rows = [0, 1, 2, 3, 4]
    tiers = [2, 1, 1, 1, 2]
    scores = [300.0, 150.0, 200.0, 150.0, 100.0]
    symbols = ["ZED", "MMM", "BBB", "AAA", "CCC"]
    # tier A first by score (BBB 200, then AAA/MMM tied at 150 by symbol), then tier B by score
    assert candidate_order(rows, tiers, scores, symbols) == [2, 3, 1, 0, 4]
