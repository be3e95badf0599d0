"""The ledger record of the control plane's verdict on one intent: one builder for every caller.

The execution cycle (avwap.execution.entries) and the manual book's ticket decisions
(avwap.integrations.schwab.allocation_decisions) record the plane's :class:`~avwap.control.plane.Decision`
the same way: RESIZE and APPROVE keep the approved quantity, anything else is a REJECT of 0 shares, and
the id is a function of the verdict (:func:`avwap.ledger.record_ids.decision_id`).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from avwap.control.plane import Action
from avwap.control.plane import Decision as PlaneDecision
from avwap.ledger import record_ids
from avwap.ledger.record_enums import DecisionOutcome
from avwap.ledger.records import Decision

OUTCOME: Final = {Action.APPROVE: DecisionOutcome.APPROVE, Action.RESIZE: DecisionOutcome.RESIZE}


def decision_record(
    *,
    book_id: str,
    date_ny: dt.date,
    ts: dt.datetime,
    strategy_id: str,
    intent_id: str,
    symbol: str,
    verdict: PlaneDecision,
    ruleset_version: str | None,
) -> Decision:
    """The ledger record of ``verdict`` on the intent ``intent_id``."""
    outcome = OUTCOME.get(verdict.action, DecisionOutcome.REJECT)
    return Decision(
        book_id=book_id,
        date_ny=date_ny,
        ts=ts,
        strategy_id=strategy_id,
        decision_id=record_ids.decision_id(
            intent_id=intent_id,
            outcome=outcome,
            approved_quantity=verdict.quantity,
            reason_codes=verdict.reasons,
        ),
        intent_id=intent_id,
        symbol=symbol,
        outcome=outcome,
        approved_quantity=verdict.quantity if outcome != DecisionOutcome.REJECT else 0,
        reason_codes=verdict.reasons,
        ruleset_version=ruleset_version,
    )
