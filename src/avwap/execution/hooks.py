"""Fault-injection seam: named points of the order lifecycle where a test may act (e.g. kill the process).

Production passes :data:`NO_HOOKS` (the default of :class:`~avwap.execution.context.CycleDependencies`),
which does nothing. Crash tests pass a hook that sends ``SIGKILL`` to its own process at one point, restart
the cycle without it, and check that nothing was duplicated or lost. Each point names the durable state at
that instant, so a test can say exactly which gap it exercises:

====================================  ========================================================================
 point                                 what is durable when it is reached
====================================  ========================================================================
 ``after_intent_write``                the ``TradeIntent``; no decision yet
 ``after_decision_write``              the intent and its ``Decision``; no order recorded yet
 ``after_order_record_before_submit``  the ``OrderSubmitted``; nothing sent to the broker yet
 ``after_submit_before_ack_write``     the broker accepted the order; its ``OrderAcknowledged`` is not written
 ``after_ack_write``                   the ``OrderAcknowledged``
 ``during_stop_submission``            a protective stop's ``OrderSubmitted`` (and its STOP_SUBMITTED event);
                                       the stop is not yet sent to the broker
====================================  ========================================================================

The order points fire for every order sent through :func:`avwap.execution.broker_sync.send`; ``detail``
carries ``purpose`` (``ENTRY``, ``STOP``, ...), ``client_order_id`` and ``symbol`` so a hook can choose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Protocol

AFTER_INTENT_WRITE: Final = "after_intent_write"
AFTER_DECISION_WRITE: Final = "after_decision_write"
AFTER_ORDER_RECORD_BEFORE_SUBMIT: Final = "after_order_record_before_submit"
AFTER_SUBMIT_BEFORE_ACK_WRITE: Final = "after_submit_before_ack_write"
AFTER_ACK_WRITE: Final = "after_ack_write"
DURING_STOP_SUBMISSION: Final = "during_stop_submission"

POINTS: Final = (
    AFTER_INTENT_WRITE,
    AFTER_DECISION_WRITE,
    AFTER_ORDER_RECORD_BEFORE_SUBMIT,
    AFTER_SUBMIT_BEFORE_ACK_WRITE,
    AFTER_ACK_WRITE,
    DURING_STOP_SUBMISSION,
)


class CycleHooks(Protocol):
    """Called at each named point; must return quickly (or never, for a crash test)."""

    def reach(self, point: str, **detail: Any) -> None: ...


class NoHooks:
    """The production hooks: nothing happens."""

    def reach(self, point: str, **detail: Any) -> None:
        return None


NO_HOOKS: Final = NoHooks()


class HookAt:
    """Runs ``action(detail)`` the first time ``point`` is reached with ``detail`` matching ``where``."""

    def __init__(self, point: str, action: Callable[[dict[str, Any]], None], **where: Any) -> None:
        if point not in POINTS:
            raise ValueError(f"unknown hook point {point!r}; known: {', '.join(POINTS)}")
        self.point = point
        self.action = action
        self.where = where
        self.fired = False
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def reach(self, point: str, **detail: Any) -> None:
        self.seen.append((point, detail))
        if self.fired or point != self.point:
            return
        if all(detail.get(key) == value for key, value in self.where.items()):
            self.fired = True
            self.action(detail)
