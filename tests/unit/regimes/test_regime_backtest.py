"""E2 inside the backtest (through the decision layer's seam, ``jobs.portfolio_decide.build_batch``): each
morning's batch carries the regime of the previous close computed from the engine's bars; the scan's
candidates (the signals) are byte-identical with the flag on and off; with enforcement, entries stay
within the modulated ALLOWs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from avwap.backtest.run import run_backtest
from avwap.core.calendar import nyse
from avwap.data.synthetic import SyntheticMarketSpec, ensure_market
from avwap.ledger.paths import BACKTEST
from avwap.ledger.record_enums import OrderPurpose
from avwap.ledger.records import OrderSubmitted
from avwap.ledger.router import Ledger

SPEC = SyntheticMarketSpec(
    seed=7, symbols=30, daily_start=dt.date(2025, 9, 2), daily_end=dt.date(2026, 10, 30),
    intraday_start=dt.date(2026, 10, 26),
)  # fmt: skip
START, END = dt.date(2026, 9, 14), dt.date(2026, 9, 25)


def _run(market: Path, out: Path, **environ: str):  # type: ignore[no-untyped-def]
    return run_backtest(
        {"PORTFOLIO_DECISION_ENFORCE": "1", **environ}, start=START, end=END, data_root=market, out=out,
        resolution="1d", code_version="test",
    )  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("regime-backtest")
    ensure_market(SPEC, base / "market", owned=True)
    return (
        base,
        _run(base / "market", base / "off"),
        _run(base / "market", base / "on", E2_REGIME_MODULATION="1"),
    )


def test_every_morning_batch_carries_the_previous_close_regime(runs) -> None:  # type: ignore[no-untyped-def]
    _, off, on = runs
    calendar = nyse()
    assert all(batch.regime is None for batch in off.result.decisions.values())
    assert set(on.result.decisions) == set(on.result.sessions)
    for day, batch in on.result.decisions.items():
        assert batch.regime is not None and batch.regime.as_of == calendar.previous_session(day)
        assert batch.regime.label in {"RISK_ON", "NEUTRAL", "RISK_OFF", "STRESSED"}  # SPY is in the market


def test_candidates_are_identical_with_the_flag_on(runs) -> None:  # type: ignore[no-untyped-def]
    """The CSVs byte for byte; the JSON artifacts too, except the provenance's Config hash (the flag is part
    of the Config)."""
    base = runs[0]
    folders = [base / name / "home" / "artifacts" / "candidates" for name in ("off", "on")]
    files = [sorted(folder.glob("*")) for folder in folders]
    assert files[0] and [path.name for path in files[0]] == [path.name for path in files[1]]
    for off, on in zip(*files, strict=True):
        if off.suffix == ".csv":
            assert off.read_bytes() == on.read_bytes()
            continue
        before, after = json.loads(off.read_bytes()), json.loads(on.read_bytes())
        assert before.pop("provenance")["config_hash"] != after.pop("provenance")["config_hash"]
        assert before == after and before["candidates"] is not None


def test_entries_stay_within_the_modulated_allows(runs) -> None:  # type: ignore[no-untyped-def]
    base, _, on = runs
    allowed = {
        (day, item.symbol)
        for day, batch in on.result.decisions.items()
        for item in batch.decisions
        if item.verdict.value == "ALLOW" and item.strategy_id == "S1_AVWAP_CORE"
    }
    records = Ledger(base / "on" / "home" / "ledger").read_book(BACKTEST)
    entries = [
        (record.date_ny, record.symbol)
        for record in records
        if isinstance(record, OrderSubmitted) and record.purpose == OrderPurpose.ENTRY
    ]
    assert all(entry in allowed for entry in entries)
