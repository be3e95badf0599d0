"""Where the day's portfolio decision batch is stored, and its strict reader.

A low-level module (only the records, the ledger path rules and the standard library) so that the
execution cycle can read the artifact for enforcement (2B) without importing the jobs that write it:
``avwap.jobs.portfolio_decide`` writes ``<artifacts>/portfolio_decisions/<BOOK>/<D>.json`` and the
``latest.json`` pointer next to it; :func:`read_batch` reads one back.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Final

import msgspec

from avwap.control.portfolio.records import PortfolioDecisionBatch
from avwap.core.errors import DataError
from avwap.ledger.paths import validate_name

DECISIONS_FOLDER: Final = "portfolio_decisions"
DECISIONS_KIND: Final = "portfolio_decisions"
LATEST_KIND: Final = "portfolio_decisions_latest"


def decisions_path(artifacts_dir: Path, book_id: str, day: dt.date) -> Path:
    return Path(artifacts_dir) / DECISIONS_FOLDER / validate_name(book_id) / f"{day.isoformat()}.json"


def latest_path(artifacts_dir: Path, book_id: str) -> Path:
    return Path(artifacts_dir) / DECISIONS_FOLDER / validate_name(book_id) / "latest.json"


class _Document(msgspec.Struct, frozen=True):
    """The artifact's envelope (its provenance is not needed to decide and is not decoded)."""

    kind: str
    batch: PortfolioDecisionBatch


_DECODER: Final = msgspec.json.Decoder(_Document)


def parse_batch(data: bytes, origin: Path | str) -> PortfolioDecisionBatch:
    """The batch in ``data`` (the artifact's bytes), strictly: truncated, another kind or schema version,
    unknown fields, a symbol decided twice or a non-finite number -> :class:`DataError` naming ``origin``.

    Decoded in one pass by msgspec (the execution cycle reads it: several times faster than ``json``
    then ``convert``); JSON has no NaN, so a ``NaN`` token is a decode error."""
    try:
        document = _DECODER.decode(data)
    except (msgspec.DecodeError, ValueError, TypeError) as error:
        raise DataError(f"{origin}: unreadable portfolio decision batch: {error}") from error
    if document.kind != DECISIONS_KIND:
        raise DataError(f"{origin} is not a portfolio decision batch")
    return document.batch


def read_batch(path: Path) -> PortfolioDecisionBatch:
    """The batch stored at ``path`` (see :func:`parse_batch`); an unreadable file is a :class:`DataError`."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise DataError(f"{path}: unreadable portfolio decision batch: {error}") from error
    return parse_batch(data, path)
