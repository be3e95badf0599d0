"""Stable reason codes of stop decisions, and the ledger event kind each gate records.

The codes are UPPER_SNAKE strings (they go into ``ExitEvent.reason``); the table in docs/STOPS.md lists them.
When several gates block a submission the first one in :data:`GATE_ORDER` is reported, so the reason is
deterministic.
"""

from __future__ import annotations

import enum
from typing import Final

from avwap.ledger.record_enums import ExitEventKind


class StopReason(enum.StrEnum):
    """Why a decision came out the way it did."""

    # the stop moved or was resolved
    HIGHER_LOW = "HIGHER_LOW"  # tightened to an intraday higher low − buffer
    DAILY_SWING_LOW = "DAILY_SWING_LOW"  # tightened to the latest daily swing low − buffer
    INITIAL_STOP = "INITIAL_STOP"  # first resolution keeps the entry stop
    # nothing to do
    CANDIDATE_NOT_HIGHER = "CANDIDATE_NOT_HIGHER"  # the ratchet keeps the working stop
    NO_CANDIDATE = "NO_CANDIDATE"  # no confirmed pivot (and no stop yet)
    NO_INTRADAY_BARS = "NO_INTRADAY_BARS"  # halted or no data yet today: keep the stop, record nothing
    # submission gates (see GATE_KINDS)
    MARKET_CLOSED = "MARKET_CLOSED"
    BEFORE_SUBMIT_WINDOW = "BEFORE_SUBMIT_WINDOW"
    ENTRY_DELAY = "ENTRY_DELAY"
    ENTRY_MIN_BARS = "ENTRY_MIN_BARS"
    TOO_CLOSE_TO_PRICE = "TOO_CLOSE_TO_PRICE"


GATE_ORDER: Final = (
    StopReason.MARKET_CLOSED,
    StopReason.BEFORE_SUBMIT_WINDOW,
    StopReason.ENTRY_DELAY,
    StopReason.ENTRY_MIN_BARS,
    StopReason.TOO_CLOSE_TO_PRICE,
)

GATE_KINDS: Final[dict[StopReason, ExitEventKind]] = {
    StopReason.MARKET_CLOSED: ExitEventKind.STOP_SUBMIT_BLOCKED,
    StopReason.BEFORE_SUBMIT_WINDOW: ExitEventKind.STOP_SKIPPED_TOO_EARLY,
    StopReason.ENTRY_DELAY: ExitEventKind.STOP_SKIPPED_TOO_EARLY,
    StopReason.ENTRY_MIN_BARS: ExitEventKind.STOP_SKIPPED_MIN_BARS,
    StopReason.TOO_CLOSE_TO_PRICE: ExitEventKind.STOP_SKIPPED_TOO_CLOSE,
}


def pivot_reason(reason: str, pivot_ts: str | None, pivot_price: str | None) -> str:
    """``ExitEvent.reason`` text: the code, then the pivot the stop came from (``key=value`` pairs)."""
    if pivot_ts is None or pivot_price is None:
        return reason
    return f"{reason} pivot_ts={pivot_ts} pivot_price={pivot_price}"


def parse_pivot(reason: str) -> tuple[str, str] | None:
    """The ``(pivot_ts, pivot_price)`` written by :func:`pivot_reason`, or None when the reason has none."""
    fields = dict(part.split("=", 1) for part in reason.split()[1:] if "=" in part)
    if "pivot_ts" in fields and "pivot_price" in fields:
        return fields["pivot_ts"], fields["pivot_price"]
    return None
