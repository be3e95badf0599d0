"""Quarantined import rows, kept for people to read: ``<root>/quarantine/<frequency>.jsonl``.

One canonical-JSON object per line (keys sorted), lines sorted by (source, line). Re-importing a source file
replaces all of that file's earlier records, so the file always describes the latest import of each source;
the same imports give the same bytes.

The file is bounded: an import records at most ``QUARANTINE_SAMPLE_ROWS`` (default
:data:`DEFAULT_SAMPLE_ROWS`) rows per source file and reason code, the first ones in line order. The exact
counts per reason are in the import's output (``quarantined_by_reason``, ``dropped_by_reason``), so a file
of two million duplicate rows leaves a few hundred kilobytes here, not hundreds of megabytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Final

import msgspec

from avwap.core.canonical import canonical_json
from avwap.core.errors import DataError
from avwap.core.files import atomic_write_bytes

DEFAULT_SAMPLE_ROWS: Final = 1000


class QuarantineRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One rejected source row: where it came from, why, and its exact text."""

    source: str
    line: int
    reasons: tuple[str, ...]
    symbol: str | None
    timestamp: str | None  # bar start, ISO-8601 in New York time, when it could be parsed
    raw: str
    flags: tuple[str, ...] = ()

    def sort_key(self) -> tuple[str, int]:
        return (self.source, self.line)


def quarantine_path(root: Path, frequency: str) -> Path:
    return root / "quarantine" / f"{frequency}.jsonl"


def read_quarantine(path: Path) -> list[QuarantineRecord]:
    """All records in ``path`` (an absent file has none)."""
    if not path.exists():
        return []
    records = []
    decoder = msgspec.json.Decoder(QuarantineRecord)
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            records.append(decoder.decode(line))
        except msgspec.ValidationError as error:
            raise DataError(f"{path}:{number}: not a quarantine record: {error}") from None
        except msgspec.DecodeError as error:
            raise DataError(f"{path}:{number}: not JSON: {error}") from None
    return records


def merge_quarantine(
    path: Path, sources: Iterable[str], records: Iterable[QuarantineRecord]
) -> list[QuarantineRecord]:
    """Replace the records of ``sources`` in ``path`` with ``records``, atomically; return all records."""
    replaced = set(sources)
    kept = [record for record in read_quarantine(path) if record.source not in replaced]
    merged = sorted([*kept, *records], key=QuarantineRecord.sort_key)
    if merged or path.exists():
        payload = b"".join(canonical_json(msgspec.to_builtins(record)) + b"\n" for record in merged)
        atomic_write_bytes(path, payload)
    return merged
