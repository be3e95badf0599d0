# ruff: noqa: E501  (a table reads best one case per line)
"""Every gate × every bad input: the exact action, quantity and reason codes (in the documented order).

Each row changes the healthy context (see control_builders) and states what the plane must answer. The
same table proves that exits and cancels pass under every one of these blocks.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from control_builders import HEALTHY, LIVE_CONFIRMED, TODAY, build, live

from avwap.control import reasons as r
from avwap.control.context import GateContext
from avwap.control.live_gate import ModeResolution
from avwap.control.plane import Action, evaluate_entry, evaluate_exit
from avwap.core.execution_mode import ExecutionMode

A, RS, RJ = Action.APPROVE, Action.RESIZE, Action.REJECT
D = Decimal
YESTERDAY, TOMORROW = TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1)
NOON = dt.datetime(2026, 4, 1, 16, 0, tzinfo=dt.UTC)
PHASE_C_OK = {
    "rules__phase_c": True,
    "rules__live_enable_date_ny": TODAY,
    "rules__allowlist_symbols": ("AAPL",),
}


def phase_c(**changes: Any) -> GateContext:
    return live(**{**PHASE_C_OK, **changes})


# (id, context, action, quantity, reasons)
CASES: list[tuple[str, GateContext, Action, int, list[str]]] = [
    ("healthy", HEALTHY, A, 10, []),
    ("healthy live", live(), A, 10, []),
    ("dry run fallback still decides", build(mode=ModeResolution(ExecutionMode.LIVE, ExecutionMode.DRY_RUN, reasons=(r.LIVE_NOT_CONFIRMED,))), A, 10, []),
    # -- kill switch ------------------------------------------------------------------------------------------
    ("kill switch on", build(kill_switch=True), RJ, 0, [r.KILL_SWITCH_ACTIVE]),
    ("kill switch missing", build(kill_switch=None), RJ, 0, [r.KILL_SWITCH_ACTIVE]),
    ("kill switch text '0'", build(kill_switch="0"), RJ, 0, [r.KILL_SWITCH_ACTIVE]),
    ("kill switch int 0", build(kill_switch=0), RJ, 0, [r.KILL_SWITCH_ACTIVE]),
    # -- execution mode -----------------------------------------------------------------------------------------
    ("mode missing", build(mode=None), RJ, 0, [r.MODE_UNRESOLVED, r.BROKER_CLOCK_UNKNOWN]),
    ("mode as text", build(mode="LIVE", session__broker_market_open=True), RJ, 0, [r.MODE_UNRESOLVED]),
    ("live unconfirmed", live(mode=ModeResolution(ExecutionMode.LIVE, ExecutionMode.LIVE)), RJ, 0, [r.LIVE_NOT_CONFIRMED]),
    ("live confirmed wrong type", live(mode=ModeResolution(ExecutionMode.LIVE, ExecutionMode.LIVE, live_confirmed="yes")), RJ, 0, [r.LIVE_NOT_CONFIRMED]),
    # -- clock -------------------------------------------------------------------------------------------------
    ("today missing", build(today_ny=None), RJ, 0, [r.CLOCK_UNKNOWN]),
    ("today as text", build(today_ny="2026-04-01"), RJ, 0, [r.CLOCK_UNKNOWN]),
    ("today as datetime", build(today_ny=NOON), RJ, 0, [r.CLOCK_UNKNOWN]),
    # -- strategy identity (S0): what the registry states about the intent's strategy --------------------------
    ("strategy unknown", build(intent__strategy_id="S9_GONE", intent__registered=False), RJ, 0, [r.STRATEGY_UNKNOWN]),
    ("strategy registered flag missing", build(intent__registered=None), RJ, 0, [r.STRATEGY_UNKNOWN]),
    ("strategy registered flag text", build(intent__registered="true"), RJ, 0, [r.STRATEGY_UNKNOWN]),
    ("strategy not allowed in the book", build(intent__book_allowed=False), RJ, 0, [r.STRATEGY_BOOK_NOT_ALLOWED]),
    ("strategy book flag missing", build(intent__book_allowed=None), RJ, 0, [r.STRATEGY_BOOK_NOT_ALLOWED]),
    ("unknown strategy: every identity gate blocks", build(intent__registered=False, intent__book_allowed=False, intent__routable=False), RJ, 0, [r.STRATEGY_UNKNOWN, r.STRATEGY_BOOK_NOT_ALLOWED, r.STRATEGY_NOT_ROUTABLE]),
    ("unknown strategy in live phase C", phase_c(intent__registered=False), RJ, 0, [r.STRATEGY_UNKNOWN]),
    # -- Phase C ------------------------------------------------------------------------------------------------
    ("phase C right date, one symbol", phase_c(), A, 10, []),
    ("phase C date missing", phase_c(rules__live_enable_date_ny=None), RJ, 0, [r.PHASE_C_DATE_MISSING]),
    ("phase C date malformed", phase_c(rules__live_enable_date_ny="2026-04-01"), RJ, 0, [r.PHASE_C_DATE_MISSING]),
    ("phase C date stale", phase_c(rules__live_enable_date_ny=YESTERDAY), RJ, 0, [r.PHASE_C_DATE_MISMATCH]),
    ("phase C date future", phase_c(rules__live_enable_date_ny=TOMORROW), RJ, 0, [r.PHASE_C_DATE_MISMATCH]),
    ("phase C no symbol", phase_c(rules__allowlist_symbols=()), RJ, 0, [r.PHASE_C_ALLOWLIST_NOT_SINGLE, r.PHASE_C_SYMBOL_NOT_ALLOWED]),
    ("phase C two symbols", phase_c(rules__allowlist_symbols=("AAPL", "MSFT")), RJ, 0, [r.PHASE_C_ALLOWLIST_NOT_SINGLE]),
    ("phase C other symbol", phase_c(rules__allowlist_symbols=("MSFT",)), RJ, 0, [r.PHASE_C_SYMBOL_NOT_ALLOWED, r.SYMBOL_NOT_ALLOWLISTED]),
    ("phase C stale date and two symbols", phase_c(rules__live_enable_date_ny=YESTERDAY, rules__allowlist_symbols=("AAPL", "MSFT")), RJ, 0, [r.PHASE_C_DATE_MISMATCH, r.PHASE_C_ALLOWLIST_NOT_SINGLE]),
    ("phase C flag malformed applies", phase_c(rules__phase_c="1", rules__allowlist_symbols=()), RJ, 0, [r.PHASE_C_ALLOWLIST_NOT_SINGLE, r.PHASE_C_SYMBOL_NOT_ALLOWED]),
    ("phase C ignored outside LIVE", build(rules__phase_c=True, rules__live_enable_date_ny=None), A, 10, []),
    ("phase C off in LIVE", live(rules__phase_c=False, rules__live_enable_date_ny=None), A, 10, []),
    # -- integrity ----------------------------------------------------------------------------------------------
    ("ledger unreadable", build(portfolio__ledger_readable=False), RJ, 0, [r.LEDGER_UNREADABLE]),
    ("ledger flag missing", build(portfolio__ledger_readable=None), RJ, 0, [r.LEDGER_UNREADABLE]),
    ("ledger flag text", build(portfolio__ledger_readable="true"), RJ, 0, [r.LEDGER_UNREADABLE]),
    ("entries counter missing", build(portfolio__entries_today=None), RJ, 0, [r.LEDGER_UNREADABLE]),
    ("entries counter negative", build(portfolio__entries_today=-1), RJ, 0, [r.LEDGER_UNREADABLE]),
    ("entries counter text", build(portfolio__entries_today="1"), RJ, 0, [r.LEDGER_UNREADABLE]),
    ("entries counter bool", build(portfolio__entries_today=True), RJ, 0, [r.LEDGER_UNREADABLE]),
    ("unknown positions", build(portfolio__unknown_positions=True), RJ, 0, [r.UNKNOWN_POSITIONS]),
    ("unknown positions flag missing", build(portfolio__unknown_positions=None), RJ, 0, [r.UNKNOWN_POSITIONS]),
    ("positions missing", build(portfolio__positions=None), RJ, 0, [r.UNKNOWN_POSITIONS]),
    ("positions negative notional", build(portfolio__positions={"MSFT": D("-1")}), RJ, 0, [r.UNKNOWN_POSITIONS]),
    ("positions float notional", build(portfolio__positions={"MSFT": 400.0}), RJ, 0, [r.UNKNOWN_POSITIONS]),
    ("positions as list", build(portfolio__positions=[("MSFT", D("400"))]), RJ, 0, [r.UNKNOWN_POSITIONS]),
    ("gross exposure missing", build(portfolio__gross_exposure=None), RJ, 0, [r.UNKNOWN_POSITIONS]),
    ("gross exposure negative", build(portfolio__gross_exposure=D("-1")), RJ, 0, [r.UNKNOWN_POSITIONS]),
    ("gross exposure text", build(portfolio__gross_exposure="400"), RJ, 0, [r.UNKNOWN_POSITIONS]),
    ("reconciliation drift", build(portfolio__reconciliation_drift=True), RJ, 0, [r.RECONCILIATION_DRIFT]),
    ("reconciliation unknown", build(portfolio__reconciliation_drift=None), RJ, 0, [r.RECONCILIATION_DRIFT]),
    # -- market session -----------------------------------------------------------------------------------------
    ("market closed", build(session__market_open=False), RJ, 0, [r.MARKET_CLOSED]),
    ("market state missing", build(session__market_open=None), RJ, 0, [r.MARKET_CLOSED]),
    ("session missing", build(session=None), RJ, 0, [r.MARKET_CLOSED, r.ENTRY_WINDOW_CLOSED, r.INTRADAY_DATA_STALE]),
    ("broker agrees (paper sim)", build(session__broker_market_open=True), A, 10, []),
    ("broker says closed", build(session__broker_market_open=False), RJ, 0, [r.CALENDAR_BROKER_CLOCK_DISAGREE]),
    ("broker says open, calendar closed", build(session__market_open=False, session__broker_market_open=True), RJ, 0, [r.MARKET_CLOSED, r.CALENDAR_BROKER_CLOCK_DISAGREE]),
    ("broker clock missing for alpaca paper", build(mode=ModeResolution(ExecutionMode.ALPACA_PAPER, ExecutionMode.ALPACA_PAPER)), RJ, 0, [r.BROKER_CLOCK_UNKNOWN]),
    ("broker clock missing for live", live(session__broker_market_open=None), RJ, 0, [r.BROKER_CLOCK_UNKNOWN]),
    ("broker clock text", build(session__broker_market_open="open"), RJ, 0, [r.BROKER_CLOCK_UNKNOWN]),
    ("entry window closed", build(session__in_entry_window=False), RJ, 0, [r.ENTRY_WINDOW_CLOSED]),
    ("entry window unknown", build(session__in_entry_window=None), RJ, 0, [r.ENTRY_WINDOW_CLOSED]),
    # -- watchlist and equity -------------------------------------------------------------------------------------
    ("watchlist stale", build(portfolio__watchlist_fresh=False), RJ, 0, [r.WATCHLIST_STALE]),
    ("watchlist unknown", build(portfolio__watchlist_fresh=None), RJ, 0, [r.WATCHLIST_STALE]),
    ("watchlist text", build(portfolio__watchlist_fresh="fresh"), RJ, 0, [r.WATCHLIST_STALE]),
    ("intraday data stale", build(session__intraday_data_fresh=False), RJ, 0, [r.INTRADAY_DATA_STALE]),
    ("intraday data unknown", build(session__intraday_data_fresh=None), RJ, 0, [r.INTRADAY_DATA_STALE]),
    ("equity missing", build(portfolio__equity=None), RJ, 0, [r.EQUITY_UNKNOWN]),
    ("equity zero", build(portfolio__equity=D("0")), RJ, 0, [r.EQUITY_UNKNOWN]),
    ("equity negative", build(portfolio__equity=D("-5")), RJ, 0, [r.EQUITY_UNKNOWN]),
    ("equity text", build(portfolio__equity="100000"), RJ, 0, [r.EQUITY_UNKNOWN]),
    ("equity float", build(portfolio__equity=100000.0), RJ, 0, [r.EQUITY_UNKNOWN]),
    ("equity NaN", build(portfolio__equity=D("NaN")), RJ, 0, [r.EQUITY_UNKNOWN]),
    ("equity int accepted", build(portfolio__equity=100000), A, 10, []),
    # -- allowlist (Phase B) -------------------------------------------------------------------------------------
    ("allowlist empty allows all", build(rules__allowlist_symbols=()), A, 10, []),
    ("allowlist holds symbol", build(rules__allowlist_symbols=("AAPL", "MSFT")), A, 10, []),
    ("allowlist lacks symbol", build(rules__allowlist_symbols=("MSFT",)), RJ, 0, [r.SYMBOL_NOT_ALLOWLISTED]),
    ("allowlist as text", build(rules__allowlist_symbols="AAPL"), RJ, 0, [r.SYMBOL_NOT_ALLOWLISTED]),
    ("allowlist missing", build(rules__allowlist_symbols=None), RJ, 0, [r.SYMBOL_NOT_ALLOWLISTED]),
    # -- the intent ---------------------------------------------------------------------------------------------
    ("intent missing", build(intent=None), RJ, 0, [r.INVALID_INTENT]),
    ("quantity zero", build(intent__quantity=0), RJ, 0, [r.INVALID_INTENT]),
    ("quantity negative", build(intent__quantity=-3), RJ, 0, [r.INVALID_INTENT]),
    ("quantity fractional", build(intent__quantity=1.5), RJ, 0, [r.INVALID_INTENT]),
    ("quantity text", build(intent__quantity="10"), RJ, 0, [r.INVALID_INTENT]),
    ("quantity bool", build(intent__quantity=True), RJ, 0, [r.INVALID_INTENT]),
    ("entry price zero", build(intent__entry_price=D("0")), RJ, 0, [r.INVALID_INTENT]),
    ("entry price negative", build(intent__entry_price=D("-50")), RJ, 0, [r.INVALID_INTENT]),
    ("entry price float", build(intent__entry_price=50.0), RJ, 0, [r.INVALID_INTENT]),
    ("entry price missing", build(intent__entry_price=None), RJ, 0, [r.INVALID_INTENT]),
    ("stop missing", build(intent__stop_price=None), RJ, 0, [r.INVALID_INTENT]),
    ("stop zero", build(intent__stop_price=D("0")), RJ, 0, [r.INVALID_INTENT]),
    ("stop at entry (risk/share 0)", build(intent__stop_price=D("50.00")), RJ, 0, [r.INVALID_INTENT]),
    ("stop above entry", build(intent__stop_price=D("50.01")), RJ, 0, [r.INVALID_INTENT]),
    ("risk/share exactly $3.00", build(intent__stop_price=D("47.00")), A, 10, []),
    ("risk/share $3.01", build(intent__stop_price=D("46.99")), RJ, 0, [r.INVALID_INTENT]),
    ("side sell", build(intent__side="sell"), RJ, 0, [r.INVALID_INTENT]),
    ("side missing", build(intent__side=None), RJ, 0, [r.INVALID_INTENT]),
    ("symbol empty", build(intent__symbol=""), RJ, 0, [r.INVALID_INTENT]),
    ("symbol lower case", build(intent__symbol="aapl"), RJ, 0, [r.INVALID_INTENT]),
    ("symbol not text", build(intent__symbol=123), RJ, 0, [r.INVALID_INTENT]),
    ("symbol with class share", build(intent__symbol="BRK.B"), A, 10, []),
    ("max risk/share missing", build(rules__max_risk_per_share=None), RJ, 0, [r.CAP_MISSING]),
    ("max risk/share zero", build(rules__max_risk_per_share=D("0")), RJ, 0, [r.CAP_MISSING]),
    ("max risk/share text", build(rules__max_risk_per_share="3"), RJ, 0, [r.CAP_MISSING]),
    ("already holding", build(portfolio__positions={"AAPL": D("300")}, portfolio__gross_exposure=D("300")), RJ, 0, [r.ALREADY_HOLDING]),
    # -- entries per day --------------------------------------------------------------------------------------
    ("entries one below cap", build(portfolio__entries_today=4), A, 10, []),
    ("entries at cap", build(portfolio__entries_today=5), RJ, 0, [r.MAX_ENTRIES_PER_DAY_REACHED]),
    ("entries over cap", build(portfolio__entries_today=6), RJ, 0, [r.MAX_ENTRIES_PER_DAY_REACHED]),
    ("entries cap zero", build(rules__max_entries_per_day=0), RJ, 0, [r.MAX_ENTRIES_PER_DAY_REACHED]),
    ("entries cap missing", build(rules__max_entries_per_day=None), RJ, 0, [r.CAP_MISSING]),
    ("entries cap text", build(rules__max_entries_per_day="5"), RJ, 0, [r.CAP_MISSING]),
    ("entries cap negative", build(rules__max_entries_per_day=-1), RJ, 0, [r.CAP_MISSING]),
    # -- positions ------------------------------------------------------------------------------------------------
    ("positions one below cap", build(rules__max_positions=2), A, 10, []),
    ("positions at cap", build(rules__max_positions=1), RJ, 0, [r.MAX_POSITIONS_REACHED]),
    ("positions cap zero", build(rules__max_positions=0), RJ, 0, [r.MAX_POSITIONS_REACHED]),
    ("positions cap missing", build(rules__max_positions=None), RJ, 0, [r.CAP_MISSING]),
    ("positions cap float", build(rules__max_positions=5.0), RJ, 0, [r.CAP_MISSING]),
    # -- risk per trade (dollars): qty 10 × $2 = $20 ---------------------------------------------------------
    ("risk exactly at cap", build(rules__max_risk_per_trade=D("20.00")), A, 10, []),
    ("risk one cent over -> resize", build(rules__max_risk_per_trade=D("19.99")), RS, 9, [r.MAX_RISK_PER_TRADE_EXCEEDED]),
    ("risk cap below one share", build(rules__max_risk_per_trade=D("1.99")), RJ, 0, [r.MAX_RISK_PER_TRADE_EXCEEDED]),
    ("risk cap zero", build(rules__max_risk_per_trade=D("0")), RJ, 0, [r.MAX_RISK_PER_TRADE_EXCEEDED]),
    ("risk cap missing", build(rules__max_risk_per_trade=None), RJ, 0, [r.CAP_MISSING]),
    ("risk cap float", build(rules__max_risk_per_trade=20.0), RJ, 0, [r.CAP_MISSING]),
    # -- risk per trade (% of equity): 0.02 % of $100,000 = $20 -------------------------------------------------
    ("risk pct exactly at cap", build(rules__max_risk_per_trade_pct=D("0.02")), A, 10, []),
    ("risk pct one cent over -> resize", build(rules__max_risk_per_trade_pct=D("0.02"), portfolio__equity=D("99950")), RS, 9, [r.MAX_RISK_PCT_EXCEEDED]),
    ("risk pct cap missing", build(rules__max_risk_per_trade_pct=None), RJ, 0, [r.CAP_MISSING]),
    ("risk pct cap text", build(rules__max_risk_per_trade_pct="1"), RJ, 0, [r.CAP_MISSING]),
    # -- notional per symbol: 10 × $50 = $500 ---------------------------------------------------------------
    ("notional exactly at cap", build(rules__max_notional_per_symbol=D("500.00")), A, 10, []),
    ("notional one cent over -> resize", build(rules__max_notional_per_symbol=D("499.99")), RS, 9, [r.MAX_NOTIONAL_PER_SYMBOL_EXCEEDED]),
    ("notional cap below one share", build(rules__max_notional_per_symbol=D("49.99")), RJ, 0, [r.MAX_NOTIONAL_PER_SYMBOL_EXCEEDED]),
    ("notional cap missing", build(rules__max_notional_per_symbol=None), RJ, 0, [r.CAP_MISSING]),
    # -- gross exposure: $400 held + $500 = $900 --------------------------------------------------------------
    ("gross exactly at cap", build(rules__max_gross_exposure=D("900.00")), A, 10, []),
    ("gross one cent over -> resize", build(rules__max_gross_exposure=D("899.99")), RS, 9, [r.MAX_GROSS_EXPOSURE_EXCEEDED]),
    ("gross cap already used", build(rules__max_gross_exposure=D("400")), RJ, 0, [r.MAX_GROSS_EXPOSURE_EXCEEDED]),
    ("gross cap below held", build(rules__max_gross_exposure=D("300")), RJ, 0, [r.MAX_GROSS_EXPOSURE_EXCEEDED]),
    ("gross cap missing", build(rules__max_gross_exposure=None), RJ, 0, [r.CAP_MISSING]),
    ("gross pct exactly at cap", build(rules__max_gross_exposure_pct=D("0.9")), A, 10, []),
    ("gross pct one cent over -> resize", build(rules__max_gross_exposure_pct=D("0.89999")), RS, 9, [r.MAX_GROSS_EXPOSURE_PCT_EXCEEDED]),
    ("gross pct cap zero", build(rules__max_gross_exposure_pct=D("0")), RJ, 0, [r.MAX_GROSS_EXPOSURE_PCT_EXCEEDED]),
    ("gross pct cap missing", build(rules__max_gross_exposure_pct=None), RJ, 0, [r.CAP_MISSING]),
    # -- several at once: all codes, in the documented order -----------------------------------------------
    (
        "kill switch, stale watchlist, entries reached, notional over",
        build(kill_switch=True, portfolio__watchlist_fresh=False, portfolio__entries_today=5, rules__max_notional_per_symbol=D("100")),
        RJ, 0,
        [r.KILL_SWITCH_ACTIVE, r.WATCHLIST_STALE, r.MAX_ENTRIES_PER_DAY_REACHED, r.MAX_NOTIONAL_PER_SYMBOL_EXCEEDED],
    ),
    (
        "two resizable caps: smallest quantity wins",
        build(rules__max_risk_per_trade=D("15"), rules__max_notional_per_symbol=D("449.99")),
        RS, 7,
        [r.MAX_RISK_PER_TRADE_EXCEEDED, r.MAX_NOTIONAL_PER_SYMBOL_EXCEEDED],
    ),
    (
        "resizable cap with a non-resizable block rejects",
        build(portfolio__entries_today=5, rules__max_risk_per_trade=D("15")),
        RJ, 0,
        [r.MAX_ENTRIES_PER_DAY_REACHED, r.MAX_RISK_PER_TRADE_EXCEEDED],
    ),
    (
        "kill switch blocks a resizable entry too",
        build(kill_switch=True, rules__max_risk_per_trade=D("15")),
        RJ, 0,
        [r.KILL_SWITCH_ACTIVE, r.MAX_RISK_PER_TRADE_EXCEEDED],
    ),
    (
        "everything about the book unknown",
        build(portfolio__equity=None, portfolio__ledger_readable=False, portfolio__unknown_positions=True, portfolio__reconciliation_drift=True),
        RJ, 0,
        [r.LEDGER_UNREADABLE, r.UNKNOWN_POSITIONS, r.RECONCILIATION_DRIFT, r.EQUITY_UNKNOWN],
    ),
]  # fmt: skip

# Codes only the size gates raise: an exit never records them.
SIZE_ONLY = {
    r.INVALID_INTENT, r.CAP_MISSING, r.ALREADY_HOLDING, r.MAX_ENTRIES_PER_DAY_REACHED, r.MAX_POSITIONS_REACHED,
    r.MAX_RISK_PER_TRADE_EXCEEDED, r.MAX_RISK_PCT_EXCEEDED, r.MAX_NOTIONAL_PER_SYMBOL_EXCEEDED,
    r.MAX_GROSS_EXPOSURE_EXCEEDED, r.MAX_GROSS_EXPOSURE_PCT_EXCEEDED,
}  # fmt: skip


@pytest.mark.parametrize(
    ("context", "action", "quantity", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_entry_decision(context: GateContext, action: Action, quantity: int, expected: list[str]) -> None:
    decision = evaluate_entry(context)
    assert decision.action is action
    assert decision.quantity == quantity
    assert list(decision.reasons) == expected
    assert decision.primary_reason == (expected[0] if expected else None)
    assert [outcome.name for outcome in decision.gates] == [
        outcome.name for outcome in evaluate_entry(HEALTHY).gates
    ]


@pytest.mark.parametrize(
    ("context", "expected"), [(case[1], case[4]) for case in CASES], ids=[case[0] for case in CASES]
)
@pytest.mark.parametrize("kind", ["EXIT", "CANCEL"])
def test_exits_and_cancels_pass_under_every_block(
    context: GateContext, expected: list[str], kind: str
) -> None:
    decision = evaluate_exit(context, kind)
    assert decision.allowed is True
    assert decision.kind == kind
    assert list(decision.would_block) == [code for code in expected if code not in SIZE_ONLY]


def test_table_reasons_are_documented_and_sorted() -> None:
    for case_id, _, _, _, expected in CASES:
        assert all(code in r.REASONS for code in expected), case_id
        assert tuple(expected) == r.sort_reasons(expected), case_id


def test_live_phase_c_context_is_really_live() -> None:
    assert phase_c().mode is LIVE_CONFIRMED
