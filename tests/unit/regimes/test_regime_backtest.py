"""E2 inside the backtest (through the decision layer's seam, ``jobs.portfolio_decide.build_batch``): each
morning's batch carries the regime of the previous close computed from the engine's bars; the scan's
candidates (the signals) are byte-identical with the flag on and off; with enforcement, entries stay
within the modulated ALLOWs and their quantities within the ALLOW's scaled notional; with the flag off (or
0) the trading ledger is the one written before E2 existed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import ROUND_FLOOR, Decimal
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


@pytest.fixture(scope="module")
def half(runs):  # type: ignore[no-untyped-def]
    """E2 on with RISK_ON scaled to half the risk (the synthetic market is RISK_ON every morning)."""
    base = runs[0]
    return _run(base / "market", base / "half", E2_REGIME_MODULATION="1", E2_MULTIPLIERS_RISK_ON="0.5,1")


def _entries(base: Path, name: str) -> list[OrderSubmitted]:
    records = Ledger(base / name / "home" / "ledger").read_book(BACKTEST)
    return [
        item for item in records if isinstance(item, OrderSubmitted) and item.purpose == OrderPurpose.ENTRY
    ]


# sha256 of the BACKTEST ledger's records of the "off" run (E2 off, enforcement on), each as canonical JSON
# without ``data_version``, computed on the commit before E2 reached order sizes (86762e2). ``data_version``
# is the sha256 of the candidates artifact, whose provenance holds the Config hash, which any new setting
# changes; every other byte of every trading record is pinned.
OFF_LEDGER_SHA256 = "081fc0d8a733b8e0c6de07042f3fc8c5ec3008ece633dac92216f471890f1ec0"


def _records_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            record = json.loads(line)["record"]
            record.pop("data_version", None)
            digest.update(json.dumps(record, sort_keys=True, separators=(",", ":")).encode() + b"\n")
    return digest.hexdigest()


def test_flag_off_or_zero_leaves_the_ledgers_byte_identical(runs) -> None:  # type: ignore[no-untyped-def]
    base = runs[0]
    _run(base / "market", base / "zero", E2_REGIME_MODULATION="0")
    homes = [base / name / "home" / "ledger" for name in ("off", "zero")]
    files = [sorted(path.relative_to(home) for path in home.rglob("*") if path.is_file()) for home in homes]
    assert files[0] == files[1] and len(files[0]) > 20
    for name in files[0]:
        assert (homes[0] / name).read_bytes() == (homes[1] / name).read_bytes(), name
    assert _records_digest(homes[0] / BACKTEST) == OFF_LEDGER_SHA256


def test_the_regime_scaled_notional_caps_each_entry(runs, half) -> None:  # type: ignore[no-untyped-def]
    """Every entry's quantity is at most floor(ALLOW's scaled notional / entry price); on the first trading
    day (same book in both runs) each entry is exactly min(the unmodulated order, that cap)."""
    base = runs[0]
    on = _entries(base, "half")
    off = {(item.date_ny, item.symbol): item.quantity for item in _entries(base, "off")}
    first = min(item.date_ny for item in on)
    reduced = 0
    for order in on:
        decision = half.result.decisions[order.date_ny].verdict_for(order.strategy_id, order.symbol)
        assert decision is not None and decision.baseline_notional is not None
        assert decision.proposed_notional == (decision.baseline_notional / 2).quantize(Decimal("0.01"))
        assert order.stop_price is not None  # a daily buy-stop at the entry price
        cap = int((decision.proposed_notional / order.stop_price).to_integral_value(rounding=ROUND_FLOOR))
        assert order.quantity <= cap
        if order.date_ny == first:
            assert order.quantity == min(off[(first, order.symbol)], cap)
            reduced += order.quantity < off[(first, order.symbol)]
    assert reduced >= 1  # the cap did bind


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
