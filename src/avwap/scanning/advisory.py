"""The scan job's ML advisory (only when the operator set ``ML_ADVISORY=1``; docs/ML.md).

:func:`score_scan` scores the scan's candidates with the model trained into the home
(``ML_ADVISORY_MODEL_DIR``, default ``<artifacts>/ml/model-<ML_ADVISORY_MODEL>``, where ``avwap ml train``
writes) before anything is written, so the scan's HTML shows the scores; the job writes the
``advisory_scores`` artifact after the candidates (:func:`write_advisory`). The features are
:func:`avwap.ml.serving.candidate_features` of the scan's own result, the rows that
``avwap ml score --trading-date`` builds from the written artifact (tested equal).

Advice never fails a scan: a missing model, a model of another feature set, or any error while scoring is a
note (logged and shown in the HTML), and the scores the home already holds for that as-of date, if any,
are shown instead. ``avwap.ml`` (and scikit-learn) are imported inside :func:`score_scan` only: with the
switch off the scan imports neither (tested in a fresh interpreter).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from avwap.core.canonical import canonical_json
from avwap.core.config import Config
from avwap.core.files import atomic_write_bytes
from avwap.data.store import BarStore
from avwap.signals.scan_records import ScanResult
from avwap.watchlist.advisory import AdvisoryScores, advisory_path, parse_advisory, read_advisory

LOGGER: Final = logging.getLogger("avwap.watchlist.scan")
CARD_FILE: Final = "model_card.json"  # avwap.ml.training.CARD_FILE (checked before importing avwap.ml)


@dataclass(frozen=True)
class ScanAdvisory:
    """What the scan shows and writes: the scores (None: none to show), the artifact's bytes to write
    (None: nothing new) and a note for people (empty when the scan scored its candidates)."""

    scores: AdvisoryScores | None
    data: bytes | None
    note: str


def model_dir(config: Config) -> Path:
    """``ML_ADVISORY_MODEL_DIR``, else ``<artifacts>/ml/model-<ML_ADVISORY_MODEL>`` (where ``avwap ml train``
    writes by default)."""
    if config.ml_advisory_model_dir is not None:
        return config.ml_advisory_model_dir
    return config.artifacts_dir / "ml" / f"model-{config.ml_advisory_model}"


def _scored(  # noqa: PLR0917 - the scan's result and the context its features are read with
    config: Config,
    store: BarStore,
    result: ScanResult,
    excluded: Collection[str],
    earnings: Mapping[str, Sequence[dt.date]] | None,
    folder: Path,
) -> dict[str, Any]:
    from avwap.ml.serving import candidate_features
    from avwap.ml.training import advisory_scores

    features = candidate_features(
        store, result.as_of, result.candidates, result.market_gate, excluded, config.ledger_dir, earnings
    )
    return advisory_scores(folder, features, result.as_of)


def score_scan(
    config: Config,
    store: BarStore,
    result: ScanResult,
    excluded: Collection[str],
    earnings: Mapping[str, Sequence[dt.date]] | None = None,
) -> ScanAdvisory:
    """The advisory scores of the scan's candidates (never raises: a problem is the returned note)."""
    folder = model_dir(config)
    if not (folder / CARD_FILE).is_file():
        note = (
            f"ML advisory: no trained model in {folder} (ML_ADVISORY_MODEL_DIR / ML_ADVISORY_MODEL); run "
            "`avwap ml build` and `avwap ml train` to get scores. The scan itself is unaffected."
        )
    else:
        try:
            data = canonical_json(_scored(config, store, result, excluded, earnings, folder)) + b"\n"
            return ScanAdvisory(parse_advisory(data, result.as_of), data, "")
        except Exception as error:  # advice must never fail the scan (a corrupt model raises anything)
            note = f"ML advisory: scoring failed ({type(error).__name__}: {error}); the scan is unaffected."
    LOGGER.warning("ml_advisory_not_scored: %s", note)
    existing = read_advisory(config.artifacts_dir, result.as_of)
    if existing is not None:
        note += " Shown: the scores already in the home for this date."
    return ScanAdvisory(existing, None, note)


def write_advisory(artifacts_dir: Path, as_of: dt.date, advisory: ScanAdvisory) -> Path | None:
    """Write the freshly scored artifact (atomically); None when there was nothing new to write."""
    if advisory.data is None:
        return None
    path = advisory_path(artifacts_dir, as_of)
    atomic_write_bytes(path, advisory.data)
    return path
