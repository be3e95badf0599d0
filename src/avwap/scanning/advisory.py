"""The ML advisory score of one symbol for ``avwap scan explain`` (only when the operator set ML_ADVISORY=1).

Reads the ``advisory_scores_<as-of>.json`` artifact ``avwap ml score`` wrote under ``<artifacts>/ml``; it
imports nothing of ``avwap.ml``. A missing or unreadable artifact is simply no advisory line: advice never
blocks an explanation.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any


def advisory_path(artifacts_dir: Path, as_of: dt.date) -> Path:
    return artifacts_dir / "ml" / f"advisory_scores_{as_of.isoformat()}.json"


def advisory_score(artifacts_dir: Path, as_of: dt.date, symbol: str) -> dict[str, Any] | None:
    """``{"p_hit_r1", "rank", "model_sha256", "advisory_only"}`` of ``symbol`` as of ``as_of``, or None."""
    try:
        artifact = json.loads(advisory_path(artifacts_dir, as_of).read_bytes())
        found = next((row for row in artifact["scores"] if row["symbol"] == symbol), None)
        if found is None:
            return None
        return {
            "p_hit_r1": float(found["p_hit_r1"]),
            "rank": int(found["rank"]),
            "model_sha256": str(artifact["model_sha256"]),
            "advisory_only": True,
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None
