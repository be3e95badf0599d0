"""``avwap data``: import CSV bars into the Parquet bar store, list import presets, show coverage.

``import`` exits 0 even when rows were quarantined (they are recorded under ``<data>/quarantine/``), and 4
when a file or spec cannot be read or a file does not fit the chosen preset (nothing is written then).
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from avwap.cli.output import (
    EXIT_USAGE,
    JSON_OPTION,
    error_console,
    fail,
    load_cli_config,
    print_json,
    print_table,
    run_guarded,
)

if TYPE_CHECKING:
    from avwap.data.importing.result import BatchImportResult
    from avwap.data.importing.reuse import ReuseScreen
    from avwap.data.importing.spec import ImportSpec


class LabelChoice(enum.StrEnum):
    start = "start"
    end = "end"


class AdjustChoice(enum.StrEnum):
    SPLIT = "split"  # upper-case names: ``split`` would shadow str.split
    ALL = "all"


class SessionChoice(enum.StrEnum):
    regular = "regular"
    all = "all"


MAX_FILES_SHOWN = 40
MAX_LINES_SHOWN = 10
HOME_OPTION = typer.Option(
    None, "--home", help="avwap home folder (overrides AVWAP_HOME); bars go to <home>/data."
)

PATHS_ARGUMENT = typer.Argument(..., help="CSV files, or folders (their *.csv files).")
PRESET_OPTION = typer.Option(None, "--preset", help="Import preset (see `avwap data presets`).")
SPEC_OPTION = typer.Option(None, "--spec", help="Import spec TOML file instead of a preset.")
FREQUENCY_OPTION = typer.Option(None, "--frequency", help="Override the bar frequency (1d, 1m, 5m, 10m, 1h).")
SYMBOL_OPTION = typer.Option(None, "--symbol", help="Use this symbol for every row.")
TIMEZONE_OPTION = typer.Option(None, "--tz", help="Time zone of naive intraday timestamps, e.g. UTC.")
LABEL_OPTION = typer.Option(None, "--label", help="Timestamps mark the bar start or the bar end.")
SESSION_OPTION = typer.Option(None, "--session", help="Keep only regular-session bars, or all bars.")
MAP_FILES_OPTION = typer.Option(
    None,
    "--map-files",
    help=(
        "Lean map files folder (one CSV per issuer) used to tell issuers of a reused ticker apart in daily "
        "imports; default: the gap heuristic."
    ),
)
EVENTS_OPTION = typer.Option(
    ..., "--events", help="Corporate actions CSV (symbol,ex_date,type,value or Lean events_derived.csv)."
)
MODE_OPTION = typer.Option(
    AdjustChoice.SPLIT, "--mode", help="split: split-adjusted; all: split- and dividend-adjusted."
)
COVERAGE_FREQUENCY_OPTION = typer.Option(
    None, "--frequency", help="Only this frequency (default: all stored)."
)


def _spec(preset_name: str | None, spec_file: Path | None) -> ImportSpec:
    from avwap.data.importing.presets import preset
    from avwap.data.importing.spec import load_spec

    if (preset_name is None) == (spec_file is None):
        fail("give exactly one of --preset NAME or --spec FILE.toml (see `avwap data presets`)", EXIT_USAGE)
    return preset(preset_name) if preset_name is not None else load_spec(spec_file)  # type: ignore[arg-type]


def _import_files(
    files: list[Path], spec: ImportSpec, sample_rows: int, show_progress: bool
) -> BatchImportResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from avwap.data.importing.csv_import import import_many

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=error_console, transient=True, disable=not show_progress) as progress:
        task = progress.add_task("reading", total=len(files))

        def advance(done: int, total: int, path: Path) -> None:
            progress.update(task, completed=done, description=path.name)

        return import_many(files, spec, progress=advance, sample_rows=sample_rows)


def _screen(
    batch: BatchImportResult, spec: ImportSpec, map_files: Path | None
) -> tuple[BatchImportResult, ReuseScreen]:
    """Daily imports: drop earlier issuers of reused tickers (intraday imports are left as they are)."""
    from avwap.data.importing.reuse import ReuseScreen, screen_ticker_reuse

    if spec.frequency != "1d":
        return batch, ReuseScreen(batch, (), ())
    screen = screen_ticker_reuse(batch, map_files)
    return screen.batch, screen


def _with_reuse(summary: dict[str, Any], reuse: ReuseScreen) -> dict[str, Any]:
    """Batch totals with the earlier-issuer rows counted as quarantined (reason and flag TICKER_REUSED)."""
    if not reuse.findings:
        return summary
    rows = len(reuse.records)
    reasons = dict(sorted({**summary["quarantined_by_reason"], "TICKER_REUSED": rows}.items()))
    flags = dict(sorted({**summary["flags"], "TICKER_REUSED": len(reuse.findings)}.items()))
    dropped = dict(sorted({**summary["dropped_by_reason"], "TICKER_REUSED": rows}.items()))
    return {
        **summary,
        "rows_quarantined": summary["rows_quarantined"] + rows,
        "quarantined_by_reason": reasons,
        "rows_dropped": summary["rows_dropped"] + rows,
        "dropped_by_reason": dropped,
        "flags": flags,
    }


def _print_summary(summary: dict[str, Any], batch: BatchImportResult) -> None:
    rows: list[tuple[str, Any]] = [
        (key.replace("_", " "), summary[key])
        for key in (
            "files",
            "rows_read",
            "rows_imported",
            "rows_quarantined",
            "rows_outside_session",
            "rows_superseded",
            "rows_dropped",
        )
    ]
    rows += [(f"dropped: {code}", count) for code, count in summary["dropped_by_reason"].items()]
    rows += [(f"quarantined: {code}", count) for code, count in summary["quarantined_by_reason"].items()]
    rows += [(f"flag: {flag}", count) for flag, count in summary["flags"].items()]
    rows += [
        (
            f"{item['flag']}: {item['symbol']}",
            "issuer change "
            + "; ".join(f"{before} | {after}" for before, after in item["boundaries"])
            + f" ({item['method']}); kept from {item['kept_from']}, "
            + f"{item['rows_quarantined']} rows quarantined",
        )
        for item in summary["ticker_reuse"]
    ]
    rows += [("partitions written", summary["partitions_written"]), ("data hash", summary["data_hash"][:16])]
    print_table(
        f"Import into {summary['store']} ({summary['preset']}, {summary['frequency']})",
        ("item", "value"),
        rows,
    )
    bad_files = [report for report in batch.reports if report.rows_quarantined]
    if bad_files:
        print_table(
            "Quarantined rows by file",
            ("file", "lines", "reasons"),
            (
                (
                    report.path.name,
                    ", ".join(str(line) for line in report.quarantined["line"][:MAX_LINES_SHOWN])
                    + (" ..." if report.rows_quarantined > MAX_LINES_SHOWN else ""),
                    ", ".join(f"{code} ({count})" for code, count in report.reason_counts.items()),
                )
                for report in bad_files[:MAX_FILES_SHOWN]
            ),
        )
        if len(bad_files) > MAX_FILES_SHOWN:
            typer.echo(f"... and {len(bad_files) - MAX_FILES_SHOWN} more files with quarantined rows")
        typer.echo(f"Quarantined rows are recorded in {summary['quarantine_file']}")


def register(app: typer.Typer) -> None:
    data_app = typer.Typer(
        name="data",
        help="Market data: import CSV bars, adjust for corporate actions, list presets, show coverage.",
        no_args_is_help=True,
    )
    app.add_typer(data_app, name="data")

    @data_app.command("import")
    def import_command(
        paths: list[Path] = PATHS_ARGUMENT,
        *,
        preset_name: str | None = PRESET_OPTION,
        spec_file: Path | None = SPEC_OPTION,
        frequency: str | None = FREQUENCY_OPTION,
        symbol: str | None = SYMBOL_OPTION,
        timezone: str | None = TIMEZONE_OPTION,
        label: LabelChoice | None = LABEL_OPTION,
        session: SessionChoice | None = SESSION_OPTION,
        map_files: Path | None = MAP_FILES_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Import CSV bar files into the bar store; bad rows are quarantined with reasons, not fatal.
        Daily imports keep only the current issuer of a reused ticker (flag TICKER_REUSED)."""

        def body() -> None:
            from avwap.core.errors import DataError
            from avwap.data.importing.csv_import import expand_paths
            from avwap.data.importing.reuse import reuse_summary
            from avwap.data.importing.spec import with_overrides
            from avwap.data.quarantine import quarantine_path
            from avwap.data.store import BarStore

            spec = with_overrides(
                _spec(preset_name, spec_file),
                frequency=frequency,
                symbol=symbol,
                timezone=timezone,
                label=label.value if label else None,
                session=session.value if session else None,
            )
            files = expand_paths(paths)
            if not files:
                raise DataError(f"no CSV files in {[str(path) for path in paths]}")
            if map_files is not None and not map_files.is_dir():
                raise DataError(f"map files folder not found: {map_files}")
            config = load_cli_config(home=home)
            store = BarStore(config.data_dir)
            imported = _import_files(files, spec, config.quarantine_sample_rows, show_progress=not as_json)
            batch, reuse = _screen(imported, spec, map_files)
            written = store.write(batch.bars, spec.frequency)
            for finding in reuse.findings:  # earlier-issuer bars of an older import go too
                store.remove_before(spec.frequency, finding.symbol, finding.kept_from)
            store.record_quarantine(
                spec.frequency,
                [report.source for report in batch.reports],
                sorted([*batch.quarantine_records(), *reuse.records], key=lambda record: record.sort_key()),
            )
            findings = reuse_summary(reuse.findings)
            store.record_symbol_flags(spec.frequency, {item["symbol"]: item for item in findings})
            summary = {
                **_with_reuse(batch.summary(), reuse),
                "ticker_reuse": findings,
                "store": store.root.as_posix(),
                "preset": spec.name,
                "frequency": spec.frequency,
                "partitions_written": len(written),
                "data_hash": store.data_hash(spec.frequency),
                "quarantine_file": quarantine_path(store.root, spec.frequency).as_posix(),
            }
            if as_json:
                print_json({**summary, "files_detail": [report.summary() for report in batch.reports]})
            else:
                _print_summary(summary, batch)

        run_guarded(body)

    @data_app.command("adjust")
    def adjust_command(
        events: Path = EVENTS_OPTION,
        mode: AdjustChoice = MODE_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Write split- (or split+dividend-) adjusted daily bars of the symbols in --events into the separate
        store <data>/adjusted/<mode>/; the raw bars are only read (exit 4 on a bad events file)."""

        def body() -> None:
            from avwap.data.adjusted_store import write_adjusted
            from avwap.data.corporate_actions import Adjustment, read_actions
            from avwap.data.store import BarStore

            actions = read_actions(events)
            store = BarStore(load_cli_config(home=home).data_dir)
            summary = write_adjusted(store, actions, Adjustment(mode.value)).summary()
            if as_json:
                print_json(summary)
                return
            rows = [
                ("store", summary["store"]),
                ("mode", summary["mode"]),
                ("symbols adjusted", len(summary["symbols"])),
                ("rows written", summary["rows_written"]),
                ("partitions written", summary["partitions_written"]),
                ("symbols without raw bars", len(summary["symbols_without_bars"])),
                ("data hash", summary["data_hash"][:16]),
            ]
            print_table(f"Adjusted daily bars ({summary['mode']})", ("item", "value"), rows)
            print_table("Events applied", ("symbol", "events"), sorted(summary["events_applied"].items()))

        run_guarded(body)

    @data_app.command("presets")
    def presets_command(as_json: bool = JSON_OPTION) -> None:
        """List the CSV import presets (one per known file family)."""
        from avwap.data.importing.presets import PRESETS

        rows = [
            {
                "name": spec.name,
                "frequency": spec.frequency,
                "session": spec.session_policy,
                "description": spec.description,
            }
            for spec in PRESETS.values()
        ]
        if as_json:
            print_json(rows)
            return
        columns = ("name", "frequency", "session", "description")
        print_table("Import presets", columns, ([row[column] for column in columns] for row in rows))

    @data_app.command("coverage")
    def coverage_command(
        frequency: str | None = COVERAGE_FREQUENCY_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Show what the bar store holds: first/last bar and row count per symbol, and the data hash."""

        def body() -> None:
            from avwap.data.store import BarStore

            store = BarStore(load_cli_config(home=home).data_dir)
            frequencies = [frequency] if frequency else store.frequencies()
            report: dict[str, dict[str, Any]] = {
                name: {
                    "data_hash": store.data_hash(name),
                    "symbols": [
                        {
                            "symbol": item.symbol,
                            "first": item.first.isoformat(),
                            "last": item.last.isoformat(),
                            "rows": item.rows,
                        }
                        for item in store.coverage(name)
                    ],
                }
                for name in frequencies
            }
            if as_json:
                print_json({"store": store.root.as_posix(), "frequencies": report})
                return
            if not frequencies:
                typer.echo(f"no bars stored under {store.root}")
            for name, content in report.items():
                width = 10 if name == "1d" else 25  # daily bars: the date says it all
                rows = [
                    (item["symbol"], item["first"][:width], item["last"][:width], item["rows"])
                    for item in content["symbols"]
                ]
                print_table(
                    f"{name} bars (data hash {content['data_hash'][:16]})",
                    ("symbol", "first", "last", "rows"),
                    rows,
                )

        run_guarded(body)
