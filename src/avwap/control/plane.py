"""The control plane: one decision per intent, from one documented gate order.

Gate order (the order of :data:`ENTRY_GATES`, mirrored by :data:`avwap.control.reasons.REASONS`):

======  ======================  =========================================================================
 step    gate                    reason codes
======  ======================  =========================================================================
 1       kill_switch             KILL_SWITCH_ACTIVE
 2       execution_mode          MODE_UNRESOLVED, LIVE_NOT_CONFIRMED
 3       clock                   CLOCK_UNKNOWN
 4-6     strategy_known,         STRATEGY_UNKNOWN, STRATEGY_BOOK_NOT_ALLOWED (who asks comes first),
         strategy_book,          STRATEGY_SYMBOL_OUTSIDE_UNIVERSE
         strategy_universe
 7-9     phase_c_*               PHASE_C_DATE_MISSING / _MISMATCH, _ALLOWLIST_NOT_SINGLE, _SYMBOL_NOT_ALLOWED
 10-12   ledger, positions,      LEDGER_UNREADABLE, UNKNOWN_POSITIONS, RECONCILIATION_DRIFT
         reconciliation
 13-15   market_hours,           MARKET_CLOSED, BROKER_CLOCK_UNKNOWN / CALENDAR_BROKER_CLOCK_DISAGREE,
         broker_clock,           ENTRY_WINDOW_CLOSED
         entry_window
 16-19   watchlist,              WATCHLIST_STALE, INTRADAY_DATA_STALE, EQUITY_UNKNOWN,
         intraday_data,          SYMBOL_NOT_ALLOWLISTED
         equity, allowlist
 20      strategy_routable       STRATEGY_NOT_ROUTABLE (a shadow strategy's intent never reaches a broker)
 21      intent                  INVALID_INTENT, CAP_MISSING
 22-24   already_holding,        ALREADY_HOLDING, MAX_ENTRIES_PER_DAY_REACHED, MAX_POSITIONS_REACHED
         entries_per_day,
         max_positions
 25-29   risk, risk_pct,         MAX_RISK_PER_TRADE_EXCEEDED, MAX_RISK_PCT_EXCEEDED,
         notional, gross,        MAX_NOTIONAL_PER_SYMBOL_EXCEEDED, MAX_GROSS_EXPOSURE_EXCEEDED,
         gross_pct               MAX_GROSS_EXPOSURE_PCT_EXCEEDED   (resizable)
 30-35   sleeve_* (Phase S2)     SLEEVE_SYMBOL_HELD_BY_OTHER, SLEEVE_MISSING, SLEEVE_DAILY_PNL_UNKNOWN /
                                 SLEEVE_DAILY_LOSS_REACHED, SLEEVE_MAX_NEW_ENTRIES_REACHED,
                                 SLEEVE_MAX_POSITIONS_REACHED, SLEEVE_MAX_GROSS_EXPOSURE_EXCEEDED (resizable)
======  ======================  =========================================================================

Every gate runs on every decision (the audit trail shows all of them); the decision's reasons are all
failing codes sorted by :func:`avwap.control.reasons.sort_reasons`, the first being the primary reason.
A gate that raises is a bug: it blocks with GATE_ERROR rather than letting an entry through.

Like nautilus' risk engine, the plane derives a trading state: ACTIVE; REDUCING (kill switch: reduce only);
HALTED (the book's state cannot be trusted: unreadable ledger, unknown positions, reconciliation drift).
Unlike nautilus, HALTED still lets exits and cancels through: an unplaced stop is a larger risk than a stop
placed on doubtful state. Exits and cancels are therefore never blocked (:func:`evaluate_exit`).
"""

from __future__ import annotations

import decimal
import enum
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from avwap.control import caps, gates, reasons, sleeves
from avwap.control.context import EntryIntent, GateContext, GateResult, PortfolioView, well_formed
from avwap.control.values import ARITHMETIC, count, shown
from avwap.core.canonical import to_plain

Gate = Callable[[GateContext], GateResult]

CONDITION_GATES: Final[tuple[tuple[str, Gate], ...]] = (
    ("kill_switch", gates.kill_switch_gate),
    ("execution_mode", gates.execution_mode_gate),
    ("clock", gates.clock_gate),
    ("strategy_known", gates.strategy_known_gate),
    ("strategy_book", gates.strategy_book_gate),
    ("strategy_universe", gates.strategy_universe_gate),
    ("phase_c_date", gates.phase_c_date_gate),
    ("phase_c_allowlist", gates.phase_c_allowlist_gate),
    ("phase_c_symbol", gates.phase_c_symbol_gate),
    ("ledger", gates.ledger_gate),
    ("positions", gates.positions_gate),
    ("reconciliation", gates.reconciliation_gate),
    ("market_hours", gates.market_hours_gate),
    ("broker_clock", gates.broker_clock_gate),
    ("entry_window", gates.entry_window_gate),
    ("watchlist", gates.watchlist_gate),
    ("intraday_data", gates.intraday_data_gate),
    ("equity", gates.equity_gate),
    ("allowlist", gates.allowlist_gate),
    ("strategy_routable", gates.strategy_routable_gate),
)
SIZE_GATES: Final[tuple[tuple[str, Gate], ...]] = (
    ("intent", caps.intent_gate),
    ("already_holding", caps.already_holding_gate),
    ("entries_per_day", caps.entries_per_day_gate),
    ("max_positions", caps.max_positions_gate),
    ("risk_per_trade", caps.risk_per_trade_gate),
    ("risk_pct", caps.risk_pct_gate),
    ("notional_per_symbol", caps.notional_per_symbol_gate),
    ("gross_exposure", caps.gross_exposure_gate),
    ("gross_exposure_pct", caps.gross_exposure_pct_gate),
    ("sleeve_symbol_overlap", sleeves.symbol_overlap_gate),
    ("sleeve_assigned", sleeves.sleeve_assigned_gate),
    ("sleeve_daily_loss", sleeves.daily_loss_gate),
    ("sleeve_new_entries", sleeves.new_entries_gate),
    ("sleeve_positions", sleeves.positions_gate),
    ("sleeve_gross", sleeves.gross_gate),
)
ENTRY_GATES: Final = CONDITION_GATES + SIZE_GATES
GATE_ORDER: Final = tuple(name for name, _ in ENTRY_GATES)


class Action(enum.StrEnum):
    APPROVE = "APPROVE"
    RESIZE = "RESIZE"
    REJECT = "REJECT"


class TradingState(enum.StrEnum):
    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


@dataclass(frozen=True, slots=True)
class GateOutcome:
    """One gate's result, named, as recorded in a decision."""

    name: str
    allowed: bool
    reason: str | None
    detail: Mapping[str, Any] = field(default_factory=dict)
    max_quantity: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The plane's answer to an entry: APPROVE, RESIZE (to ``quantity``) or REJECT (``quantity`` 0)."""

    action: Action
    symbol: object
    requested_quantity: object
    quantity: int
    reasons: tuple[str, ...]
    trading_state: TradingState
    gates: tuple[GateOutcome, ...]

    @property
    def primary_reason(self) -> str | None:
        return self.reasons[0] if self.reasons else None

    def to_record(self) -> dict[str, Any]:
        """Canonical plain data for a ledger or an alert."""
        return dict(to_plain({**asdict(self), "primary_reason": self.primary_reason}))


@dataclass(frozen=True, slots=True)
class ExitDecision:
    """Exits and cancels always pass; ``would_block`` lists the entry conditions that would have applied."""

    kind: str
    symbol: object
    trading_state: TradingState
    would_block: tuple[str, ...]
    gates: tuple[GateOutcome, ...]
    allowed: bool = True

    def to_record(self) -> dict[str, Any]:
        return dict(to_plain(asdict(self)))


def trading_state(kill_switch: object, portfolio: PortfolioView) -> TradingState:
    """HALTED when the book's state cannot be trusted; REDUCING under the kill switch; ACTIVE otherwise."""
    trusted = (
        isinstance(portfolio, PortfolioView)
        and portfolio.ledger_readable is True
        and portfolio.unknown_positions is False
        and portfolio.reconciliation_drift is False
    )
    if not trusted:
        return TradingState.HALTED
    return TradingState.ACTIVE if kill_switch is False else TradingState.REDUCING


def _run(name: str, gate: Gate, context: GateContext) -> GateOutcome:
    try:
        with decimal.localcontext(ARITHMETIC):
            result = gate(context)
        if not isinstance(result, GateResult):
            raise TypeError(f"gate returned {type(result).__name__}")
    except Exception as error:  # a crashing gate must block, never approve
        return GateOutcome(name, False, reasons.GATE_ERROR, {"error": f"{type(error).__name__}: {error}"})
    if result.allowed is True:
        return GateOutcome(name, True, None, result.detail, None)
    # A block without a reason code is still a block; GATE_ERROR names the missing code.
    return GateOutcome(name, False, result.reason or reasons.GATE_ERROR, result.detail, result.max_quantity)


def run_gates(
    context: GateContext, chain: tuple[tuple[str, Gate], ...] = ENTRY_GATES
) -> tuple[GateOutcome, ...]:
    """Run every gate of ``chain`` in order (none is skipped, so the audit trail is complete)."""
    checked = well_formed(context)
    return tuple(_run(name, gate, checked) for name, gate in chain)


def _failing_codes(outcomes: tuple[GateOutcome, ...]) -> tuple[str, ...]:
    return reasons.sort_reasons(
        outcome.reason or reasons.GATE_ERROR for outcome in outcomes if not outcome.allowed
    )


def _resized_quantity(context: GateContext, outcomes: tuple[GateOutcome, ...]) -> int:
    """The largest quantity every failing (resizable) cap accepts, re-checked by a full run; 0 when none."""
    failing = [outcome for outcome in outcomes if not outcome.allowed]
    if not failing or any(outcome.max_quantity is None for outcome in failing):
        return 0
    target = min(outcome.max_quantity or 0 for outcome in failing)
    if target < 1 or target >= (count(context.intent.quantity) or 0):
        return 0
    try:
        recheck = run_gates(context.with_quantity(target))
    except Exception:  # an intent that cannot be copied cannot be resized
        return 0
    return target if all(outcome.allowed for outcome in recheck) else 0


def evaluate_entry(context: GateContext) -> Decision:
    """Run every entry gate in the documented order and decide APPROVE, RESIZE or REJECT."""
    if not isinstance(context, GateContext):  # a bug at the edge must still come out as a REJECT
        return Decision(Action.REJECT, None, None, 0, (reasons.GATE_ERROR,), TradingState.HALTED, ())
    intent = context.intent if isinstance(context.intent, EntryIntent) else None
    requested = intent.quantity if intent is not None else None
    symbol = shown(intent.symbol) if intent is not None else None
    context = well_formed(context)
    outcomes = run_gates(context)
    codes = _failing_codes(outcomes)
    state = trading_state(context.kill_switch, context.portfolio)
    if not codes and isinstance(requested, int):
        return Decision(Action.APPROVE, symbol, requested, requested, (), state, outcomes)
    resized = _resized_quantity(context, outcomes)
    action = Action.RESIZE if resized else Action.REJECT
    return Decision(
        action, symbol, shown(requested), resized, codes or (reasons.GATE_ERROR,), state, outcomes
    )


def evaluate_exit(context: GateContext, kind: str = "EXIT") -> ExitDecision:
    """Allow an exit or a cancel, always; record which entry conditions would have blocked an entry.

    Only the condition gates are recorded: the size gates measure added exposure, which an exit removes.
    """
    try:
        outcomes = run_gates(context, CONDITION_GATES)
        state = trading_state(context.kill_switch, context.portfolio)
    except Exception as error:  # the audit must never stand between a position and its exit
        note = GateOutcome("audit", False, reasons.GATE_ERROR, {"error": f"{type(error).__name__}: {error}"})
        return ExitDecision(str(kind), None, TradingState.HALTED, (reasons.GATE_ERROR,), (note,))
    symbol = shown(context.intent.symbol) if isinstance(context.intent, EntryIntent) else None
    return ExitDecision(str(kind), symbol, state, _failing_codes(outcomes), outcomes)
