"""The control plane reads typed views: no duck typing, frozen slotted records, and a view of the wrong type
blocks through its ``UNKNOWN_*`` twin (fail closed) with the same reason codes a missing value gives."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from control_builders import HEALTHY, build

from avwap.control import reasons as r
from avwap.control.context import (
    UNKNOWN_INTENT,
    UNKNOWN_PORTFOLIO,
    UNKNOWN_SESSION,
    EntryIntent,
    GateContext,
    GateRules,
    PortfolioView,
    SessionView,
    effective_mode,
    well_formed,
)
from avwap.control.plane import Action, TradingState, evaluate_entry, evaluate_exit
from avwap.core.execution_mode import ExecutionMode

CONTROL = Path(__file__).resolve().parents[3] / "src" / "avwap" / "control"


def test_no_duck_typing_in_the_control_plane() -> None:
    offenders = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(CONTROL.glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\b(getattr|hasattr)\(", line)
    ]
    assert offenders == []


@pytest.mark.parametrize("view", [HEALTHY, HEALTHY.intent, HEALTHY.portfolio, HEALTHY.session, GateRules()])
def test_views_are_frozen_slotted_records(view: object) -> None:
    assert not hasattr(view, "__dict__")
    field = dataclasses.fields(view)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(view, field, None)


def test_well_formed_keeps_a_typed_context_and_replaces_wrong_views() -> None:
    assert well_formed(HEALTHY) is HEALTHY
    broken = dataclasses.replace(HEALTHY, intent=None, portfolio="book", session={})  # type: ignore[arg-type]
    checked = well_formed(broken)
    assert (checked.intent, checked.portfolio, checked.session) == (
        UNKNOWN_INTENT,
        UNKNOWN_PORTFOLIO,
        UNKNOWN_SESSION,
    )
    assert isinstance(checked, GateContext) and checked.rules is HEALTHY.rules


def test_a_portfolio_of_the_wrong_type_halts_and_names_every_portfolio_gate() -> None:
    decision = evaluate_entry(build(portfolio=None))
    assert decision.action is Action.REJECT and decision.trading_state is TradingState.HALTED
    assert decision.reasons == (
        r.LEDGER_UNREADABLE,
        r.UNKNOWN_POSITIONS,
        r.RECONCILIATION_DRIFT,
        r.WATCHLIST_STALE,
        r.EQUITY_UNKNOWN,
    )
    exit_decision = evaluate_exit(build(portfolio=None))
    assert exit_decision.allowed is True and r.LEDGER_UNREADABLE in exit_decision.would_block


def test_an_intent_of_the_wrong_type_is_recorded_as_absent() -> None:
    decision = evaluate_entry(build(intent=("AAPL", 10)))
    assert decision.action is Action.REJECT and decision.reasons == (r.INVALID_INTENT,)
    assert (decision.symbol, decision.requested_quantity) == (None, None)


def test_effective_mode_is_none_without_a_resolution() -> None:
    assert effective_mode(HEALTHY) is ExecutionMode.PAPER_SIM
    assert effective_mode(build(mode="LIVE")) is None


def test_unknown_twins_block_every_gate_they_feed() -> None:
    assert isinstance(UNKNOWN_INTENT, EntryIntent) and UNKNOWN_INTENT.quantity == 0
    assert isinstance(UNKNOWN_PORTFOLIO, PortfolioView) and UNKNOWN_PORTFOLIO.ledger_readable is False
    assert isinstance(UNKNOWN_SESSION, SessionView) and UNKNOWN_SESSION.market_open is False
