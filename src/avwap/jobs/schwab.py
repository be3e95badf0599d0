"""Read-only Schwab snapshots and the manual book's reconciliation, as jobs (issue 13, M1-D).

``snapshot_job`` records one snapshot of the ``SCHWAB_401K_MANUAL`` book in the ``BROKER_SNAPSHOTS``
stream, from a CSV export or (``SCHWAB_API_SNAPSHOTS=1``) from the API through the read-only client,
holding the token's lock for the whole read. An expired or refused refresh token is told to the operator
(Slack alert ``SCHWAB_TOKEN_EXPIRED``, once per token) and raised (exit 3); a token within a day of its
7-day limit is a warning (``SCHWAB_TOKEN_EXPIRING``) and the snapshot goes on.

``reconcile_job`` reads tickets, replies and snapshots, runs the pure engine
(:mod:`avwap.analytics.manual_reconcile`), writes the report artifact and hands the summary to the
notifier. Measurement only: neither job places, changes or blocks an order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from avwap.analytics.manual_reconcile import Reconciliation, reconcile
from avwap.analytics.manual_reconcile_report import input_hash, summary_event, write_report
from avwap.core.calendar import ny_date
from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.core.errors import ConfigurationError
from avwap.integrations.schwab.snapshot_facts import (
    SnapshotFacts,
    append_snapshot,
    read_snapshots,
    snapshot_record,
)
from avwap.integrations.schwab.token_store import (
    TOKEN_EXPIRED_CODE,
    TOKEN_EXPIRING_CODE,
    WARN_BEFORE,
    SchwabTokenExpired,
    TokenFile,
)
from avwap.integrations.slack.messages import AlertKind, Severity, alert_event
from avwap.integrations.slack.notifier import Notifier
from avwap.ledger.atomic import build_provenance
from avwap.ledger.paths import SLACK_REPLIES, list_ledger_files
from avwap.ledger.records import BrokerSnapshotRecorded, ConfirmationRecorded, TicketSent
from avwap.ledger.router import Ledger, decode_envelope, read_linked

FLAG: Final = "SCHWAB_API_SNAPSHOTS"


@dataclass(frozen=True)
class SnapshotOutcome:
    record: BrokerSnapshotRecorded
    path: Path
    token_expires_at: dt.datetime | None = None


def snapshot_job(
    config: Config, clock: Clock, notifier: Notifier, book_id: str, csv_path: Path | None
) -> SnapshotOutcome:
    """Take and record one snapshot (see the module docstring)."""
    expires_at = None
    if csv_path is not None:
        from avwap.integrations.schwab.csv_export import read_positions_csv

        facts = read_positions_csv(csv_path, recorded_at=clock.now())
    else:
        facts, expires_at = _api_facts(config, clock, notifier)
    record = snapshot_record(facts, book_id=book_id, recorded_at=clock.now())
    return SnapshotOutcome(record, append_snapshot(config.ledger_dir, record), expires_at)


def _api_facts(config: Config, clock: Clock, notifier: Notifier) -> tuple[SnapshotFacts, dt.datetime]:
    if not config.schwab_api_snapshots:
        raise ConfigurationError(
            FLAG, "the Schwab API source is off (default); set SCHWAB_API_SNAPSHOTS=1, or pass --csv FILE"
        )
    for variable, value in (
        ("SCHWAB_APP_KEY", config.schwab_app_key),
        ("SCHWAB_APP_SECRET", config.schwab_app_secret),
    ):
        if not value:
            raise ConfigurationError(variable, "required to read the Schwab API (environment only)")
    base_url = config.schwab_base_url.strip()
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigurationError("SCHWAB_BASE_URL", f"expected an http(s) URL, got {base_url!r}")
    from avwap.integrations.schwab.api_snapshot import take_api_snapshot
    from avwap.integrations.schwab.read_only import build_reader

    token_file = TokenFile(config.schwab_token_path, clock)
    today = ny_date(clock.now())
    with token_file.exclusive():
        wrapped = token_file.read()
        try:
            expires_at = token_file.check_fresh(wrapped)
            reader = build_reader(config.schwab_app_key, config.schwab_app_secret, token_file, base_url)
            try:
                facts = take_api_snapshot(
                    reader, account_number=config.schwab_account_number, now=clock.now()
                )
            finally:
                reader.close()
        except SchwabTokenExpired as error:
            created = int(wrapped["creation_timestamp"])
            notifier.notify(
                alert_event(
                    AlertKind.ERROR,
                    "Schwab token expired: run `avwap schwab login`",
                    today,
                    severity=Severity.CRITICAL,
                    fields={
                        "detail": str(error),
                        "token created": dt.datetime.fromtimestamp(created, dt.UTC),
                    },
                    reason_codes=[TOKEN_EXPIRED_CODE],
                    dedupe_key=f"{TOKEN_EXPIRED_CODE}:{created}",
                )
            )
            raise
    if expires_at - clock.now() <= WARN_BEFORE:
        notifier.notify(
            alert_event(
                AlertKind.ERROR,
                "Schwab token expires within a day: run `avwap schwab login`",
                today,
                severity=Severity.WARNING,
                fields={"expires at": expires_at},
                reason_codes=[TOKEN_EXPIRING_CODE],
                dedupe_key=f"{TOKEN_EXPIRING_CODE}:{expires_at.isoformat()}",
            )
        )
    return facts, expires_at


def _stream_records(root: Path, name: str) -> list[object]:
    if not list_ledger_files(root, name):
        return []
    return [
        decode_envelope(path, envelope)
        for path, envelopes in read_linked(root, name)
        for envelope in envelopes
    ]


def reconcile_job(
    config: Config,
    notifier: Notifier,
    *,
    book_id: str,
    as_of: dt.date,
    since: dt.date,
    target_symbols: frozenset[str],
    code_version: str | None = None,
) -> tuple[Reconciliation, Path, str]:
    """Reconcile, write the artifact, notify; the report, the artifact's path and sha256."""
    root = config.ledger_dir
    tickets = [record for record in Ledger(root).read_book(book_id) if isinstance(record, TicketSent)]
    confirmations = [
        record
        for record in _stream_records(root, SLACK_REPLIES)
        if isinstance(record, ConfirmationRecorded) and record.book_id == book_id
    ]
    snapshots = read_snapshots(root, book_id)
    report = reconcile(
        book_id=book_id,
        as_of=as_of,
        since=since,
        tickets=tickets,
        confirmations=confirmations,
        snapshots=snapshots,
        target_symbols=target_symbols,
    )
    ids = [t.intent_id for t in tickets] + [c.confirmation_id for c in confirmations]
    ids += [s.snapshot_id for s in snapshots] + sorted(target_symbols)
    provenance = build_provenance(config.config_hash(), input_hash(ids), as_of, code_version=code_version)
    path, digest = write_report(config.artifacts_dir, report, provenance)
    notifier.notify(summary_event(report))
    return report, path, digest
