"""The plane around the gates: documented order, trading state, resizing, records, fail-closed on bugs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from control_builders import HEALTHY, build

from avwap.control import reasons as r
from avwap.control.context import GateResult
from avwap.control.plane import (
    ENTRY_GATES,
    GATE_ORDER,
    Action,
    TradingState,
    evaluate_entry,
    evaluate_exit,
    run_gates,
    trading_state,
)
from avwap.control.state_files import kill_switch_active, read_state_files
from avwap.core.canonical import canonical_json
from avwap.core.config import load_config

# The codes each gate may raise, in gate order: the documented order of REASONS must follow it.
GATE_CODES = {
    "kill_switch": [r.KILL_SWITCH_ACTIVE],
    "execution_mode": [r.MODE_UNRESOLVED, r.LIVE_NOT_CONFIRMED],
    "clock": [r.CLOCK_UNKNOWN],
    "strategy_known": [r.STRATEGY_UNKNOWN],
    "strategy_book": [r.STRATEGY_BOOK_NOT_ALLOWED],
    "strategy_universe": [r.STRATEGY_SYMBOL_OUTSIDE_UNIVERSE],
    "phase_c_date": [r.PHASE_C_DATE_MISSING, r.PHASE_C_DATE_MISMATCH],
    "phase_c_allowlist": [r.PHASE_C_ALLOWLIST_NOT_SINGLE],
    "phase_c_symbol": [r.PHASE_C_SYMBOL_NOT_ALLOWED],
    "ledger": [r.LEDGER_UNREADABLE],
    "positions": [r.UNKNOWN_POSITIONS],
    "reconciliation": [r.RECONCILIATION_DRIFT],
    "market_hours": [r.MARKET_CLOSED],
    "broker_clock": [r.BROKER_CLOCK_UNKNOWN, r.CALENDAR_BROKER_CLOCK_DISAGREE],
    "entry_window": [r.ENTRY_WINDOW_CLOSED],
    "watchlist": [r.WATCHLIST_STALE],
    "intraday_data": [r.INTRADAY_DATA_STALE],
    "equity": [r.EQUITY_UNKNOWN],
    "allowlist": [r.SYMBOL_NOT_ALLOWLISTED],
    "strategy_routable": [r.STRATEGY_NOT_ROUTABLE],
    "intent": [r.INVALID_INTENT],
    "already_holding": [r.ALREADY_HOLDING],
    "entries_per_day": [r.MAX_ENTRIES_PER_DAY_REACHED],
    "max_positions": [r.MAX_POSITIONS_REACHED],
    "risk_per_trade": [r.MAX_RISK_PER_TRADE_EXCEEDED],
    "risk_pct": [r.MAX_RISK_PCT_EXCEEDED],
    "notional_per_symbol": [r.MAX_NOTIONAL_PER_SYMBOL_EXCEEDED],
    "gross_exposure": [r.MAX_GROSS_EXPOSURE_EXCEEDED],
    "gross_exposure_pct": [r.MAX_GROSS_EXPOSURE_PCT_EXCEEDED],
    "sleeve_symbol_overlap": [r.SLEEVE_SYMBOL_HELD_BY_OTHER],
    "sleeve_assigned": [r.SLEEVE_MISSING],
    "sleeve_daily_loss": [r.SLEEVE_DAILY_PNL_UNKNOWN, r.SLEEVE_DAILY_LOSS_REACHED],
    "sleeve_new_entries": [r.SLEEVE_MAX_NEW_ENTRIES_REACHED],
    "sleeve_positions": [r.SLEEVE_MAX_POSITIONS_REACHED],
    "sleeve_gross": [r.SLEEVE_MAX_GROSS_EXPOSURE_EXCEEDED],
}


def test_reason_order_follows_gate_order() -> None:
    assert list(GATE_CODES) == list(GATE_ORDER)
    ranks = [r.reason_rank(code) for name in GATE_ORDER for code in GATE_CODES[name]]
    assert ranks == sorted(ranks)


def test_reason_codes_are_stable_upper_snake_and_described() -> None:
    constants = {name: value for name, value in vars(r).items() if name.isupper() and isinstance(value, str)}
    for code in [*r.REASONS, *r.PREFLIGHT_CODES]:
        assert constants[code] == code
        assert code.replace("_", "").isalnum() and code == code.upper()
        assert r.describe(code) != "unknown reason code"
    assert not set(r.REASONS) & set(r.PREFLIGHT_CODES)
    table = r.reason_table_markdown()
    assert all(f"`{code}`" in table for code in [*r.REASONS, *r.PREFLIGHT_CODES])
    assert table.index("`KILL_SWITCH_ACTIVE`") < table.index("`MAX_GROSS_EXPOSURE_PCT_EXCEEDED`")


def test_sort_reasons_dedupes_and_orders() -> None:
    codes = [
        r.MAX_POSITIONS_REACHED,
        r.KILL_SWITCH_ACTIVE,
        "ZZZ_UNKNOWN",
        r.MAX_POSITIONS_REACHED,
        r.EQUITY_UNKNOWN,
    ]
    assert r.sort_reasons(codes) == (
        r.KILL_SWITCH_ACTIVE,
        r.EQUITY_UNKNOWN,
        r.MAX_POSITIONS_REACHED,
        "ZZZ_UNKNOWN",
    )


@pytest.mark.parametrize(
    ("kill_switch", "changes", "state"),
    [
        (False, {}, TradingState.ACTIVE),
        (True, {}, TradingState.REDUCING),
        (None, {}, TradingState.REDUCING),
        (False, {"ledger_readable": False}, TradingState.HALTED),
        (False, {"unknown_positions": True}, TradingState.HALTED),
        (False, {"reconciliation_drift": True}, TradingState.HALTED),
        (False, {"reconciliation_drift": None}, TradingState.HALTED),
        (True, {"unknown_positions": True}, TradingState.HALTED),
        (False, {"equity": None}, TradingState.ACTIVE),  # unknown equity blocks entries but is not a halt
    ],
)
def test_trading_state(kill_switch: object, changes: dict[str, object], state: TradingState) -> None:
    context = build(kill_switch=kill_switch, **{f"portfolio__{key}": value for key, value in changes.items()})
    assert trading_state(context.kill_switch, context.portfolio) is state
    assert evaluate_entry(context).trading_state is state
    assert evaluate_exit(context).trading_state is state
    if state is not TradingState.ACTIVE:
        assert evaluate_entry(context).action is Action.REJECT
    assert trading_state(False, None) is TradingState.HALTED


def test_every_gate_is_recorded_in_order_with_details() -> None:
    decision = evaluate_entry(build(rules__max_risk_per_trade=Decimal("19.99")))
    assert [outcome.name for outcome in decision.gates] == list(GATE_ORDER)
    risk = next(outcome for outcome in decision.gates if outcome.name == "risk_per_trade")
    assert (risk.allowed, risk.reason, risk.max_quantity) == (False, r.MAX_RISK_PER_TRADE_EXCEEDED, 9)
    assert risk.detail["after"] == Decimal("20.00") and risk.detail["limit"] == Decimal("19.99")
    assert decision.action is Action.RESIZE and decision.requested_quantity == 10 and decision.quantity == 9


def test_decision_record_is_canonical_json() -> None:
    decision = evaluate_entry(build(kill_switch=True, portfolio__equity=1.5))
    record = decision.to_record()
    assert record["action"] == "REJECT" and record["primary_reason"] == r.KILL_SWITCH_ACTIVE
    assert record["reasons"] == [r.KILL_SWITCH_ACTIVE, r.EQUITY_UNKNOWN]
    assert canonical_json(record) == canonical_json(
        evaluate_entry(build(kill_switch=True, portfolio__equity=1.5)).to_record()
    )
    assert canonical_json(evaluate_exit(build(kill_switch=True)).to_record())


def test_a_crashing_gate_blocks_entries_but_not_exits() -> None:
    def boom(context: object) -> GateResult:
        raise RuntimeError("bug")

    def wrong(context: object) -> GateResult:
        return "yes"  # type: ignore[return-value]

    def silent(context: object) -> GateResult:
        return GateResult(allowed=False)

    outcomes = run_gates(HEALTHY, (("boom", boom), ("wrong", wrong), ("silent", silent)))
    assert [(outcome.allowed, outcome.reason) for outcome in outcomes] == [(False, r.GATE_ERROR)] * 3
    assert "RuntimeError: bug" in outcomes[0].detail["error"]
    broken = build(rules=None)  # every gate that reads the rules raises AttributeError
    decision = evaluate_entry(broken)
    assert decision.action is Action.REJECT and r.GATE_ERROR in decision.reasons
    assert evaluate_exit(broken).allowed is True and r.GATE_ERROR in evaluate_exit(broken).would_block


def test_an_entry_without_a_context_is_rejected() -> None:
    decision = evaluate_entry(None)  # type: ignore[arg-type]
    assert decision.action is Action.REJECT and decision.reasons == (r.GATE_ERROR,)
    assert decision.trading_state is TradingState.HALTED


def test_exit_audit_survives_a_context_that_is_not_a_context() -> None:
    decision = evaluate_exit(None, "CANCEL")  # type: ignore[arg-type]
    assert decision.allowed is True and decision.kind == "CANCEL" and decision.would_block == (r.GATE_ERROR,)


def test_resize_is_rechecked_and_never_exceeds_the_request() -> None:
    decision = evaluate_entry(build(rules__max_gross_exposure=Decimal("10000000")))
    assert decision.action is Action.APPROVE and decision.quantity == 10


def test_entry_gates_are_exactly_the_documented_ones() -> None:
    assert len(ENTRY_GATES) == len(set(GATE_ORDER)) == 35


@pytest.mark.parametrize(
    ("env_flag", "file", "expected"),
    [(False, False, False), (True, False, True), (False, True, True), (True, True, True)],
)
def test_kill_switch_via_env_or_file(tmp_path: Path, env_flag: bool, file: bool, expected: bool) -> None:
    state = tmp_path / "state"
    state.mkdir()
    if file:
        (state / "KILL_SWITCH").write_text("")
    config = load_config({"KILL_SWITCH": "1" if env_flag else "0"}, home=tmp_path)
    active = kill_switch_active(config.kill_switch, config.state_dir)
    assert active is expected
    assert read_state_files(state).kill_switch_file is file
    decision = evaluate_entry(build(kill_switch=active))
    assert decision.reasons == ((r.KILL_SWITCH_ACTIVE,) if expected else ())
    assert evaluate_exit(build(kill_switch=active)).allowed is True


def test_kill_switch_file_that_cannot_be_checked_counts_as_on(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "state"
    not_a_folder.write_text("")
    assert kill_switch_active(False, not_a_folder) is False  # ENOTDIR: the file cannot exist
    looped = tmp_path / "loop"
    looped.symlink_to(looped)
    assert kill_switch_active(False, looped) is True  # ELOOP: cannot tell, so on
