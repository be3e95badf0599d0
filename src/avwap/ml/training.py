"""Validate, train and score: the model card and the advisory scores.

``validate`` runs the purged walk-forward folds (metrics per fold, leakage flags); ``train`` does the same
and then fits on every labelled row, writing ``model.pkl`` and ``model_card.json`` side by side: the card
holds the data range, features, CV scheme, per-fold metrics with intervals, and the sha256 of the model file
and of the feature and label tables. ``score`` refuses a model whose bytes differ from its card.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from avwap.core.canonical import canonical_json
from avwap.core.errors import DataError
from avwap.ml.features import FEATURE_COLUMNS, FEATURE_SET_VERSION
from avwap.ml.metrics import TOP_FRACTION, fold_metrics
from avwap.ml.model import design, join, make_estimator, probabilities
from avwap.ml.validation import LEAK_REASON, leaking_features, walk_forward_folds

if TYPE_CHECKING:
    import pandas as pd

CARD_VERSION: Final = 1
MODEL_FILE: Final = "model.pkl"
CARD_FILE: Final = "model_card.json"


def cross_validate(
    dataset: pd.DataFrame,
    *,
    kind: str,
    seed: int,
    folds: int = 5,
    embargo: int = 5,
    columns: tuple[str, ...] = FEATURE_COLUMNS,
) -> dict[str, Any]:
    """Out-of-sample metrics of each purged walk-forward fold, their mean, and the leakage flags."""
    as_of, known = list(dataset["as_of"]), list(dataset["label_known"])
    splits = walk_forward_folds(as_of, known, folds=folds, embargo=embargo)
    matrix, labels = design(dataset, columns), dataset["hit_r1"].to_numpy(dtype=bool)
    forward_r = dataset["forward_r"].to_numpy(dtype=np.float64)
    per_fold: list[dict[str, Any]] = []
    for fold in splits:
        train, test = list(fold.train), list(fold.test)
        if len(set(labels[train].tolist())) < 2 or not test:
            raise DataError(f"walk-forward fold {fold.number} has one label class or no test rows")
        estimator = make_estimator(kind, seed).fit(matrix[train], labels[train])
        scores = probabilities(estimator, matrix[test])
        metrics = fold_metrics(scores, labels[test], forward_r[test], seed=seed + fold.number)
        per_fold.append(
            {"fold": fold.number, "train": len(train), "test_from": fold.test_start,
             "test_to": fold.test_end, **metrics}
        )  # fmt: skip
    leaks = leaking_features(matrix, labels, columns, splits)
    summary = {
        name: round(float(np.nanmean([float(fold[name]) for fold in per_fold])), 4)
        for name in (
            "auc",
            "brier",
            "ece",
            "precision_at_top",
            "base_rate",
            "lift_r",
            "mean_r_top",
            "mean_r_all",
        )
    }
    return {
        "scheme": {"kind": "purged embargoed walk-forward", "folds": folds, "embargo_as_of_dates": embargo,
                   "purge": "train label_known < first test as-of date", "top_fraction": TOP_FRACTION},
        "folds": per_fold,
        "mean": summary,
        "leaking_features": leaks,
        "flags": [LEAK_REASON] if leaks else [],
    }  # fmt: skip


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def model_card(
    dataset: pd.DataFrame, validation: dict[str, Any], *, kind: str, seed: int, hashes: dict[str, str]
) -> dict[str, Any]:
    return {
        "card_version": CARD_VERSION,
        "advisory_only": True,
        "model": {"kind": kind, "seed": seed, "target": "hit_r1 (R1 before stop within the label horizon)"},
        "data": {
            "from": min(dataset["as_of"]),
            "to": max(dataset["as_of"]),
            "last_label_known": max(dataset["label_known"]),
            "rows": len(dataset),
            "symbols": int(dataset["symbol"].nunique()),
        },
        "feature_set_version": FEATURE_SET_VERSION,
        "features": list(FEATURE_COLUMNS),
        "validation": validation,
        "hashes": hashes,
    }


def train(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    out_dir: Path,
    *,
    kind: str,
    seed: int,
    folds: int = 5,
    embargo: int = 5,
    input_hashes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Validate, fit on every labelled row, write the model and its card; returns the card."""
    dataset = join(features, labels)
    validation = cross_validate(dataset, kind=kind, seed=seed, folds=folds, embargo=embargo)
    estimator = make_estimator(kind, seed).fit(design(dataset), dataset["hit_r1"].to_numpy(dtype=bool))
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / MODEL_FILE
    model_path.write_bytes(pickle.dumps(estimator, protocol=5))
    hashes = {**(input_hashes or {}), "model_sha256": _sha256(model_path)}
    card = model_card(dataset, validation, kind=kind, seed=seed, hashes=hashes)
    (out_dir / CARD_FILE).write_bytes(canonical_json(card) + b"\n")
    return card


def load_model(model_dir: Path) -> tuple[Any, dict[str, Any]]:
    """The fitted model and its card; a model file whose sha256 is not the card's is refused."""
    import json

    try:
        card = json.loads((model_dir / CARD_FILE).read_text())
        data = (model_dir / MODEL_FILE).read_bytes()
    except (OSError, ValueError) as error:
        raise DataError(f"cannot read the model in {model_dir}: {error}") from None
    if hashlib.sha256(data).hexdigest() != card["hashes"]["model_sha256"]:
        raise DataError(
            f"ML_MODEL_HASH_MISMATCH: {model_dir / MODEL_FILE} is not the model its card describes"
        )
    if card["feature_set_version"] != FEATURE_SET_VERSION:
        raise DataError(
            f"model trained on feature set {card['feature_set_version']}, not {FEATURE_SET_VERSION}"
        )
    return pickle.loads(data), card


def advisory_scores(model_dir: Path, features: pd.DataFrame, as_of: dt.date) -> dict[str, Any]:
    """The advisory scores artifact of one as-of date: each candidate's P(R1 before stop), by rank."""
    estimator, card = load_model(model_dir)
    rows = features[features["as_of"] == as_of].sort_values("rank", kind="stable")
    scores = probabilities(estimator, design(rows)) if len(rows) else np.array([])
    return {
        "as_of": as_of,
        "advisory_only": True,
        "model_sha256": card["hashes"]["model_sha256"],
        "feature_set_version": FEATURE_SET_VERSION,
        "scores": [
            {"symbol": symbol, "rank": int(rank), "p_hit_r1": round(float(score), 4)}
            for symbol, rank, score in zip(rows["symbol"], rows["rank"], scores, strict=True)
        ],
    }
