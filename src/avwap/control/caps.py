"""Size gates: is *this* entry valid, and does it fit every cap?

Risk, per-symbol notional and gross exposure caps can be satisfied by buying fewer shares: when they fail,
their :class:`GateResult` carries ``max_quantity``, the largest integer quantity that fits (0 when none does),
and the plane may RESIZE. Entry-count and position-count caps cannot be resized. Boundaries are inclusive:
exactly at a cap passes, one cent over fails. Each gate re-validates what it uses (fail closed) so that no
gate depends on another having run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from avwap.control import reasons
from avwap.control.context import ALLOCATION_KIND, BUY, INTENT_KINDS, EntryIntent, GateContext, GateResult
from avwap.control.values import count, non_negative_amount, position_notionals, positive_amount, shown

SYMBOL_PATTERN: Final = re.compile(r"^[A-Z][A-Z0-9]*(?:[.\-][A-Z0-9]+)*$")
HUNDRED: Final = Decimal("100")


@dataclass(frozen=True, slots=True)
class IntentFigures:
    """The validated numbers of an entry intent."""

    symbol: str
    quantity: int
    price: Decimal
    risk_per_share: Decimal
    allocation: bool = False  # no stop: risk per share is the price (the whole notional)


def intent_figures(intent: EntryIntent) -> IntentFigures | str:
    """The intent's validated figures, or a short description of what is wrong with it."""
    symbol = intent.symbol
    quantity = count(intent.quantity)
    price = positive_amount(intent.entry_price)
    stop = positive_amount(intent.stop_price)
    if not isinstance(symbol, str) or not SYMBOL_PATTERN.fullmatch(symbol):
        return "symbol"
    if intent.side != BUY:
        return "side (entries are buys)"
    if quantity is None or quantity == 0:
        return "quantity"
    if price is None:
        return "entry price"
    if intent.kind not in INTENT_KINDS:
        return "kind"
    if intent.kind == ALLOCATION_KIND:
        if intent.stop_price is not None:
            return "an allocation intent carries no stop"
        return IntentFigures(symbol, quantity, price, price, allocation=True)
    if stop is None:
        return "stop price"
    if price - stop <= 0:
        return "risk per share ≤ 0 (stop at or above entry)"
    return IntentFigures(symbol, quantity, price, price - stop)


def _block(reason: str, **detail: object) -> GateResult:
    return GateResult(allowed=False, reason=reason, detail=detail)


def _invalid(context: GateContext, problem: str) -> GateResult:
    return _block(reasons.INVALID_INTENT, problem=problem, intent=shown(context.intent))


def intent_gate(context: GateContext) -> GateResult:
    """INVALID_INTENT for a malformed intent or risk/share above the limit; CAP_MISSING without the limit."""
    figures = intent_figures(context.intent)
    if isinstance(figures, str):
        return _invalid(context, figures)
    if figures.allocation:
        # Stop-free sizing only for a strategy that declares it, on a manual book (the caller states it from
        # the registry); the per-share limit bounds a stop's distance, which an allocation has none of.
        if context.intent.allocation_allowed is not True:
            return _block(
                reasons.ALLOCATION_NOT_ALLOWED,
                strategy_id=shown(context.intent.strategy_id),
                kind="allocation",
            )
        return GateResult(allowed=True, detail={"kind": "allocation", "risk_per_share": figures.price})
    limit = positive_amount(context.rules.max_risk_per_share)
    if limit is None:
        return _block(
            reasons.CAP_MISSING, cap="max_risk_per_share", value=shown(context.rules.max_risk_per_share)
        )
    detail = {"risk_per_share": figures.risk_per_share, "max_risk_per_share": limit}
    if figures.risk_per_share > limit:
        return GateResult(
            allowed=False, reason=reasons.INVALID_INTENT, detail={"problem": "risk per share", **detail}
        )
    return GateResult(allowed=True, detail=detail)


def already_holding_gate(context: GateContext) -> GateResult:
    """ALREADY_HOLDING when a position in the symbol is open (or being entered), unless only other
    strategies hold it and S2_ALLOW_SYMBOL_OVERLAP=1: then this strategy opens its own lot beside theirs."""
    figures = intent_figures(context.intent)
    positions = position_notionals(context.portfolio.positions)
    if isinstance(figures, str):
        return _invalid(context, figures)
    if positions is None:
        return _block(reasons.UNKNOWN_POSITIONS, positions="malformed")
    if figures.symbol in positions and not (figures.allocation or _opens_own_lot(context)):
        return _block(reasons.ALREADY_HOLDING, symbol=figures.symbol, notional=positions[figures.symbol])
    return GateResult(allowed=True)


def _opens_own_lot(context: GateContext) -> bool:
    """Overlap allowed, other strategies hold the symbol, and the intent's own strategy neither holds nor
    enters it (a strategy never holds two lots of one symbol)."""
    sleeve = context.sleeve
    others = bool(sleeve.held_by_others)
    return sleeve.allow_symbol_overlap is True and others and sleeve.holds_symbol is False


def entries_per_day_gate(context: GateContext) -> GateResult:
    """MAX_ENTRIES_PER_DAY_REACHED when today's entries already reach MAX_ORDERS_PER_DAY."""
    cap = count(context.rules.max_entries_per_day)
    entries = count(context.portfolio.entries_today)
    if cap is None:
        return _block(
            reasons.CAP_MISSING, cap="max_entries_per_day", value=shown(context.rules.max_entries_per_day)
        )
    if entries is None:
        return _block(reasons.LEDGER_UNREADABLE, entries_today=shown(context.portfolio.entries_today))
    detail = {"entries_today": entries, "max_entries_per_day": cap}
    return GateResult(
        allowed=entries < cap,
        reason=None if entries < cap else reasons.MAX_ENTRIES_PER_DAY_REACHED,
        detail=detail,
    )


def max_positions_gate(context: GateContext) -> GateResult:
    """MAX_POSITIONS_REACHED when open positions already reach MAX_POSITIONS."""
    cap = count(context.rules.max_positions)
    positions = position_notionals(context.portfolio.positions)
    if cap is None:
        return _block(reasons.CAP_MISSING, cap="max_positions", value=shown(context.rules.max_positions))
    if positions is None:
        return _block(reasons.UNKNOWN_POSITIONS, positions="malformed")
    detail = {"open_positions": len(positions), "max_positions": cap}
    figures = intent_figures(context.intent)
    adds = not isinstance(figures, str) and figures.allocation and figures.symbol in positions
    fits = len(positions) < cap or adds  # a rebalance adding to a held symbol opens no new position
    return GateResult(allowed=fits, reason=None if fits else reasons.MAX_POSITIONS_REACHED, detail=detail)


def _fit(
    code: str, quantity: int, per_share: Decimal, used: Decimal, limit: Decimal, **detail: object
) -> GateResult:
    """Pass when ``used + quantity × per_share ≤ limit``; else block with the largest quantity that fits."""
    after = used + quantity * per_share
    figures = {**detail, "limit": limit, "used": used, "after": after}
    if after <= limit:
        return GateResult(allowed=True, detail=figures)
    headroom = limit - used
    # Exact integer division (no rounding): headroom < quantity × per_share, so the quotient is small.
    max_quantity = int(headroom // per_share) if headroom > 0 else 0
    return GateResult(allowed=False, reason=code, detail=figures, max_quantity=max_quantity)


def _cap(name: str, value: object) -> Decimal | GateResult:
    """The cap ``name`` (its value from the rules) as an amount ≥ 0, or a CAP_MISSING block."""
    amount = non_negative_amount(value)
    if amount is None:
        return _block(reasons.CAP_MISSING, cap=name, value=shown(value))
    return amount


def _percent_of_equity(context: GateContext, name: str, value: object) -> Decimal | GateResult:
    percent = _cap(name, value)
    equity = positive_amount(context.portfolio.equity)
    if isinstance(percent, GateResult):
        return percent
    if equity is None:
        return _block(reasons.EQUITY_UNKNOWN, equity=shown(context.portfolio.equity))
    return equity * percent / HUNDRED


def risk_per_trade_gate(context: GateContext) -> GateResult:
    """MAX_RISK_PER_TRADE_EXCEEDED when quantity × risk/share exceeds the dollar cap."""
    figures = intent_figures(context.intent)
    if isinstance(figures, str):
        return _invalid(context, figures)
    limit = _cap("max_risk_per_trade", context.rules.max_risk_per_trade)
    if isinstance(limit, GateResult):
        return limit
    return _fit(
        reasons.MAX_RISK_PER_TRADE_EXCEEDED, figures.quantity, figures.risk_per_share, Decimal(0), limit
    )


def risk_pct_gate(context: GateContext) -> GateResult:
    """MAX_RISK_PCT_EXCEEDED when quantity × risk/share exceeds MAX_RISK_PER_TRADE_PCT of equity."""
    figures = intent_figures(context.intent)
    if isinstance(figures, str):
        return _invalid(context, figures)
    limit = _percent_of_equity(context, "max_risk_per_trade_pct", context.rules.max_risk_per_trade_pct)
    if isinstance(limit, GateResult):
        return limit
    return _fit(reasons.MAX_RISK_PCT_EXCEEDED, figures.quantity, figures.risk_per_share, Decimal(0), limit)


def notional_per_symbol_gate(context: GateContext) -> GateResult:
    """MAX_NOTIONAL_PER_SYMBOL_EXCEEDED when the symbol's notional after the entry exceeds the cap."""
    figures = intent_figures(context.intent)
    positions = position_notionals(context.portfolio.positions)
    if isinstance(figures, str):
        return _invalid(context, figures)
    limit = _cap("max_notional_per_symbol", context.rules.max_notional_per_symbol)
    if isinstance(limit, GateResult):
        return limit
    if positions is None:
        return _block(reasons.UNKNOWN_POSITIONS, positions="malformed")
    held = positions.get(figures.symbol, Decimal(0))
    return _fit(reasons.MAX_NOTIONAL_PER_SYMBOL_EXCEEDED, figures.quantity, figures.price, held, limit)


def _gross_gate(context: GateContext, code: str, limit: Decimal | GateResult) -> GateResult:
    figures = intent_figures(context.intent)
    gross = non_negative_amount(context.portfolio.gross_exposure)
    if isinstance(figures, str):
        return _invalid(context, figures)
    if isinstance(limit, GateResult):
        return limit
    if gross is None:
        return _block(
            reasons.UNKNOWN_POSITIONS,
            gross_exposure=shown(context.portfolio.gross_exposure),
        )
    return _fit(code, figures.quantity, figures.price, gross, limit)


def gross_exposure_gate(context: GateContext) -> GateResult:
    """MAX_GROSS_EXPOSURE_EXCEEDED when gross exposure after the entry exceeds the dollar cap."""
    limit = _cap("max_gross_exposure", context.rules.max_gross_exposure)
    return _gross_gate(context, reasons.MAX_GROSS_EXPOSURE_EXCEEDED, limit)


def gross_exposure_pct_gate(context: GateContext) -> GateResult:
    """MAX_GROSS_EXPOSURE_PCT_EXCEEDED when gross exposure after the entry exceeds that percent of equity."""
    limit = _percent_of_equity(context, "max_gross_exposure_pct", context.rules.max_gross_exposure_pct)
    return _gross_gate(context, reasons.MAX_GROSS_EXPOSURE_PCT_EXCEEDED, limit)
