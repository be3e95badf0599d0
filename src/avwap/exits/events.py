"""Ledger records of a stop decision: the ``ExitEvent`` s the execution cycle appends (pure builders).

``ts`` is the decision instant, ``date_ny`` its New York date, ``exit_id`` the stable id of (position, kind,
revision, ts), so re-recording the same decision after a crash yields the same ids. Stop-setting events
carry the stop in force and its basis, and their ``reason`` names the pivot
(``HIGHER_LOW pivot_ts=… pivot_price=…``) so that the position state can recover the last pivot used from
the ledger alone. A skip event carries the stop still in force and, in its reason, the stop it would have
submitted.
"""

from __future__ import annotations

import datetime as dt

from avwap.core.calendar import ny_date
from avwap.exits.candidates import pivot_fields
from avwap.exits.policy import StopDecision
from avwap.exits.reasons import pivot_reason
from avwap.ledger import record_ids
from avwap.ledger.record_enums import STOP_SETTING_KINDS, ExitEventKind
from avwap.ledger.records import ExitEvent


def _reason(decision: StopDecision, kind: ExitEventKind) -> str:
    if kind not in STOP_SETTING_KINDS:
        proposed = decision.candidate.price if decision.candidate else decision.stop_price
        return f"{decision.reason} proposed={proposed} last_price={decision.last_price}"
    if decision.candidate is None:
        return str(decision.reason)
    pivot_ts, pivot_price = pivot_fields(decision.candidate)
    return pivot_reason(str(decision.reason), pivot_ts, pivot_price)


def exit_events(decision: StopDecision, *, book_id: str, strategy_id: str) -> tuple[ExitEvent, ...]:
    """The records of ``decision`` (none when it changed nothing)."""
    moment = decision.decided_at.astimezone(dt.UTC)
    return tuple(
        ExitEvent(
            book_id=book_id,
            date_ny=ny_date(moment),
            ts=moment,
            strategy_id=strategy_id,
            exit_id=record_ids.exit_id(
                position_id=decision.position_id,
                kind=str(kind),
                stop_revision=decision.stop_revision,
                ts=moment,
            ),
            position_id=decision.position_id,
            symbol=decision.symbol,
            kind=kind,
            stop_price=decision.stop_price,
            basis=decision.basis,
            reason=_reason(decision, kind),
            stop_revision=decision.stop_revision,
        )
        for kind in decision.events
    )
