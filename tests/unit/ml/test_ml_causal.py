"""Causal analysis (Phase F): planted effects recovered through confounding, refutations, refusals, bytes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from avwap.core.canonical import canonical_json
from avwap.core.errors import ConfigurationError, DataError
from avwap.ml.causal import FLAG_OVERLAP, CausalSettings, analyse, crossfit_folds
from avwap.ml.causal_estimate import Nuisance, estimates, standardized_differences
from avwap.ml.causal_question import default_confounders, parse_treatment
from avwap.ml.features import ANCHOR_COLUMNS, FEATURE_COLUMNS, REGIME_COLUMNS

FAST = CausalSettings(replicates=200)


def confounded(
    effect: float, *, seed: int = 0, days: int = 120, symbols: int = 30, strength: float = 0.5
) -> pd.DataFrame:
    """Candidate rows where a strong trend both makes a small distance likely and raises forward R:
    ``distance<0`` is the treatment, ``trend_score`` its confounder, plus a shock common to each day."""
    generator = np.random.default_rng(seed)
    start = dt.date(2024, 1, 2)
    dates = [start + dt.timedelta(days=index) for index in range(days)]
    rows = days * symbols
    trend = generator.standard_normal(rows)
    distance = -strength * trend + 0.6 * generator.standard_normal(rows)
    treated = distance < 0
    shock = np.repeat(0.3 * generator.standard_normal(days), symbols)
    forward_r = effect * treated + 1.0 * trend + shock + 0.5 * generator.standard_normal(rows)
    frame = pd.DataFrame({name: generator.standard_normal(rows) for name in FEATURE_COLUMNS})
    for name in (*ANCHOR_COLUMNS, *REGIME_COLUMNS):
        frame[name] = 0.0
    frame["earnings_age_bars"] = np.nan  # no earnings calendar: a column without a single value
    frame["trend_score"], frame["distance"] = trend, distance
    frame["as_of"] = np.repeat(dates, symbols)
    frame["symbol"] = [f"S{index:03d}" for index in range(symbols)] * days
    frame["label_known"] = [day + dt.timedelta(days=14) for day in frame["as_of"]]
    frame["forward_r"], frame["hit_r1"] = forward_r, forward_r > 1
    frame["regime"] = np.where(np.arange(rows) % 2 == 0, "RISK_ON", "RISK_OFF")
    return frame


def _report(frame: pd.DataFrame, settings: CausalSettings = FAST, text: str = "distance<0") -> dict:
    treatment = parse_treatment(text)
    return analyse(frame, treatment, default_confounders(treatment), "forward_r", settings)


def test_a_planted_effect_is_recovered_where_the_plain_comparison_is_confounded() -> None:
    report = _report(confounded(0.5))
    naive, aipw, ipw = (report["estimates"][name] for name in ("naive", "aipw", "ipw"))
    assert naive["effect"] > 0.8  # the trend that makes the setup likely also raises R
    assert abs(aipw["effect"] - 0.5) < 0.1 and aipw["ci_low"] < 0.5 < aipw["ci_high"]
    assert abs(ipw["effect"] - 0.5) < 0.25
    assert report["estimates"]["naive"]["ci_low"] > 0.5  # the plain comparison excludes the truth
    assert "distance<0.0" in report["conclusion"] and "distinguishable from zero" in report["conclusion"]
    balance = {row["confounder"]: row for row in report["balance"]}
    assert abs(balance["trend_score"]["smd_raw"]) > 1.0  # the groups differ in trend ...
    assert abs(balance["trend_score"]["smd_weighted"]) < 0.1  # ... and not once weighted
    assert balance["earnings_age_bars"]["smd_raw"] is None  # no value in any row: no difference to state


def test_no_effect_gives_an_interval_around_zero_and_the_refutations_hold() -> None:
    report = _report(confounded(0.0, seed=3))
    aipw = report["estimates"]["aipw"]
    assert aipw["ci_low"] < 0 < aipw["ci_high"] and "not distinguishable" in report["conclusion"]
    placebo = report["refutations"]["placebo_shuffled_within_dates"]
    assert placebo["ci_low"] < 0 < placebo["ci_high"]
    assert abs(report["refutations"]["random_common_cause"]["change"]) < 0.05
    assert report["flags"] == []


def test_the_placebo_of_a_real_effect_is_null_and_both_halves_see_the_effect() -> None:
    report = _report(confounded(0.6, seed=5))
    placebo = report["refutations"]["placebo_shuffled_within_dates"]
    assert placebo["ci_low"] < 0 < placebo["ci_high"]
    first, second = report["refutations"]["halves"]
    assert first["to"] == second["after"] and first["ci_low"] > 0 and second["ci_low"] > 0


def test_the_report_is_byte_identical_on_a_rerun_and_depends_on_the_seed() -> None:
    frame = confounded(0.5, seed=7)
    first, second = canonical_json(_report(frame)), canonical_json(_report(frame))
    assert first == second
    other = canonical_json(_report(frame, CausalSettings(replicates=200, seed=1)))
    assert other != first


def test_hardly_comparable_groups_are_trimmed_and_flagged() -> None:
    report = _report(confounded(0.5, seed=2, strength=4.0))  # the trend nearly decides the setup
    trimmed = report["overlap"]["trimmed"]
    assert trimmed["treated"] + trimmed["control"] > 0.1 * report["data"]["rows"]
    assert FLAG_OVERLAP in report["flags"] and "do not rely on it" in report["conclusion"]
    assert report["data"]["rows_used"] == report["data"]["rows"] - trimmed["treated"] - trimmed["control"]


def test_no_training_row_of_a_fold_has_a_label_window_reaching_its_test_block() -> None:
    frame = confounded(0.0, days=60)
    as_of, known = list(frame["as_of"]), list(frame["label_known"])
    folds = crossfit_folds(as_of, known, folds=5, embargo=3)
    tested = sorted(row for fold in folds for row in fold.test)
    assert tested == list(range(len(frame)))  # every row is predicted once, by models that never saw it
    for fold in folds:
        assert not set(fold.train) & set(fold.test)
        for row in fold.train:
            window_overlaps = known[row] >= fold.test_start and as_of[row] <= fold.test_end
            assert not window_overlaps
            after = as_of[row] > fold.test_end
            assert not after or as_of[row] > fold.test_end + dt.timedelta(days=3)  # embargo after the block


def test_the_cluster_bootstrap_resamples_whole_days() -> None:
    treated = np.array([True, False] * 50)
    outcome = np.where(treated, 1.0, 0.0)
    day = np.repeat(np.arange(10), 10).astype(np.int64)
    half = np.full(100, 0.5)
    nuisance = Nuisance(treated, outcome, half, np.ones(100), np.zeros(100), day)
    found = estimates(nuisance, replicates=100, seed=0)
    for name in ("naive", "ipw", "aipw"):  # the same difference every day: no spread at all
        assert found[name]["effect"] == pytest.approx(1.0)
        assert found[name]["ci_low"] == pytest.approx(1.0) and found[name]["ci_high"] == pytest.approx(1.0)


def test_standardized_differences_weighting_can_balance_a_column() -> None:
    values = np.array([[1.0], [3.0], [1.0], [1.0], [3.0]])
    treated = np.array([True, True, False, False, False])
    assert standardized_differences(values, treated)[0] == pytest.approx(
        0.3430, abs=1e-3
    )  # (2 - 5/3) / sqrt((1 + 8/9) / 2)
    weights = np.array([1.0, 1.0, 0.75, 0.75, 1.5])  # control's weighted mean moves to 2
    assert standardized_differences(values, treated, weights)[0] == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("text", "variable"),
    [
        ("distance", "--treatment"),
        ("nonsense<1", "--treatment"),
        ("distance<abc", "--treatment"),
        ("distance<nan", "--treatment"),
        ("regime<RISK_ON", "--treatment"),
    ],
)
def test_a_malformed_treatment_is_refused_naming_the_option(text: str, variable: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_treatment(text)
    assert raised.value.variable == variable


def test_the_default_confounders_leave_out_the_treatment_group_and_the_scan_composites() -> None:
    anchors = default_confounders(parse_treatment(f"{ANCHOR_COLUMNS[0]}==1"))
    assert not set(ANCHOR_COLUMNS) & set(anchors) and "anchor_priority" not in anchors  # the type's priority
    assert "rank" not in anchors and "score" not in anchors and "anchor_age_days" in anchors
    regime = default_confounders(parse_treatment("regime==RISK_OFF"))
    assert not set(REGIME_COLUMNS) & set(regime) and "trend_score" in regime


def test_a_text_treatment_and_too_small_groups() -> None:
    frame = confounded(0.0, days=40)
    report = _report(frame, text="regime==RISK_OFF")
    assert report["treatment"]["treated"] == report["treatment"]["control"] == len(frame) // 2
    with pytest.raises(DataError, match="each group needs"):
        _report(frame, text="distance<-100")
