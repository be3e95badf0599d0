"""Purged walk-forward folds, the planted-leak check, metrics, and the deterministic model with its card."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.unit.ml.market import features_and_labels

from avwap.core.errors import DataError
from avwap.ml.features import FEATURE_COLUMNS
from avwap.ml.metrics import fold_metrics
from avwap.ml.model import join
from avwap.ml.training import CARD_FILE, MODEL_FILE, advisory_scores, cross_validate, train
from avwap.ml.validation import LEAK_REASON, overlapping, univariate_auc, walk_forward_folds


def _dataset() -> pd.DataFrame:
    features, labels = features_and_labels()
    return join(features, labels)


def test_no_training_sample_has_a_label_window_overlapping_its_test_fold() -> None:
    dataset = _dataset()
    as_of, known = list(dataset["as_of"]), list(dataset["label_known"])
    folds = walk_forward_folds(as_of, known, folds=5, embargo=5)
    unpurged = walk_forward_folds(as_of, [day - dt.timedelta(days=365) for day in known], folds=5, embargo=0)
    assert len(folds) == 5
    for fold, loose in zip(folds, unpurged, strict=True):
        assert overlapping(fold, as_of, known) == []
        assert overlapping(loose, as_of, known) != []  # without purge and embargo the windows do overlap
        assert max(known[row] for row in fold.train) < fold.test_start
        assert set(fold.train).isdisjoint(fold.test)
        assert len(fold.train) < len(loose.train)


def test_the_univariate_auc_matches_the_rank_definition() -> None:
    from sklearn.metrics import roc_auc_score

    generator = np.random.default_rng(3)
    values = np.round(generator.normal(size=500), 1)  # ties on purpose
    labels = generator.random(500) < 0.4
    assert univariate_auc(values, labels) == pytest.approx(roc_auc_score(labels, values))


def test_a_planted_feature_that_leaks_the_label_is_flagged() -> None:
    dataset = _dataset()
    clean = cross_validate(dataset, kind="logistic", seed=1)
    assert clean["flags"] == [] and clean["leaking_features"] == {}
    generator = np.random.default_rng(0)
    dataset["planted"] = dataset["hit_r1"].astype(float) + generator.normal(0, 0.3, len(dataset))
    leaky = cross_validate(dataset, kind="logistic", seed=1, columns=(*FEATURE_COLUMNS, "planted"))
    assert leaky["flags"] == [LEAK_REASON]
    assert list(leaky["leaking_features"]) == ["planted"]
    assert leaky["mean"]["auc"] > clean["mean"]["auc"] + 0.2


def test_fold_metrics_of_a_perfect_and_a_useless_score() -> None:
    labels = np.array([True, False] * 50)
    forward_r = np.where(labels, 1.0, -1.0)
    perfect = fold_metrics(labels.astype(float), labels, forward_r, seed=1)
    assert (perfect["auc"], perfect["precision_at_top"], perfect["lift_r"]) == (1.0, 1.0, 1.0)
    useless = fold_metrics(np.full(100, 0.5), labels, forward_r, seed=1)
    assert useless["auc"] == 0.5 and useless["ece"] == 0.0
    assert useless["ci95"]["auc"] == [0.5, 0.5]


@pytest.mark.parametrize("kind", ["logistic", "gbt"])
def test_training_is_deterministic_and_writes_a_model_card_with_hashes(tmp_path: Path, kind: str) -> None:
    features, labels = features_and_labels()
    first = train(features, labels, tmp_path / "a", kind=kind, seed=5, input_hashes={"features": "x"})
    second = train(features, labels, tmp_path / "b", kind=kind, seed=5, input_hashes={"features": "x"})
    assert (tmp_path / "a" / MODEL_FILE).read_bytes() == (tmp_path / "b" / MODEL_FILE).read_bytes()
    assert (tmp_path / "a" / CARD_FILE).read_bytes() == (tmp_path / "b" / CARD_FILE).read_bytes()
    card = json.loads((tmp_path / "a" / CARD_FILE).read_text())
    assert card == json.loads(json.dumps(first, default=str)) and first["hashes"] == second["hashes"]
    assert card["advisory_only"] is True and card["features"] == list(FEATURE_COLUMNS)
    assert len(card["validation"]["folds"]) == 5
    assert {"auc", "ece", "brier", "precision_at_top", "lift_r", "ci95"} <= set(
        card["validation"]["folds"][0]
    )
    day = max(features["as_of"])
    scores = advisory_scores(tmp_path / "a", features, day)
    assert [row["symbol"] for row in scores["scores"]] == list(features[features["as_of"] == day]["symbol"])
    assert all(0.0 <= row["p_hit_r1"] <= 1.0 for row in scores["scores"])


def test_a_model_file_that_differs_from_its_card_is_refused(tmp_path: Path) -> None:
    features, labels = features_and_labels()
    train(features, labels, tmp_path, kind="logistic", seed=1)
    (tmp_path / MODEL_FILE).write_bytes((tmp_path / MODEL_FILE).read_bytes() + b"\0")
    with pytest.raises(DataError, match="ML_MODEL_HASH_MISMATCH"):
        advisory_scores(tmp_path, features, max(features["as_of"]))
