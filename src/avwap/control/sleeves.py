"""Sleeve gates (Phase S2): each strategy's own caps inside the book's caps, and no symbol shared with
another strategy. Pure functions of :class:`~avwap.control.context.SleeveView`, stated by the caller from the
ledger; they run after the book's caps (:mod:`avwap.control.caps`) and fail closed like them.

Rules (docs/STRATEGIES.md, "Sleeves"):

* a symbol held (or with a working entry) by another strategy blocks (SLEEVE_SYMBOL_HELD_BY_OTHER) unless
  S2_ALLOW_SYMBOL_OVERLAP=1;
* once sleeves are configured, a strategy without one is blocked (SLEEVE_MISSING) unless
  S2_ALLOW_UNSLEEVED=1 (the strategy asking is one with an intent, so the roadmap's "open positions or
  intents" always holds here);
* a sleeve's max daily loss needs today's PnL (SLEEVE_DAILY_PNL_UNKNOWN) and blocks once the loss reaches the
  cap (SLEEVE_DAILY_LOSS_REACHED); max new entries per day and max concurrent positions block at the cap;
  max gross exposure resizes (the largest quantity that fits) like the book's gross cap.

Exits never meet these gates: :func:`avwap.control.plane.evaluate_exit` records condition gates only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from avwap.control import reasons
from avwap.control.caps import intent_figures
from avwap.control.context import PASS, GateContext, GateResult
from avwap.control.values import count, non_negative_amount, shown
from avwap.core.config_parsers import Sleeve

NOT_CONFIGURED: Final = GateResult(allowed=True, detail={"sleeves": "not configured"})


def _block(reason: str, **detail: object) -> GateResult:
    return GateResult(allowed=False, reason=reason, detail=detail)


def symbol_overlap_gate(context: GateContext) -> GateResult:
    """SLEEVE_SYMBOL_HELD_BY_OTHER when another strategy holds the symbol, unless overlap is allowed."""
    view = context.sleeve
    others = view.held_by_others
    if not isinstance(others, tuple):
        return _block(reasons.SLEEVE_SYMBOL_HELD_BY_OTHER, held_by_others=shown(others))
    if not others or view.allow_symbol_overlap is True:
        return GateResult(allowed=True, detail={"held_by_others": list(others)} if others else {})
    return _block(reasons.SLEEVE_SYMBOL_HELD_BY_OTHER, held_by_others=list(others))


def _sleeve(context: GateContext) -> Sleeve | GateResult | None:
    """The strategy's sleeve; a PASS when sleeves are off or the strategy may go unsleeved; else a block."""
    view = context.sleeve
    if view.configured is False:
        return NOT_CONFIGURED
    if isinstance(view.sleeve, Sleeve):
        return view.sleeve
    if view.configured is True and view.sleeve is None and view.allow_unsleeved is True:
        return GateResult(allowed=True, detail={"sleeve": "none (S2_ALLOW_UNSLEEVED=1)"})
    return _block(reasons.SLEEVE_MISSING, strategy_id=shown(context.intent.strategy_id))


def sleeve_assigned_gate(context: GateContext) -> GateResult:
    """SLEEVE_MISSING when sleeves are configured and the intent's strategy has none."""
    sleeve = _sleeve(context)
    return sleeve if isinstance(sleeve, GateResult) else PASS


def daily_loss_gate(context: GateContext) -> GateResult:
    """SLEEVE_DAILY_PNL_UNKNOWN without today's PnL; SLEEVE_DAILY_LOSS_REACHED once the loss reaches
    the cap."""
    sleeve = _sleeve(context)
    if not isinstance(sleeve, Sleeve) or sleeve.max_daily_loss is None:
        return PASS  # no sleeve (decided by sleeve_assigned) or no loss cap
    pnl = context.sleeve.daily_pnl
    if not isinstance(pnl, Decimal) or not pnl.is_finite():
        return _block(reasons.SLEEVE_DAILY_PNL_UNKNOWN, daily_pnl=shown(pnl))
    detail = {"daily_pnl": pnl, "max_daily_loss": sleeve.max_daily_loss}
    if -pnl >= sleeve.max_daily_loss:
        return GateResult(allowed=False, reason=reasons.SLEEVE_DAILY_LOSS_REACHED, detail=detail)
    return GateResult(allowed=True, detail=detail)


def _count_cap(context: GateContext, used: object, cap: int | None, code: str, name: str) -> GateResult:
    if cap is None:
        return PASS
    value = count(used)
    if value is None:
        return _block(reasons.LEDGER_UNREADABLE, **{name: shown(used)})
    fits = value < cap
    return GateResult(allowed=fits, reason=None if fits else code, detail={name: value, "cap": cap})


def new_entries_gate(context: GateContext) -> GateResult:
    """SLEEVE_MAX_NEW_ENTRIES_REACHED when the strategy's entries today reach its sleeve's cap."""
    sleeve = _sleeve(context)
    if not isinstance(sleeve, Sleeve):
        return PASS
    return _count_cap(
        context,
        context.sleeve.entries_today,
        sleeve.max_new_entries_per_day,
        reasons.SLEEVE_MAX_NEW_ENTRIES_REACHED,
        "entries_today",
    )


def positions_gate(context: GateContext) -> GateResult:
    """SLEEVE_MAX_POSITIONS_REACHED when the strategy's open positions reach its sleeve's cap."""
    sleeve = _sleeve(context)
    if not isinstance(sleeve, Sleeve):
        return PASS
    return _count_cap(
        context,
        context.sleeve.open_positions,
        sleeve.max_positions,
        reasons.SLEEVE_MAX_POSITIONS_REACHED,
        "open_positions",
    )


def gross_gate(context: GateContext) -> GateResult:
    """SLEEVE_MAX_GROSS_EXPOSURE_EXCEEDED when the strategy's gross after the entry exceeds its cap
    (resizable: ``max_quantity`` is the largest quantity that fits)."""
    sleeve = _sleeve(context)
    if not isinstance(sleeve, Sleeve) or sleeve.max_gross_exposure is None:
        return PASS
    figures = intent_figures(context.intent)
    if isinstance(figures, str):
        return _block(reasons.INVALID_INTENT, problem=figures)
    used = non_negative_amount(context.sleeve.gross_exposure)
    if used is None:
        return _block(reasons.UNKNOWN_POSITIONS, sleeve_gross_exposure=shown(context.sleeve.gross_exposure))
    limit = sleeve.max_gross_exposure
    after = used + figures.quantity * figures.price
    detail = {"limit": limit, "used": used, "after": after}
    if after <= limit:
        return GateResult(allowed=True, detail=detail)
    headroom = limit - used
    fits = int(headroom // figures.price) if headroom > 0 else 0
    return GateResult(
        allowed=False, reason=reasons.SLEEVE_MAX_GROSS_EXPOSURE_EXCEEDED, detail=detail, max_quantity=fits
    )
