"""The ``advisory_scores`` artifact as plain data: ``<artifacts>/ml/advisory_scores_<as-of>.json``.

Written by :mod:`avwap.ml` (``avwap ml score``, or the scan job with ``ML_ADVISORY=1``); read here, below
everything that shows or uses it, without importing anything of :mod:`avwap.ml` (an import-linter contract
keeps control, execution and strategies away from the ML package). A missing or malformed artifact reads
as None: advice never blocks an explanation, a report or an entry.

The only use beyond display is :func:`size_multipliers` (``ML_ADVISORY_SIZE_DOWN=1``): the bottom-scored
share of a day's candidates gets a configured multiplier ≤ 1, everyone else 1. The execution cycle applies
it after the control plane decided (:func:`avwap.control.sizing.scale_down`): it can only make a position
smaller, never larger, and never creates an entry.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class AdvisoryScore:
    symbol: str
    rank: int
    p_hit_r1: float


@dataclass(frozen=True)
class AdvisoryScores:
    """One as-of date's scores (by the scan's rank) and the sha256 of the model that made them."""

    as_of: dt.date
    model_sha256: str
    scores: tuple[AdvisoryScore, ...]

    def of(self, symbol: str) -> AdvisoryScore | None:
        return next((item for item in self.scores if item.symbol == symbol), None)


def advisory_path(artifacts_dir: Path, as_of: dt.date) -> Path:
    return Path(artifacts_dir) / "ml" / f"advisory_scores_{as_of.isoformat()}.json"


def parse_advisory(data: bytes, as_of: dt.date) -> AdvisoryScores | None:
    """The artifact's scores, or None when it is not a well-formed advisory artifact of ``as_of``."""
    try:
        artifact = json.loads(data)
        if artifact.get("advisory_only") is not True or artifact["as_of"] != as_of.isoformat():
            return None
        scores = tuple(
            AdvisoryScore(str(row["symbol"]), int(row["rank"]), float(row["p_hit_r1"]))
            for row in artifact["scores"]
        )
        if not all(math.isfinite(item.p_hit_r1) and 0.0 <= item.p_hit_r1 <= 1.0 for item in scores):
            return None
        return AdvisoryScores(as_of, str(artifact["model_sha256"]), scores)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def read_advisory(artifacts_dir: Path, as_of: dt.date) -> AdvisoryScores | None:
    """The advisory scores of ``as_of`` (None: no artifact, or not a readable one)."""
    try:
        data = advisory_path(artifacts_dir, as_of).read_bytes()
    except OSError:
        return None
    return parse_advisory(data, as_of)


def advisory_score(artifacts_dir: Path, as_of: dt.date, symbol: str) -> dict[str, Any] | None:
    """``{"p_hit_r1", "rank", "model_sha256", "advisory_only"}`` of ``symbol`` as of ``as_of``, or None."""
    scores = read_advisory(artifacts_dir, as_of)
    found = scores.of(symbol) if scores is not None else None
    if scores is None or found is None:
        return None
    return {
        "p_hit_r1": found.p_hit_r1,
        "rank": found.rank,
        "model_sha256": scores.model_sha256,
        "advisory_only": True,
    }


def size_multipliers(
    scores: AdvisoryScores, bottom_share: Decimal, multiplier: Decimal
) -> dict[str, Decimal]:
    """Per scored symbol: ``multiplier`` for the bottom ``bottom_share`` of the day's scores (lowest
    P(R1 before stop) first, ties by symbol; at least one when there are scores and the share is > 0), 1
    for the rest. A symbol without a score is not in the result (its multiplier is 1). Neither argument
    can raise a size: both are clamped into [0, 1]."""
    share = min(Decimal(1), max(Decimal(0), bottom_share))
    factor = min(Decimal(1), max(Decimal(0), multiplier))
    ordered = sorted(scores.scores, key=lambda item: (item.p_hit_r1, item.symbol))
    count = int((share * len(ordered)).to_integral_value(rounding=ROUND_CEILING)) if share > 0 else 0
    return {item.symbol: (factor if index < count else Decimal(1)) for index, item in enumerate(ordered)}
