"""Purged, embargoed walk-forward cross-validation and the leakage checks run on its folds.

The distinct as-of dates are cut into ``folds + 1`` contiguous blocks; fold ``k`` tests on block ``k`` and
trains only on samples before it. Two rules keep the label of a training sample from seeing the test period:

* purge: a training sample whose label became known on or after the first test date is dropped (its label
  window overlaps the test window);
* embargo: training samples from the last ``embargo`` as-of dates before the test block are dropped too, so
  slowly-varying features shared across the boundary cannot carry the test period's outcome back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

import msgspec
import numpy as np
import numpy.typing as npt

from avwap.core.errors import DataError

IndexArray = npt.NDArray[np.int64]
LEAK_AUC_MARGIN: Final = 0.35  # one feature alone ranking the label with AUC >= 0.85 (or <= 0.15) is a leak
LEAK_REASON: Final = "ML_FEATURE_LEAKS_LABEL"


class Fold(msgspec.Struct, frozen=True, kw_only=True):
    """One walk-forward split: row indices and the date range tested."""

    number: int
    train: tuple[int, ...]
    test: tuple[int, ...]
    test_start: dt.date
    test_end: dt.date


def walk_forward_folds(
    as_of: Sequence[dt.date], label_known: Sequence[dt.date], *, folds: int = 5, embargo: int = 5
) -> list[Fold]:
    """The purged, embargoed walk-forward folds of samples with these as-of and label-known dates."""
    dates = sorted(set(as_of))
    if len(dates) < 2 * (folds + 1):
        raise DataError(f"{len(dates)} as-of dates are too few for {folds} walk-forward folds")
    as_of_days = np.array(as_of, dtype="datetime64[D]")
    known_days = np.array(label_known, dtype="datetime64[D]")
    blocks = np.array_split(np.array(dates, dtype="datetime64[D]"), folds + 1)
    result = []
    for number, block in enumerate(blocks[1:], 1):
        start, end = block[0], block[-1]
        cut = dates.index(start.astype(dt.date))
        embargo_start = np.datetime64(dates[max(cut - embargo, 0)], "D")
        train = (as_of_days < embargo_start) & (known_days < start)
        test = (as_of_days >= start) & (as_of_days <= end)
        result.append(
            Fold(
                number=number,
                train=tuple(np.flatnonzero(train).tolist()),
                test=tuple(np.flatnonzero(test).tolist()),
                test_start=start.astype(dt.date),
                test_end=end.astype(dt.date),
            )
        )
    return result


def overlapping(fold: Fold, as_of: Sequence[dt.date], label_known: Sequence[dt.date]) -> list[int]:
    """Training rows whose label window [as_of, label_known] overlaps the fold's test window."""
    return [row for row in fold.train if label_known[row] >= fold.test_start and as_of[row] <= fold.test_end]


def univariate_auc(values: npt.NDArray[np.float64], labels: npt.NDArray[np.bool_]) -> float:
    """AUC of ranking ``labels`` by ``values`` alone (ties count half; NaN rows dropped; NaN if one class)."""
    finite = np.isfinite(values)
    values, labels = values[finite], labels[finite]
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    order = values.argsort(kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    sorted_values = values[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_values, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    return float((ranks[labels].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def leaking_features(
    matrix: npt.NDArray[np.float64],
    labels: npt.NDArray[np.bool_],
    names: Sequence[str],
    folds: Sequence[Fold],
) -> dict[str, float]:
    """Features that alone separate the label on the test folds too well to be honest: name -> mean AUC."""
    flagged = {}
    for column, name in enumerate(names):
        scores = [univariate_auc(matrix[list(fold.test), column], labels[list(fold.test)]) for fold in folds]
        mean = float(np.nanmean(scores)) if np.isfinite(scores).any() else float("nan")
        if np.isfinite(mean) and abs(mean - 0.5) >= LEAK_AUC_MARGIN:
            flagged[name] = round(mean, 4)
    return flagged
