"""Builders for the portfolio command tests: a candidates artifact, snapshots and daily bars in a home."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from avwap.analytics.portfolio import HeldPosition, build_snapshot
from avwap.analytics.portfolio_snapshots import write_snapshot_artifact
from avwap.core.calendar import nyse
from avwap.core.config import Config
from avwap.data.store import BarStore
from avwap.ledger.atomic import build_provenance
from avwap.signals.scan_records import Candidate, MarketGate, ScanResult
from avwap.watchlist.artifact import write_candidates

DAY = dt.date(2026, 4, 2)
PREVIOUS = dt.date(2026, 4, 1)
GATE = MarketGate(
    is_open=True,
    reason=None,
    benchmark_symbol="SPY",
    benchmark_close=500.0,
    benchmark_sma=480.0,
    detail="open",
)


def candidate(symbol: str, rank: int, distance: float = 0.01) -> Candidate:
    return Candidate(
        symbol=symbol, as_of=PREVIOUS, rank=rank, anchor_type="swing_low",
        anchor_types=("swing_low",), anchor_date=dt.date(2026, 3, 5), anchor_priority=2,
        avwap=Decimal("100.25"), close=Decimal("101.50"), distance=distance, slope=0.0015, sigma=1.5,
        band_lower_1=Decimal("98.75"), band_upper_1=Decimal("101.75"), band_lower_2=Decimal("97.25"),
        band_upper_2=Decimal("103.25"), trend_tier="A", trend_score=0.8, atr=2.1, atr_pct=0.0207,
        stop=Decimal("98.10"), risk_per_share=Decimal("2.15"), target_r1=Decimal("102.40"),
        target_r2=Decimal("104.55"), score=1.25, reclaim=True, tags=(),
    )  # fmt: skip


def write_candidates_artifact(config: Config, day: dt.date, symbols: list[str]) -> Path:
    result = ScanResult(
        as_of=nyse().previous_session(day),
        market_gate=GATE,
        candidates=tuple(candidate(symbol, rank) for rank, symbol in enumerate(symbols, start=1)),
        diagnostics=(),
    )
    provenance = build_provenance("c" * 64, "d" * 64, day, code_version="test")
    return write_candidates(config.artifacts_dir, day, result, provenance, rules_hash="r" * 64)


def write_snapshot(
    config: Config,
    book_id: str,
    day: dt.date,
    positions: dict[str, int],
    *,
    cash: str = "90000",
    history: tuple[str, ...] = (),
) -> Path:
    held = [
        HeldPosition(symbol=s, quantity=q, average_price=Decimal("100"), strategy_id="S1_AVWAP_CORE")
        for s, q in sorted(positions.items())
    ]
    snapshot = build_snapshot(
        book_id=book_id,
        date_ny=day,
        cash=Decimal(cash),
        positions=held,
        marks={},
        realized_pnl=Decimal("0"),
        fees=Decimal("0"),
        realized_by_symbol={},
        equity_history=[Decimal(value) for value in history],
    )
    provenance = build_provenance("c" * 64, "d" * 64, day, code_version="test")
    path, _ = write_snapshot_artifact(config.artifacts_dir, snapshot, provenance)
    return path


def write_daily_bars(
    config: Config, symbols: list[str], end: dt.date, sessions: int = 80, seed: int = 5
) -> None:
    calendar = nyse()
    days = calendar.sessions(calendar.sessions_back(end, sessions - 1), end)
    generator = np.random.default_rng(seed)
    frames = []
    for symbol in symbols:
        closes = 100 * np.cumprod(1 + generator.normal(0, 0.01, len(days)))
        stamps = pd.DatetimeIndex([pd.Timestamp(day) for day in days]).tz_localize("America/New_York")
        frames.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "timestamp": stamps,
                    "open": closes,
                    "high": closes * 1.01,
                    "low": closes * 0.99,
                    "close": closes,
                    "volume": 1_000_000.0,
                }
            )
        )
    BarStore(config.data_dir).write(pd.concat(frames, ignore_index=True), "1d")
