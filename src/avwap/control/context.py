"""What the control plane decides from: one frozen :class:`GateContext`, built at the edge, passed in whole.

Nothing here reads a file, the clock or the environment: the caller computes the kill switch (env flag
OR ``<state>/KILL_SWITCH``), resolves the mode (:func:`avwap.control.live_gate.resolve_mode`), folds the
portfolio view from ledgers and the broker, and asks the calendar whether the market is open.

The views are typed records and the gates read their fields directly. The gates still never trust a field's
*value* (it was assembled at the edge from ledgers, the broker and the environment): a missing or malformed
value blocks new entries (fail closed) rather than raising. A view of the wrong type altogether (a bug at the
edge) is replaced by its ``UNKNOWN_*`` twin by :func:`well_formed`, whose every field blocks.

Percent caps are in percent units, as operators write them: ``MAX_RISK_PER_TRADE_PCT=1`` means 1 % of equity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Final

from avwap.control.live_gate import ModeResolution
from avwap.control.sizing import DEFAULT_MAX_RISK_PER_SHARE
from avwap.core.config import Config
from avwap.core.config_parsers import Sleeve
from avwap.core.execution_mode import ExecutionMode

BUY: Final = "buy"
STOP_KIND: Final = "stop"
ALLOCATION_KIND: Final = "allocation"
INTENT_KINDS: Final = (STOP_KIND, ALLOCATION_KIND)


@dataclass(frozen=True, slots=True)
class EntryIntent:
    """A long entry the strategy asks for; notional and risk follow from quantity and prices.

    ``kind`` says how its risk is measured. ``"stop"`` (every scan-driven strategy): risk per share is
    entry - stop. ``"allocation"`` (a target-weight strategy on a manual book, issue 13): there is no stop
    (``stop_price`` None), so the whole notional is at risk (risk per share = the price) and every risk,
    notional, gross and sleeve cap measures it that way. An allocation intent passes only when the caller
    states ``allocation_allowed`` from the registry (avwap.strategies.registry.allocation_allowed: the
    strategy declares the allocation policy and the book is a manual one); otherwise ALLOCATION_NOT_ALLOWED.
    """

    symbol: str
    quantity: int
    entry_price: Decimal
    stop_price: Decimal | None
    side: str = BUY
    strategy_id: str = "S1_AVWAP_CORE"
    # What the strategy registry says of ``strategy_id``, stated by the caller (the control plane imports no
    # strategy code; avwap.strategies.registry.is_registered / may_route_to / is_routable): registered and
    # keeping the metadata contract; allowed to route to the book deciding; allowed to reach a broker at all
    # (a shadow never is). Anything but True blocks.
    registered: bool = True
    book_allowed: bool = True
    routable: bool = True
    # The symbol is in the strategy's universe (today's candidates for the scan-driven strategies).
    in_universe: bool = True
    kind: str = STOP_KIND
    allocation_allowed: bool = False

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.entry_price

    @property
    def risk_per_share(self) -> Decimal:
        if self.kind == ALLOCATION_KIND or self.stop_price is None:
            return self.entry_price  # no stop: the whole price is at risk
        return self.entry_price - self.stop_price

    @property
    def risk(self) -> Decimal:
        return self.quantity * self.risk_per_share


@dataclass(frozen=True, slots=True)
class PortfolioView:
    """The book's state as folded from ledgers (and reconciled with the broker) at decision time.

    ``positions`` maps each open symbol to its notional; ``entries_today`` counts entries submitted on
    today's New York date (see :mod:`avwap.control.rollover`); ``equity`` is None when unknown.
    """

    positions: Mapping[str, Decimal] = field(default_factory=dict)
    gross_exposure: Decimal = Decimal("0")
    entries_today: int = 0
    equity: Decimal | None = None
    unknown_positions: bool = False
    ledger_readable: bool = True
    reconciliation_drift: bool = False
    watchlist_fresh: bool = True


@dataclass(frozen=True, slots=True)
class SessionView:
    """Market state at decision time: calendar, broker clock (None when the book has no broker), window,
    and whether the intent's symbol has a recent closed intraday bar (see execution.data_freshness)."""

    market_open: bool = False
    in_entry_window: bool = False
    broker_market_open: bool | None = None
    intraday_data_fresh: bool = True


@dataclass(frozen=True, slots=True)
class SleeveView:
    """The intent's strategy inside its sleeve (Phase S2), folded by the caller from the book's ledger.

    ``configured``: sleeves are configured at all (S2_SLEEVES_JSON / S2_SLEEVES_FILE); when False the sleeve
    caps do not apply (one book, book caps only). ``sleeve``: this strategy's sleeve (None: none).
    ``open_positions`` / ``gross_exposure`` / ``entries_today``: this strategy's positions (with working
    entry orders), their notional, and its entries submitted today. ``daily_pnl``: its PnL today (realized
    + unrealized at the cycle's prices, or the operator's S2_DAILY_PNL_JSON); None when unknown.
    ``held_by_others``: other strategies holding the symbol (or with a working entry on it);
    ``holds_symbol``: this strategy holds it (or has a working entry on it). With
    ``allow_symbol_overlap``, a symbol held only by others is no ALREADY_HOLDING: this strategy opens its own
    lot (docs/STRATEGIES.md, "Two strategies in one symbol").
    """

    configured: bool = False
    sleeve: Sleeve | None = None
    allow_unsleeved: bool = False
    allow_symbol_overlap: bool = False
    open_positions: int = 0
    gross_exposure: Decimal = Decimal("0")
    entries_today: int = 0
    daily_pnl: Decimal | None = Decimal("0")
    held_by_others: tuple[str, ...] = ()
    holds_symbol: bool = False


NO_SLEEVES: Final = SleeveView()


@dataclass(frozen=True, slots=True)
class GateRules:
    """Caps and Phase C settings. ``None`` for a cap means *missing*, which blocks (never "unlimited")."""

    phase_c: bool = False
    live_enable_date_ny: dt.date | None = None
    allowlist_symbols: tuple[str, ...] = ()
    max_entries_per_day: int | None = 5
    max_positions: int | None = 5
    max_gross_exposure: Decimal | None = Decimal("5000")
    max_gross_exposure_pct: Decimal | None = Decimal("100")
    max_notional_per_symbol: Decimal | None = Decimal("1000")
    max_risk_per_trade: Decimal | None = Decimal("100")
    max_risk_per_trade_pct: Decimal | None = Decimal("1")
    max_risk_per_share: Decimal | None = DEFAULT_MAX_RISK_PER_SHARE

    @classmethod
    def from_config(cls, config: Config) -> GateRules:
        """The rules of ``config``; ``max_risk_per_share`` comes from the sizing settings once they exist."""
        return cls(
            phase_c=config.phase_c,
            live_enable_date_ny=config.live_enable_date_ny,
            allowlist_symbols=config.allowlist_symbols,
            max_entries_per_day=config.max_orders_per_day,
            max_positions=config.max_positions,
            max_gross_exposure=config.max_gross_exposure,
            max_gross_exposure_pct=config.max_gross_exposure_pct,
            max_notional_per_symbol=config.max_notional_per_symbol,
            max_risk_per_trade=config.max_risk_per_trade,
            max_risk_per_trade_pct=config.max_risk_per_trade_pct,
            max_risk_per_share=config.max_risk_per_share,
        )


@dataclass(frozen=True, slots=True)
class GateContext:
    """Everything one decision needs. ``kill_switch`` is the OR of the env flag and the state file."""

    intent: EntryIntent
    mode: ModeResolution
    today_ny: dt.date
    kill_switch: bool
    portfolio: PortfolioView
    session: SessionView
    rules: GateRules
    sleeve: SleeveView = NO_SLEEVES

    def with_quantity(self, quantity: int) -> GateContext:
        """The same context with the intent resized (used to re-check a RESIZE)."""
        return replace(self, intent=replace(self.intent, quantity=quantity))


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate's verdict. ``max_quantity`` is set by caps that a smaller quantity can satisfy."""

    allowed: bool
    reason: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    max_quantity: int | None = None


PASS: Final = GateResult(allowed=True)

# The views that stand in for a view of the wrong type: every field blocks what it can.
UNKNOWN_INTENT: Final = EntryIntent(
    symbol="", quantity=0, entry_price=Decimal(0), stop_price=Decimal(0), side=""
)
UNKNOWN_PORTFOLIO: Final = PortfolioView(
    equity=None,
    unknown_positions=True,
    ledger_readable=False,
    reconciliation_drift=True,
    watchlist_fresh=False,
)
UNKNOWN_SESSION: Final = SessionView(
    market_open=False, in_entry_window=False, broker_market_open=None, intraday_data_fresh=False
)
UNKNOWN_SLEEVE: Final = SleeveView(configured=True, sleeve=None, daily_pnl=None)


def well_formed(context: GateContext) -> GateContext:
    """``context`` with each view of the wrong type replaced by its blocking ``UNKNOWN_*`` twin."""
    intent = context.intent if isinstance(context.intent, EntryIntent) else UNKNOWN_INTENT
    portfolio = context.portfolio if isinstance(context.portfolio, PortfolioView) else UNKNOWN_PORTFOLIO
    session = context.session if isinstance(context.session, SessionView) else UNKNOWN_SESSION
    sleeve = context.sleeve if isinstance(context.sleeve, SleeveView) else UNKNOWN_SLEEVE
    unchanged = intent is context.intent and portfolio is context.portfolio and session is context.session
    if unchanged and sleeve is context.sleeve:
        return context
    return replace(context, intent=intent, portfolio=portfolio, session=session, sleeve=sleeve)


def effective_mode(context: GateContext) -> ExecutionMode | None:
    """The resolved execution mode, or None when the context carries no well-formed resolution."""
    mode = context.mode
    if isinstance(mode, ModeResolution) and isinstance(mode.effective_mode, ExecutionMode):
        return mode.effective_mode
    return None
