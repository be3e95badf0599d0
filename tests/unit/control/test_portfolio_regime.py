"""E2 regime risk modulation in the portfolio decision layer: multipliers, fail-closed UNKNOWN, halving,
notional scaling, entry throttle, the drawdown guard beside it, and nothing changed with the flag off."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.unit.analytics.portfolio_fixtures import (
    DAY,
    PREVIOUS,
    write_candidates_artifact,
    write_daily_bars,
    write_snapshot,
)
from tests.unit.control.test_portfolio_decisions import book, candidate, run

from avwap.control import reasons as r
from avwap.control.portfolio.records import GuardrailLimits, Verdict
from avwap.control.portfolio.regime import RegimePolicy, entry_quota, modulation
from avwap.core.calendar import nyse
from avwap.core.clock import FixedClock
from avwap.core.config import Config, load_config
from avwap.core.errors import ConfigurationError
from avwap.data.store import BarStore
from avwap.jobs.portfolio_decide import build_batch, write_batch
from avwap.ledger.records import PortfolioDecisionsRecorded
from avwap.ledger.router import read_file_records
from avwap.watchlist.artifact import candidates_path

POLICY = RegimePolicy.from_config(load_config({}))
CLOCK = FixedClock(dt.datetime(2026, 4, 2, 12, 0, tzinfo=dt.UTC))
HIGH, LOW = Decimal("0.9"), Decimal("0.5")


@pytest.mark.parametrize(
    ("label", "confidence", "expected", "applied"),
    [
        ("RISK_ON", HIGH, ("1", "1"), "RISK_ON"),
        ("NEUTRAL", HIGH, ("0.6", "0.7"), "NEUTRAL"),
        ("RISK_OFF", HIGH, ("0.2", "0.3"), "RISK_OFF"),
        ("STRESSED", HIGH, ("0", "0"), "STRESSED"),
        ("RISK_ON", LOW, ("0.5", "0.5"), "RISK_ON"),  # below the confidence threshold: halved
        ("NEUTRAL", LOW, ("0.30", "0.35"), "NEUTRAL"),
        ("UNKNOWN", Decimal("0"), ("0", "0"), "STRESSED"),  # fail closed
        ("SOMETHING", HIGH, ("0", "0"), "STRESSED"),
    ],
)
def test_multipliers_per_regime(
    label: str, confidence: Decimal, expected: tuple[str, str], applied: str
) -> None:
    result = modulation(label, confidence, PREVIOUS, POLICY)
    assert (result.risk_multiplier, result.new_positions_multiplier) == tuple(Decimal(v) for v in expected)
    assert result.applied_label == applied and result.halved == (confidence < Decimal("0.6"))


def test_the_entry_quota_rounds_down() -> None:
    assert [
        entry_quota(3, modulation(label, HIGH, None, POLICY)) for label in ("RISK_ON", "NEUTRAL", "RISK_OFF")
    ] == [
        3,
        2,
        0,
    ]


def test_the_engine_scales_notionals_and_throttles_entries_in_a_neutral_market() -> None:
    candidates = (candidate("XOM", 1), candidate("JPM", 2), candidate("MSFT", 3))
    limits = GuardrailLimits(max_new_entries=3, max_sector_pct=Decimal("100"))
    plain = run(candidates=candidates, limits=limits)
    neutral = run(candidates=candidates, limits=limits, regime=modulation("NEUTRAL", HIGH, PREVIOUS, POLICY))
    assert [item.verdict for item in plain.decisions] == [Verdict.ALLOW] * 3
    assert [item.verdict for item in neutral.decisions] == [Verdict.ALLOW, Verdict.ALLOW, Verdict.BLOCK]
    assert neutral.decisions[2].reason_codes == (r.PORTFOLIO_REGIME_ENTRY_THROTTLE,)
    for before, after in zip(plain.decisions, neutral.decisions, strict=True):
        assert after.baseline_notional == before.proposed_notional
        assert after.proposed_notional == (before.proposed_notional * Decimal("0.6")).quantize(
            Decimal("0.01")
        )
    assert neutral.regime is not None and neutral.regime.label == "NEUTRAL"


@pytest.mark.parametrize("label", ["STRESSED", "UNKNOWN"])
def test_a_stressed_or_unknown_market_allows_no_entry(label: str) -> None:
    batch = run(
        candidates=(candidate("XOM", 1), candidate("JPM", 2)),
        regime=modulation(label, Decimal(0), None, POLICY),
    )
    assert batch.allowed == 0
    assert all(r.PORTFOLIO_REGIME_NO_RISK in item.reason_codes for item in batch.decisions)
    assert all(item.proposed_notional == 0 for item in batch.decisions)


def test_the_drawdown_guard_and_the_regime_both_apply_the_stricter_wins() -> None:
    drawn = book({"AAPL": "5000"}, history=("100000", "85000"))
    batch = run(book=drawn, regime=modulation("STRESSED", HIGH, PREVIOUS, POLICY))
    (decision,) = batch.decisions
    assert decision.reason_codes == (r.PORTFOLIO_DRAWDOWN_THROTTLE, r.PORTFOLIO_REGIME_NO_RISK)
    calm = run(book=drawn, regime=modulation("RISK_ON", HIGH, PREVIOUS, POLICY))
    assert calm.decisions[0].reason_codes == (r.PORTFOLIO_DRAWDOWN_THROTTLE,)  # a calm market lifts nothing


def test_risk_on_with_confidence_changes_no_verdict_and_no_notional() -> None:
    candidates = (candidate("XOM", 1), candidate("JPM", 2, distance=0.03))
    plain = run(candidates=candidates)
    on = run(candidates=candidates, regime=modulation("RISK_ON", HIGH, PREVIOUS, POLICY))
    strip = [
        (item.symbol, item.verdict, item.reason_codes, item.proposed_notional) for item in plain.decisions
    ]
    assert strip == [
        (item.symbol, item.verdict, item.reason_codes, item.proposed_notional) for item in on.decisions
    ]


def test_without_a_regime_the_plain_batch_has_exactly_the_old_fields() -> None:
    plain = run().plain()
    assert "regime" not in plain and all("baseline_notional" not in item for item in plain["decisions"])  # type: ignore[attr-defined]
    with_regime = run(regime=modulation("RISK_ON", HIGH, PREVIOUS, POLICY)).plain()
    assert with_regime["regime"]["applied_label"] == "RISK_ON"  # type: ignore[index]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("E2_REGIME_MODULATION", "maybe"),
        ("E2_MULTIPLIERS_NEUTRAL", "0.6"),
        ("E2_MULTIPLIERS_NEUTRAL", "0.6,1.2"),
        ("E2_MULTIPLIERS_RISK_OFF", "a,b"),
        ("E2_MULTIPLIERS_STRESSED", "-0.1,0"),
        ("E2_CONFIDENCE_THRESHOLD", "2"),
    ],
)
def test_garbage_e2_settings_name_their_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_config({variable: value})
    assert raised.value.variable == variable


# ----------------------------------------------------------------- through the decision job (the seam the
# demo and the backtest call every morning)


def _ready(config: Config) -> Config:
    write_candidates_artifact(config, DAY, ["MSFT", "XOM"])
    write_snapshot(config, "PAPER_SIM", PREVIOUS, {"AAPL": 50})
    write_daily_bars(config, ["AAPL", "MSFT", "XOM"], PREVIOUS)
    return config


def _write_spy(config: Config, sessions: int, drift: float) -> None:
    calendar = nyse()
    days = calendar.sessions(calendar.sessions_back(PREVIOUS, sessions - 1), PREVIOUS)
    closes = 400 * np.exp(np.cumsum(drift + np.random.default_rng(4).normal(0, 0.004, len(days))))
    stamps = pd.DatetimeIndex([pd.Timestamp(day) for day in days]).tz_localize("America/New_York")
    frame = pd.DataFrame(
        {"symbol": "SPY", "timestamp": stamps, "open": closes, "high": closes * 1.005, "low": closes * 0.995,
         "close": closes, "volume": 5_000_000.0}
    )  # fmt: skip
    BarStore(config.data_dir).write(frame, "1d")


def _on(config: Config, **extra: Any) -> Config:
    return load_config({"E2_REGIME_MODULATION": "1", **extra}, home=config.home)


def test_flag_off_writes_the_artifact_without_e2_fields(config: Config) -> None:
    ready = _ready(config)
    path, _ = write_batch(ready, build_batch(ready, "PAPER_SIM", DAY, CLOCK), CLOCK)
    text = path.read_text(encoding="utf-8")
    assert "regime" not in text and "baseline_notional" not in text


def test_flag_on_without_a_benchmark_fails_closed(config: Config) -> None:
    ready = _on(_ready(config))
    candidates_before = candidates_path(ready.artifacts_dir, DAY).read_bytes()
    batch = build_batch(ready, "PAPER_SIM", DAY, CLOCK)
    assert batch.regime is not None and batch.regime.label == "UNKNOWN" and batch.regime.as_of is None
    assert batch.allowed == 0 and all(
        r.PORTFOLIO_REGIME_NO_RISK in item.reason_codes for item in batch.decisions
    )
    path, _ = write_batch(ready, batch, CLOCK)
    document = json.loads(path.read_bytes())
    assert document["batch"]["regime"]["applied_label"] == "STRESSED"
    (record,) = read_file_records(ready.ledger_dir / "PORTFOLIO_DECISIONS" / f"{DAY}.jsonl")
    assert isinstance(record, PortfolioDecisionsRecorded)
    assert {line.reason_codes for line in record.decisions} == {(r.PORTFOLIO_REGIME_NO_RISK,)}
    assert candidates_path(ready.artifacts_dir, DAY).read_bytes() == candidates_before  # signals untouched


def test_flag_on_in_a_calm_market_reads_the_previous_close_and_changes_no_verdict(config: Config) -> None:
    ready = _ready(config)
    _write_spy(ready, 260, drift=0.001)
    plain = build_batch(ready, "PAPER_SIM", DAY, CLOCK)
    on = build_batch(_on(ready), "PAPER_SIM", DAY, CLOCK)
    assert on.regime is not None and on.regime.as_of == PREVIOUS
    assert on.regime.label == "RISK_ON" and on.regime.confidence == Decimal("0.75")  # no universe for breadth
    assert [(item.symbol, item.verdict, item.proposed_notional) for item in on.decisions] == [
        (item.symbol, item.verdict, item.proposed_notional) for item in plain.decisions
    ]
    strict = build_batch(_on(ready, E2_CONFIDENCE_THRESHOLD="0.8"), "PAPER_SIM", DAY, CLOCK)
    assert (
        strict.regime is not None and strict.regime.halved and strict.regime.risk_multiplier == Decimal("0.5")
    )
