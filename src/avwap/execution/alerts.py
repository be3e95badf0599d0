"""Turn what a cycle did into operator alerts. Fail-open: a broken notifier never touches trading."""

from __future__ import annotations

import logging
from typing import Final

from avwap.control import reasons
from avwap.execution.context import CycleFacts
from avwap.execution.events import (
    FAILURES,
    CycleEvent,
    EntriesBlocked,
    EntryDecision,
    EntryEnforcementBlocked,
    EntrySubmitted,
    StopCancelFailed,
    StopMissing,
    StopReplaceFailed,
)
from avwap.integrations.slack.messages import AlertEvent, AlertKind, Severity, alert_event
from avwap.integrations.slack.notifier import Notifier

LOGGER: Final = logging.getLogger("avwap.execution.alerts")


def _event_alert(facts: CycleFacts, event: CycleEvent) -> AlertEvent | None:
    if isinstance(event, EntrySubmitted):
        return alert_event(
            AlertKind.ORDER_SUBMITTED,
            f"Entry {event.symbol} x {event.quantity}",
            facts.today,
            symbol=event.symbol,
            fields={"quantity": event.quantity},
        )
    if isinstance(event, EntryDecision) and event.outcome == "REJECT":
        return alert_event(
            AlertKind.ENTRY_BLOCKED,
            f"Entry {event.symbol} blocked",
            facts.today,
            symbol=event.symbol,
            reason_codes=event.reasons,
        )
    if isinstance(event, StopMissing):
        return alert_event(
            AlertKind.STOP_MISSING, f"{event.symbol} has no protective stop", facts.today, symbol=event.symbol
        )
    if isinstance(event, FAILURES):
        symbol = event.symbol if isinstance(event, StopReplaceFailed | StopCancelFailed) else None
        title = f"{event.kind.replace('_', ' ')}: {event.error}"
        return alert_event(AlertKind.ERROR, title, facts.today, symbol=symbol)
    if isinstance(event, EntriesBlocked):
        return alert_event(
            AlertKind.ENTRY_BLOCKED,
            "Entries skipped this cycle",
            facts.today,
            reason_codes=event.reasons,
            severity=Severity.CRITICAL,
        )
    return None


def _state_alerts(facts: CycleFacts) -> list[AlertEvent]:
    """Alerts about the cycle's standing conditions (each throttled by its dedupe key downstream)."""
    alerts = []
    if facts.ledger_problem:
        alerts.append(
            alert_event(
                AlertKind.ERROR,
                "Ledger integrity failure: new entries blocked until repaired (exits keep running)",
                facts.today,
                severity=Severity.CRITICAL,
                reason_codes=(reasons.LEDGER_UNREADABLE,),
                details=(facts.ledger_problem[:500],),
            )
        )
    freshness = facts.freshness
    if facts.market_open and freshness is not None and not freshness.fresh:
        alerts.append(
            alert_event(
                AlertKind.ENTRY_BLOCKED,
                "No fresh watchlist: no new entries",
                facts.today,
                reason_codes=(reasons.WATCHLIST_STALE,),
                details=(freshness.detail[:500],),
            )
        )
    if facts.stale_data:
        alerts.append(
            alert_event(
                AlertKind.ENTRY_BLOCKED,
                f"Intraday data stale: {', '.join(facts.stale_data)} (no new entries; stops use last bars)",
                facts.today,
                reason_codes=(reasons.INTRADAY_DATA_STALE,),
                details=tuple(facts.stale_data),
            )
        )
    return alerts


def _enforcement_alert(facts: CycleFacts) -> AlertEvent | None:
    """One summary of the entries portfolio decision enforcement blocked this cycle (throttled downstream by
    its dedupe key: the same codes on the same day)."""
    blocked = [event for event in facts.events if isinstance(event, EntryEnforcementBlocked)]
    if not blocked:
        return None
    lines = dict.fromkeys(
        f"{event.strategy_id} {event.symbol}: {event.code}"
        + (f" ({', '.join(event.decision_reasons)})" if event.decision_reasons else "")
        for event in blocked
    )
    return alert_event(
        AlertKind.ENTRY_BLOCKED,
        f"Portfolio decision enforcement blocked {len(lines)} entr{'y' if len(lines) == 1 else 'ies'}",
        facts.today,
        reason_codes=tuple(sorted({event.code for event in blocked})),
        details=tuple(lines)[:20],
    )


def cycle_alerts(facts: CycleFacts) -> list[AlertEvent]:
    """The alerts of one cycle, in a deterministic order."""
    alerts = []
    if facts.kill_switch:
        alerts.append(alert_event(AlertKind.KILL_SWITCH, "Kill switch engaged: no new entries", facts.today))
    if facts.mode.alerts:
        alerts.append(
            alert_event(
                AlertKind.LIVE_FALLBACK,
                "LIVE requested but not confirmed: DRY_RUN",
                facts.today,
                reason_codes=facts.mode.reasons,
            )
        )
    elif facts.mode.live_confirmed:
        alerts.append(alert_event(AlertKind.LIVE_ENABLED, "LIVE trading enabled", facts.today))
    if facts.drift:
        alerts.append(
            alert_event(
                AlertKind.RECONCILIATION_DRIFT,
                "Broker and ledger disagree",
                facts.today,
                details=facts.drift,
                reason_codes=("RECONCILIATION_DRIFT",),
            )
        )
    alerts.extend(_state_alerts(facts))
    enforcement = _enforcement_alert(facts)
    if enforcement is not None:
        alerts.append(enforcement)
    alerts.extend(alert for alert in (_event_alert(facts, event) for event in facts.events) if alert)
    return alerts


def send_alerts(notifier: Notifier, facts: CycleFacts) -> int:
    """Hand the cycle's alerts to the notifier; never raises."""
    try:
        alerts = cycle_alerts(facts)
        for alert in alerts:
            notifier.notify(alert)
        return len(alerts)
    except Exception:  # alerting is observability: it must never break a cycle
        LOGGER.exception("alerting failed (trading continues)")
        return 0
