"""The rule-based classifier: levels, stress rules, hysteresis, confidence, UNKNOWN, and one pass equal to
labelling day by day."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from avwap.core.calendar import nyse
from avwap.regimes import rules as codes
from avwap.regimes.classifier import RegimeState, label_sessions, levels_of, step
from avwap.regimes.rules import Regime, RegimeRules

RULES = RegimeRules()
OFF, STRESSED, NEUTRAL, ON = 2, 3, 1, 0


def test_levels_cut_rising_and_falling_features_at_their_points() -> None:
    volatility = np.array([0.10, 0.16, 0.2399, 0.24, 0.35, 0.9, np.nan])
    assert levels_of(volatility, RULES.volatility_cuts, rising=True).tolist() == [0, 1, 1, 2, 3, 3, -1]
    trend = np.array([0.05, 0.01, 0.0, -0.02, -0.05, -0.08, -0.2, np.nan])
    assert levels_of(trend, RULES.trend_cuts, rising=False).tolist() == [0, 0, 1, 1, 2, 2, 3, -1]


@pytest.mark.parametrize(
    ("levels", "candidate", "floored"),
    [
        ((ON, ON, ON, ON), ON, False),
        ((NEUTRAL, NEUTRAL, ON, ON), NEUTRAL, False),  # 0.5 rounds up, toward caution
        ((STRESSED, ON, ON, ON), OFF, True),  # one input in crisis: at least RISK_OFF
        ((STRESSED, STRESSED, ON, ON), STRESSED, True),  # two: STRESSED (a crash before the trend turns)
        ((OFF, OFF, OFF, STRESSED), OFF, False),  # 2.25 rounds to RISK_OFF; the floor adds nothing
        ((STRESSED, STRESSED, OFF, -1), STRESSED, False),
    ],
)
def test_candidate_from_score_and_stress_rules(
    levels: tuple[int, ...], candidate: int, floored: bool
) -> None:
    result = step(RegimeState(), levels, RULES)
    assert result.candidate == candidate == result.label  # no previous label: no hysteresis
    assert (codes.STRESS_FLOOR in result.reasons) == floored


def test_escalation_is_immediate_and_de_escalation_needs_confirmation() -> None:
    state = RegimeState(label=OFF)
    worse = step(state, (STRESSED, STRESSED, OFF, OFF), RULES)
    assert worse.label == STRESSED
    calm = (ON, ON, ON, ON)
    state = RegimeState(label=OFF)
    labels = []
    for _ in range(RULES.confirm_sessions):
        result = step(state, calm, RULES)
        state = result.state
        labels.append(result.label)
    assert labels == [OFF] * (RULES.confirm_sessions - 1) + [ON]
    assert codes.HELD_BY_HYSTERESIS in step(RegimeState(label=OFF), calm, RULES).reasons


def test_a_score_inside_the_margin_holds_the_label_and_restarts_the_count() -> None:
    # from RISK_OFF (2), a score of 1.25 is not below 2 - 0.5 - 0.25: held, and the count starts over
    state = RegimeState(label=OFF, pending_sessions=2)
    result = step(state, (NEUTRAL, NEUTRAL, NEUTRAL, OFF), RULES)
    assert result.label == OFF and result.state.pending_sessions == 0 and result.candidate == NEUTRAL


def test_labels_do_not_flicker_when_the_score_oscillates_around_a_boundary() -> None:
    state = RegimeState()
    labels = []
    for index in range(40):
        levels = (OFF, OFF, NEUTRAL, NEUTRAL) if index % 2 else (OFF, NEUTRAL, NEUTRAL, NEUTRAL)
        result = step(state, levels, RULES)  # scores 1.5 and 1.25 alternate around the 1.5 boundary
        state = result.state
        labels.append(result.label)
    assert len(set(labels[1:])) == 1 and labels[-1] == OFF  # escalated once, never back


def test_confidence_is_the_inputs_agreement_and_lower_without_breadth() -> None:
    assert step(RegimeState(), (ON, ON, ON, ON), RULES).confidence == 1.0
    split = step(RegimeState(), (STRESSED, STRESSED, ON, ON), RULES)
    assert split.confidence == pytest.approx(1 - (0 + 0 + 3 + 3) / 12)
    without = step(RegimeState(), (ON, ON, ON, -1), RULES)
    assert without.confidence == pytest.approx(RULES.no_breadth_confidence)
    assert codes.BREADTH_UNAVAILABLE in without.reasons


def _market(sessions: int, seed: int) -> tuple[list[dt.date], np.ndarray, np.ndarray]:
    """A benchmark with calm, falling and crashing stretches, and a 40-symbol universe that follows it."""
    rng = np.random.default_rng(seed)
    drift = np.concatenate(
        [
            np.full(sessions // 2, 0.0008),
            np.full(sessions // 4, -0.003),
            np.full(sessions - 3 * (sessions // 4), 0.001),
        ]
    )
    noise = np.concatenate(
        [
            np.full(sessions // 2, 0.006),
            np.full(sessions // 4, 0.03),
            np.full(sessions - 3 * (sessions // 4), 0.01),
        ]
    )
    close = 100 * np.exp(np.cumsum(drift + noise * rng.standard_normal(sessions)))
    universe = close * np.exp(np.cumsum(rng.normal(0, 0.01, (40, sessions)), axis=1))
    days = nyse().sessions(dt.date(2019, 1, 2), dt.date(2022, 12, 30))[:sessions]
    return days, close, universe


def test_the_history_passes_through_every_label() -> None:
    days, close, universe = _market(700, seed=11)
    labels = {day.label for day in label_sessions(days, days, close, universe, RULES)}
    assert {Regime.UNKNOWN, Regime.RISK_ON, Regime.RISK_OFF, Regime.STRESSED} <= labels


def test_one_pass_equals_labelling_day_by_day() -> None:
    days, close, universe = _market(420, seed=5)
    sessions = nyse().sessions(days[0], days[-1])
    missing = {days[250], days[251], days[300]}  # benchmark bars missing: those days are UNKNOWN
    kept = [index for index, day in enumerate(days) if day not in missing]
    dates = [days[index] for index in kept]
    close, universe = close[kept], universe[:, kept]
    universe[7, 100:130] = np.nan
    whole = label_sessions(sessions, dates, close, universe, RULES)
    state_days = []
    for number, day in enumerate(sessions):
        count = sum(1 for item in dates if item <= day)
        seen = label_sessions(
            sessions[: number + 1], dates[:count], close[:count], universe[:, :count], RULES
        )
        state_days.append(seen[-1])
    assert state_days == whole
    assert {whole[sessions.index(day)].label for day in missing} == {Regime.UNKNOWN}
    assert whole[sessions.index(days[250])].reasons == (codes.BENCHMARK_MISSING,)


def test_unknown_until_the_longest_window_is_full() -> None:
    days, close, _ = _market(260, seed=2)
    labelled = label_sessions(days, days, close, None, RULES)
    first_known = next(index for index, day in enumerate(labelled) if day.label is not Regime.UNKNOWN)
    assert first_known == RULES.trend_slow - 1
    assert labelled[0].reasons == (codes.BENCHMARK_HISTORY_SHORT,) and labelled[0].confidence == 0.0
    assert all(codes.BREADTH_UNAVAILABLE in day.reasons for day in labelled[first_known:])
    assert max(day.confidence for day in labelled) <= RULES.no_breadth_confidence


def test_a_benchmark_split_is_unknown_not_a_crash() -> None:
    days, close, _ = _market(500, seed=4)
    close = close.copy()
    close[300:] /= 4.0  # an unadjusted 4:1 split
    labelled = label_sessions(days, days, close, None, RULES)
    assert labelled[299].label is not Regime.UNKNOWN
    broken = labelled[300 : 300 + RULES.history_needed]
    assert {day.label for day in broken} == {Regime.UNKNOWN}
    assert {day.reasons for day in broken} == {(codes.BENCHMARK_DISCONTINUITY,)}
    assert Regime.STRESSED not in {day.label for day in labelled[300:]}


def test_nan_features_never_become_a_label() -> None:
    days, close, _ = _market(300, seed=8)
    close = close.copy()
    close[250] = np.nan
    labelled = label_sessions(days, days, close, None, RULES)
    assert labelled[250].label is Regime.UNKNOWN


def test_same_inputs_same_labels() -> None:
    days, close, universe = _market(400, seed=9)
    assert label_sessions(days, days, close, universe, RULES) == label_sessions(
        days, days, close, universe, RULES
    )
