"""Causal analysis of the feature store (Phase F, advisory only): what a setup condition does to the
outcome once the observed confounders are adjusted for.

The nuisance models are cross-fitted: the as-of dates are cut into ``folds`` contiguous blocks, and each
block's propensities and outcome predictions come from models fitted on the other blocks, purged of rows
whose label window overlaps the block (:func:`avwap.ml.validation.overlapping`, the rule the walk-forward
validation uses) and embargoed for ``embargo`` as-of dates after it. Rows whose propensity falls outside
``[trim, 1 - trim]`` have no comparable rows in the other group and are left out (counted in the report).
Refutations: a placebo (the treatment shuffled within each as-of date: the effect must vanish), a random
common cause (a noise column added to the confounders: the effect must not move) and the two halves of the
period (is the effect stable in time?). The report says what the numbers are and are not: adjustment for
the observed features only; an unobserved cause of both the setup and the outcome is not adjusted for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from avwap.core.errors import DataError
from avwap.ml.causal_estimate import Nuisance, estimates, standardized_differences
from avwap.ml.causal_question import Treatment, outcome_values
from avwap.ml.model import design, make_estimator, make_regressor, probabilities
from avwap.ml.validation import Fold, overlapping

if TYPE_CHECKING:
    import pandas as pd

REPORT_VERSION: Final = 1
MIN_GROUP_ROWS: Final = 20
POOR_OVERLAP_SHARE: Final = 0.10  # more than this share of rows trimmed: the groups are hardly comparable
IMBALANCE_LIMIT: Final = 0.10  # |standardized difference| after weighting, the usual threshold
FLAG_OVERLAP, FLAG_IMBALANCE, FLAG_PLACEBO = (
    "CAUSAL_POOR_OVERLAP",
    "CAUSAL_IMBALANCE",
    "CAUSAL_PLACEBO_NOT_NULL",
)


@dataclass(frozen=True)
class CausalSettings:
    model: str = "logistic"
    folds: int = 5
    embargo: int = 5
    trim: float = 0.05
    replicates: int = 500
    seed: int = 0


def crossfit_folds(
    as_of: list[dt.date], label_known: list[dt.date], *, folds: int, embargo: int
) -> list[Fold]:
    """Every row tested once: block k's models train on the other blocks, purged and embargoed."""
    dates = sorted(set(as_of))
    if len(dates) < 2 * folds:
        raise DataError(f"{len(dates)} as-of dates are too few for {folds} cross-fitting folds")
    position = {day: index for index, day in enumerate(dates)}
    row_dates = np.array([position[day] for day in as_of], dtype=np.int64)
    result = []
    for number, block in enumerate(np.array_split(np.arange(len(dates)), folds), 1):
        first, last = int(block[0]), int(block[-1])
        test = (row_dates >= first) & (row_dates <= last)
        embargoed = (row_dates > last) & (row_dates <= last + embargo)
        candidate = Fold(
            number=number,
            train=tuple(np.flatnonzero(~test & ~embargoed).tolist()),
            test=tuple(np.flatnonzero(test).tolist()),
            test_start=dates[first],
            test_end=dates[last],
        )
        purged = set(overlapping(candidate, as_of, label_known))
        train = tuple(row for row in candidate.train if row not in purged)
        result.append(
            Fold(
                number=number,
                train=train,
                test=candidate.test,
                test_start=candidate.test_start,
                test_end=candidate.test_end,
            )
        )
    return result


def _nuisance(
    matrix: npt.NDArray[np.float64],
    treated: npt.NDArray[np.bool_],
    outcome: npt.NDArray[np.float64],
    splits: list[Fold],
    settings: CausalSettings,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Cross-fitted (propensity, outcome under treatment, outcome under control) per row."""
    propensity, mu_treated, mu_control = (np.full(len(treated), np.nan) for _ in range(3))
    for fold in splits:
        train, test = np.array(fold.train, dtype=np.int64), np.array(fold.test, dtype=np.int64)
        groups = [train[treated[train]], train[~treated[train]]]
        if min(len(group) for group in groups) < MIN_GROUP_ROWS:
            raise DataError(
                f"cross-fitting fold {fold.number} trains on fewer than {MIN_GROUP_ROWS} rows of a group"
            )
        model = make_estimator(settings.model, settings.seed).fit(matrix[train], treated[train])
        propensity[test] = probabilities(model, matrix[test])
        for group, target in zip(groups, (mu_treated, mu_control), strict=True):
            regressor = make_regressor(settings.model, settings.seed).fit(matrix[group], outcome[group])
            target[test] = regressor.predict(matrix[test])
    return propensity, mu_treated, mu_control


@dataclass(frozen=True)
class Sample:
    """The rows with a treatment value, as arrays: confounders, treatment, outcome, as-of date index."""

    rows: pd.DataFrame
    matrix: npt.NDArray[np.float64]
    treated: npt.NDArray[np.bool_]
    outcome: npt.NDArray[np.float64]
    date_index: npt.NDArray[np.int64]
    splits: list[Fold]


def sample(
    dataset: pd.DataFrame,
    treatment: Treatment,
    confounders: tuple[str, ...],
    outcome: str,
    settings: CausalSettings,
) -> Sample:
    treated, known = treatment.assign(dataset)
    rows = dataset[known].reset_index(drop=True)
    treated = treated[known]
    if min(int(treated.sum()), int((~treated).sum())) < MIN_GROUP_ROWS:
        counts = f"{int(treated.sum())} treated and {int((~treated).sum())} control rows"
        raise DataError(f"{treatment.expression}: {counts}; each group needs {MIN_GROUP_ROWS}")
    as_of = list(rows["as_of"])
    _, date_index = np.unique(np.array(as_of, dtype="datetime64[D]"), return_inverse=True)
    splits = crossfit_folds(as_of, list(rows["label_known"]), folds=settings.folds, embargo=settings.embargo)
    values = outcome_values(rows, outcome)
    return Sample(rows, design(rows, confounders), treated, values, date_index.astype(np.int64), splits)


def _estimate(
    data: Sample, matrix: npt.NDArray[np.float64], treated: npt.NDArray[np.bool_], settings: CausalSettings
) -> tuple[Nuisance, npt.NDArray[np.bool_], dict[str, dict[str, float]]]:
    """The nuisances of every row, the rows kept by the overlap trim, and the estimates on them."""
    propensity, mu_treated, mu_control = _nuisance(matrix, treated, data.outcome, data.splits, settings)
    nuisance = Nuisance(treated, data.outcome, propensity, mu_treated, mu_control, data.date_index)
    kept = (propensity >= settings.trim) & (propensity <= 1 - settings.trim)
    for group in (treated, ~treated):
        if int((kept & group).sum()) < MIN_GROUP_ROWS:
            raise DataError(f"fewer than {MIN_GROUP_ROWS} rows of a group are left after the overlap trim")
    found = estimates(nuisance.subset(kept), replicates=settings.replicates, seed=settings.seed)
    return nuisance, kept, found


def _shuffled_within_dates(
    treated: npt.NDArray[np.bool_], date_index: npt.NDArray[np.int64], seed: int
) -> npt.NDArray[np.bool_]:
    """The treatment permuted among the rows of each as-of date (same share treated each day)."""
    generator = np.random.default_rng(seed)
    shuffled_order = np.lexsort((generator.random(len(treated)), date_index))  # by date, random within
    date_order = np.argsort(date_index, kind="stable")  # by date, as given within
    shuffled = np.empty_like(treated)
    shuffled[date_order] = treated[shuffled_order]  # each date's rows take that date's treatments, shuffled
    return shuffled


def _refutations(
    data: Sample, nuisance: Nuisance, kept: npt.NDArray[np.bool_], effect: float, settings: CausalSettings
) -> dict[str, Any]:
    """Placebo, random common cause and the two halves of the period (module docstring)."""
    placebo_treatment = _shuffled_within_dates(data.treated, data.date_index, settings.seed + 1)
    placebo = _estimate(data, data.matrix, placebo_treatment, settings)[2]["aipw"]
    noise = np.random.default_rng(settings.seed + 2).standard_normal((len(data.treated), 1))
    common = _estimate(data, np.hstack([data.matrix, noise]), data.treated, settings)[2]["aipw"]
    middle = int(np.median(data.date_index[kept]))
    halves = [
        estimates(nuisance.subset(kept & part), replicates=settings.replicates, seed=settings.seed)["aipw"]
        for part in (data.date_index <= middle, data.date_index > middle)
    ]
    dates = sorted(set(data.rows["as_of"]))
    return {
        "placebo_shuffled_within_dates": _rounded(placebo),
        "random_common_cause": {**_rounded(common), "change": _round(common["effect"] - effect)},
        "halves": [
            {"from": dates[0], "to": dates[middle], **_rounded(halves[0])},
            {"after": dates[middle], "to": dates[-1], **_rounded(halves[1])},
        ],
    }


def _flags(trimmed_share: float, weighted: npt.NDArray[np.float64], placebo: dict[str, Any]) -> list[str]:
    flags = []
    if trimmed_share > POOR_OVERLAP_SHARE:
        flags.append(FLAG_OVERLAP)
    if np.isfinite(weighted).any() and np.nanmax(np.abs(weighted)) > IMBALANCE_LIMIT:
        flags.append(FLAG_IMBALANCE)
    if not placebo["ci_low"] <= 0 <= placebo["ci_high"]:
        flags.append(FLAG_PLACEBO)
    return flags


def analyse(
    dataset: pd.DataFrame,
    treatment: Treatment,
    confounders: tuple[str, ...],
    outcome: str,
    settings: CausalSettings,
) -> dict[str, Any]:
    """The causal report of ``treatment`` on ``outcome`` over the joined feature and label rows."""
    data = sample(dataset, treatment, confounders, outcome, settings)
    treated = data.treated
    nuisance, kept, main = _estimate(data, data.matrix, treated, settings)
    weights = np.where(treated, 1 / nuisance.propensity, 1 / (1 - nuisance.propensity))
    raw = standardized_differences(data.matrix[kept], treated[kept])
    weighted = standardized_differences(data.matrix[kept], treated[kept], weights[kept])
    refutations = _refutations(data, nuisance, kept, main["aipw"]["effect"], settings)
    trimmed = {"treated": int((treated & ~kept).sum()), "control": int((~treated & ~kept).sum())}
    flags = _flags((~kept).sum() / len(kept), weighted, refutations["placebo_shuffled_within_dates"])
    return {
        "report_version": REPORT_VERSION,
        "advisory_only": True,
        "question": f"effect of {treatment.expression} on {outcome}",
        "treatment": {
            "expression": treatment.expression,
            "column": treatment.column,
            "treated": int(treated.sum()),
            "control": int((~treated).sum()),
        },
        "outcome": outcome,
        "confounders": list(confounders),
        "data": {
            "from": min(data.rows["as_of"]),
            "to": max(data.rows["as_of"]),
            "rows": len(dataset),
            "rows_with_treatment_value": len(data.rows),
            "rows_used": int(kept.sum()),
            "as_of_dates": int(data.date_index.max()) + 1,
            "symbols": int(data.rows["symbol"].nunique()),
        },
        "settings": {
            "model": settings.model,
            "folds": settings.folds,
            "embargo_as_of_dates": settings.embargo,
            "trim": settings.trim,
            "bootstrap_replicates": settings.replicates,
            "seed": settings.seed,
            "intervals": "95 % percentile, as-of dates resampled (cluster bootstrap)",
        },
        "overlap": {"trimmed": trimmed, "propensity_quantiles": _quantiles(nuisance.propensity, treated)},
        "estimates": {name: _rounded(values) for name, values in main.items()},
        "balance": [
            {"confounder": name, "smd_raw": _round(before), "smd_weighted": _round(after)}
            for name, before, after in zip(confounders, raw, weighted, strict=True)
        ],
        "refutations": refutations,
        "flags": flags,
        "conclusion": conclusion(main["aipw"], outcome, treatment, flags),
    }


def conclusion(aipw: dict[str, float], outcome: str, treatment: Treatment, flags: list[str]) -> str:
    """One sentence a person can act on (or know not to)."""
    effect, low, high = (round(aipw[key], 4) for key in ("effect", "ci_low", "ci_high"))
    verdict = "not distinguishable from zero" if low <= 0 <= high else "distinguishable from zero"
    interval = f"95 % CI {low:+.4f} .. {high:+.4f}"
    text = f"AIPW: {treatment.expression} changes {outcome} by {effect:+.4f} ({interval}), {verdict}"
    caveat = f"; checks failed: {', '.join(flags)}, do not rely on it" if flags else ""
    return text + caveat + " (observed confounders only; advisory)"


def _quantiles(
    propensity: npt.NDArray[np.float64], treated: npt.NDArray[np.bool_]
) -> dict[str, list[float | None]]:
    levels = (0.0, 0.05, 0.5, 0.95, 1.0)
    return {
        name: [_round(value) for value in np.quantile(propensity[group], levels)]
        for name, group in (("treated", treated), ("control", ~treated))
    }


def _round(value: float) -> float | None:
    """Six decimals (the bytes of a report do not depend on the last bits of a float); no value: None."""
    return round(float(value), 6) if np.isfinite(value) else None


def _rounded(values: dict[str, float]) -> dict[str, float | None]:
    return {key: _round(value) for key, value in values.items()}
