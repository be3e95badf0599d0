"""The stop-free allocation intent kind (issue 13): declared in the registry, sized on notional."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.unit.control.control_builders import build

from avwap.control import reasons
from avwap.control.context import ALLOCATION_KIND, EntryIntent
from avwap.control.plane import Action, evaluate_entry
from avwap.ledger.paths import ALPACA_PAPER, SCHWAB_401K_MANUAL
from avwap.strategies.registry import (
    S1_AVWAP_CORE,
    S_401K_ALLOCATION,
    StrategyMetadata,
    allocation_allowed,
    load_strategy,
    metadata_problems,
)

# Buy 4 FXAIX at $200 (notional $800 = the risk: no stop), caps wide enough for it.
ALLOCATION = EntryIntent(
    "FXAIX",
    4,
    Decimal("200"),
    None,
    strategy_id=S_401K_ALLOCATION,
    kind=ALLOCATION_KIND,
    allocation_allowed=True,
)
WIDE = {"rules__max_risk_per_trade": Decimal("1000"), "rules__max_risk_per_trade_pct": Decimal("5")}


def test_an_allowed_allocation_buy_is_approved_with_risk_measured_on_notional() -> None:
    decision = evaluate_entry(build(intent=ALLOCATION, **WIDE))
    assert decision.action is Action.APPROVE and decision.quantity == 4
    (risk,) = [gate for gate in decision.gates if gate.name == "risk_per_trade"]
    assert risk.detail["after"] == Decimal("800")  # the whole notional is the risk
    (intent,) = [gate for gate in decision.gates if gate.name == "intent"]
    assert intent.detail["kind"] == "allocation"


def test_every_cap_measures_the_notional_and_resizes_or_blocks() -> None:
    resized = evaluate_entry(
        build(intent=ALLOCATION, **{**WIDE, "rules__max_risk_per_trade": Decimal("500")})
    )
    assert resized.action is Action.RESIZE and resized.quantity == 2
    assert resized.primary_reason == reasons.MAX_RISK_PER_TRADE_EXCEEDED
    blocked = evaluate_entry(
        build(intent=ALLOCATION, **{**WIDE, "rules__max_risk_per_trade": Decimal("150")})
    )
    assert blocked.action is Action.REJECT and reasons.MAX_RISK_PER_TRADE_EXCEEDED in blocked.reasons


def test_a_strategy_or_book_not_declared_for_allocation_is_rejected_with_its_code() -> None:
    undeclared = EntryIntent("FXAIX", 4, Decimal("200"), None, kind=ALLOCATION_KIND, allocation_allowed=False)
    decision = evaluate_entry(build(intent=undeclared, **WIDE))
    assert decision.action is Action.REJECT and decision.primary_reason == reasons.ALLOCATION_NOT_ALLOWED


@pytest.mark.parametrize(
    "intent",
    [
        EntryIntent(
            "FXAIX", 4, Decimal("200"), Decimal("190"), kind=ALLOCATION_KIND, allocation_allowed=True
        ),
        EntryIntent("FXAIX", 4, Decimal("200"), None),  # a stop-kind intent without its stop
        EntryIntent("FXAIX", 4, Decimal("200"), None, kind="weights", allocation_allowed=True),
    ],
    ids=["allocation-with-a-stop", "stop-kind-without-stop", "unknown-kind"],
)
def test_malformed_kinds_are_invalid(intent: EntryIntent) -> None:
    decision = evaluate_entry(build(intent=intent, **WIDE))
    assert decision.action is Action.REJECT and decision.primary_reason == reasons.INVALID_INTENT


def test_a_rebalance_adds_to_a_held_symbol_but_a_stop_entry_does_not() -> None:
    held = {
        "portfolio__positions": {"FXAIX": Decimal("400")},
        "portfolio__gross_exposure": Decimal("400"),
        "rules__max_positions": 1,
        "rules__max_notional_per_symbol": Decimal("2000"),  # held $400 + $800
    }
    assert evaluate_entry(build(intent=ALLOCATION, **WIDE, **held)).action is Action.APPROVE
    stop_entry = EntryIntent("FXAIX", 4, Decimal("200"), Decimal("199"))
    decision = evaluate_entry(build(intent=stop_entry, **WIDE, **held))
    assert {reasons.ALREADY_HOLDING, reasons.MAX_POSITIONS_REACHED} <= set(decision.reasons)
    other = {**held, "portfolio__positions": {"VTI": Decimal("400")}}
    assert reasons.MAX_POSITIONS_REACHED in evaluate_entry(build(intent=ALLOCATION, **WIDE, **other)).reasons


def test_the_registry_allows_allocation_only_to_declared_strategies_on_manual_books() -> None:
    assert allocation_allowed(S_401K_ALLOCATION, SCHWAB_401K_MANUAL)
    assert not allocation_allowed(S_401K_ALLOCATION, ALPACA_PAPER)
    assert not allocation_allowed(S1_AVWAP_CORE, SCHWAB_401K_MANUAL)
    assert not allocation_allowed("S_UNKNOWN", SCHWAB_401K_MANUAL)
    metadata = load_strategy(S_401K_ALLOCATION).metadata
    assert metadata.stop_policy == "allocation"
    wrong = StrategyMetadata(**{**metadata.__dict__, "books": (SCHWAB_401K_MANUAL, ALPACA_PAPER)})
    assert any("manual books only" in problem for problem in metadata_problems(wrong))
