"""The candidates CSV artifact: versioned columns (dates, bands, sigma, anchor types/priority, tags), rank
order, and byte-stability (the same result gives the same bytes, whatever the input order)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

from avwap.ledger.atomic import Provenance
from avwap.signals.scan_records import Candidate, MarketGate, ScanResult
from avwap.watchlist.artifact import (
    ARTIFACT_SCHEMA_VERSION,
    CSV_COLUMNS,
    candidates_csv,
    candidates_path,
    write_candidates,
)

TRADING_DATE = dt.date(2026, 11, 30)
AS_OF = dt.date(2026, 11, 27)


def candidate(symbol: str, rank: int, tags: tuple[str, ...] = ()) -> Candidate:
    return Candidate(
        symbol=symbol, as_of=AS_OF, rank=rank, anchor_type="swing_low",
        anchor_types=("swing_low", "gap_up"), anchor_date=dt.date(2026, 10, 5), anchor_priority=2,
        avwap=Decimal("100.25"), close=Decimal("101.50"), distance=0.012469, slope=0.0015, sigma=1.5,
        band_lower_1=Decimal("98.75"), band_upper_1=Decimal("101.75"), band_lower_2=Decimal("97.25"),
        band_upper_2=Decimal("103.25"), trend_tier="A", trend_score=0.8, atr=2.1, atr_pct=0.0207,
        stop=Decimal("98.10"), risk_per_share=Decimal("2.15"), target_r1=Decimal("102.40"),
        target_r2=Decimal("104.55"), score=1.25, reclaim=True, tags=tags,
    )  # fmt: skip


def rows(payload: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(payload.decode("utf-8"))))


def test_the_new_columns_are_present_in_order() -> None:
    for column in ("schema_version", "as_of", "trading_date", "band_lower_1", "band_upper_1", "band_lower_2",
                   "band_upper_2", "sigma", "anchor_types", "anchor_priority", "tags"):  # fmt: skip
        assert column in CSV_COLUMNS
    assert CSV_COLUMNS[:2] == ("rank", "symbol")  # version-1 columns keep their positions
    assert len(set(CSV_COLUMNS)) == len(CSV_COLUMNS)


def test_a_row_carries_dates_bands_and_joined_lists() -> None:
    payload = candidates_csv((candidate("ABC", 1, ("reclaim", "tier_a")),), TRADING_DATE)
    (row,) = rows(payload)
    assert row["schema_version"] == str(ARTIFACT_SCHEMA_VERSION)
    assert (row["trading_date"], row["as_of"]) == ("2026-11-30", "2026-11-27")
    assert (row["band_lower_2"], row["band_lower_1"], row["band_upper_1"], row["band_upper_2"]) == (
        "97.25", "98.75", "101.75", "103.25",
    )  # fmt: skip
    assert (row["sigma"], row["anchor_priority"]) == ("1.5", "2")
    assert (row["anchor_types"], row["tags"]) == ("swing_low;gap_up", "reclaim;tier_a")
    assert payload.splitlines()[0] == ",".join(CSV_COLUMNS).encode()


def test_rows_are_in_rank_order_and_bytes_are_stable() -> None:
    first = candidates_csv((candidate("BBB", 2), candidate("AAA", 1, ("x",))), TRADING_DATE)
    second = candidates_csv((candidate("AAA", 1, ("x",)), candidate("BBB", 2)), TRADING_DATE)
    assert first == second
    assert [row["symbol"] for row in rows(first)] == ["AAA", "BBB"]
    assert b"\r" not in first and first.endswith(b"\n")


def test_write_candidates_writes_the_csv_with_the_trading_date(tmp_path: Path) -> None:
    gate = MarketGate(
        is_open=True,
        reason=None,
        benchmark_symbol="SPY",
        benchmark_close=None,
        benchmark_sma=None,
        detail="ok",
    )
    result = ScanResult(as_of=AS_OF, market_gate=gate, candidates=(candidate("AAA", 1),), diagnostics=())
    provenance = Provenance("test", "c" * 64, "d" * 64, TRADING_DATE)
    write_candidates(tmp_path, TRADING_DATE, result, provenance, rules_hash="test-rules")
    payload = candidates_path(tmp_path, TRADING_DATE, "csv").read_bytes()
    assert payload == candidates_csv(result.candidates, TRADING_DATE)
    assert rows(payload)[0]["trading_date"] == "2026-11-30"
    empty = ScanResult(as_of=AS_OF, market_gate=result.market_gate, candidates=(), diagnostics=())
    assert candidates_csv(empty.candidates, TRADING_DATE) == (",".join(CSV_COLUMNS) + "\n").encode()
