"""Exit metrics by hand (MAE/MFE/R/efficiency/giveback/holding), the daily artifact, and exit parity."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import msgspec
import numpy as np
import pytest
from test_trades_reconstruction import DAY, Builder, ny, round_trip

from avwap.analytics.exit_metrics import (
    DivergenceCause,
    exit_artifact_path,
    exit_parity,
    holding_time,
    trade_metrics,
    write_exit_artifact,
)
from avwap.analytics.trades import reconstruct_trades
from avwap.exits.bar_arrays import BarArrays, bar_arrays_from_values, instant_ns, ny_midnight_ns
from avwap.exits.simulator import OPEN, STOPPED, SimulatedExit
from avwap.ledger.atomic import build_provenance


def session_bars() -> BarArrays:
    """5-minute bars 09:30–15:55 between 100.50 and 101.00, except: 09:30 low 90 (before the entry: ignored),
    11:00 low 99.00 (the worst), 13:00 high 102.30 (the best), 15:00 high 110 (after the exit: ignored)."""
    starts = instant_ns(ny(9, 30)) + np.arange(78, dtype=np.int64) * 300_000_000_000
    low, high = np.full(78, 100.5), np.full(78, 101.0)
    low[0], low[18], high[42], high[66] = 90.0, 99.0, 102.3, 110.0
    return bar_arrays_from_values(starts, low + 0.1, high, low, high - 0.1)


def test_metrics_by_hand() -> None:
    [trade] = reconstruct_trades(round_trip())
    metrics = trade_metrics(trade, session_bars(), 5)
    # entry 100.30, exit 101.00, initial stop 98.30 => risk 2.00
    assert metrics.risk_per_share == Decimal("2.0000")
    assert (metrics.mae, metrics.mae_r) == (Decimal("-1.3000"), Decimal("-0.6500"))  # 99.00 − 100.30
    assert (metrics.mfe, metrics.mfe_r) == (Decimal("2.0000"), Decimal("1.0000"))  # 102.30 − 100.30
    assert metrics.r_multiple == Decimal("0.3500")  # 0.70 / 2.00
    assert metrics.efficiency == Decimal("0.3500")  # 0.70 / 2.00
    assert (metrics.giveback, metrics.giveback_r) == (Decimal("1.3000"), Decimal("0.6500"))
    assert (metrics.holding_sessions, metrics.holding_minutes) == (1, 240)  # 10:01 .. 14:01
    assert metrics.bars == 49  # the 10:00 bar (holds the 10:01 entry) .. the 14:00 bar (holds the exit)
    assert (metrics.exit_reason, metrics.net_pnl) == ("STOP", Decimal("4.00"))


def test_missing_bars_still_use_the_fills() -> None:
    [trade] = reconstruct_trades(round_trip())
    empty = bar_arrays_from_values(np.empty(0, dtype=np.int64), [], [], [], [])
    metrics = trade_metrics(trade, empty, 5)
    assert (metrics.mae, metrics.mfe, metrics.bars) == (Decimal("0.0000"), Decimal("0.7000"), 0)
    assert metrics.efficiency == Decimal("1.0000")  # the exit was the best price seen


def test_no_risk_no_r_and_open_trades_refused() -> None:
    [trade] = reconstruct_trades(round_trip())
    riskless = msgspec.structs.replace(trade, initial_stop=Decimal("100.30"))
    metrics = trade_metrics(riskless, session_bars(), 5)
    assert metrics.r_multiple is None and metrics.mae_r is None and metrics.risk_per_share is None
    with pytest.raises(ValueError, match="not closed"):
        trade_metrics(msgspec.structs.replace(trade, status="OPEN"), session_bars(), 5)


def test_daily_bars_and_holding_across_sessions() -> None:
    [trade] = reconstruct_trades(round_trip())
    later = msgspec.structs.replace(
        trade, exit_time=ny(10, 1, dt.date(2026, 4, 6))
    )  # Good Friday 04-03 closed
    days = [dt.date(2026, 3, 31), DAY, dt.date(2026, 4, 2), dt.date(2026, 4, 6), dt.date(2026, 4, 7)]
    daily = bar_arrays_from_values(
        [ny_midnight_ns(day) for day in days],
        [100] * 5,
        [105, 103, 104, 102, 120],
        [80, 99, 98.5, 100, 70],
        [100] * 5,
    )
    metrics = trade_metrics(later, daily, None)
    assert metrics.bars == 3 and metrics.mae == Decimal("-1.8000") and metrics.mfe == Decimal("3.7000")
    assert holding_time(ny(10, 1), ny(10, 1, dt.date(2026, 4, 6))) == (3, 390 - 31 + 390 + 31)


def test_artifact_is_deterministic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    [trade] = reconstruct_trades(round_trip())
    metrics = trade_metrics(trade, session_bars(), 5)
    provenance = build_provenance("cfg", "data", DAY, code_version="test")
    first = write_exit_artifact(tmp_path / "a", DAY, {"PAPER_SIM": [metrics]}, provenance)
    again = write_exit_artifact(tmp_path / "b", DAY, {"PAPER_SIM": [metrics]}, provenance)
    assert first == exit_artifact_path(tmp_path / "a", DAY) and first.name == "2026-04-01.json"
    assert first.read_bytes() == again.read_bytes()
    payload = json.loads(first.read_bytes())
    book = payload["books"]["PAPER_SIM"]
    assert book["summary"]["trades"] == 1 and book["summary"]["average_r"] == "0.3500"
    assert book["trades"][0]["mae"] == "-1.3000" and payload["provenance"]["as_of_date_ny"] == "2026-04-01"
    other_day = write_exit_artifact(tmp_path / "c", dt.date(2026, 4, 2), {"PAPER_SIM": [metrics]}, provenance)
    assert json.loads(other_day.read_bytes())["books"]["PAPER_SIM"]["trades"] == []


def simulated(position_id: str, symbol: str = "MSFT", **changes: object) -> SimulatedExit:
    exit_ = SimulatedExit(
        position_id=position_id,
        symbol=symbol,
        quantity=10,
        entry_time=ny(10, 1),
        entry_price=Decimal("100.30"),
        outcome=STOPPED,
        exit_time=ny(14, 0),
        exit_bar_end=ny(14, 5),
        exit_price=Decimal("101.00"),
        stop_basis=None,
        stop_revision=1,
        revisions=(),
    )
    return dataclasses.replace(exit_, **changes)  # type: ignore[arg-type]


def test_parity_matches_and_lists_planted_divergences() -> None:
    [trade] = reconstruct_trades(round_trip())
    assert exit_parity([trade], [simulated(trade.position_id)]).ok
    planted = [
        simulated(
            trade.position_id, exit_price=Decimal("100.90"), exit_time=ny(15, 0), exit_bar_end=ny(15, 5)
        ),
        simulated("pos_" + "f" * 32, symbol="AAPL"),
    ]
    report = exit_parity([trade], planted)
    causes = [
        (item.position_id == trade.position_id, item.cause, item.real, item.simulated)
        for item in report.divergences
    ]
    assert causes == [
        (True, DivergenceCause.PRICE_DIFFERS, "101.000000", "100.90"),
        (True, DivergenceCause.TIME_DIFFERS, "2026-04-01T18:01:00Z", "2026-04-01T19:00:00Z"),
        (False, DivergenceCause.MISSING_IN_REAL, None, "2026-04-01T18:00:00Z"),
    ]
    assert (report.compared, report.matched, report.ok) == (2, 0, False)
    assert exit_parity(
        [trade], [simulated(trade.position_id, exit_price=Decimal("100.99"))], price_tolerance=Decimal("0.01")
    ).ok


def test_parity_missing_in_simulation_and_quantity() -> None:
    [trade] = reconstruct_trades(round_trip())
    still_open = simulated(
        trade.position_id, outcome=OPEN, exit_time=None, exit_bar_end=None, exit_price=None
    )
    [missing] = exit_parity([trade], [still_open]).divergences
    assert missing.cause is DivergenceCause.MISSING_IN_SIMULATION
    [quantity] = exit_parity([trade], [simulated(trade.position_id, quantity=7)]).divergences
    assert (quantity.cause, quantity.real, quantity.simulated) == (
        DivergenceCause.QUANTITY_DIFFERS,
        "10",
        "7",
    )
    other = Builder("AAPL")
    entry_only = round_trip(other)[:4]
    [open_trade] = reconstruct_trades(entry_only)
    assert exit_parity([open_trade], []).ok  # open in both: nothing to compare yet
