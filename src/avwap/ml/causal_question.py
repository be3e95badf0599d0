"""The question a causal analysis asks of the feature store: a treatment, an outcome and the confounders.

A treatment is a condition on one column of the candidate rows, ``COLUMN OP VALUE`` with OP one of
``< <= > >= == !=`` (``distance<0.02``, ``anchor_earnings==1``, ``regime==RISK_OFF``): a row is treated when
the condition holds, a control when it does not, and left out when the column has no value. The outcome is a
label column (``forward_r``, or ``hit_r1`` as 0/1). The confounders are the features adjusted for; by default
every feature except the treatment's own column (and the other columns of its one-hot group, which are that
column by another name, and the anchor's priority, which is its type's) and ``rank``/``score``, which the
scan computes from the other features (the treatment among them): adjusting for them would adjust part of
the effect away.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from avwap.core.errors import ConfigurationError, DataError
from avwap.ml.features import ANCHOR_COLUMNS, FEATURE_COLUMNS, REGIME_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

OUTCOMES: Final = ("forward_r", "hit_r1")
TEXT_COLUMNS: Final = ("regime",)  # compared as text (== and != only)
DERIVED_FROM_FEATURES: Final = ("rank", "score")
# A one-hot group and the columns that are a function of which member is set (an anchor's priority is its
# type's): a treatment on one member leaves all of them out of the confounders.
ONE_HOT_GROUPS: Final = ((ANCHOR_COLUMNS, ("anchor_priority",)), (REGIME_COLUMNS, ()))
_OPERATORS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_EXPRESSION: Final = re.compile(r"^\s*([a-z0-9_]+)\s*(<=|>=|==|!=|<|>)\s*([^\s].*?)\s*$")


@dataclass(frozen=True)
class Treatment:
    """``column operator value``: the condition that makes a row treated."""

    column: str
    operator: str
    value: float | str

    @property
    def expression(self) -> str:
        return f"{self.column}{self.operator}{self.value}"

    def assign(self, frame: pd.DataFrame) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """(treated, known): the condition per row, and whether the row has a value to test."""
        compare = _OPERATORS[self.operator]
        if self.column in TEXT_COLUMNS:
            values = frame[self.column].astype(object).to_numpy()
            known = np.array([isinstance(item, str) and item != "" for item in values], dtype=bool)
            treated = np.array([bool(compare(item, self.value)) for item in values], dtype=bool)
            return treated & known, known
        numbers = frame[self.column].to_numpy(dtype=np.float64)
        known = np.isfinite(numbers)
        with np.errstate(invalid="ignore"):
            treated = np.asarray(compare(numbers, float(self.value)), dtype=bool)
        return treated & known, known


def parse_treatment(text: str) -> Treatment:
    """The treatment of ``COLUMN OP VALUE``; anything else is a ConfigurationError naming ``--treatment``."""
    match = _EXPRESSION.match(text)
    if match is None:
        raise ConfigurationError(
            "--treatment", f"expected COLUMN OP VALUE (OP: < <= > >= == !=), got {text!r}"
        )
    column, symbol, raw = match.groups()
    if column in TEXT_COLUMNS:
        if symbol not in ("==", "!="):
            raise ConfigurationError("--treatment", f"{column} is text: only == and != compare it")
        return Treatment(column, symbol, raw)
    if column not in FEATURE_COLUMNS:
        known = ", ".join((*FEATURE_COLUMNS, *TEXT_COLUMNS))
        raise ConfigurationError("--treatment", f"unknown column {column!r}; columns: {known}")
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError("--treatment", f"{column} is a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise ConfigurationError("--treatment", f"the value must be a finite number, got {raw!r}")
    return Treatment(column, symbol, value)


def default_confounders(treatment: Treatment) -> tuple[str, ...]:
    """Every feature but the treatment's own column (its one-hot group) and the scan's composites."""
    own = {treatment.column}
    if treatment.column == "regime":
        own |= set(REGIME_COLUMNS)
    for members, derived in ONE_HOT_GROUPS:
        if treatment.column in members:
            own |= {*members, *derived}
    return tuple(name for name in FEATURE_COLUMNS if name not in own and name not in DERIVED_FROM_FEATURES)


def checked_confounders(names: Sequence[str], treatment: Treatment) -> tuple[str, ...]:
    """``names`` (given with --confounders) when each is a feature and none is the treatment's column."""
    unknown = [name for name in names if name not in FEATURE_COLUMNS]
    if unknown:
        raise ConfigurationError("--confounders", f"not feature columns: {', '.join(unknown)}")
    if treatment.column in names:
        raise ConfigurationError("--confounders", f"{treatment.column} is the treatment, not a confounder")
    if not names:
        raise ConfigurationError("--confounders", "give at least one column")
    return tuple(dict.fromkeys(names))


def checked_outcome(outcome: str) -> str:
    if outcome not in OUTCOMES:
        raise ConfigurationError("--outcome", f"expected one of {', '.join(OUTCOMES)}, got {outcome!r}")
    return outcome


def outcome_values(frame: pd.DataFrame, outcome: str) -> npt.NDArray[np.float64]:
    """The outcome per row as a number (``hit_r1`` as 0/1)."""
    values = frame[checked_outcome(outcome)].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise DataError(f"the label column {outcome} has rows without a finite value")
    return values
