"""The trade lifecycle's records (intent, decision, orders, fills, positions, exits, conflicts) and the
book's cash movements, alerts and notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Final, TypeAlias

import msgspec

from avwap.ledger.record_base import UPPER_SNAKE, RecordBase, fail
from avwap.ledger.record_enums import (
    AlertLevel,
    CashMovementKind,
    DecisionOutcome,
    ExitEventKind,
    OrderPurpose,
    OrderType,
    Side,
    StopBasis,
    TimeInForce,
)


class TradeIntent(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """A strategy's wish to trade, before the control plane decides."""

    strategy_id: str
    intent_id: str
    symbol: str
    side: Side
    quantity: int
    entry_price: Decimal
    limit_price: Decimal | None = None
    stop_price: Decimal
    risk_per_share: Decimal
    notional: Decimal
    time_in_force: TimeInForce = TimeInForce.DAY
    setup: str
    reason: str = ""
    thesis: str = ""
    tags: tuple[str, ...] = ()
    model_version: str
    data_version: str
    # The ruleset version in force (avwap.control.rulesets); None (and left out of the stored line, so
    # ledgers written before rulesets keep their bytes) when no ruleset was ever activated.
    ruleset_version: str | None = None


class AllocationTradeIntent(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """An allocation strategy's wish to trade toward a target weight (issue 13): the stop-free intent kind.

    Its own record type, not a :class:`TradeIntent` with a dummy stop: nothing that reads a stop (execution,
    the protective-stop fold, R multiples) can ever be handed one. The control plane decides it like any
    entry (a BUY) with risk per share = ``reference_price`` (the whole notional is at risk) or lets it
    through as a reduction (a SELL: exits are never blocked); its :class:`Decision` links by ``intent_id``.
    Only a strategy whose metadata declares the allocation policy, on a manual book, may have one approved.
    """

    strategy_id: str
    intent_id: str
    symbol: str
    side: Side
    quantity: int
    order_type: OrderType
    limit_price: Decimal | None = None
    reference_price: Decimal
    notional: Decimal
    setup: str
    reason: str = ""
    model_version: str
    data_version: str
    ruleset_version: str | None = None  # as on TradeIntent

    def check(self) -> None:
        if self.reference_price <= 0:
            fail(self, f"reference_price must be positive, got {self.reference_price}")
        if self.notional != self.quantity * self.reference_price:
            fail(self, f"notional {self.notional} is not quantity x reference_price")
        if (self.order_type == OrderType.LIMIT) != (self.limit_price is not None):
            fail(
                self, f"a {self.order_type} intent {'needs' if self.limit_price is None else 'has no'} limit"
            )


class Decision(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """The control plane's verdict on one intent, with its ordered reason codes."""

    strategy_id: str
    decision_id: str
    intent_id: str
    symbol: str
    outcome: DecisionOutcome
    approved_quantity: int
    reason_codes: tuple[str, ...] = ()
    ruleset_version: str | None = None  # as on TradeIntent

    def check(self) -> None:
        if (self.outcome == DecisionOutcome.REJECT) != (self.approved_quantity == 0):
            fail(self, f"outcome {self.outcome} does not fit approved_quantity {self.approved_quantity}")
        if self.outcome != DecisionOutcome.APPROVE and not self.reason_codes:
            fail(self, f"outcome {self.outcome} needs at least one reason code")


class OrderEvent(RecordBase, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Fields shared by the order lifecycle records."""

    strategy_id: str
    order_id: str
    client_order_id: str
    symbol: str


class OrderSubmitted(OrderEvent, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """An order sent (or, in DRY_RUN, that would have been sent) to the book's broker.

    ``decision_id``: the control-plane decision that approved an entry order (lineage intent -> decision ->
    order). Stop and exit orders have none (exits are never gated; they link through ``position_id``), nor do
    broker orders adopted by reconciliation or entries recorded before the field existed."""

    intent_id: str
    decision_id: str | None = None
    position_id: str | None = None
    side: Side
    order_type: OrderType
    quantity: int
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    purpose: OrderPurpose
    time_in_force: TimeInForce = TimeInForce.DAY

    def check(self) -> None:
        needs = {
            OrderType.MARKET: (False, False),
            OrderType.LIMIT: (True, False),
            OrderType.STOP: (False, True),
        }
        if needs[self.order_type] != (self.limit_price is not None, self.stop_price is not None):
            fail(self, f"a {self.order_type} order has the wrong prices (limit/stop)")
        if self.purpose != OrderPurpose.ENTRY and self.position_id is None:
            fail(self, f"a {self.purpose} order must name its position_id")


class OrderAcknowledged(OrderEvent, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """The broker accepted the order."""

    broker_order_id: str
    status: str


class OrderRejected(OrderEvent, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """The broker (or our pre-trade checks) refused the order."""

    reason_code: str
    broker_message: str = ""


class OrderCanceled(OrderEvent, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """The order is no longer working."""

    reason: str = ""


class OrderReplaced(OrderEvent, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """The working order ``client_order_id`` was replaced by ``new_client_order_id`` at ``new_price``."""

    new_order_id: str
    new_client_order_id: str
    new_price: Decimal


class Fill(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """An execution (possibly partial) of an order."""

    strategy_id: str
    fill_id: str
    order_id: str
    client_order_id: str
    position_id: str
    symbol: str
    side: Side
    quantity: int
    price: Decimal
    commission: Decimal = Decimal("0")
    broker_fill_id: str


class PositionOpened(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """A position came into being (its first entry fill)."""

    strategy_id: str
    position_id: str
    intent_id: str
    symbol: str
    quantity: int
    average_price: Decimal
    initial_stop_price: Decimal | None = None
    fill_ids: tuple[str, ...] = ()


class PositionClosed(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """A position went flat; ``realized_pnl`` is net of commissions."""

    strategy_id: str
    position_id: str
    symbol: str
    quantity: int
    average_price: Decimal
    exit_price: Decimal
    realized_pnl: Decimal
    fill_ids: tuple[str, ...] = ()


class ExitEvent(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """One step of exit management; ``stop_price`` is the stop in force after the event."""

    strategy_id: str
    exit_id: str
    position_id: str
    symbol: str
    kind: ExitEventKind
    stop_price: Decimal | None = None
    basis: StopBasis | None = None
    reason: str = ""
    stop_revision: int = 0


CONFLICT_OUTCOMES: Final = frozenset({"KEEP", "RESIZE", "BLOCK"})


class ConflictResolved(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """One cross-strategy conflict resolution (Phase S3) of one strategy's would-be intent, written before
    the intent (a BLOCK has no intent at all). ``intent_id`` is the id the intent has or would have had;
    ``counterparty_strategy_ids`` the other strategies of the conflict; ``reason_codes`` the rules that
    applied (``CONFLICT_*``, in rule order); ``resolved_quantity`` the quantity the plane is asked to
    decide (0 for a BLOCK). One record per (intent, outcome, quantity): a re-planned intent is not recorded
    again."""

    strategy_id: str
    resolution_id: str
    intent_id: str
    symbol: str
    side: Side
    outcome: str
    requested_quantity: int
    resolved_quantity: int
    counterparty_strategy_ids: tuple[str, ...] = ()
    reason_codes: tuple[str, ...]

    def check(self) -> None:
        if self.outcome not in CONFLICT_OUTCOMES:
            fail(self, f"outcome must be KEEP, RESIZE or BLOCK, got {self.outcome!r}")
        if not self.reason_codes:
            fail(self, "a conflict resolution needs at least one reason code")
        resolved, requested = self.resolved_quantity, self.requested_quantity
        if not 0 <= resolved <= requested or (self.outcome == "BLOCK") != (resolved == 0):
            fail(self, f"outcome {self.outcome} does not fit {resolved} of {requested}")
        others = self.counterparty_strategy_ids
        if not all(UPPER_SNAKE.fullmatch(item) for item in others):
            fail(self, f"counterparty_strategy_ids must be UPPER_SNAKE, got {others!r}")


class CashMovement(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """Money in or out of the book (funding a paper book, a withdrawal)."""

    strategy_id: str | None = None
    movement_id: str
    kind: CashMovementKind
    amount: Decimal
    reason: str = ""


class Alert(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """Something an operator should see (a blocked gate, a reconciliation break, ...)."""

    strategy_id: str | None = None
    level: AlertLevel
    code: str
    message: str
    symbol: str | None = None


NoteValue: TypeAlias = str | int | bool | None


def note_detail(facts: Mapping[str, object]) -> dict[str, NoteValue]:
    """Structured note fields from figures: Decimals as plain decimal strings (``"9.41"``), floats by their
    shortest repr, dates ISO; nested containers are refused, so a note never holds a Python repr of a dict."""
    detail: dict[str, NoteValue] = {}
    for key, value in facts.items():
        if value is None or isinstance(value, bool | int | str):
            detail[str(key)] = value
        elif isinstance(value, Decimal):
            detail[str(key)] = format(value, "f") if value.is_finite() else str(value)
        elif isinstance(value, float):
            detail[str(key)] = repr(value)
        elif isinstance(value, dt.date):
            detail[str(key)] = value.isoformat()
        else:
            raise TypeError(f"note detail {key!r} must be a scalar, got {type(value).__name__}")
    return detail


class Note(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """A recorded reason or remark that is not a trade event.

    ``message`` is for people; what programs need is typed: ``symbol``, ``intent_id`` (the would-be intent a
    note is about, e.g. an entry that could not be sized) and ``detail`` (scalars; see :func:`note_detail`).
    """

    strategy_id: str | None = None
    code: str
    message: str
    symbol: str | None = None
    intent_id: str | None = None
    detail: dict[str, NoteValue] = msgspec.field(default_factory=dict)

    def check(self) -> None:
        for key, value in self.detail.items():
            if not isinstance(key, str) or not (value is None or isinstance(value, bool | int | str)):
                fail(self, f"detail {key!r} must map to a string, integer, boolean or null, got {value!r}")
