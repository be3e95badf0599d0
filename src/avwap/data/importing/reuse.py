"""Ticker reuse at import time: one ticker, two issuers, never stitched (issue 3, Bad input).

Each symbol of a DAILY import is cut into issuer segments by
:func:`avwap.data.corporate_actions.detect_ticker_reuse` (Lean map files when a folder is given and describes
the ticker, else the gap heuristic). When a symbol has more than one segment:

* only the current (latest) issuer's bars are imported; every bar of an earlier issuer is quarantined with
  reason ``TICKER_REUSED`` (its source line and text kept, like any quarantined row), so no consumer of the
  store can stitch two issuers, and earlier-issuer bars already in the store are removed;
* a :class:`TickerReuse` finding with the segment boundaries goes into the import summary and, persistently,
  into the store's flags record (:mod:`avwap.data.reuse_flags`), where the scan's diagnostics can read it.

Without map files the gap heuristic decides, and it cannot tell a new issuer from a long hole in one
issuer's data (Lean ``QQQ`` has no bars 2004-12 to 2011-03): such a history is cut too, the conservative
choice (old bars before a multi-year hole are lost, two issuers are never stitched); give ``--map-files`` to
decide by issuer. A map-file "issuer" is one listed security: a class change under the same ticker (Lean
``GOOG`` 2014) is two securities, and stitching their prices is as wrong as stitching two companies, so it is
treated the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from avwap.data.bars import empty_bars, normalize_bars
from avwap.data.corporate_actions import (
    TICKER_REUSED,
    ReuseHeuristic,
    TickerHistory,
    detect_ticker_reuse,
    read_map_files,
)
from avwap.data.importing.result import BatchImportResult
from avwap.data.quarantine import QuarantineRecord


@dataclass(frozen=True)
class TickerReuse:
    """One symbol found to carry two or more issuers; only ``kept_from`` onwards is imported."""

    symbol: str
    method: str  # map_files or gap_heuristic
    segments: tuple[dict[str, Any], ...]  # issuer, first, last, rows (date order)
    boundaries: tuple[tuple[dt.date, dt.date], ...]  # (last day of the earlier, first day of the later)
    kept_from: dt.date
    rows_quarantined: int

    @property
    def flag(self) -> str:
        return TICKER_REUSED

    def record(self) -> dict[str, Any]:
        """Plain form for the summary, the JSON output and the flags file."""
        return {
            "symbol": self.symbol,
            "flag": TICKER_REUSED,
            "method": self.method,
            "segments": [dict(segment) for segment in self.segments],
            "boundaries": [[before.isoformat(), after.isoformat()] for before, after in self.boundaries],
            "kept_from": self.kept_from.isoformat(),
            "rows_quarantined": self.rows_quarantined,
        }


@dataclass(frozen=True)
class ReuseScreen:
    """The batch with earlier-issuer bars removed, the findings (by symbol) and the quarantine records."""

    batch: BatchImportResult
    findings: tuple[TickerReuse, ...]
    records: tuple[QuarantineRecord, ...]


def _finding(history: TickerHistory, quarantined: int) -> TickerReuse:
    segments = tuple(
        {
            "issuer": item.issuer,
            "first": item.first.isoformat(),
            "last": item.last.isoformat(),
            "rows": item.rows,
        }
        for item in history.segments
    )
    kept_from = history.segments[-1].first
    return TickerReuse(history.symbol, history.method, segments, history.boundaries, kept_from, quarantined)


def _source_lines(source: str, cache: dict[str, list[str]]) -> list[str]:
    if source not in cache:
        text = Path(source).read_text(encoding="utf-8-sig", errors="replace")
        cache[source] = [line.rstrip("\r") for line in text.split("\n")]
    return cache[source]


def _records(earlier: pd.DataFrame, origins: pd.DataFrame | None) -> list[QuarantineRecord]:
    """Quarantine records of the ``earlier`` bars, with their source line and text when known."""
    if origins is None or not len(earlier):
        return []
    located = earlier[["symbol", "timestamp"]].merge(origins, on=["symbol", "timestamp"], how="left")
    cache: dict[str, list[str]] = {}
    records = []
    for symbol, timestamp, source, line in located.itertuples(index=False):
        if not isinstance(source, str):
            continue  # a bar without a known origin: removed, but nothing to point at
        lines = _source_lines(source, cache)
        number = int(line)
        records.append(
            QuarantineRecord(
                source=source,
                line=number,
                reasons=(TICKER_REUSED,),
                symbol=str(symbol),
                timestamp=timestamp.isoformat(),
                raw=lines[number - 1] if 0 < number <= len(lines) else "",
            )
        )
    return records


def _gapped_symbols(bars: pd.DataFrame, min_gap_days: int) -> set[str]:
    """Symbols with at least one gap of ``min_gap_days`` calendar days between bars (one vectorized pass)."""
    days = bars["timestamp"].dt.tz_localize(None).to_numpy().astype("datetime64[D]").astype(np.int64)
    symbols = bars["symbol"].to_numpy()
    same = symbols[1:] == symbols[:-1]  # canonical frames are sorted by (symbol, timestamp)
    long_gap = same & (np.diff(days) >= min_gap_days)
    return {str(symbol) for symbol in symbols[1:][long_gap]}


def screen_ticker_reuse(batch: BatchImportResult, map_files: Path | None = None) -> ReuseScreen:
    """Keep only the current issuer of every symbol of a daily ``batch`` (module docstring)."""
    if not len(batch.bars):
        return ReuseScreen(batch, (), ())
    pieces, findings, records = [], [], []
    gapped = _gapped_symbols(batch.bars, ReuseHeuristic().min_gap_days)
    for symbol, group in batch.bars.groupby("symbol", sort=True):
        intervals = read_map_files(map_files, str(symbol)) if map_files is not None else ()
        if not intervals and symbol not in gapped:
            pieces.append(group)  # no map file and no long gap: the heuristic cannot find a second issuer
            continue
        history = detect_ticker_reuse(group, intervals or None)
        if len(history.segments) < 2:
            pieces.append(group)
            continue
        days = group["timestamp"].dt.tz_localize(None).to_numpy().astype("datetime64[D]")
        current = days >= np.datetime64(history.segments[-1].first)
        pieces.append(group.loc[current])
        records.extend(_records(group.loc[~current], batch.origins))
        findings.append(_finding(history, int((~current).sum())))
    bars = normalize_bars(pd.concat(pieces, ignore_index=True)) if pieces else empty_bars()
    ordered = tuple(sorted(records, key=QuarantineRecord.sort_key))
    return ReuseScreen(replace(batch, bars=bars), tuple(findings), ordered)


def reuse_summary(findings: Sequence[TickerReuse]) -> list[dict[str, Any]]:
    """The findings as plain records, sorted by symbol."""
    return [finding.record() for finding in sorted(findings, key=lambda item: item.symbol)]
