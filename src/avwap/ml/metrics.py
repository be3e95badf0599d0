"""Out-of-sample metrics of one fold, with seeded bootstrap confidence intervals.

AUC; calibration (Brier score and expected calibration error over 10 probability bins); precision at top-k
(the share of R1 hits among the ``top_fraction`` highest-scored candidates); and the lift of those
candidates' mean forward R over the mean forward R of all candidates of the fold.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from avwap.ml.validation import univariate_auc

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
TOP_FRACTION: Final = 0.1
BOOTSTRAP_SAMPLES: Final = 200
CALIBRATION_BINS: Final = 10


def expected_calibration_error(probabilities: FloatArray, labels: BoolArray) -> float:
    bins = np.minimum((probabilities * CALIBRATION_BINS).astype(np.int64), CALIBRATION_BINS - 1)
    error = 0.0
    for index in range(CALIBRATION_BINS):
        inside = bins == index
        if inside.any():
            error += inside.mean() * abs(probabilities[inside].mean() - labels[inside].mean())
    return float(error)


def _top(scores: FloatArray, fraction: float) -> npt.NDArray[np.int64]:
    count = max(1, round(len(scores) * fraction))
    return np.argsort(-scores, kind="stable")[:count]


def point_metrics(probabilities: FloatArray, labels: BoolArray, forward_r: FloatArray) -> dict[str, float]:
    top = _top(probabilities, TOP_FRACTION)
    return {
        "auc": univariate_auc(probabilities, labels),
        "brier": float(np.mean((probabilities - labels) ** 2)),
        "ece": expected_calibration_error(probabilities, labels),
        "base_rate": float(labels.mean()),
        "precision_at_top": float(labels[top].mean()),
        "mean_r_top": float(forward_r[top].mean()),
        "mean_r_all": float(forward_r.mean()),
        "lift_r": float(forward_r[top].mean() - forward_r.mean()),
    }


def fold_metrics(
    probabilities: FloatArray, labels: BoolArray, forward_r: FloatArray, *, seed: int
) -> dict[str, Any]:
    """Point metrics and 95% bootstrap intervals (resampling the fold's candidates, seeded)."""
    point = point_metrics(probabilities, labels, forward_r)
    generator = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {name: [] for name in ("auc", "precision_at_top", "lift_r")}
    for _ in range(BOOTSTRAP_SAMPLES):
        rows = generator.integers(0, len(labels), len(labels))
        sample = point_metrics(probabilities[rows], labels[rows], forward_r[rows])
        for name, values in draws.items():
            values.append(sample[name])
    intervals = {
        name: [
            round(float(np.nanpercentile(values, 2.5)), 4),
            round(float(np.nanpercentile(values, 97.5)), 4),
        ]
        for name, values in draws.items()
    }
    return {
        "samples": len(labels),
        **{name: round(value, 4) for name, value in point.items()},
        "ci95": intervals,
    }
