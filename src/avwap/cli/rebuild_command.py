"""``avwap rebuild [--dry-run]``: delete every projection, cache and derived artifact of the home and rebuild
them from ledgers, bars and the kept sources (:mod:`avwap.jobs.rebuild`; docs/RUNBOOK.md "Rebuild").

A demo home (``DEMO_HOME`` marker) is rebuilt with the demo's configuration and its replay's writers; any
other home with the production jobs'. Refuses while ``avwap execute`` holds the execution lock (exit 3).
Exit codes: 0 rebuilt (every file written again, every decision batch equal to the one its ledger
recorded), 1 rebuilt with mismatches or missing files (listed), 3/4/5 refused (configuration, data, ledger).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from avwap.cli.output import EXIT_OK, EXIT_PROBLEM, JSON_OPTION, load_cli_config, print_json, run_guarded

HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (default: AVWAP_HOME or ./var).")
DRY_RUN_OPTION = typer.Option(
    False, "--dry-run", help="List what would be deleted and rebuilt; change nothing."
)
DATA_OPTION = typer.Option(
    None,
    "--data-dir",
    help="Bar store the home was built from (default: <home>/data; a demo on imported bars).",
)


def register(app: typer.Typer) -> None:
    @app.command("rebuild")
    def rebuild(
        dry_run: bool = DRY_RUN_OPTION,
        data_dir: Path | None = DATA_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Delete and rebuild every derived file (snapshots, decisions, scan outputs, attribution, reports,
        projection caches) from the ledgers and bars; ledgers and bars are never touched."""

        def body() -> int:
            from avwap.demo.home import MARKER
            from avwap.jobs.rebuild import JobProducers, Producers, rebuild_home
            from avwap.jobs.rebuild_plan import RebuildPlan

            config = load_cli_config(home=home)
            demo = (config.home / MARKER).is_file()
            if demo:
                from avwap.demo.rebuild import DemoProducers
                from avwap.demo.replay import demo_config

                config = demo_config(dict(os.environ), config.home)
            root = data_dir or config.data_dir

            def producers(plan: RebuildPlan) -> Producers:
                if demo:
                    return DemoProducers(config, root, plan, imported=data_dir is not None)
                return JobProducers(config)

            def progress(step: str, done: int, total: int) -> None:
                if not as_json:
                    sys.stderr.write(f"rebuild: {step} ({done}/{total})\n")
                    sys.stderr.flush()

            from avwap.scanning.job import rescan

            report = rebuild_home(
                config,
                producers,
                scan=lambda day: rescan(config, day, data_dir=data_dir),
                dry_run=dry_run,
                progress=progress,
                data_dir=data_dir,
            )
            _show(report, as_json=as_json, home=config.home)
            return EXIT_OK if report.ok else EXIT_PROBLEM

        raise typer.Exit(run_guarded(body))


def _show(report: object, *, as_json: bool, home: Path) -> None:
    from avwap.jobs.rebuild import RebuildReport

    assert isinstance(report, RebuildReport)
    if as_json:
        print_json({**vars(report), "ok": report.ok})
        return
    verb = "would delete and rebuild" if report.dry_run else "deleted and rebuilt"
    typer.echo(f"{verb} {len(report.deleted)} derived files under {home}")
    for path in report.deleted if report.dry_run else ():
        typer.echo(f"  {Path(path).relative_to(home) if Path(path).is_relative_to(home) else path}")
    if report.kept:
        typer.echo(f"kept (not derived, or not rebuildable by this command): {len(report.kept)} files")
        for path in report.kept:
            typer.echo(f"  {path}")
    for path in report.missing:
        typer.echo(f"MISSING after rebuild: {path}")
    for problem in report.mismatches:
        typer.echo(f"MISMATCH: {problem}")
