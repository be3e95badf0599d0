"""One execution cycle, the same code in every mode and in the demo; only the seams differ.

Each cycle, in order: establish the facts (clock, calendar, broker clock, live gate, kill switch, equity,
watchlist freshness) → synchronize with the broker (recover in-flight submissions, record fills, close
finished orders, reconcile positions) → maintain protective stops (never blocked) → intraday data
freshness (stale symbols get no new entries) → entries through the control plane → alerts. Every
decision is in the ledger before any side effect.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from avwap.control.live_gate import ModeResolution, resolve_mode
from avwap.control.state_files import kill_switch_active, read_token_file
from avwap.core.calendar import ny_date, nyse
from avwap.core.errors import BrokerError, CalendarError
from avwap.core.execution_mode import ExecutionMode
from avwap.execution.alerts import send_alerts
from avwap.execution.broker_sync import synchronize
from avwap.execution.context import CycleDependencies, CycleFacts
from avwap.execution.data_freshness import check_market_data
from avwap.execution.entries import run_entries
from avwap.execution.events import BrokerUnavailable, CycleEvent, EntryDecision
from avwap.execution.protective import maintain_stops


@dataclass(frozen=True)
class CycleReport:
    now: dt.datetime
    mode: str
    events: tuple[CycleEvent, ...]
    drift: tuple[str, ...]
    blocked_reasons: tuple[str, ...]
    alerts: int
    book_id: str = ""
    entries_blocked: tuple[str, ...] = ()
    ledger_problem: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "mode": self.mode,
            "book_id": self.book_id,
            "events": [event.to_dict() for event in self.events],
            "drift": list(self.drift),
            "blocked_reasons": list(self.blocked_reasons),
            "entries_blocked": list(self.entries_blocked),
            "ledger_problem": self.ledger_problem,
            "alerts": self.alerts,
        }


def establish_facts(deps: CycleDependencies, mode: ModeResolution | None = None) -> CycleFacts:
    """The facts of a cycle at ``deps.clock.now()``. ``mode``: the live gate's answer for this cycle when
    the caller already resolved it (the runner picks the book by it); resolved here otherwise. Either way
    it is resolved once per cycle, so the book, the stops and the entries all see the same mode."""
    now = deps.clock.now()
    today = ny_date(now)
    calendar = nyse()
    try:
        is_session = calendar.is_session(today)
    except CalendarError:
        is_session = False
    facts = CycleFacts(
        now=now,
        today=today,
        is_session=is_session,
        market_open=is_session and calendar.is_open(now),
        mode=mode or resolve_mode(deps.config, read_token_file(deps.state_dir), today),
        kill_switch=kill_switch_active(deps.config.kill_switch, deps.state_dir),
        ledger_problem=deps.ledger_problem or deps.book.problem,
    )
    facts.freshness = deps.cache.freshness(deps.artifacts_dir, today, is_session)
    if deps.broker is None:
        facts.equity = (
            deps.config.starting_cash if facts.mode.effective_mode == ExecutionMode.DRY_RUN else None
        )
        return facts
    try:
        facts.broker_market_open = deps.broker.clock().is_open
        facts.equity = deps.broker.account().equity
    except BrokerError as error:  # unknown clock or equity: the gates fail closed
        facts.note(BrokerUnavailable(str(error)))
    return facts


def run_cycle(deps: CycleDependencies, mode: ModeResolution | None = None) -> CycleReport:
    """Run one cycle at ``deps.clock.now()`` and report it (``mode``: see :func:`establish_facts`)."""
    facts = establish_facts(deps, mode)
    if deps.broker is not None:
        try:
            synchronize(deps, facts, deps.broker)
        except BrokerError as error:
            facts.drift += (f"broker synchronization failed: {error}",)
            facts.note(BrokerUnavailable(str(error)))
    maintain_stops(deps, facts)
    check_market_data(deps, facts)
    run_entries(deps, facts)
    alerts = send_alerts(deps.notifier, facts)
    blocked = sorted(
        {reason for event in facts.events if isinstance(event, EntryDecision) for reason in event.reasons}
    )
    return CycleReport(
        now=facts.now,
        mode=str(facts.mode.effective_mode),
        events=tuple(facts.events),
        drift=facts.drift,
        blocked_reasons=tuple(blocked),
        alerts=alerts,
        book_id=deps.book.book_id,
        entries_blocked=facts.entries_blocked,
        ledger_problem=facts.ledger_problem,
    )
