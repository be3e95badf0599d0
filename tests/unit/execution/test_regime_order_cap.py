"""E2 in the execution cycle: with PORTFOLIO_DECISION_ENFORCE=1, an ALLOW decided under E2 caps the order's
quantity at its regime-scaled notional (floor, whole shares); a cap below one share blocks the entry with
PORTFOLIO_DECISION_SIZED_TO_ZERO (noted once); an ALLOW of a batch without a regime (E2 off) sizes as before;
exits are untouched. The scenario (tests/integration/crash_driver.py): equity 100,000; AAA enters at 50.50
and BBB at 20.20, both 1 % above their level, so each sizes to floor(1,666.66 / price) shares."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from tests.integration.crash_driver import DAY, SimScenario, write_watchlist
from tests.unit.execution.test_decision_enforcement import (
    ENFORCE,
    candidates_sha,
    document,
    ny,
    orders,
    write_artifact,
)

from avwap.control import reasons
from avwap.control.portfolio.records import (
    GuardrailLimits,
    PortfolioDecision,
    PortfolioDecisionBatch,
    Verdict,
)
from avwap.control.portfolio.regime import RegimePolicy, modulation
from avwap.core.config import load_config
from avwap.execution.events import EntryEnforcementBlocked
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.record_enums import OrderPurpose
from avwap.ledger.records import Note, OrderSubmitted, TradeIntent
from avwap.strategies.registry import S1_AVWAP_CORE

NEUTRAL = modulation("NEUTRAL", D("0.9"), dt.date(2026, 3, 31), RegimePolicy.from_config(load_config({})))
BASELINE = D(
    "1666.66"
)  # 100,000 x 2 % x (1 - 1 % / 6 %), to the cent below: what the decision layer proposes


def allow(symbol: str, rank: int, notional: D, baseline: D | None) -> PortfolioDecision:
    return PortfolioDecision(
        strategy_id=S1_AVWAP_CORE, symbol=symbol, rank=rank, verdict=Verdict.ALLOW,
        proposed_notional=notional, baseline_notional=baseline,
    )  # fmt: skip


def batch(home: Path, decisions: tuple[PortfolioDecision, ...], *, e2: bool) -> PortfolioDecisionBatch:
    return PortfolioDecisionBatch(
        book_id=PAPER_SIM, date_ny=DAY, decided_at=dt.datetime(2026, 4, 1, 12, 45, tzinfo=dt.UTC),
        strategies=(S1_AVWAP_CORE,), inputs_ok=True, candidates_sha256=candidates_sha(home),
        snapshot_sha256="0" * 64, limits=GuardrailLimits(), decisions=decisions, allowed=len(decisions),
        blocked=0, regime=NEUTRAL if e2 else None,
    )  # fmt: skip


def quantities(scenario: SimScenario) -> dict[str, int]:
    return {item.symbol: item.quantity for item in scenario.records() if isinstance(item, TradeIntent)}


@pytest.fixture
def watchlist(home: Path) -> Path:
    return write_watchlist(home / "artifacts")


def test_without_e2_the_allow_sizes_the_order_as_before(home: Path, watchlist: Path) -> None:
    decisions = (allow("AAA", 1, BASELINE, None), allow("BBB", 2, BASELINE, None))
    write_artifact(home, document(batch(home, decisions, e2=False)))
    scenario = SimScenario(home, environ=ENFORCE)
    scenario.run_at(ny(10, 30))
    # floor(1,666.66 / 50.50) = 33, floor(1,666.66 / 20.20) = 82: the sizing rule's own figures.
    assert quantities(scenario) == {"AAA": 33, "BBB": 82}


def test_a_neutral_allow_caps_the_quantity_by_the_risk_multiplier(home: Path, watchlist: Path) -> None:
    scaled = D("1000.00")  # 1,666.66 x 0.6 = 999.996, to the cent
    assert NEUTRAL.risk_multiplier == D("0.6")
    decisions = (allow("AAA", 1, scaled, BASELINE), allow("BBB", 2, scaled, BASELINE))
    write_artifact(home, document(batch(home, decisions, e2=True)))
    scenario = SimScenario(home, environ=ENFORCE)
    scenario.run_at(ny(10, 30))
    # floor(1,000.00 / 50.50) = 19 (33 x 0.6 = 19.8); floor(1,000.00 / 20.20) = 49 (82 x 0.6 = 49.2).
    assert quantities(scenario) == {"AAA": 19, "BBB": 49}
    submitted = {
        item.symbol: item.quantity
        for item in scenario.records()
        if isinstance(item, OrderSubmitted) and item.purpose == OrderPurpose.ENTRY
    }
    assert submitted == {"AAA": 19, "BBB": 49}
    intent = next(
        item for item in scenario.records() if isinstance(item, TradeIntent) and item.symbol == "AAA"
    )
    assert intent.notional == D("959.50") <= scaled


def test_a_cap_below_one_share_blocks_the_entry_with_its_code(home: Path, watchlist: Path) -> None:
    decisions = (allow("AAA", 1, D("1000.00"), BASELINE), allow("BBB", 2, D("20.19"), BASELINE))
    write_artifact(home, document(batch(home, decisions, e2=True)))
    scenario = SimScenario(home, environ=ENFORCE)
    report = scenario.run_at(ny(10, 30))
    assert quantities(scenario) == {"AAA": 19}  # 20.19 buys no share at 20.20
    blocked = [event for event in report.events if isinstance(event, EntryEnforcementBlocked)]
    assert [(event.symbol, event.code) for event in blocked] == [
        ("BBB", reasons.PORTFOLIO_DECISION_SIZED_TO_ZERO)
    ]
    notes = [item for item in scenario.records() if isinstance(item, Note) and item.symbol == "BBB"]
    assert [(note.code, note.detail["max_notional"], note.detail["baseline_shares"]) for note in notes] == [
        (reasons.PORTFOLIO_DECISION_SIZED_TO_ZERO, "20.19", 82)
    ]
    scenario.run_at(ny(10, 45))  # considered for the day: neither re-planned nor noted again
    assert len([item for item in scenario.records() if isinstance(item, Note) and item.symbol == "BBB"]) == 1
    assert orders(scenario, OrderPurpose.ENTRY) == ["AAA"]


def test_the_protective_stop_covers_the_whole_capped_position(home: Path, watchlist: Path) -> None:
    decisions = (allow("AAA", 1, D("1000.00"), BASELINE),)
    write_artifact(home, document(batch(home, decisions, e2=True)))
    scenario = SimScenario(home, environ=ENFORCE)
    scenario.run_at(ny(10, 30))
    scenario.run_at(ny(11, 30))  # filled; the protective stop follows for the whole position
    stops = [
        item.quantity
        for item in scenario.records()
        if isinstance(item, OrderSubmitted) and item.purpose != OrderPurpose.ENTRY
    ]
    assert stops and set(stops) == {19}
