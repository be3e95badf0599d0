"""What a cycle noted as it went: one frozen typed record per kind of event.

The cycle report, the alerts and ``avwap execute --json`` read these. Each record says its ``kind`` (the
stable name in the JSON output) and carries exactly the fields that kind needs; :meth:`CycleEvent.to_dict`
is its output form, ``{"event": kind, field: value, ...}`` in field order, canonicalized by
:func:`avwap.core.canonical.to_plain` where it is written. Every field is always present (an optional one is
``null`` when unknown), so a consumer never has to guess whether a key exists.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class CycleEvent:
    """Base of every cycle event; ``kind`` names it in the output."""

    kind: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        """``{"event": kind, **fields}`` (values as they are; the writer canonicalizes them)."""
        return {"event": self.kind, **asdict(self)}


@dataclass(frozen=True, slots=True)
class EntryDecision(CycleEvent):
    """The control plane decided an entry intent (``outcome``: APPROVE, RESIZE or REJECT)."""

    kind: ClassVar[str] = "decision"
    symbol: str
    outcome: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EntrySubmitted(CycleEvent):
    kind: ClassVar[str] = "entry_submitted"
    symbol: str
    quantity: int


@dataclass(frozen=True, slots=True)
class EntriesBlocked(CycleEvent):
    """The entry half did not run at all this cycle (corrupt ledger, book of another mode)."""

    kind: ClassVar[str] = "entries_blocked"
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BrokerUnavailable(CycleEvent):
    kind: ClassVar[str] = "broker_unavailable"
    error: str


@dataclass(frozen=True, slots=True)
class SubmissionRejected(CycleEvent):
    """The broker refused a submission; ``code`` is our stable refusal code (None when it gave none)."""

    kind: ClassVar[str] = "order_rejected"
    symbol: str
    client_order_id: str
    code: str | None


@dataclass(frozen=True, slots=True)
class OrderUnresolved(CycleEvent):
    """A submission's outcome is unknown (the broker did not answer); the next cycle looks it up."""

    kind: ClassVar[str] = "order_unresolved"
    client_order_id: str
    error: str


@dataclass(frozen=True, slots=True)
class OrderRecovered(CycleEvent):
    """A submission recorded without the broker's answer was resolved (``found``: the broker had it)."""

    kind: ClassVar[str] = "order_recovered"
    client_order_id: str
    found: bool


@dataclass(frozen=True, slots=True)
class OrderAdopted(CycleEvent):
    kind: ClassVar[str] = "order_adopted"
    symbol: str
    client_order_id: str


@dataclass(frozen=True, slots=True)
class FillRecorded(CycleEvent):
    kind: ClassVar[str] = "fill"
    symbol: str
    side: str
    quantity: int
    price: Decimal


@dataclass(frozen=True, slots=True)
class StopSubmitted(CycleEvent):
    kind: ClassVar[str] = "stop_submitted"
    symbol: str
    stop: Decimal
    quantity: int


@dataclass(frozen=True, slots=True)
class StopReplaced(CycleEvent):
    kind: ClassVar[str] = "stop_replaced"
    symbol: str
    stop: Decimal


@dataclass(frozen=True, slots=True)
class StopReplaceRaced(CycleEvent):
    """The stop filled or changed at the broker while we replaced it."""

    kind: ClassVar[str] = "stop_replace_raced"
    symbol: str
    client_order_id: str


@dataclass(frozen=True, slots=True)
class StopReplaceFailed(CycleEvent):
    kind: ClassVar[str] = "stop_replace_failed"
    symbol: str
    error: str


@dataclass(frozen=True, slots=True)
class StopCanceled(CycleEvent):
    kind: ClassVar[str] = "stop_canceled"
    symbol: str
    client_order_id: str


@dataclass(frozen=True, slots=True)
class StopCancelFailed(CycleEvent):
    kind: ClassVar[str] = "stop_cancel_failed"
    symbol: str
    error: str


@dataclass(frozen=True, slots=True)
class StopMissing(CycleEvent):
    """A position without a working protective stop; ``stop`` is the one it should have, when known."""

    kind: ClassVar[str] = "stop_missing"
    symbol: str
    reason: str
    stop: Decimal | None = None


@dataclass(frozen=True, slots=True)
class StopPolicy(CycleEvent):
    """The exit policy's decision for a position (``stop``: the stop in force after it, when resolved)."""

    kind: ClassVar[str] = "stop_policy"
    symbol: str
    reason: str
    stop: Decimal | None


@dataclass(frozen=True, slots=True)
class StopPolicyFailed(CycleEvent):
    kind: ClassVar[str] = "stop_policy_failed"
    symbol: str
    error: str


# The events that are operator errors (an ERROR alert each): the broker or a stop change failed.
@dataclass(frozen=True, slots=True)
class MarketDataUnavailable(CycleEvent):
    """The intraday bar refresh failed this cycle (the loop goes on with the bars it has)."""

    kind: ClassVar[str] = "market_data_unavailable"
    error: str


@dataclass(frozen=True, slots=True)
class IntradayDataStale(CycleEvent):
    """Watched symbols whose newest closed bar is older than the lag: no new entries on them this cycle.

    ``newest`` pairs each symbol with the ISO end of its newest closed bar (None: no bar today)."""

    kind: ClassVar[str] = "intraday_data_stale"
    symbols: tuple[str, ...]
    newest: tuple[tuple[str, str | None], ...]
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """``newest`` as a mapping symbol -> ISO end (the JSON output form)."""
        return {
            "event": self.kind,
            "symbols": self.symbols,
            "newest": dict(self.newest),
            "reasons": self.reasons,
        }


FAILURES = (OrderUnresolved, StopReplaceFailed, StopCancelFailed, BrokerUnavailable, MarketDataUnavailable)


@dataclass(frozen=True, slots=True)
class EntryEnforcementBlocked(CycleEvent):
    """Portfolio decision enforcement (``PORTFOLIO_DECISION_ENFORCE=1``) did not let an entry through.

    ``code`` is the enforcement reason (``PORTFOLIO_DECISION_*``); ``decision_reasons`` the portfolio
    decision's own codes when it was a BLOCK. The cycle's alerts summarize these in one message."""

    kind: ClassVar[str] = "entry_enforcement_blocked"
    strategy_id: str
    symbol: str
    code: str
    decision_reasons: tuple[str, ...] = ()
