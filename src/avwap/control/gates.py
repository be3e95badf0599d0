"""Condition gates: may *anything* be entered right now? (The size of the entry is :mod:`avwap.control.caps`.)

Each gate is a small pure function ``(GateContext) -> GateResult`` that fails closed: a value that is
missing, of the wrong type or out of range blocks with the gate's reason code. Gates read the typed views'
fields directly; :func:`avwap.control.plane.run_gates` hands them a :func:`~avwap.control.context.well_formed`
context, so a view of the wrong type arrives as its blocking ``UNKNOWN_*`` twin. Every check is written as
"passes only when exactly the good value is present" (``is True``, ``is False``), never the reverse, so that
an unexpected value can only ever block.

The same gates are recorded (never enforced) for exits and cancels: see
:func:`avwap.control.plane.evaluate_exit`.
"""

from __future__ import annotations

from typing import Final

from avwap.control import reasons
from avwap.control.context import PASS, GateContext, GateResult, effective_mode
from avwap.control.live_gate import ModeResolution, phase_c_failures
from avwap.control.values import (
    is_plain_date,
    non_negative_amount,
    position_notionals,
    positive_amount,
    shown,
    symbol_set,
)
from avwap.core.execution_mode import ExecutionMode

# Books that trade through a broker whose market clock must agree with the calendar.
BROKER_CLOCK_MODES: Final = frozenset({ExecutionMode.ALPACA_PAPER, ExecutionMode.LIVE})


def _block(reason: str, **detail: object) -> GateResult:
    return GateResult(allowed=False, reason=reason, detail=detail)


def kill_switch_gate(context: GateContext) -> GateResult:
    """KILL_SWITCH_ACTIVE unless the kill switch is exactly False."""
    if context.kill_switch is False:
        return PASS
    return _block(reasons.KILL_SWITCH_ACTIVE, kill_switch=shown(context.kill_switch))


def execution_mode_gate(context: GateContext) -> GateResult:
    """MODE_UNRESOLVED without a ModeResolution; LIVE_NOT_CONFIRMED for an unconfirmed LIVE mode."""
    mode = context.mode
    if not isinstance(mode, ModeResolution) or not isinstance(mode.effective_mode, ExecutionMode):
        return _block(reasons.MODE_UNRESOLVED, mode=shown(mode))
    detail = {
        "requested": mode.requested_mode,
        "effective": mode.effective_mode,
        "mode_reasons": mode.reasons,
    }
    if mode.effective_mode is ExecutionMode.LIVE and mode.live_confirmed is not True:
        return GateResult(allowed=False, reason=reasons.LIVE_NOT_CONFIRMED, detail=detail)
    return GateResult(allowed=True, detail=detail)


def clock_gate(context: GateContext) -> GateResult:
    """CLOCK_UNKNOWN unless today's New York date is a plain date."""
    if is_plain_date(context.today_ny):
        return PASS
    return _block(reasons.CLOCK_UNKNOWN, today_ny=shown(context.today_ny))


def strategy_known_gate(context: GateContext) -> GateResult:
    """STRATEGY_UNKNOWN unless the caller states the intent's strategy is registered (no anonymous trades:
    an unknown id gets its own code, before any gate that needs the strategy's metadata)."""
    if context.intent.registered is True:
        return PASS
    return _block(reasons.STRATEGY_UNKNOWN, strategy_id=shown(context.intent.strategy_id))


def strategy_book_gate(context: GateContext) -> GateResult:
    """STRATEGY_BOOK_NOT_ALLOWED unless the caller states the strategy may route to the book deciding."""
    if context.intent.book_allowed is True:
        return PASS
    return _block(
        reasons.STRATEGY_BOOK_NOT_ALLOWED,
        strategy_id=shown(context.intent.strategy_id),
        mode=shown(effective_mode(context)),
    )


def strategy_universe_gate(context: GateContext) -> GateResult:
    """STRATEGY_SYMBOL_OUTSIDE_UNIVERSE unless the caller states the symbol is in the strategy's universe
    (a strategy asking for a symbol it may not trade is a bug or a misconfiguration: never an order)."""
    if context.intent.in_universe is True:
        return PASS
    return _block(
        reasons.STRATEGY_SYMBOL_OUTSIDE_UNIVERSE,
        strategy_id=shown(context.intent.strategy_id),
        symbol=shown(context.intent.symbol),
    )


def phase_c_applies(context: GateContext) -> bool:
    """Phase C applies in LIVE unless PHASE_C is exactly False (any malformed value applies it)."""
    return context.rules.phase_c is not False and effective_mode(context) is ExecutionMode.LIVE


def _phase_c_gate(context: GateContext, codes: tuple[str, ...]) -> GateResult:
    if not phase_c_applies(context):
        return PASS
    rules = context.rules
    failures = phase_c_failures(rules.live_enable_date_ny, rules.allowlist_symbols, context.today_ny)
    matching = [code for code in failures if code in codes]
    detail = {
        "live_enable_date_ny": shown(rules.live_enable_date_ny),
        "today_ny": shown(context.today_ny),
        "allowlist_symbols": shown(rules.allowlist_symbols),
    }
    if matching:
        return GateResult(allowed=False, reason=matching[0], detail=detail)
    return GateResult(allowed=True, detail=detail)


def phase_c_date_gate(context: GateContext) -> GateResult:
    """In Phase C, LIVE_ENABLE_DATE_NY must be set and equal today's New York date."""
    return _phase_c_gate(context, (reasons.PHASE_C_DATE_MISSING, reasons.PHASE_C_DATE_MISMATCH))


def phase_c_allowlist_gate(context: GateContext) -> GateResult:
    """In Phase C, ALLOWLIST_SYMBOLS must hold exactly one symbol."""
    return _phase_c_gate(context, (reasons.PHASE_C_ALLOWLIST_NOT_SINGLE,))


def phase_c_symbol_gate(context: GateContext) -> GateResult:
    """In Phase C, the symbol must be in the allowlist (an empty allowlist allows nothing here)."""
    if not phase_c_applies(context):
        return PASS
    allowed = symbol_set(context.rules.allowlist_symbols) or frozenset()
    symbol = context.intent.symbol
    if isinstance(symbol, str) and symbol in allowed:
        return PASS
    return _block(reasons.PHASE_C_SYMBOL_NOT_ALLOWED, symbol=shown(symbol), allowlist=sorted(allowed))


def ledger_gate(context: GateContext) -> GateResult:
    """LEDGER_UNREADABLE unless the ledger was read and today's entry counter is a count."""
    portfolio = context.portfolio
    readable = portfolio.ledger_readable
    entries = portfolio.entries_today
    if readable is True and isinstance(entries, int) and not isinstance(entries, bool) and entries >= 0:
        return PASS
    return _block(reasons.LEDGER_UNREADABLE, ledger_readable=shown(readable), entries_today=shown(entries))


def positions_gate(context: GateContext) -> GateResult:
    """UNKNOWN_POSITIONS unless positions are known and well-formed and gross exposure is an amount ≥ 0."""
    portfolio = context.portfolio
    unknown = portfolio.unknown_positions
    positions = position_notionals(portfolio.positions)
    gross = non_negative_amount(portfolio.gross_exposure)
    if unknown is False and positions is not None and gross is not None:
        return PASS
    return _block(
        reasons.UNKNOWN_POSITIONS,
        unknown_positions=shown(unknown),
        positions_valid=positions is not None,
        gross_exposure=shown(portfolio.gross_exposure),
    )


def reconciliation_gate(context: GateContext) -> GateResult:
    """RECONCILIATION_DRIFT unless drift is exactly False."""
    drift = context.portfolio.reconciliation_drift
    return PASS if drift is False else _block(reasons.RECONCILIATION_DRIFT, reconciliation_drift=shown(drift))


def market_hours_gate(context: GateContext) -> GateResult:
    """MARKET_CLOSED unless the calendar says the regular session is open."""
    market_open = context.session.market_open
    return PASS if market_open is True else _block(reasons.MARKET_CLOSED, market_open=shown(market_open))


def broker_clock_gate(context: GateContext) -> GateResult:
    """The broker clock must be known for broker books and, when known, agree with the calendar."""
    calendar_open = context.session.market_open
    broker_open = context.session.broker_market_open
    effective = effective_mode(context)
    needs_broker = effective is None or effective in BROKER_CLOCK_MODES
    if broker_open is None and not needs_broker:
        return PASS
    if not isinstance(broker_open, bool):
        return _block(
            reasons.BROKER_CLOCK_UNKNOWN, broker_market_open=shown(broker_open), mode=shown(effective)
        )
    if broker_open is not (calendar_open is True):
        return _block(
            reasons.CALENDAR_BROKER_CLOCK_DISAGREE,
            calendar_open=shown(calendar_open),
            broker_open=broker_open,
        )
    return PASS


def entry_window_gate(context: GateContext) -> GateResult:
    """ENTRY_WINDOW_CLOSED unless the strategy's entry window is open."""
    window = context.session.in_entry_window
    return PASS if window is True else _block(reasons.ENTRY_WINDOW_CLOSED, in_entry_window=shown(window))


def watchlist_gate(context: GateContext) -> GateResult:
    """WATCHLIST_STALE unless the watchlist is from today's scan."""
    fresh = context.portfolio.watchlist_fresh
    return PASS if fresh is True else _block(reasons.WATCHLIST_STALE, watchlist_fresh=shown(fresh))


def intraday_data_gate(context: GateContext) -> GateResult:
    """INTRADAY_DATA_STALE unless the symbol's newest closed intraday bar is within the configured lag."""
    fresh = context.session.intraday_data_fresh
    if fresh is True:
        return PASS
    return _block(reasons.INTRADAY_DATA_STALE, intraday_data_fresh=shown(fresh))


def equity_gate(context: GateContext) -> GateResult:
    """EQUITY_UNKNOWN unless equity is a positive finite amount."""
    equity = context.portfolio.equity
    return (
        PASS if positive_amount(equity) is not None else _block(reasons.EQUITY_UNKNOWN, equity=shown(equity))
    )


def allowlist_gate(context: GateContext) -> GateResult:
    """SYMBOL_NOT_ALLOWLISTED when ALLOWLIST_SYMBOLS is set (or malformed) without the symbol; empty: all."""
    allowed = symbol_set(context.rules.allowlist_symbols)
    symbol = context.intent.symbol
    if allowed is not None and (not allowed or (isinstance(symbol, str) and symbol in allowed)):
        return PASS
    return _block(
        reasons.SYMBOL_NOT_ALLOWLISTED, symbol=shown(symbol), allowlist=shown(context.rules.allowlist_symbols)
    )


def strategy_routable_gate(context: GateContext) -> GateResult:
    """STRATEGY_NOT_ROUTABLE unless the intent's strategy is registered and routable (not a shadow); the
    caller states routability from the strategy registry, and anything but True blocks."""
    if context.intent.routable is True:
        return PASS
    return _block(reasons.STRATEGY_NOT_ROUTABLE, strategy_id=shown(context.intent.strategy_id))
