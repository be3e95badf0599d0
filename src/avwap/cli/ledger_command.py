"""``avwap ledger``: verify hash chains (exit 5 on the first bad line) and show recorded events.

``avwap ledger verify [PATH]`` checks a file, a book/stream folder or the whole ledger root (default
``<home>/ledger``) without modifying anything; ``--repair`` quarantines torn tails first. Exit codes: 0 all
good, 1 only torn tails (repairable), 5 an integrity failure (execution fails closed until repaired).
``avwap ledger show`` lists records, filtered by book/stream, NY date and record type.
``avwap ledger trace ID`` prints the lineage intent -> decision -> order -> fill -> position -> exit that any
one of its ids belongs to (see :mod:`avwap.ledger.lineage`); an id no record carries exits 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer

from avwap.cli.output import (
    EXIT_LEDGER_INTEGRITY,
    EXIT_PROBLEM,
    JSON_OPTION,
    error_console,
    load_cli_config,
    print_json,
    print_table,
    run_guarded,
)
from avwap.core.errors import DataError
from avwap.ledger.lineage import Lineage, stage_of
from avwap.ledger.lineage_read import ledger_rows, trace_ledger
from avwap.ledger.store import LedgerStore
from avwap.ledger.verify import FileReport, FileStatus, verify_path

HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (default: AVWAP_HOME or ./var).")
PATH_ARGUMENT = typer.Argument(None, help="A ledger file or folder (default: <home>/ledger).")
REPAIR_OPTION = typer.Option(False, "--repair", help="Quarantine torn last lines before verifying.")
ALL_OPTION = typer.Option(
    False,
    "--all",
    help="Every chain across files and days, every head, and every audit seal (HMAC with "
    "AVWAP_AUDIT_KEY_FILE, anchors with AVWAP_AUDIT_ANCHOR_FILE); exit 5 on the first break.",
)
WORKERS_OPTION = typer.Option(
    1, "--workers", min=1, help="With --all: worker processes sharing the files (2 on a 2-core host)."
)
BOOK_OPTION = typer.Option(None, "--book", help="Book or stream name, e.g. PAPER_SIM.")
DATE_OPTION = typer.Option(None, "--date", formats=["%Y-%m-%d"], help="Only this NY date, YYYY-MM-DD.")
TYPE_OPTION = typer.Option(None, "--type", help="Only this record type, e.g. Fill.")
ID_ARGUMENT = typer.Argument(
    ..., help="Any id of the lineage: intent, decision, order or client order id, fill, position, exit."
)
SUMMARY_KEYS = (
    "side",
    "quantity",
    "price",
    "entry_price",
    "stop_price",
    "outcome",
    "approved_quantity",
    "kind",
    "order_type",
    "purpose",
    "status",
    "amount",
    "level",
    "code",
    "reason_code",
)


def _ledger_root(home: Path | None) -> Path:
    return load_cli_config(home=home).ledger_dir


def _report_row(report: FileReport) -> dict[str, Any]:
    return {
        "path": report.path,
        "status": report.status,
        "records": report.records,
        "last_seq": report.last_seq,
        "last_hash": report.last_hash,
        "bad_line": report.bad_line,
        "reason": report.reason,
    }


def _verify(path: Path, repair: bool) -> list[FileReport]:
    if not path.exists():
        raise DataError(f"no ledger file or folder at {path}")
    reports = verify_path(path)
    if repair and any(report.status is FileStatus.TORN_TAIL for report in reports):
        for report in reports:
            if report.status is FileStatus.TORN_TAIL:
                LedgerStore(Path(report.path)).repair()
        reports = verify_path(path)
    return reports


def _print_verify(root: Path, reports: list[FileReport], as_json: bool) -> None:
    problems = [report for report in reports if not report.ok]
    if as_json:
        first = _report_row(problems[0]) if problems else None
        rows = [_report_row(report) for report in reports]
        print_json({"root": str(root), "ok": not problems, "files": rows, "first_problem": first})
        return
    columns = ("file", "status", "records", "last seq", "bad line", "reason")
    table = [
        (_relative(r.path, root), r.status, r.records, r.last_seq, r.bad_line, r.reason) for r in reports
    ]
    print_table(f"Ledger verification of {root} ({len(reports)} files)", columns, table)


def _relative(path: str, root: Path) -> str:
    """Paths in tables are shown relative to the verified folder (full paths are in --json)."""
    return Path(path).relative_to(root).as_posix() if Path(path).is_relative_to(root) else path


def _verify_everything(home: Path | None, path: Path | None, workers: int, as_json: bool) -> int:
    """``verify --all``: chains, links and heads of every folder, then every seal and anchor."""
    from avwap.cli.audit_command import print_full_report
    from avwap.ledger.audit_key import load_audit_key, read_anchors
    from avwap.ledger.verify_all import verify_all

    config = load_cli_config(home=home)
    root = path if path is not None else config.ledger_dir
    if not root.is_dir():
        raise DataError(f"no ledger folder at {root}")
    key = load_audit_key(config.audit_key_file, config.home) if config.audit_key_file else None
    anchors = read_anchors(config.audit_anchor_file) if config.audit_anchor_file else None
    report = verify_all(root, key, anchors, workers=workers)
    return print_full_report(report, as_json, f"Ledger verification of {root} (--all)")


def _summary(record: Mapping[str, Any]) -> str:
    return " ".join(f"{key}={record[key]}" for key in SUMMARY_KEYS if record.get(key) is not None)


def _show_rows(root: Path, book: str | None, day: dt.date | None, kind: str | None) -> list[dict[str, Any]]:
    return ledger_rows(root, book, day, kind)


def _trace(root: Path, identifier: str) -> Lineage:
    return trace_ledger(root, identifier)


def _print_trace(root: Path, lineage: Lineage, as_json: bool) -> None:
    if as_json:
        rows = [
            {"name": row.name, "date": row.date, "seq": row.seq, "stage": stage_of(row.record), **row.record}
            for row in lineage.rows
        ]
        print_json(
            {
                "root": str(root),
                "id": lineage.identifier,
                "strategy_ids": lineage.strategy_ids,
                "chain": lineage.chain,
                "records": rows,
            }
        )
        return
    columns = ("stage", "type", "book/stream", "ts", "strategy", "symbol", "id", "summary")
    table = [
        (
            stage_of(row.record),
            row.record.get("type"),
            row.name,
            row.record.get("ts"),
            row.record.get("strategy_id"),
            row.record.get("symbol"),
            _own_id(row.record),
            _summary(row.record),
        )
        for row in lineage.rows
    ]
    print_table(f"Lineage of {lineage.identifier} ({len(table)} records)", columns, table)


def _own_id(record: Mapping[str, Any]) -> str | None:
    """The id a record is known by (a decision by its decision id, an order by its order id, ...)."""
    for name in ("exit_id", "fill_id", "order_id", "decision_id", "intent_id", "position_id"):
        if record.get(name) is not None and (name != "intent_id" or record.get("type") == "TradeIntent"):
            return str(record[name])
    return None


def register(app: typer.Typer) -> None:
    ledger = typer.Typer(
        help="Append-only ledgers: verify the hash chains, show records.", no_args_is_help=True
    )
    app.add_typer(ledger, name="ledger")

    @ledger.command("verify")
    def verify(  # noqa: PLR0917 (typer options)
        path: Path | None = PATH_ARGUMENT,
        home: Path | None = HOME_OPTION,
        repair: bool = REPAIR_OPTION,
        every: bool = ALL_OPTION,
        workers: int = WORKERS_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Verify hash chains, sequences and record contracts; report the first bad line of each file."""

        def body() -> int:
            if every:
                return _verify_everything(home, path, workers, as_json)
            target = path if path is not None else _ledger_root(home)
            if path is None and not target.exists():
                reports: list[FileReport] = []
            else:
                reports = _verify(target, repair)
            _print_verify(target, reports, as_json)
            failures = [report for report in reports if report.integrity_failure]
            for report in failures[:1]:
                error_console.print(f"[bold red]ledger integrity:[/] {report.location}: {report.reason}")
            if failures:
                return EXIT_LEDGER_INTEGRITY
            return EXIT_PROBLEM if any(not report.ok for report in reports) else 0

        code = run_guarded(body)
        if code:
            raise typer.Exit(code)

    @ledger.command("show")
    def show(
        book: str | None = BOOK_OPTION,
        date_ny: dt.datetime | None = DATE_OPTION,
        record_type: str | None = TYPE_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """List ledger records in canonical order (book/stream, date, line)."""

        def body() -> None:
            root = _ledger_root(home)
            try:
                rows = _show_rows(root, book, date_ny.date() if date_ny else None, record_type)
            except ValueError as error:
                raise DataError(str(error)) from None
            if as_json:
                print_json({"root": str(root), "records": rows})
                return
            columns = ("book/stream", "date", "seq", "type", "ts", "symbol", "summary")
            table = [
                (
                    row["name"],
                    row["date"],
                    row["seq"],
                    row["record"].get("type"),
                    row["record"].get("ts"),
                    row["record"].get("symbol"),
                    _summary(row["record"]),
                )
                for row in rows
            ]
            print_table(f"Ledger records under {root} ({len(rows)})", columns, table)

        run_guarded(body)

    @ledger.command("trace")
    def trace_command(
        identifier: str = ID_ARGUMENT, home: Path | None = HOME_OPTION, as_json: bool = JSON_OPTION
    ) -> None:
        """Walk the lineage intent -> decision -> order -> fill -> position -> exit from any of its ids."""

        def body() -> None:
            root = _ledger_root(home)
            _print_trace(root, _trace(root, identifier), as_json)

        run_guarded(body)
