"""The advisory models: a regularized logistic regression and gradient-boosted trees (scikit-learn, seeded).

scikit-learn is imported inside :func:`make_estimator` and :func:`make_regressor` only: importing this module
costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from avwap.core.errors import ConfigurationError
from avwap.ml.features import FEATURE_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

MODEL_KINDS: Final = ("logistic", "gbt")
JOIN_KEYS: Final = ["as_of", "symbol"]
# shallow, slow and stopped by a fixed iteration count (no validation split drawn at random)
TREE_PARAMETERS: Final[dict[str, Any]] = {
    "max_iter": 150,
    "learning_rate": 0.05,
    "max_depth": 3,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": False,
}


def checked_kind(kind: str) -> str:
    """``kind`` when it is a model kind, else the ConfigurationError naming ``--model``."""
    if kind not in MODEL_KINDS:
        raise ConfigurationError("--model", f"expected one of {', '.join(MODEL_KINDS)}, got {kind!r}")
    return kind


def make_estimator(kind: str, seed: int) -> Any:
    """An unfitted, deterministic classifier of R1-before-stop."""
    checked_kind(kind)
    if kind == "logistic":
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        # L2 with C=0.1: strong shrinkage, the features are correlated (score, distance, trend score)
        return make_pipeline(
            # keep_empty_features: a column with no value at all (no earnings calendar given) stays, as 0
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(C=0.1, max_iter=2000, random_state=seed),
        )
    if kind == "gbt":
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.pipeline import make_pipeline

        return make_pipeline(
            EmptyColumnsAsZero(),
            HistGradientBoostingClassifier(**TREE_PARAMETERS, random_state=seed),
        )  # fmt: skip
    raise AssertionError(kind)  # checked_kind refused it above


def make_regressor(kind: str, seed: int) -> Any:
    """An unfitted, deterministic regressor of an outcome (the causal analysis' outcome models): ridge on
    standardized features for ``logistic`` (the linear family), shallow boosted trees for ``gbt``."""
    checked_kind(kind)
    if kind == "logistic":
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(), Ridge(alpha=1.0)
        )
    if kind == "gbt":
        from sklearn.ensemble import HistGradientBoostingRegressor
        from sklearn.pipeline import make_pipeline

        return make_pipeline(
            EmptyColumnsAsZero(),
            HistGradientBoostingRegressor(**TREE_PARAMETERS, random_state=seed),
        )  # fmt: skip
    raise AssertionError(kind)  # checked_kind refused it above


class EmptyColumnsAsZero:
    """Columns without a single value when fitted (no earnings calendar was given) become 0; others keep
    their NaNs, which the trees handle natively (their binning cannot fit a column with no value)."""

    def fit(self, matrix: npt.NDArray[np.float64], labels: object = None) -> EmptyColumnsAsZero:
        self.empty_ = np.isnan(matrix).all(axis=0)
        return self

    def transform(self, matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        result = np.array(matrix, dtype=np.float64, copy=True)
        result[:, self.empty_] = 0.0
        return result

    def fit_transform(
        self, matrix: npt.NDArray[np.float64], labels: object = None
    ) -> npt.NDArray[np.float64]:
        return self.fit(matrix, labels).transform(matrix)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {}

    def set_params(self, **params: Any) -> EmptyColumnsAsZero:
        return self


def join(features: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Feature rows with a known label, sorted by (as_of, symbol)."""
    joined = features.merge(labels, on=JOIN_KEYS, how="inner", validate="one_to_one")
    return joined.sort_values(JOIN_KEYS, kind="stable").reset_index(drop=True)


def design(frame: pd.DataFrame, columns: tuple[str, ...] = FEATURE_COLUMNS) -> npt.NDArray[np.float64]:
    return frame[list(columns)].to_numpy(dtype=np.float64)


def probabilities(estimator: Any, matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(estimator.predict_proba(matrix)[:, 1], dtype=np.float64)
