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

The record types live in ``record_base`` (the shared base and field checks), ``record_trading``,
``record_portfolio``, ``record_streams`` and ``record_manual``; this module is their one public face.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final, TypeAlias

import msgspec

from avwap.core.canonical import to_plain
from avwap.ledger.record_base import (
    SCHEMA_VERSION,
    SHA256,
    SYMBOL,
    UPPER_SNAKE,
    RecordBase,
    RecordValidationError,
    check_field,
    fail,
)
from avwap.ledger.record_manual import (
    BrokerSnapshotRecorded,
    ConfirmationRecorded,
    SnapshotOrder,
    SnapshotPosition,
    SnapshotTransaction,
    TicketFailed,
    TicketSent,
)
from avwap.ledger.record_portfolio import (
    PORTFOLIO_VERDICTS,
    RISK_ATTRIBUTION_CODES,
    RISK_ATTRIBUTION_DRAWDOWN_GUARD,
    RISK_ATTRIBUTION_HARD_CAP,
    RISK_ATTRIBUTION_REGIME_BLOCKED,
    RISK_ATTRIBUTION_REGIME_SCALED,
    RISK_ATTRIBUTION_UNMODIFIED,
    SLEEVE_SAMPLE,
    AttributionComponent,
    PortfolioDecisionLine,
    PortfolioDecisionsRecorded,
    PortfolioEnforcementRecorded,
    RiskAttributionEvent,
    SleeveEnforcement,
    SleeveLine,
)
from avwap.ledger.record_streams import (
    REGIME_LABELS,
    RULESET_ACTIONS,
    AuditEntry,
    AuditSeal,
    RegimeRecorded,
    RulesetActivated,
)
from avwap.ledger.record_trading import (
    CONFLICT_OUTCOMES,
    Alert,
    AllocationTradeIntent,
    CashMovement,
    ConflictResolved,
    Decision,
    ExitEvent,
    Fill,
    Note,
    NoteValue,
    OrderAcknowledged,
    OrderCanceled,
    OrderEvent,
    OrderRejected,
    OrderReplaced,
    OrderSubmitted,
    PositionClosed,
    PositionOpened,
    TradeIntent,
    note_detail,
)

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


__all__ = [
    "CONFLICT_OUTCOMES",
    "PORTFOLIO_VERDICTS",
    "RECORD_TYPES",
    "REGIME_LABELS",
    "RISK_ATTRIBUTION_CODES",
    "RISK_ATTRIBUTION_DRAWDOWN_GUARD",
    "RISK_ATTRIBUTION_HARD_CAP",
    "RISK_ATTRIBUTION_REGIME_BLOCKED",
    "RISK_ATTRIBUTION_REGIME_SCALED",
    "RISK_ATTRIBUTION_UNMODIFIED",
    "RULESET_ACTIONS",
    "SCHEMA_VERSION",
    "SHA256",
    "SLEEVE_SAMPLE",
    "SYMBOL",
    "UPPER_SNAKE",
    "Alert",
    "AllocationTradeIntent",
    "AttributionComponent",
    "AuditEntry",
    "AuditSeal",
    "BrokerSnapshotRecorded",
    "CashMovement",
    "ConfirmationRecorded",
    "ConflictResolved",
    "Decision",
    "ExitEvent",
    "Fill",
    "Note",
    "NoteValue",
    "OrderAcknowledged",
    "OrderCanceled",
    "OrderEvent",
    "OrderRejected",
    "OrderReplaced",
    "OrderSubmitted",
    "PortfolioDecisionLine",
    "PortfolioDecisionsRecorded",
    "PortfolioEnforcementRecorded",
    "PositionClosed",
    "PositionOpened",
    "Record",
    "RecordBase",
    "RecordValidationError",
    "RegimeRecorded",
    "RiskAttributionEvent",
    "RulesetActivated",
    "SleeveEnforcement",
    "SleeveLine",
    "SnapshotOrder",
    "SnapshotPosition",
    "SnapshotTransaction",
    "TicketFailed",
    "TicketSent",
    "TradeIntent",
    "check_field",
    "decode_record",
    "encode_record",
    "fail",
    "note_detail",
]
