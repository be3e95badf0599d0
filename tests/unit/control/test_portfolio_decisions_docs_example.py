"""The worked example of docs/PORTFOLIO.md ("Decisions: worked example") is what the engine decides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np

from avwap.control.portfolio.correlation import ReturnsPanel
from avwap.control.portfolio.engine import decide
from avwap.control.portfolio.records import BookInput, CandidateInput, GuardrailLimits, HeldInput
from avwap.strategies.registry import S1_AVWAP_CORE

DOC = Path(__file__).resolve().parents[3] / "docs" / "PORTFOLIO.md"
SECTORS = {
    "AAPL": "Information Technology", "XOM": "Energy", "MSFT": "Information Technology", "CVX": "Energy",
    "JPM": "Financials", "NVDA": "Information Technology", "KO": "Consumer Staples",
}  # fmt: skip
CANDIDATES = (("MSFT", 0.01), ("CVX", 0.02), ("JPM", 0.0), ("NVDA", 0.005), ("KO", 0.03), ("PG", 0.01))


def example_batch():  # type: ignore[no-untyped-def]
    generator = np.random.default_rng(42)
    symbols = ("AAPL", "XOM", "MSFT", "CVX", "JPM", "NVDA", "KO", "PG")
    returns = {symbol: generator.normal(0, 0.012, 60) for symbol in symbols}
    returns["NVDA"] = returns["AAPL"] * 1.4 + generator.normal(0, 0.002, 60)  # moves with AAPL
    panel = ReturnsPanel(symbols, np.column_stack([returns[symbol] for symbol in symbols]))
    book = BookInput(
        book_id="PAPER_SIM",
        snapshot_date=dt.date(2026, 4, 1),
        equity=Decimal("100000.00"),
        gross_exposure=Decimal("38500.00"),
        positions=(
            HeldInput(symbol="AAPL", market_value=Decimal("9000.00")),
            HeldInput(symbol="XOM", market_value=Decimal("29500.00")),
        ),
        equity_history=(Decimal("100000.00"), Decimal("104000.00"), Decimal("100000.00")),
    )
    candidates = tuple(
        CandidateInput(symbol=symbol, rank=rank, entry_price=Decimal("100"), distance=distance)
        for rank, (symbol, distance) in enumerate(CANDIDATES, start=1)
    )
    return decide(
        book_id="PAPER_SIM",
        date_ny=dt.date(2026, 4, 2),
        decided_at=dt.datetime(2026, 4, 2, 12, 45, tzinfo=dt.UTC),
        strategies=(S1_AVWAP_CORE,),
        candidates=candidates,
        book=book,
        returns=panel,
        sectors=SECTORS,
        limits=GuardrailLimits(),
    )


def example_table() -> str:
    rows = [("rank", "symbol", "sector", "notional", "verdict", "reasons")]
    for item in example_batch().decisions:
        reasons = ", ".join(item.reason_codes) or "-"
        rows.append(
            (str(item.rank), item.symbol, item.sector, str(item.proposed_notional), item.verdict, reasons)
        )
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    lines = [
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)), row[5]]
        ).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def test_the_documented_table_is_what_the_engine_decides() -> None:
    assert example_table() in DOC.read_text(encoding="utf-8")


def test_the_story_the_document_tells() -> None:
    batch = example_batch()
    verdicts = {item.symbol: (item.verdict, item.reason_codes) for item in batch.decisions}
    assert verdicts["CVX"][1] == ("PORTFOLIO_SECTOR_CONCENTRATION",)
    assert "PORTFOLIO_CORRELATION_HIGH" in verdicts["NVDA"][1]
    assert verdicts["PG"][1] == ("PORTFOLIO_MAX_NEW_ENTRIES",)
    assert (batch.allowed, batch.blocked) == (3, 3)
