"""The evening audit seal (``avwap audit seal`` and the end of ``avwap portfolio snapshot``).

:func:`seal_evening` seals ``day`` with the key of ``AVWAP_AUDIT_KEY_FILE`` (outside the home), appends the
root to ``AVWAP_AUDIT_ANCHOR_FILE`` when set, and hands a short INFO event (day, root, mac prefix; never the
key) to the notifier, which posts it to Slack in the background when Slack is configured (never blocking,
never failing the seal). ``required=False`` (the snapshot job) skips sealing when no key is configured.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, Final

from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.ledger.audit import seal_day
from avwap.ledger.audit_key import load_audit_key

if TYPE_CHECKING:
    from avwap.integrations.slack.notifier import Notifier

LOGGER: Final = logging.getLogger("avwap.jobs.audit")


def seal_evening(
    config: Config, day: dt.date, clock: Clock, notifier: Notifier | None = None, *, required: bool = True
) -> dict[str, Any] | None:
    if config.audit_key_file is None and not required:
        LOGGER.info("audit seal of %s skipped: AVWAP_AUDIT_KEY_FILE is not set", day)
        return None
    key = load_audit_key(config.audit_key_file, config.home)
    record = seal_day(
        config.ledger_dir, day, key, clock, anchor_file=config.audit_anchor_file, home=config.home
    )
    LOGGER.info("audit seal of %s: root %s, key %s", day, record["root"], key.key_id)
    if notifier is not None:
        from avwap.integrations.slack.messages import AlertKind, Severity, alert_event

        event = alert_event(
            AlertKind.DAILY_SUMMARY,
            f"Audit seal {day.isoformat()}",
            day,
            fields={"root": record["root"], "mac": record["mac"][:16], "files": len(record["entries"])},
            severity=Severity.INFO,
            dedupe_key=f"audit-seal-{day.isoformat()}-{record['mac'][:16]}",
        )
        notifier.notify(event)
    return record
