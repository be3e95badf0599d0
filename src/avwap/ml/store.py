"""The offline feature store: one Parquet file of feature rows with its feature-set version and content hash.

The hash covers the rows in a canonical text form (sorted by as-of date and symbol), so the same features give
the same hash whatever the row order or Parquet writer; :func:`read_table` recomputes it and refuses a file
whose content no longer matches what was written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Final

from avwap.core.errors import DataError
from avwap.ml.features import FEATURE_SET_VERSION, check_point_in_time

if TYPE_CHECKING:
    import pandas as pd

VERSION_KEY: Final = b"avwap.feature_set_version"
HASH_KEY: Final = b"avwap.content_hash"


def content_hash(frame: pd.DataFrame) -> str:
    """sha256 of the rows sorted by (as_of, symbol), as CSV with full float precision."""
    ordered = frame.sort_values(["as_of", "symbol"], kind="stable").reset_index(drop=True)
    text = ordered.to_csv(index=False, float_format="%.17g", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()


def write_table(frame: pd.DataFrame, path: Path, *, version: str = FEATURE_SET_VERSION) -> str:
    """Write ``frame`` (features or labels) to ``path`` with its version and hash; returns the hash."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    digest = content_hash(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata.update({VERSION_KEY: version.encode(), HASH_KEY: digest.encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata(metadata), path)
    return digest


def read_table(path: Path) -> tuple[pd.DataFrame, str, str]:
    """(rows, version, hash) of a file :func:`write_table` wrote; a content mismatch is a DataError."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except OSError as error:
        raise DataError(f"cannot read the feature store file {path}: {error}") from None
    metadata = table.schema.metadata or {}
    if VERSION_KEY not in metadata or HASH_KEY not in metadata:
        raise DataError(f"{path} is not an avwap feature store file (no version or hash)")
    frame = table.to_pandas()
    digest = metadata[HASH_KEY].decode()
    if content_hash(frame) != digest:
        raise DataError(f"ML_STORE_HASH_MISMATCH: {path} does not match its recorded content hash")
    if "feature_time" in frame.columns:
        check_point_in_time(frame)
    return frame, metadata[VERSION_KEY].decode(), digest
