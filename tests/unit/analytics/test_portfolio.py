from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from avwap.analytics.portfolio import (
    HeldPosition,
    build_snapshot,
    daily_returns,
    drawdown_series,
    rolling_volatility,
)
from avwap.core.canonical import canonical_json


def test_drawdown_is_peak_to_trough() -> None:
    series = [D("100"), D("110"), D("99"), D("105"), D("120"), D("90")]
    assert drawdown_series(series) == [
        D("0.000000"),
        D("0.000000"),
        D("-0.100000"),
        D("-0.045455"),
        D("0.000000"),
        D("-0.250000"),
    ]


def test_returns_and_volatility() -> None:
    assert daily_returns([D("100"), D("110"), D("99")]) == pytest.approx([0.10, -0.10])
    assert rolling_volatility([0.01]) is None
    # sample std of [0.01, -0.01] = 0.0141421..., annualized by sqrt(252)
    assert rolling_volatility([0.01, -0.01]) == pytest.approx(0.014142135 * 15.874507866, rel=1e-6)


def test_snapshot_hand_computed() -> None:
    positions = [
        HeldPosition("MSFT", 10, D("100.00"), "S1_AVWAP_CORE", stop_price=D("95.00")),
        HeldPosition("AAPL", 5, D("200.00"), "S1_AVWAP_CORE"),
    ]
    snapshot = build_snapshot(
        book_id="PAPER_SIM",
        date_ny=dt.date(2026, 11, 2),
        cash=D("7000.00"),
        positions=positions,
        marks={"MSFT": D("103.50"), "AAPL": D("190.00")},
        realized_pnl=D("25.00"),
        fees=D("1.00"),
        realized_by_symbol={"IBM": D("25.00")},
        equity_history=[D("10000.00"), D("10100.00")],
    )
    # market values 1035 + 950 = 1985; equity 8985
    assert snapshot.equity == D("8985.00")
    assert snapshot.gross_exposure == D("1985.00")
    assert snapshot.net_exposure == D("1985.00")
    assert [line.symbol for line in snapshot.positions] == ["AAPL", "MSFT"]
    assert snapshot.unrealized_pnl == D("-15.00")  # -50 + 35
    assert snapshot.contribution_by_symbol == {"AAPL": D("-50.00"), "IBM": D("25.00"), "MSFT": D("35.00")}
    assert snapshot.peak_equity == D("10100.00")
    assert snapshot.drawdown == D("-0.110396")  # 8985/10100 - 1
    assert snapshot.max_drawdown == D("-0.110396")
    assert snapshot.daily_return == D("-0.110396")
    assert snapshot.positions[1].weight == D("0.115192")  # 1035 / 8985


def test_unmarked_position_is_valued_at_cost_and_snapshot_is_byte_stable() -> None:
    arguments = {
        "book_id": "PAPER_SIM",
        "date_ny": dt.date(2026, 11, 2),
        "cash": D("100"),
        "positions": [HeldPosition("XYZ", 3, D("10.00"), "S1_AVWAP_CORE")],
        "marks": {},
        "realized_pnl": D("0"),
        "fees": D("0"),
        "realized_by_symbol": {},
        "equity_history": [],
    }
    first = build_snapshot(**arguments)  # type: ignore[arg-type]
    assert first.equity == D("130.00") and first.unrealized_pnl == D("0.00")
    assert canonical_json(first) == canonical_json(build_snapshot(**arguments))  # type: ignore[arg-type]
