"""Closed vocabularies of ledger records (string enums: the value is what the ledger stores).

Adding a member is a contract change: readers built before it will refuse records that use it.
"""

from __future__ import annotations

import enum


class Side(enum.StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class DecisionOutcome(enum.StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    RESIZE = "RESIZE"


class OrderType(enum.StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"


class OrderPurpose(enum.StrEnum):
    ENTRY = "ENTRY"
    STOP = "STOP"
    EXIT = "EXIT"


class TimeInForce(enum.StrEnum):
    DAY = "DAY"
    GTC = "GTC"


class ExitEventKind(enum.StrEnum):
    STOP_RESOLVED = "STOP_RESOLVED"
    STOP_RATCHET = "STOP_RATCHET"
    STOP_SUBMITTED = "STOP_SUBMITTED"
    STOP_REPLACED = "STOP_REPLACED"
    STOP_SKIPPED_TOO_EARLY = "STOP_SKIPPED_TOO_EARLY"
    STOP_SKIPPED_TOO_CLOSE = "STOP_SKIPPED_TOO_CLOSE"
    STOP_SKIPPED_MIN_BARS = "STOP_SKIPPED_MIN_BARS"
    STOP_SUBMIT_BLOCKED = "STOP_SUBMIT_BLOCKED"
    EXIT_FILLED = "EXIT_FILLED"


# Exit events after which ``stop_price`` is the stop in force (the projection tracks it).
STOP_SETTING_KINDS = frozenset(
    {
        ExitEventKind.STOP_RESOLVED,
        ExitEventKind.STOP_RATCHET,
        ExitEventKind.STOP_SUBMITTED,
        ExitEventKind.STOP_REPLACED,
    }
)


class StopBasis(enum.StrEnum):
    """What a stop level was derived from."""

    INITIAL = "initial"
    INTRADAY_HL = "intraday_hl"
    DAILY_SWING_LOW = "daily_swing_low"


class CashMovementKind(enum.StrEnum):
    DEPOSIT = "DEPOSIT"
    WITHDRAWAL = "WITHDRAWAL"


class AlertLevel(enum.StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class ConfirmationKind(enum.StrEnum):
    """What the operator's reply in a ticket thread said (issue 13, M1-C)."""

    EXECUTED = "EXECUTED"
    PARTIAL = "PARTIAL"
    SKIPPED = "SKIPPED"
    ERROR = "ERROR"
    NOT_UNDERSTOOD = "NOT_UNDERSTOOD"


class ConfirmationMatch(enum.StrEnum):
    """Whether a reply's thread is one of our tickets: an unmatched reply is recorded, never dropped."""

    MATCHED = "MATCHED"
    UNMATCHED_THREAD = "UNMATCHED_THREAD"


class SnapshotSource(enum.StrEnum):
    """Where a broker snapshot of a manual book came from (issue 13, M1-D)."""

    API = "API"  # schwab-py, read-only
    CSV = "CSV"  # a positions export downloaded from the broker's website
