"""``avwap audit``: the daily audit seal and the auditor's bundle (see docs/LEDGER.md, "Audit trail").

``avwap audit keygen PATH`` creates the HMAC key (32 random bytes, mode 0600, outside the home; set
``AVWAP_AUDIT_KEY_FILE`` to it). ``avwap audit seal [--date D]`` seals a NY date (default: the last closed
session); ``avwap audit export --from D --to D OUT`` writes a self-contained bundle and ``avwap audit verify
OUT [--key FILE] [--anchors FILE]`` checks one anywhere. Exit codes: 0 sound, 1 verified without a key (the
HMACs unchecked), 3 key missing or misplaced, 4 bad bundle (the first bad file is named), 5 a break.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer

from avwap.cli.output import (
    EXIT_LEDGER_INTEGRITY,
    EXIT_PROBLEM,
    JSON_OPTION,
    console,
    error_console,
    load_cli_config,
    print_json,
    run_guarded,
)
from avwap.core.clock import Clock
from avwap.core.errors import DataError

HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (default: AVWAP_HOME or ./var).")
DATE_OPTION = typer.Option(
    None, "--date", formats=["%Y-%m-%d"], help="NY date to seal (default: the last closed session)."
)
FROM_OPTION = typer.Option(..., "--from", formats=["%Y-%m-%d"], help="First NY date, YYYY-MM-DD.")
TO_OPTION = typer.Option(..., "--to", formats=["%Y-%m-%d"], help="Last NY date, YYYY-MM-DD.")
KEY_PATH_ARGUMENT = typer.Argument(..., help="Where to create the key (outside the home).")
OUT_ARGUMENT = typer.Argument(..., help="New folder for the bundle.")
BUNDLE_ARGUMENT = typer.Argument(..., help="An audit bundle folder.")
KEY_OPTION = typer.Option(None, "--key", help="HMAC key file (default: AVWAP_AUDIT_KEY_FILE when set).")
ANCHORS_OPTION = typer.Option(
    None, "--anchors", help="External anchor file (default: AVWAP_AUDIT_ANCHOR_FILE)."
)


def _last_closed_session(clock: Clock) -> dt.date:
    """Today once the session has closed, else the previous session (as ``avwap portfolio snapshot``)."""
    from avwap.core.calendar import ny_date, nyse

    now = clock.now()
    today = ny_date(now)
    if nyse().is_session(today) and now >= nyse().session_close(today):
        return today
    return nyse().previous_session(today)


def print_full_report(report: Any, as_json: bool, title: str, extra: dict[str, Any] | None = None) -> int:
    """Print a verify --all report; the exit code (0 sound, 1 no key, 5 a break)."""
    from avwap.ledger.audit_export import _summary

    summary = {**(extra or {}), **_summary(report)}
    if as_json:
        print_json(
            {
                **summary,
                "problems": [problem.location + ": " + problem.reason for problem in report.audit.problems],
            }
        )
    else:
        console.print(
            f"{title}: {summary['files']} files, {summary['records']} records, {summary['seals']} seals "
            f"({'HMAC checked' if summary['authenticated'] else 'HMAC NOT checked: no key'}); "
            f"unsealed days: {', '.join(summary['unsealed_days']) or 'none'}"
        )
    if report.first_break is not None:
        location, reason = report.first_break
        error_console.print(f"[bold red]ledger integrity:[/] {location}: {reason}")
        return EXIT_LEDGER_INTEGRITY
    if not report.audit.authenticated:
        error_console.print("[yellow]warning:[/] no audit key: seals were not authenticated (exit 1)")
        return EXIT_PROBLEM
    if not as_json:  # stdout holds only the JSON document with --json
        console.print("OK: every chain, link, head and seal verifies")
    return 0


def register(app: typer.Typer) -> None:
    audit = typer.Typer(
        help="Audit trail: daily HMAC seals, external anchors, auditor bundles.", no_args_is_help=True
    )
    app.add_typer(audit, name="audit")

    @audit.command("keygen")
    def keygen(
        path: Path = KEY_PATH_ARGUMENT,
        home: Path | None = HOME_OPTION,
    ) -> None:
        """Create the audit HMAC key (mode 0600); then set AVWAP_AUDIT_KEY_FILE to it."""
        from avwap.ledger.audit_key import generate_audit_key

        def body() -> None:
            key = generate_audit_key(path, load_cli_config(home=home).home)
            console.print(f"created {path} (key id {key.key_id}); set AVWAP_AUDIT_KEY_FILE={path}")

        run_guarded(body)

    @audit.command("seal")
    def seal(
        date_ny: dt.datetime | None = DATE_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Seal a NY date: commit to every ledger file's head under the HMAC key, anchor the root outside."""
        from avwap.core.clock import SystemClock
        from avwap.integrations.slack.notifier import build_notifier
        from avwap.jobs.audit import seal_evening

        def body() -> None:
            config = load_cli_config(home=home)
            clock = SystemClock()
            day = date_ny.date() if date_ny else _last_closed_session(clock)
            notifier = build_notifier(config, clock)
            try:
                record = seal_evening(config, day, clock, notifier)
            finally:
                notifier.close()
            assert record is not None
            if as_json:
                print_json({key: record[key] for key in ("sealed_day", "root", "mac", "key_id", "entries")})
            else:
                console.print(f"sealed {day}: {len(record['entries'])} files, root {record['root']}")

        run_guarded(body)

    @audit.command("export")
    def export(
        out: Path = OUT_ARGUMENT,
        day_from: dt.datetime = FROM_OPTION,
        day_to: dt.datetime = TO_OPTION,
        home: Path | None = HOME_OPTION,
    ) -> None:
        """Write a self-contained audit bundle: ledgers, artifacts, verification, versions, manifest."""
        from avwap.ledger.audit_export import export_bundle
        from avwap.ledger.audit_key import load_audit_key

        def body() -> None:
            config = load_cli_config(home=home)
            key = load_audit_key(config.audit_key_file, config.home) if config.audit_key_file else None
            bundle = export_bundle(
                config.home, day_from.date(), day_to.date(), out, key=key, config_hash=config.config_hash()
            )
            console.print(f"exported {day_from.date()}..{day_to.date()} to {bundle}")

        run_guarded(body)

    @audit.command("verify")
    def verify(
        bundle: Path = BUNDLE_ARGUMENT,
        key_file: Path | None = KEY_OPTION,
        anchors: Path | None = ANCHORS_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Check a bundle: manifest, every chain, seals (HMAC with --key), anchors (with --anchors)."""
        from avwap.ledger.audit_export import verify_bundle
        from avwap.ledger.audit_key import AuditKey, load_audit_key, read_anchors

        def body() -> int:
            config = load_cli_config()
            key_path = key_file or config.audit_key_file
            key: AuditKey | None = load_audit_key(key_path, bundle) if key_path else None
            anchor_path = anchors or config.audit_anchor_file
            anchor_lines = read_anchors(anchor_path) if anchor_path else None
            meta, report = verify_bundle(bundle, key, anchor_lines)
            from avwap.control.ruleset_registry import check_bundle_rulesets

            problems = check_bundle_rulesets(bundle)
            if problems:
                raise DataError("ruleset not as activated: " + "; ".join(problems))
            return print_full_report(
                report, as_json, f"Audit bundle {bundle} ({meta['from']}..{meta['to']})", {"meta": meta}
            )

        code = run_guarded(body)
        if code:
            raise typer.Exit(code)
