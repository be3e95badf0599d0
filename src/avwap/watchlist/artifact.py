"""Candidates artifacts: ``<artifacts>/candidates/<D>.json`` (and ``.csv``) for trading day ``D``.

The scan for trading day ``D`` uses daily bars through the previous session (``data_through``), so nothing
from ``D`` itself can leak in. Files are written atomically and byte-stably (sorted, canonical JSON with a
provenance block); an empty result still writes an empty artifact, so "no candidates" and "no scan" differ.

Freshness (NY-date aware): entries on day ``D`` need ``candidates/<D>.json`` whose ``trading_date`` is ``D``.
The execution cycle and ``avwap watchlist check`` apply the same rule (:func:`check_freshness`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import msgspec

from avwap.core.canonical import to_plain
from avwap.core.errors import DataError
from avwap.core.files import atomic_write_bytes
from avwap.ledger.atomic import Provenance, atomic_write_json
from avwap.signals.scan_records import Candidate, ScanResult

ARTIFACT_SCHEMA_VERSION: Final = 1
# Version-1 columns first, in their original order (positional readers keep working); the later columns are
# appended. ``as_of`` is the data-through date (the session before ``trading_date``).
CSV_COLUMNS: Final = (
    "rank",
    "symbol",
    "anchor_type",
    "anchor_date",
    "avwap",
    "close",
    "distance",
    "slope",
    "trend_tier",
    "trend_score",
    "atr",
    "stop",
    "target_r1",
    "target_r2",
    "score",
    "reclaim",
    "sigma",
    "band_lower_2",
    "band_lower_1",
    "band_upper_1",
    "band_upper_2",
    "anchor_types",
    "anchor_priority",
    "tags",
    "as_of",
    "trading_date",
    "schema_version",
)
LIST_SEPARATOR: Final = ";"  # joins anchor_types and tags inside one CSV cell (order kept)


def candidates_path(artifacts_dir: Path, trading_date: dt.date, suffix: str = "json") -> Path:
    return Path(artifacts_dir) / "candidates" / f"{trading_date.isoformat()}.{suffix}"


def artifact_dates(artifacts_dir: Path) -> list[dt.date]:
    """Trading dates that have a candidates JSON file, ascending (files not named by a date are ignored)."""
    folder = Path(artifacts_dir) / "candidates"
    dates = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            dates.append(dt.date.fromisoformat(path.stem))
        except ValueError:
            continue
    return sorted(dates)


def latest_trading_date(artifacts_dir: Path) -> dt.date:
    """The most recent trading date with a candidates artifact; DataError when there is none."""
    dates = artifact_dates(artifacts_dir)
    if not dates:
        raise DataError(
            f"no candidates artifacts under {Path(artifacts_dir) / 'candidates'}; run `avwap scan`"
        )
    return dates[-1]


def write_candidates(
    artifacts_dir: Path,
    trading_date: dt.date,
    result: ScanResult,
    provenance: Provenance,
    *,
    rules_hash: str,
) -> Path:
    """Write the JSON and CSV candidates artifacts for ``trading_date``; returns the JSON path.

    ``rules_hash`` identifies the scan rules in force (they are not part of the config hash)."""
    payload = {
        "schema_version": ARTIFACT_SCHEMA_VERSION,
        "kind": "candidates",
        "trading_date": trading_date,
        "data_through": result.as_of,
        "market_gate": result.market_gate,
        "candidates": list(result.candidates),
        "candidate_count": len(result.candidates),
        "scanned_symbols": len(result.candidates) + len(result.diagnostics),
        "rules_hash": rules_hash,
    }
    # The JSON file is what freshness checks read: write it last, so that a crash part-way never leaves a
    # fresh-looking JSON next to a stale CSV.
    atomic_write_bytes(
        candidates_path(artifacts_dir, trading_date, "csv"), candidates_csv(result.candidates, trading_date)
    )
    path = candidates_path(artifacts_dir, trading_date)
    atomic_write_json(path, payload, provenance)
    return path


def candidates_csv(candidates: tuple[Candidate, ...], trading_date: dt.date) -> bytes:
    """The CSV artifact: :data:`CSV_COLUMNS`, rows in rank order, ``\\n`` line ends (byte-stable).

    ``schema_version`` is the artifact schema version; list cells are joined with :data:`LIST_SEPARATOR`.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for candidate in sorted(candidates, key=lambda item: (item.rank, item.symbol)):
        plain = to_plain(candidate)
        plain["schema_version"] = ARTIFACT_SCHEMA_VERSION
        plain["trading_date"] = trading_date.isoformat()
        for column in ("anchor_types", "tags"):
            plain[column] = LIST_SEPARATOR.join(plain[column])
        writer.writerow(["" if plain[column] is None else plain[column] for column in CSV_COLUMNS])
    return buffer.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Watchlist:
    trading_date: dt.date
    data_through: dt.date
    candidates: tuple[Candidate, ...]
    market_gate_open: bool
    provenance: dict[str, Any]
    # sha256 of the artifact's bytes as read: the ``data_version`` of every intent planned from it.
    sha256: str = ""


def read_candidates(artifacts_dir: Path, trading_date: dt.date) -> Watchlist:
    """Read and validate the artifact of ``trading_date``; DataError when absent or malformed."""
    path = candidates_path(artifacts_dir, trading_date)
    try:
        content = path.read_bytes()
        data = json.loads(content)
    except FileNotFoundError:
        raise DataError(f"no candidates artifact for {trading_date} ({path})") from None
    except (OSError, ValueError) as error:
        raise DataError(f"unreadable candidates artifact {path}: {error}") from None
    try:
        if data["schema_version"] != ARTIFACT_SCHEMA_VERSION or data["kind"] != "candidates":
            raise DataError(f"{path}: unsupported artifact schema {data.get('schema_version')}")
        candidates = tuple(msgspec.convert(item, Candidate, strict=False) for item in data["candidates"])
        return Watchlist(
            trading_date=dt.date.fromisoformat(data["trading_date"]),
            data_through=dt.date.fromisoformat(data["data_through"]),
            candidates=candidates,
            market_gate_open=bool(data["market_gate"]["is_open"]),
            provenance=dict(data["provenance"]),
            sha256=hashlib.sha256(content).hexdigest(),
        )
    except (KeyError, TypeError, ValueError, msgspec.ValidationError) as error:
        raise DataError(f"malformed candidates artifact {path}: {error}") from None


@dataclass(frozen=True)
class Freshness:
    fresh: bool
    reason: str | None
    detail: str
    watchlist: Watchlist | None = None


def check_freshness(artifacts_dir: Path, today_ny: dt.date, is_session: bool) -> Freshness:
    """Fresh only when today is a session and today's artifact exists, parses and is dated today."""
    if not is_session:
        return Freshness(False, "WATCHLIST_NO_SESSION", f"{today_ny} is not an NYSE session")
    try:
        watchlist = read_candidates(artifacts_dir, today_ny)
    except DataError as error:
        return Freshness(False, "WATCHLIST_STALE", str(error))
    if watchlist.trading_date != today_ny:
        detail = f"artifact is dated {watchlist.trading_date}, today is {today_ny}"
        return Freshness(False, "WATCHLIST_STALE", detail)
    return Freshness(True, None, f"{len(watchlist.candidates)} candidates for {today_ny}", watchlist)
