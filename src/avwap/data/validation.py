"""Bar validation: split a bar frame into clean bars and quarantined rows, each with stable reason codes.

Pure and vectorized: one boolean mask per rule over the whole frame, no per-row Python. A bad row is never
fatal; it is quarantined with every reason that applies, listed in the order of :data:`REASON_CODES`.

Reason codes (stable UPPER_SNAKE strings; a row may carry several):

=======================  =====================================================================================
code                     meaning
=======================  =====================================================================================
MALFORMED_ROW            the line does not have the file's number of fields (set by the importer)
UNPARSEABLE_TIMESTAMP    the source timestamp text did not match the import format (set by the importer)
AMBIGUOUS_LOCAL_TIME     the local wall time does not exist or occurs twice in the source zone (DST change)
MISALIGNED_TIMESTAMP     an intraday bar start that is not on the frequency's grid (set by the importer)
UNPARSEABLE_VALUE        a price or volume text that is not a number (set by the importer)
MISSING_VALUE            symbol, timestamp, open, high, low, close or volume is empty
NON_FINITE_VALUE         a price or the volume is infinite (``inf``, ``1e400``): never a real bar
NON_POSITIVE_PRICE       open, high, low or close <= 0
HIGH_BELOW_LOW           high < low
OPEN_OUTSIDE_RANGE       open > high or open < low
CLOSE_OUTSIDE_RANGE      close > high or close < low
NEGATIVE_VOLUME          volume < 0
DUPLICATE_TIMESTAMP      a later row with the same (symbol, timestamp) as an earlier row (the first is kept)
=======================  =====================================================================================

Unsorted input is not an error: the clean frame is sorted. Flags mark rows without rejecting them:
``ZERO_VOLUME`` (volume == 0). Flags are evaluated on every row, kept or quarantined (as the data provenance
sanity counts are), and the flag frame says whether the flagged row was quarantined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from avwap.data.bars import BAR_COLUMNS, PRICE_COLUMNS, empty_bars, normalize_bars

REASON_CODES: Final = (
    "MALFORMED_ROW",
    "UNPARSEABLE_TIMESTAMP",
    "AMBIGUOUS_LOCAL_TIME",
    "MISALIGNED_TIMESTAMP",
    "UNPARSEABLE_VALUE",
    "MISSING_VALUE",
    "NON_FINITE_VALUE",
    "NON_POSITIVE_PRICE",
    "HIGH_BELOW_LOW",
    "OPEN_OUTSIDE_RANGE",
    "CLOSE_OUTSIDE_RANGE",
    "NEGATIVE_VOLUME",
    "DUPLICATE_TIMESTAMP",
)
REASON_BITS: Final = {code: 1 << index for index, code in enumerate(REASON_CODES)}
FLAG_CODES: Final = ("ZERO_VOLUME",)


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of :func:`validate_bars`.

    ``bars`` is the canonical, sorted bar frame of kept rows. ``quarantined`` has the input columns of the
    rejected rows (input order) plus ``reasons`` (a tuple of codes): all of them, or only a sample when
    :func:`validate_bars` was given a ``sample_limit``; ``rows_quarantined`` and ``reason_counts`` always
    count every rejected row, and ``masks`` holds every row's reason bits. ``flags`` has one row per
    (row, flag) with the input columns plus ``flag`` and ``quarantined``. ``kept`` is the per-input-row
    keep mask.
    """

    bars: pd.DataFrame
    kept: np.ndarray
    quarantined: pd.DataFrame
    flags: pd.DataFrame
    reason_counts: dict[str, int] = field(default_factory=dict)
    flag_counts: dict[str, int] = field(default_factory=dict)
    rows_quarantined: int = 0
    masks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def reason_names(mask: int) -> tuple[str, ...]:
    """The reason codes set in a bit mask, in :data:`REASON_CODES` order."""
    return tuple(code for code in REASON_CODES if mask & REASON_BITS[code])


def _missing(frame: pd.DataFrame) -> np.ndarray:
    missing = frame["timestamp"].isna().to_numpy()
    symbols = frame["symbol"]
    missing |= symbols.isna().to_numpy() | (symbols == "").to_numpy()
    for column in (*PRICE_COLUMNS, "volume"):
        missing |= frame[column].isna().to_numpy()
    return missing


def _duplicates(frame: pd.DataFrame, scope: Sequence[str]) -> np.ndarray:
    """Later occurrences of a (symbol, timestamp, *scope) key in input order; rows without a timestamp never
    match."""
    keyed = frame["timestamp"].notna().to_numpy()
    duplicated = frame.duplicated(subset=["symbol", "timestamp", *scope], keep="first").to_numpy()
    return duplicated & keyed


def reason_masks(
    frame: pd.DataFrame, duplicate_scope: Sequence[str] = (), duplicates: np.ndarray | None = None
) -> np.ndarray:
    """One int64 bit mask per row with the value rules of this module (comparisons with NaN are False).

    ``duplicates`` replaces the duplicate rule's mask, for a caller that sees the rows in parts and tracks
    the keys seen before (:mod:`avwap.data.importing.csv_import`)."""
    values = {column: frame[column].to_numpy(dtype="float64") for column in (*PRICE_COLUMNS, "volume")}
    open_, high, low, close = (values[column] for column in PRICE_COLUMNS)
    rules = (
        ("MISSING_VALUE", _missing(frame)),
        ("NON_FINITE_VALUE", np.logical_or.reduce([np.isinf(array) for array in values.values()])),
        ("NON_POSITIVE_PRICE", (open_ <= 0) | (high <= 0) | (low <= 0) | (close <= 0)),
        ("HIGH_BELOW_LOW", high < low),
        ("OPEN_OUTSIDE_RANGE", (open_ > high) | (open_ < low)),
        ("CLOSE_OUTSIDE_RANGE", (close > high) | (close < low)),
        ("NEGATIVE_VOLUME", values["volume"] < 0),
        ("DUPLICATE_TIMESTAMP", _duplicates(frame, duplicate_scope) if duplicates is None else duplicates),
    )
    masks = np.zeros(len(frame), dtype=np.int64)
    for code, hits in rules:
        masks |= np.where(hits, REASON_BITS[code], 0)
    return masks


def sample_mask(masks: np.ndarray, groups: np.ndarray | None, limit: int) -> np.ndarray:
    """True for the first ``limit`` rows (input order) of each (group, reason code) among the rows with that
    code: a bounded, deterministic sample that still shows every reason of every group (e.g. file)."""
    chosen = np.zeros(len(masks), dtype=bool)
    for bit in REASON_BITS.values():
        rows = np.flatnonzero(masks & bit)
        if groups is None:
            chosen[rows[:limit]] = True
            continue
        order = np.argsort(groups[rows], kind="stable")
        sorted_groups = groups[rows][order]
        rank = np.arange(len(order)) - np.searchsorted(sorted_groups, sorted_groups, side="left")
        chosen[rows[order[rank < limit]]] = True
    return chosen


def _count(masks: np.ndarray) -> dict[str, int]:
    counts = {code: int(np.count_nonzero(masks & bit)) for code, bit in REASON_BITS.items()}
    return {code: count for code, count in counts.items() if count}


def validate_bars(
    frame: pd.DataFrame,
    prior_reasons: np.ndarray | None = None,
    duplicate_scope: Sequence[str] = (),
    *,
    sample_limit: int | None = None,
    sample_groups: np.ndarray | None = None,
) -> ValidationResult:
    """Split ``frame`` (canonical columns, any extra columns carried along) into kept and quarantined rows.

    ``prior_reasons`` is an optional int64 bit mask per row (see :data:`REASON_BITS`) with problems found
    before validation, e.g. by a CSV parser; those rows are quarantined with the rule results merged in.
    ``duplicate_scope`` names extra columns of the duplicate key (e.g. a source-file column, so that only
    rows of the same file count as duplicates). ``sample_limit`` keeps only the first that many rejected
    rows per reason (per ``sample_groups`` value, e.g. a file index) in ``quarantined``: a file of millions
    of bad rows then costs memory for its counts, not for its rows. Never raises for a bad row.
    """
    frame = frame.reset_index(drop=True)
    masks = reason_masks(frame, duplicate_scope)
    if prior_reasons is not None:
        masks = masks | np.asarray(prior_reasons, dtype=np.int64)
    bad = masks != 0
    kept = frame.loc[~bad, list(BAR_COLUMNS)]
    bars = normalize_bars(kept) if len(kept) else empty_bars()
    shown = bad if sample_limit is None else sample_mask(masks, sample_groups, sample_limit)
    quarantined = frame.loc[shown].copy()
    quarantined["reasons"] = [reason_names(int(mask)) for mask in masks[shown]]
    zero_volume = frame["volume"].to_numpy(dtype="float64") == 0
    flags = frame.loc[zero_volume].copy()
    flags["flag"] = "ZERO_VOLUME"
    flags["quarantined"] = bad[zero_volume]
    flag_counts = {"ZERO_VOLUME": int(zero_volume.sum())} if zero_volume.any() else {}
    return ValidationResult(
        bars=bars,
        kept=~bad,
        quarantined=quarantined.reset_index(drop=True),
        flags=flags.reset_index(drop=True),
        reason_counts=_count(masks),
        flag_counts=flag_counts,
        rows_quarantined=int(np.count_nonzero(bad)),
        masks=masks,
    )
