"""The estimators of a causal analysis, on arrays: naive difference, IPW and AIPW, with date-clustered
bootstrap intervals and covariate balance.

Given per row the treatment ``t`` (0/1), the outcome ``y`` and the cross-fitted nuisances (propensity ``e`` =
P(t=1 | confounders), outcome predictions ``mu1``/``mu0`` under treatment and control):

* naive: mean(y | t=1) - mean(y | t=0), what a plain comparison shows;
* IPW (Hajek, normalized weights): the two means reweighted by 1/e and 1/(1-e);
* AIPW (doubly robust): the mean of psi = mu1 - mu0 + t (y - mu1)/e - (1 - t)(y - mu0)/(1 - e), right when
  either the propensity or the outcome model is.

Candidates of one as-of date share the market of that day, so rows are not independent: the intervals
resample whole dates (a cluster bootstrap). Every estimate is a ratio of per-date sums, so one multinomial
draw of date counts per replicate (seeded) gives all three at once, without copying rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
CONFIDENCE: Final = 0.95
ESTIMATORS: Final = ("naive", "ipw", "aipw")


@dataclass(frozen=True)
class Nuisance:
    """Per row: treatment, outcome, propensity and the two outcome predictions, and the row's date index."""

    treated: npt.NDArray[np.bool_]
    outcome: FloatArray
    propensity: FloatArray
    mu_treated: FloatArray
    mu_control: FloatArray
    date_index: npt.NDArray[np.int64]

    def subset(self, rows: npt.NDArray[np.bool_]) -> Nuisance:
        _, dates = np.unique(self.date_index[rows], return_inverse=True)
        return Nuisance(
            self.treated[rows], self.outcome[rows], self.propensity[rows], self.mu_treated[rows],
            self.mu_control[rows], dates.astype(np.int64),
        )  # fmt: skip


def influence(n: Nuisance) -> FloatArray:
    """psi per row (its mean is the AIPW estimate)."""
    t = n.treated.astype(np.float64)
    e = n.propensity
    return (
        n.mu_treated
        - n.mu_control
        + t * (n.outcome - n.mu_treated) / e
        - (1 - t) * (n.outcome - n.mu_control) / (1 - e)
    )


def _date_sums(n: Nuisance) -> FloatArray:
    """Per date (rows) the sums every estimator is a ratio of (columns)."""
    t = n.treated.astype(np.float64)
    c = 1.0 - t
    e, y = n.propensity, n.outcome
    columns = (
        t * y, t, c * y, c,  # naive
        t * y / e, t / e, c * y / (1 - e), c / (1 - e),  # IPW (Hajek)
        influence(n), np.ones_like(y),  # AIPW
    )  # fmt: skip
    dates = int(n.date_index.max()) + 1 if len(n.date_index) else 0
    sums = np.zeros((dates, len(columns)), dtype=np.float64)
    for column, values in enumerate(columns):
        sums[:, column] = np.bincount(n.date_index, weights=values, minlength=dates)
    return sums


def _ratios(totals: FloatArray) -> FloatArray:
    """(naive, ipw, aipw) of summed columns; the last axis holds the columns of :func:`_date_sums`."""
    with np.errstate(invalid="ignore", divide="ignore"):
        naive = totals[..., 0] / totals[..., 1] - totals[..., 2] / totals[..., 3]
        ipw = totals[..., 4] / totals[..., 5] - totals[..., 6] / totals[..., 7]
        aipw = totals[..., 8] / totals[..., 9]
    return np.stack([naive, ipw, aipw], axis=-1)


def estimates(n: Nuisance, *, replicates: int, seed: int) -> dict[str, dict[str, float]]:
    """Each estimator's point estimate, bootstrap standard error and 95 % percentile interval."""
    sums = _date_sums(n)
    point = _ratios(sums.sum(axis=0))
    dates = len(sums)
    counts = np.random.default_rng(seed).multinomial(dates, np.full(dates, 1.0 / dates), size=replicates)
    draws = _ratios(counts.astype(np.float64) @ sums)  # replicates x 3
    tail = (1 - CONFIDENCE) / 2
    result = {}
    for column, name in enumerate(ESTIMATORS):
        finite = draws[:, column][np.isfinite(draws[:, column])]  # a replicate without one group has no value
        low, high = np.quantile(finite, [tail, 1 - tail]) if len(finite) else (np.nan, np.nan)
        result[name] = {
            "effect": float(point[column]),
            "standard_error": float(finite.std(ddof=1)) if len(finite) > 1 else float("nan"),
            "ci_low": float(low),
            "ci_high": float(high),
        }
    return result


def standardized_differences(
    matrix: FloatArray, treated: npt.NDArray[np.bool_], weights: FloatArray | None = None
) -> FloatArray:
    """Per column (mean treated - mean control) / sqrt((var treated + var control) / 2), optionally
    weighted; rows without a value in a column are left out of that column; a constant column gives 0."""
    weights = np.ones(len(treated)) if weights is None else weights
    result = np.zeros(matrix.shape[1], dtype=np.float64)
    for column in range(matrix.shape[1]):
        values = matrix[:, column]
        finite = np.isfinite(values)
        groups = [finite & treated, finite & ~treated]
        if not all(group.any() for group in groups):
            result[column] = np.nan
            continue
        means, variances = [], []
        for group in groups:
            mean = np.average(values[group], weights=weights[group])
            means.append(mean)
            variances.append(np.average((values[group] - mean) ** 2, weights=weights[group]))
        spread = np.sqrt((variances[0] + variances[1]) / 2)
        result[column] = (means[0] - means[1]) / spread if spread > 0 else 0.0
    return result
