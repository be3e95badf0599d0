"""Record contracts of book ledgers (Phase D0 + S0): frozen, strict, versioned, linked by stable ids.

Every record is a frozen msgspec Struct tagged by a ``type`` field (the class name) and carries
``schema_version`` (1), ``book_id``, ``date_ny`` (the New York trading date, which names the ledger file) and
``ts`` (a UTC instant, encoded ISO-8601 with ``Z``). Trading records also carry ``strategy_id``. Money and
prices are ``Decimal`` (encoded as strings; JSON numbers are refused so no float ever enters a ledger),
quantities are ``int`` shares. Values are validated when a record is built *and* when it is decoded.

The lifecycle, linked by ids built in :mod:`avwap.ledger.record_ids`::

    TradeIntent ─► Decision ─► OrderSubmitted ─► OrderAcknowledged / OrderRejected / OrderCanceled /
    OrderReplaced ─► Fill ─► PositionOpened … ExitEvent* … PositionClosed
    CashMovement (funding), Alert / Note (recorded reasons that are not trades)
    PortfolioDecisionsRecorded (the pre-open ALLOW/BLOCK batch, in the PORTFOLIO_DECISIONS stream)
    RegimeRecorded (one NY date's market regime, in the REGIME_E1 stream; market-level)
    RulesetActivated (which ruleset is in force from which session, in the RULESETS stream)
    ConfirmationRecorded (an operator's reply in a Slack ticket thread, in the SLACK_REPLIES stream)
    BrokerSnapshotRecorded (read-only broker truth of a manual book, in the BROKER_SNAPSHOTS stream)
    RiskAttributionEvent (why one portfolio decision is sized as it is, PORTFOLIO_RISK_ATTRIBUTION stream)

Public API::

    Record                             the tagged union of all record types; RECORD_TYPES maps tag -> class
    encode_record(record) -> dict      JSON-ready plain values (what the ledger stores)
    decode_record(data) -> Record      strict: unknown fields, wrong types, unknown ``type`` are refused
    RecordValidationError              (DataError, ValueError) with a message naming the field
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final, TypeAlias

import msgspec

from avwap.core.canonical import to_plain
from avwap.core.errors import DataError
from avwap.ledger.record_enums import (
    AlertLevel,
    CashMovementKind,
    ConfirmationKind,
    ConfirmationMatch,
    DecisionOutcome,
    ExitEventKind,
    OrderPurpose,
    OrderType,
    Side,
    SnapshotSource,
    StopBasis,
    TimeInForce,
)

SCHEMA_VERSION: Final = 1

_UPPER_SNAKE: Final = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
_SYMBOL: Final = re.compile(r"^[A-Z][A-Z0-9.\-]{0,14}$")
_ID_PREFIXES: Final = {
    "intent_id": "int_",
    "decision_id": "dec_",
    "order_id": "ord_",
    "new_order_id": "ord_",
    "fill_id": "fil_",
    "position_id": "pos_",
    "exit_id": "exi_",
    "resolution_id": "cfl_",
    "movement_id": "evt_",
    "confirmation_id": "cnf_",
    "corrects": "cnf_",
    "snapshot_id": "snp_",
}
_POSITIVE_PRICES: Final = frozenset(
    {
        "entry_price",
        "limit_price",
        "stop_price",
        "price",
        "new_price",
        "average_price",
        "exit_price",
        "amount",
    }
)


class RecordValidationError(DataError, ValueError):
    """A record does not satisfy its contract (message names the type and field)."""


def _fail(record: object, message: str) -> None:
    raise RecordValidationError(f"{type(record).__name__}: {message}")


def _check_field(record: object, name: str, value: Any) -> None:
    """Contract checks that depend only on a field's name and value (shared by every record type)."""
    if value is None:
        return
    if isinstance(value, Decimal):
        if not value.is_finite():
            _fail(record, f"{name} must be a finite decimal, got {value}")
        if name in _POSITIVE_PRICES and value <= 0:
            _fail(record, f"{name} must be positive, got {value}")
        if name == "commission" and value < 0:
            _fail(record, f"commission must not be negative, got {value}")
    elif name in ("book_id", "strategy_id", "code", "reason_code") and not _UPPER_SNAKE.fullmatch(value):
        _fail(record, f"{name} must be UPPER_SNAKE, got {value!r}")
    elif name == "symbol" and not _SYMBOL.fullmatch(value):
        _fail(record, f"symbol must be an upper-case ticker, got {value!r}")
    elif name in _ID_PREFIXES and not value.startswith(_ID_PREFIXES[name]):
        _fail(record, f"{name} must start with {_ID_PREFIXES[name]!r}, got {value!r}")
    elif name == "quantity" and value <= 0:
        _fail(record, f"quantity must be a positive number of shares, got {value}")
    elif name in ("approved_quantity", "stop_revision") and value < 0:
        _fail(record, f"{name} must not be negative, got {value}")
    elif name == "reason_codes" and not all(_UPPER_SNAKE.fullmatch(code) for code in value):
        _fail(record, f"reason_codes must be UPPER_SNAKE, got {value!r}")
    elif name == "fill_ids" and not all(item.startswith("fil_") for item in value):
        _fail(record, f"fill_ids must start with 'fil_', got {value!r}")


class RecordBase(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, tag_field="type"):
    """Fields and checks shared by every record."""

    schema_version: int = SCHEMA_VERSION
    book_id: str
    date_ny: dt.date
    ts: dt.datetime

    def __post_init__(self) -> None:
        if self.schema_version != SCHEMA_VERSION:
            _fail(
                self, f"unsupported schema_version {self.schema_version} (this code reads {SCHEMA_VERSION})"
            )
        if isinstance(self.date_ny, dt.datetime):
            _fail(self, "date_ny must be a date, not a datetime")
        if self.ts.utcoffset() != dt.timedelta(0):
            _fail(self, f"ts must be a timezone-aware UTC instant, got {self.ts.isoformat()}")
        for name in self.__struct_fields__:
            _check_field(self, name, getattr(self, name))
        self.check()

    def check(self) -> None:
        """Type-specific rules; subclasses override."""


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
            _fail(self, f"reference_price must be positive, got {self.reference_price}")
        if self.notional != self.quantity * self.reference_price:
            _fail(self, f"notional {self.notional} is not quantity x reference_price")
        if (self.order_type == OrderType.LIMIT) != (self.limit_price is not None):
            _fail(
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
            _fail(self, f"outcome {self.outcome} does not fit approved_quantity {self.approved_quantity}")
        if self.outcome != DecisionOutcome.APPROVE and not self.reason_codes:
            _fail(self, f"outcome {self.outcome} needs at least one reason code")


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
            _fail(self, f"a {self.order_type} order has the wrong prices (limit/stop)")
        if self.purpose != OrderPurpose.ENTRY and self.position_id is None:
            _fail(self, f"a {self.purpose} order must name its position_id")


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
            _fail(self, f"outcome must be KEEP, RESIZE or BLOCK, got {self.outcome!r}")
        if not self.reason_codes:
            _fail(self, "a conflict resolution needs at least one reason code")
        resolved, requested = self.resolved_quantity, self.requested_quantity
        if not 0 <= resolved <= requested or (self.outcome == "BLOCK") != (resolved == 0):
            _fail(self, f"outcome {self.outcome} does not fit {resolved} of {requested}")
        others = self.counterparty_strategy_ids
        if not all(_UPPER_SNAKE.fullmatch(item) for item in others):
            _fail(self, f"counterparty_strategy_ids must be UPPER_SNAKE, got {others!r}")


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
                _fail(self, f"detail {key!r} must map to a string, integer, boolean or null, got {value!r}")


PORTFOLIO_VERDICTS: Final = frozenset({"ALLOW", "BLOCK"})
_SHA256: Final = re.compile(r"^[0-9a-f]{64}$")


class PortfolioDecisionLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One candidate's verdict as the decisions ledger keeps it (the artifact holds the full record)."""

    strategy_id: str
    symbol: str
    verdict: str
    reason_codes: tuple[str, ...] = ()


class SleeveLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One strategy's sleeve as configured when a portfolio batch was decided (Phase S2 snapshot)."""

    strategy_id: str
    max_daily_loss: Decimal | None = None
    max_gross_exposure: Decimal | None = None
    max_positions: int | None = None
    max_new_entries_per_day: int | None = None


class SleeveEnforcement(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What a portfolio batch's sleeve rules did for one strategy (bounded: counts, at most
    ``SLEEVE_SAMPLE`` blocked symbols): held at the snapshot, allowed, blocked by a sleeve rule, the codes."""

    strategy_id: str
    sleeved: bool
    open_positions: int
    gross_exposure: Decimal
    allowed: int
    blocked_by_sleeve: int
    codes: tuple[str, ...] = ()
    blocked_sample: tuple[str, ...] = ()


SLEEVE_SAMPLE: Final = 5


class PortfolioDecisionsRecorded(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """A portfolio decision batch (roadmap 2A), appended to the ``PORTFOLIO_DECISIONS`` stream.

    ``book_id`` is the book decided for; ``date_ny`` the trading date decided; ``batch_sha256`` the sha256 of
    the decision artifact (``artifact``, relative to the artifacts folder); the two input hashes say what it
    read. ``inputs_ok`` false means every entry of the day is blocked (``input_reasons`` say why)."""

    batch_sha256: str
    artifact: str
    candidates_sha256: str | None = None
    snapshot_sha256: str | None = None
    inputs_ok: bool
    input_reasons: tuple[str, ...] = ()
    decisions: tuple[PortfolioDecisionLine, ...] = ()
    # Phase S2: the sleeve configuration the batch was decided under (empty: sleeves not configured) and
    # what the sleeve rules did per strategy (bounded summaries).
    sleeves: tuple[SleeveLine, ...] = ()
    s2_enforcement: tuple[SleeveEnforcement, ...] = ()

    def check(self) -> None:
        if any(len(item.blocked_sample) > SLEEVE_SAMPLE for item in self.s2_enforcement):
            _fail(self, f"s2_enforcement keeps at most {SLEEVE_SAMPLE} blocked symbols per strategy")
        for name in ("batch_sha256", "candidates_sha256", "snapshot_sha256"):
            value = getattr(self, name)
            if value is not None and not _SHA256.fullmatch(value):
                _fail(self, f"{name} must be a sha256 hex digest, got {value!r}")
        if self.inputs_ok == bool(self.input_reasons):
            _fail(self, "input_reasons must be given exactly when inputs_ok is false")
        keys = [(line.strategy_id, line.symbol) for line in self.decisions]
        if len(set(keys)) != len(keys):
            _fail(self, "a (strategy_id, symbol) is decided twice")
        for code in self.input_reasons:
            if not _UPPER_SNAKE.fullmatch(code):
                _fail(self, f"input_reasons must be UPPER_SNAKE, got {code!r}")
        for line in self.decisions:
            self._check_line(line)

    def _check_line(self, line: PortfolioDecisionLine) -> None:
        if line.verdict not in PORTFOLIO_VERDICTS:
            _fail(self, f"verdict must be ALLOW or BLOCK, got {line.verdict!r}")
        if (line.verdict == "ALLOW") == bool(line.reason_codes):
            _fail(self, f"{line.symbol}: ALLOW has no reason codes, BLOCK at least one")
        if not self.inputs_ok and line.verdict == "ALLOW":
            _fail(self, f"{line.symbol}: ALLOW in a batch whose inputs failed")
        if not _SYMBOL.fullmatch(line.symbol) or not _UPPER_SNAKE.fullmatch(line.strategy_id):
            _fail(self, f"malformed decision line {line.strategy_id!r}/{line.symbol!r}")
        if not all(_UPPER_SNAKE.fullmatch(code) for code in line.reason_codes):
            _fail(self, f"{line.symbol}: reason_codes must be UPPER_SNAKE, got {line.reason_codes!r}")


class PortfolioEnforcementRecorded(
    RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True
):
    """One outcome of the 2B enforcement gate (``PORTFOLIO_DECISION_ENFORCE=1``) for one entry the cycle
    was about to make, appended to the ``PORTFOLIO_ENFORCEMENT`` stream (once per outcome: an entry
    re-evaluated by the next cycle with the same artifact is not recorded again).

    ``book_id`` is the book traded; ``intent_id`` the id the entry intent has (or would have had);
    ``verdict`` ALLOW or BLOCK; ``reason_code`` the enforcement code of a BLOCK
    (``PORTFOLIO_DECISION_*``) and ``decision_reasons`` the portfolio decision's own codes. Provenance: the
    artifact read (path relative to the artifacts folder, its sha256: None when missing), the sha256 of
    today's candidates artifact, the Config hash."""

    strategy_id: str
    symbol: str
    intent_id: str
    verdict: str
    reason_code: str | None = None
    decision_reasons: tuple[str, ...] = ()
    artifact: str
    artifact_sha256: str | None = None
    candidates_sha256: str | None = None
    config_hash: str
    detail: str = ""

    def check(self) -> None:
        if self.verdict not in PORTFOLIO_VERDICTS:
            _fail(self, f"verdict must be ALLOW or BLOCK, got {self.verdict!r}")
        if (self.verdict == "ALLOW") == (self.reason_code is not None):
            _fail(self, "an ALLOW has no reason_code, a BLOCK has one")
        for name in ("artifact_sha256", "candidates_sha256", "config_hash"):
            value = getattr(self, name)
            if value is not None and not _SHA256.fullmatch(value):
                _fail(self, f"{name} must be a sha256 hex digest, got {value!r}")
        if not all(_UPPER_SNAKE.fullmatch(code) for code in self.decision_reasons):
            _fail(self, f"decision_reasons must be UPPER_SNAKE, got {self.decision_reasons!r}")
        if len(self.detail) > 500:
            _fail(self, "detail is at most 500 characters")


REGIME_LABELS: Final = frozenset({"RISK_ON", "NEUTRAL", "RISK_OFF", "STRESSED", "UNKNOWN"})
_REGIME_FEATURES: Final = ("volatility", "drawdown", "trend", "breadth")


class RegimeRecorded(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """One NY date's market regime (Phase E1, measurement only), appended to the ``REGIME_E1`` stream.

    Market-level: ``book_id`` is the stream's name (``REGIME_E1``), no book or strategy owns it. Inputs
    (features as fractions, None when missing: breadth without a wide universe, everything when UNKNOWN),
    their per-feature labels, the score and candidate before hysteresis, the label and its confidence, the
    hysteresis state carried to the next day, ordered reason codes, and provenance: the benchmark, where
    its bars came from, the sha256 of the daily bar store, the Config hash and the rule set's version."""

    benchmark: str
    label: str
    candidate: str | None = None
    confidence: Decimal
    score: Decimal | None = None
    volatility: Decimal | None = None
    drawdown: Decimal | None = None
    trend: Decimal | None = None
    breadth: Decimal | None = None
    breadth_symbols: int = 0
    levels: dict[str, str] = msgspec.field(default_factory=dict)
    pending_sessions: int = 0
    reason_codes: tuple[str, ...] = ()
    bars_source: str
    data_sha256: str
    config_hash: str
    rules_version: str

    def check(self) -> None:
        if self.book_id != "REGIME_E1":
            _fail(self, f"book_id must be the REGIME_E1 stream, got {self.book_id!r}")
        labels = [self.label, *([self.candidate] if self.candidate else []), *self.levels.values()]
        if any(label not in REGIME_LABELS for label in labels):
            _fail(self, f"unknown regime label in {labels!r}")
        if not Decimal(0) <= self.confidence <= Decimal(1):
            _fail(self, f"confidence must be within [0, 1], got {self.confidence}")
        if (self.label == "UNKNOWN") != (self.candidate is None):
            _fail(self, "an UNKNOWN label has no candidate, any other label has one")
        if set(self.levels) - set(_REGIME_FEATURES):
            _fail(self, f"levels name unknown features: {sorted(self.levels)}")
        if self.breadth_symbols < 0 or self.pending_sessions < 0:
            _fail(self, "breadth_symbols and pending_sessions must not be negative")
        for name in ("data_sha256", "config_hash"):
            if not _SHA256.fullmatch(getattr(self, name)):
                _fail(self, f"{name} must be a sha256 hex digest, got {getattr(self, name)!r}")


RULESET_ACTIONS: Final = frozenset({"ACTIVATE", "ROLLBACK"})
_RULESET_VERSION: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")


class RulesetActivated(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """A ruleset version made the rules in force from ``effective_from_ny`` on, appended to the ``RULESETS``
    stream by ``avwap rules activate`` (``action`` ACTIVATE) or ``avwap rules rollback`` (ROLLBACK).

    ``book_id`` is the book of the deployment that activated it; ``date_ny`` the day it was recorded, always
    before ``effective_from_ny`` (never mid-session); ``ruleset_sha256`` the canonical content hash of the
    file, checked again whenever the ruleset is loaded; ``previous_version`` what was in force before."""

    version: str
    ruleset_sha256: str
    effective_from_ny: dt.date
    previous_version: str | None = None
    action: str

    def check(self) -> None:
        if self.action not in RULESET_ACTIONS:
            _fail(self, f"action must be ACTIVATE or ROLLBACK, got {self.action!r}")
        for name in ("version", "previous_version"):
            value = getattr(self, name)
            if value is not None and not _RULESET_VERSION.fullmatch(value):
                _fail(self, f"{name} must be letters, digits, '.', '_' or '-' (at most 64), got {value!r}")
        if not _SHA256.fullmatch(self.ruleset_sha256):
            _fail(self, f"ruleset_sha256 must be a sha256 hex digest, got {self.ruleset_sha256!r}")
        if self.effective_from_ny <= self.date_ny:
            _fail(self, "effective_from_ny must be after the day it is recorded (never mid-session)")


class AuditEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One ledger file a seal commits to: its folder, file name and the seq and hash of its last line."""

    name: str
    file: str
    seq: int
    hash: str


class AuditSeal(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """The daily audit seal of the ``AUDIT`` stream (see :mod:`avwap.ledger.audit`): ``book_id`` is
    ``AUDIT``, ``date_ny`` the day it was written, ``sealed_day`` the day it seals; ``root`` commits to
    ``entries`` and ``mac`` (HMAC-SHA256, key kept outside the home) to the root and the seal before."""

    version: int
    sealed_day: dt.date
    entries: tuple[AuditEntry, ...]
    root: str
    key_id: str
    previous_mac: str | None
    mac: str

    def check(self) -> None:
        if self.book_id != "AUDIT":
            _fail(self, f"an AuditSeal belongs to the AUDIT stream, not {self.book_id!r}")


class TicketSent(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """A trade ticket posted to Slack for a person to place (book ``SCHWAB_401K_MANUAL``, issue 13 M1-B).

    What the ticket asked for (``symbol`` ... ``reason``) and where it is: ``channel`` (Slack channel id),
    ``message_ts`` (the message's Slack timestamp, its id), ``permalink`` (None when Slack would not give
    one). ``recovered``: the post was found in channel history by its metadata (a crash between the post
    and this record) instead of being posted by this run. At most one per ``intent_id``."""

    strategy_id: str
    intent_id: str
    symbol: str
    side: Side
    quantity: int
    order_type: OrderType
    limit_price: Decimal | None = None
    reason: str = ""
    channel: str
    message_ts: str
    permalink: str | None = None
    recovered: bool = False

    def check(self) -> None:
        if (self.order_type == OrderType.LIMIT) != (self.limit_price is not None):
            _fail(
                self, f"a {self.order_type} ticket {'needs' if self.limit_price is None else 'has no'} limit"
            )
        if not self.channel or not self.message_ts:
            _fail(self, "channel and message_ts are required")


class TicketFailed(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """A ticket that was not posted: ``outcome`` (RATE_LIMITED, SERVER_ERROR, REJECTED, UNREACHABLE, UNKNOWN,
    HISTORY_UNAVAILABLE) and Slack's ``detail`` (``http_500``, ``ratelimited``, ...). Never retried by the
    run that recorded it: the next run checks the ledger and channel history first, then posts once."""

    strategy_id: str
    intent_id: str
    symbol: str
    outcome: str
    detail: str
    retry_after_seconds: Decimal | None = None

    def check(self) -> None:
        if not _UPPER_SNAKE.fullmatch(self.outcome):
            _fail(self, f"outcome must be UPPER_SNAKE, got {self.outcome!r}")


class ConfirmationRecorded(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """The operator's reply in a manual book's Slack ticket thread (issue 13, M1-C), append-only.

    ``book_id`` is the manual book the ticket belongs to; ``confirmation_id`` derives from the Slack
    ``event_id`` (a retried delivery is the same record). ``intent_id`` is the ticket's intent, None when
    the thread is none of our tickets (``match`` UNMATCHED_THREAD). A later confirmation for the same
    intent names the one it supersedes in ``corrects``: earlier records are never changed. ``text`` is the
    reply as written (cut at 500 characters), for the audit trail."""

    strategy_id: str | None = None
    confirmation_id: str
    event_id: str
    channel: str
    thread_ts: str
    message_ts: str
    user: str = ""
    intent_id: str | None = None
    match: ConfirmationMatch
    kind: ConfirmationKind
    quantity: int | None = None
    price: Decimal | None = None
    note: str = ""
    text: str = ""
    corrects: str | None = None

    def check(self) -> None:
        if (self.match is ConfirmationMatch.MATCHED) != (self.intent_id is not None):
            _fail(self, "a MATCHED confirmation names its intent_id, an UNMATCHED_THREAD one has none")
        fills = self.kind in (ConfirmationKind.EXECUTED, ConfirmationKind.PARTIAL)
        if fills != (self.quantity is not None and self.price is not None):
            _fail(self, f"{self.kind} {'needs' if fills else 'takes no'} quantity and price")
        if fills is False and (self.quantity is not None or self.price is not None):
            _fail(self, f"{self.kind} takes no quantity or price")
        if self.corrects is not None and self.intent_id is None:
            _fail(self, "only a confirmation of a known intent can correct an earlier one")
        if not self.event_id or not self.channel or not self.thread_ts or len(self.text) > 500:
            _fail(self, "event_id, channel and thread_ts are required; text is at most 500 characters")


def _check_snapshot_item(item: object, symbol: str, quantities: dict[str, Decimal | None]) -> None:
    """Checks of a snapshot line (nested lines are not seen by ``RecordBase``'s field checks)."""
    if not _SYMBOL.fullmatch(symbol):
        _fail(item, f"symbol must be an upper-case ticker, got {symbol!r}")
    for name, value in quantities.items():
        if value is not None and (not value.is_finite() or value < 0):
            _fail(item, f"{symbol}: {name} must be a finite, non-negative decimal, got {value}")


class SnapshotPosition(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One holding as the broker reports it: shares may be fractional (mutual funds)."""

    symbol: str
    quantity: Decimal
    price: Decimal | None = None
    market_value: Decimal | None = None
    cost_basis: Decimal | None = None
    description: str = ""
    asset_type: str = ""

    def __post_init__(self) -> None:
        _check_snapshot_item(self, self.symbol, {"quantity": self.quantity, "price": self.price})
        if self.quantity == 0:
            _fail(self, f"{self.symbol}: a position holds a positive quantity")


class SnapshotOrder(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One broker order of the window: ``instruction`` is the broker's (BUY, SELL, ...), ``average_price``
    the quantity-weighted price of its executions (None when nothing filled)."""

    broker_order_id: str
    symbol: str
    instruction: str
    quantity: Decimal
    filled_quantity: Decimal
    average_price: Decimal | None = None
    status: str
    order_type: str = ""
    entered_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        _check_snapshot_item(
            self,
            self.symbol,
            {"quantity": self.quantity, "filled": self.filled_quantity, "price": self.average_price},
        )


class SnapshotTransaction(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One trade of the window: ``quantity`` is signed (negative: shares left the account)."""

    transaction_id: str
    symbol: str
    quantity: Decimal
    price: Decimal | None = None
    time: dt.datetime

    def __post_init__(self) -> None:
        _check_snapshot_item(self, self.symbol, {"price": self.price})


class BrokerSnapshotRecorded(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """Broker truth of a manual book at one instant, read-only (issue 13, M1-D; ``BROKER_SNAPSHOTS``).

    ``source``: API (schwab-py) or CSV (a website export, ``source_sha256`` its bytes). ``account`` is
    masked (last digits only). ``as_of`` is when the broker's figures were true (the export's header, or
    the fetch instant); ``cash`` and ``total_value`` are the balances (None when the source has none);
    ``orders`` and ``transactions`` cover ``window_start`` .. ``as_of`` (API only). Never changed: a
    later snapshot is a new record."""

    snapshot_id: str
    source: SnapshotSource
    account: str
    as_of: dt.datetime
    cash: Decimal | None = None
    total_value: Decimal | None = None
    positions: tuple[SnapshotPosition, ...] = ()
    orders: tuple[SnapshotOrder, ...] = ()
    transactions: tuple[SnapshotTransaction, ...] = ()
    window_start: dt.datetime | None = None
    source_sha256: str = ""

    def check(self) -> None:
        symbols = [position.symbol for position in self.positions]
        if len(symbols) != len(set(symbols)):
            _fail(self, f"a symbol appears twice among the positions: {sorted(symbols)}")
        if self.as_of.utcoffset() != dt.timedelta(0):
            _fail(self, "as_of must be a UTC instant")
        if (self.source is SnapshotSource.CSV) != bool(self.source_sha256):
            _fail(self, "a CSV snapshot names its file's sha256, an API snapshot none")


# Phase E3 risk attribution codes, in their documented order (docs/REGIMES.md, "E3"): measurement, not
# control-plane decisions. A component's code says which layer took the notional away.
RISK_ATTRIBUTION_REGIME_SCALED: Final = "RISK_ATTRIBUTION_REGIME_SCALED"
RISK_ATTRIBUTION_REGIME_BLOCKED: Final = "RISK_ATTRIBUTION_REGIME_BLOCKED"
RISK_ATTRIBUTION_DRAWDOWN_GUARD: Final = "RISK_ATTRIBUTION_DRAWDOWN_GUARD"
RISK_ATTRIBUTION_HARD_CAP: Final = "RISK_ATTRIBUTION_HARD_CAP"
RISK_ATTRIBUTION_UNMODIFIED: Final = "RISK_ATTRIBUTION_UNMODIFIED"
RISK_ATTRIBUTION_CODES: Final = (
    RISK_ATTRIBUTION_REGIME_SCALED,
    RISK_ATTRIBUTION_REGIME_BLOCKED,
    RISK_ATTRIBUTION_DRAWDOWN_GUARD,
    RISK_ATTRIBUTION_HARD_CAP,
    RISK_ATTRIBUTION_UNMODIFIED,
)
_ATTRIBUTION_RANK: Final = {code: rank for rank, code in enumerate(RISK_ATTRIBUTION_CODES)}


class AttributionComponent(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One layer's share of a decision's exposure change (a RISK_ATTRIBUTION_* code; ≤ 0)."""

    code: str
    notional_delta: Decimal


class RiskAttributionEvent(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """Why one portfolio decision's size is what it is (Phase E3.1, write-only analytics), appended to the
    ``PORTFOLIO_RISK_ATTRIBUTION`` stream; ``book_id`` is the book decided, ``ts`` the batch's instant.

    ``baseline_*`` is the sizing rule alone, ``modulated_*`` after the E2 regime's risk multiplier (the
    decision's proposed notional), quantities at the candidate's entry level (None when it is unknown).
    ``allowed_notional`` is what the decision lets into the book (the modulated notional on ALLOW, 0 on
    BLOCK) and ``exposure_delta`` = allowed − baseline, split exactly into ordered ``components``: the
    regime's scaling, then the whole block charged to the decision's primary (first) reason. ``policy_*``
    name the E2 multipliers applied (``E2_OFF`` without modulation); ``hard_caps`` are the decision's
    other guardrail codes; ``decision_id`` is a stable hash of (book, date, strategy, symbol, batch)."""

    strategy_id: str
    symbol: str
    decision_id: str
    rank: int
    shadow: bool = False
    verdict: str
    batch_sha256: str
    entry_price: Decimal | None = None
    baseline_quantity: int | None = None
    modulated_quantity: int | None = None
    quantity_delta: int | None = None
    quantity_delta_pct: Decimal | None = None
    baseline_notional: Decimal
    modulated_notional: Decimal
    notional_delta: Decimal
    notional_delta_pct: Decimal | None = None
    allowed_notional: Decimal
    exposure_delta: Decimal
    regime_label: str | None = None
    regime_code: str | None = None
    regime_as_of: dt.date | None = None
    regime_confidence: Decimal | None = None
    risk_multiplier: Decimal = Decimal("1")
    new_positions_multiplier: Decimal = Decimal("1")
    halved: bool = False
    policy_reference: str
    policy_hash: str | None = None
    drawdown_guard: bool = False
    drawdown_contribution: Decimal = Decimal("0")
    hard_caps: tuple[str, ...] = ()
    components: tuple[AttributionComponent, ...] = ()
    reason_codes: tuple[str, ...]
    decision_reason_codes: tuple[str, ...] = ()

    def check(self) -> None:
        if self.verdict not in PORTFOLIO_VERDICTS:
            _fail(self, f"verdict must be ALLOW or BLOCK, got {self.verdict!r}")
        for name in ("batch_sha256", "policy_hash"):
            value = getattr(self, name)
            if value is not None and not _SHA256.fullmatch(value):
                _fail(self, f"{name} must be a sha256 hex digest, got {value!r}")
        for label in (self.regime_label, self.regime_code):
            if label is not None and label not in REGIME_LABELS:
                _fail(self, f"unknown regime label {label!r}")
        allowed = self.modulated_notional if self.verdict == "ALLOW" else Decimal("0")
        sums = (
            (self.allowed_notional, allowed, "allowed_notional"),
            (self.notional_delta, self.modulated_notional - self.baseline_notional, "notional_delta"),
            (self.exposure_delta, self.allowed_notional - self.baseline_notional, "exposure_delta"),
            (
                sum((item.notional_delta for item in self.components), Decimal("0")),
                self.exposure_delta,
                "the components",
            ),
        )
        for value, expected, name in sums:
            if value != expected:
                _fail(self, f"{name} is {value}, the figures give {expected}")
        codes = [*self.reason_codes, *(item.code for item in self.components)]
        if not self.reason_codes or any(code not in _ATTRIBUTION_RANK for code in codes):
            _fail(self, f"reason codes must be RISK_ATTRIBUTION_* codes, got {codes!r}")
        ranks = [_ATTRIBUTION_RANK[code] for code in self.reason_codes]
        if ranks != sorted(set(ranks)):
            _fail(self, f"reason codes out of their documented order or repeated {self.reason_codes}")
        for name in ("hard_caps", "decision_reason_codes"):
            if not all(_UPPER_SNAKE.fullmatch(code) for code in getattr(self, name)):
                _fail(self, f"{name} must be UPPER_SNAKE codes")


Record: TypeAlias = (
    TradeIntent
    | AllocationTradeIntent
    | Decision
    | OrderSubmitted
    | OrderAcknowledged
    | OrderRejected
    | OrderCanceled
    | OrderReplaced
    | Fill
    | PositionOpened
    | PositionClosed
    | ExitEvent
    | ConflictResolved
    | CashMovement
    | Alert
    | Note
    | PortfolioDecisionsRecorded
    | PortfolioEnforcementRecorded
    | RegimeRecorded
    | RulesetActivated
    | AuditSeal
    | TicketSent
    | TicketFailed
    | ConfirmationRecorded
    | BrokerSnapshotRecorded
    | RiskAttributionEvent
)
RECORD_TYPES: Final[dict[str, type[RecordBase]]] = {cls.__name__: cls for cls in typing.get_args(Record)}


@functools.cache
def _decimal_fields(cls: type[RecordBase]) -> frozenset[str]:
    def is_decimal(annotation: Any) -> bool:
        return annotation is Decimal or (
            isinstance(annotation, types.UnionType) and Decimal in typing.get_args(annotation)
        )

    return frozenset(field.name for field in msgspec.structs.fields(cls) if is_decimal(field.type))


def encode_record(record: Record) -> dict[str, Any]:
    """The record as plain JSON values (``type`` tag included), ready for canonical JSON."""
    if not isinstance(record, RecordBase):
        raise TypeError(f"not a ledger record: {type(record).__name__}")
    plain = to_plain(msgspec.to_builtins(record))
    assert isinstance(plain, dict)
    if plain.get("ruleset_version", "") is None:
        del plain["ruleset_version"]  # optional and unset: keep the bytes of lines written before rulesets
    return plain


def decode_record(data: Mapping[str, Any]) -> Record:
    """Build the typed record from plain values; anything off-contract raises RecordValidationError."""
    if not isinstance(data, Mapping):
        raise RecordValidationError(f"a record must be a JSON object, got {type(data).__name__}")
    tag = data.get("type")
    cls = RECORD_TYPES.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise RecordValidationError(f"unknown record type {tag!r}; known: {', '.join(sorted(RECORD_TYPES))}")
    for name in sorted(_decimal_fields(cls)):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise RecordValidationError(f"{tag}: {name} must be a decimal string, got {type(value).__name__}")
    try:
        return typing.cast(Record, msgspec.convert(dict(data), type=Record))
    except msgspec.ValidationError as error:
        message = str(error)  # our own checks already name the type
        raise RecordValidationError(
            message if message.startswith(f"{tag}:") else f"{tag}: {message}"
        ) from None
