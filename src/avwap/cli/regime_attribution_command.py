"""``avwap regime attribution``: risk attribution summaries and diagnostics (Phase E3; read-mostly).

``summarize --date D`` rebuilds the day's summary and rolling windows from the ``PORTFOLIO_RISK_ATTRIBUTION``
stream (``--check`` writes nothing: exit 1 when a file on disk differs from its rebuild). ``report
--modulated RUN --baseline RUN`` compares two backtest runs of the same book, with and without E2, from
their ledgers and artifacts: hypothetical vs realized exposure deltas and attribution-aware performance
(advisory; it changes nothing). ``review`` recomputes that report and records the operator's conclusion in
the ``REGIME_REVIEWS`` stream (:mod:`avwap.jobs.regime_review`; no setting changes); ``reviews`` lists them.
Exit 4 when an input is missing, 2 for a bad option.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer

from avwap.cli.output import (
    EXIT_PROBLEM,
    JSON_OPTION,
    console,
    date_option,
    fail,
    load_cli_config,
    print_json,
    print_table,
    run_guarded,
)

HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")
MODULATED_OPTION = typer.Option(..., "--modulated", help="Run folder (or home) made with E2 and E3 events.")
BASELINE_OPTION = typer.Option(..., "--baseline", help="Run folder (or home) of the same book without E2.")
FROM_OPTION = typer.Option(None, "--from", help="First NY date YYYY-MM-DD (default: the first shared close).")
TO_OPTION = typer.Option(None, "--to", help="Last NY date YYYY-MM-DD (default: the last shared close).")
BOOK_OPTION = typer.Option("BACKTEST", "--book", help="The book both runs traded.")
TOTAL_COLUMNS = ("figure", "value")
REGIME_COLUMNS = (
    "regime",
    "days",
    "hypothetical",
    "realized entries",
    "PnL delta",
    "loss avoided",
    "gain forgone",
)


def _report(modulated: Path, baseline: Path, start: str | None, end: str | None, book: str) -> dict[str, Any]:
    from avwap.analytics.risk_attribution_diagnostics import diagnostics, load_run

    first, last = date_option(start, "--from"), date_option(end, "--to")
    return diagnostics(load_run(modulated, book), load_run(baseline, book), book, first, last)


def _print_report(report: dict[str, Any]) -> None:
    totals, runs = report["totals"], report["runs"]
    rows = [
        ("closes compared", f"{report['from']} .. {report['to']} ({totals['days']})"),
        ("hypothetical regime delta (events)", totals["hypothetical_regime_delta"]),
        ("realized entry delta (fills)", totals["realized_entry_delta"]),
        ("realization", "n/a" if totals["realization_pct"] is None else f"{totals['realization_pct']}%"),
        ("mean gross exposure delta", totals["mean_gross_exposure_delta"]),
        ("PnL modulated / baseline", f"{runs['modulated']['pnl']} / {runs['baseline']['pnl']}"),
        (
            "max drawdown modulated / baseline",
            f"{runs['modulated']['max_drawdown']} / {runs['baseline']['max_drawdown']}",
        ),
        ("loss avoided / gain forgone", f"{totals['loss_avoided']} / {totals['gain_forgone']}"),
    ]
    print_table("risk attribution diagnostics", TOTAL_COLUMNS, rows)
    regimes = [
        (label, item["days"], item["hypothetical_regime_delta"], item["realized_entry_delta"],
         item["pnl_delta"], item["loss_avoided"], item["gain_forgone"])
        for label, item in report["by_regime"].items()
    ]  # fmt: skip
    print_table("by the regime applied that morning", REGIME_COLUMNS, regimes)
    console.print(report["advisory"])


def _summarize(day: dt.date, home: Path | None, check: bool) -> int:
    from avwap.analytics.risk_attribution_store import (
        rebuilds_exactly,
        summary_path,
        write_rolling,
        write_summary,
    )

    config = load_cli_config(home=home)
    path = summary_path(config.ledger_dir, day)
    if check:  # rebuilt under the provenance the file names: the content must match byte for byte
        same = rebuilds_exactly(config.ledger_dir, day)
        console.print(f"{path}: {'matches its rebuild' if same else 'DIFFERS from its rebuild'}")
        return 0 if same else EXIT_PROBLEM
    if write_summary(config, day) is None:
        fail(f"no risk attribution events on {day} (E3_RISK_ATTRIBUTION_WRITE=1 writes them)", EXIT_PROBLEM)
    for written in [path, *write_rolling(config, day)]:
        console.print(f"written: {written}")
    return 0


def _review(home: Path | None, report: dict[str, Any], request: Any, as_json: bool) -> None:
    from avwap.core.clock import SystemClock
    from avwap.jobs.regime_review import CONCLUSIONS, record_review

    config = load_cli_config(home=home)
    note, appended = record_review(config, SystemClock(), report, request)
    if as_json:
        print_json({"appended": appended, "review": note})
        return
    state = "recorded" if appended else "already recorded (nothing appended)"
    console.print(f"review {state}: {note.message}")
    advice = CONCLUSIONS[str(note.detail["conclusion"])]
    console.print(f"report sha256 {note.detail['report_sha256']}; advisory: {advice}")
    console.print("No setting was changed: E2 is switched by a ruleset (`avwap rules`) or the environment.")


def _list_reviews(home: Path | None, as_json: bool) -> None:
    from avwap.jobs.regime_review import reviews

    config = load_cli_config(home=home)
    found = reviews(config.ledger_dir)
    if as_json:
        print_json({"reviews": found})
        return
    rows = [
        (note.ts.isoformat(), str(note.detail["reviewer"]), str(note.detail["conclusion"]),
         f"{note.detail['from']} .. {note.detail['to']}", str(note.detail["report_sha256"])[:12])
        for note in found
    ]  # fmt: skip
    print_table("E2 attribution reviews", ("recorded", "reviewer", "conclusion", "range", "report"), rows)


def register(regime_app: typer.Typer) -> None:
    attribution = typer.Typer(help="Risk attribution (E3): summaries and diagnostics.", no_args_is_help=True)
    regime_app.add_typer(attribution, name="attribution")

    @attribution.command("report")
    def report_command(  # noqa: PLR0917 - one option each (typer passes them by name)
        modulated: Path = MODULATED_OPTION,
        baseline: Path = BASELINE_OPTION,
        start: str | None = FROM_OPTION,
        end: str | None = TO_OPTION,
        book: str = BOOK_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Realized vs hypothetical exposure deltas and performance of two runs (advisory, read-only)."""
        report = run_guarded(lambda: _report(modulated, baseline, start, end, book.strip().upper()))
        if as_json:
            print_json(report)
        else:
            _print_report(report)

    @attribution.command("review")
    def review_command(  # noqa: PLR0917 - one option each (typer passes them by name)
        modulated: Path = MODULATED_OPTION,
        baseline: Path = BASELINE_OPTION,
        reviewer: str = typer.Option(..., "--reviewer", help="Who reviewed the report."),
        conclusion: str = typer.Option(
            ..., "--conclusion", help="KEEP_OFF, KEEP_ON, ENABLE, DISABLE or MORE_DATA."
        ),
        note: str = typer.Option("", "--note", help="Why (at most 500 characters)."),
        start: str | None = FROM_OPTION,
        end: str | None = TO_OPTION,
        book: str = BOOK_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Record an operator's conclusion on the diagnostics report (advisory; changes no setting)."""
        from avwap.jobs.regime_review import ReviewRequest, validate

        request = run_guarded(
            lambda: validate(
                ReviewRequest(reviewer, conclusion, note, modulated, baseline, book.strip().upper())
            )
        )
        report = run_guarded(lambda: _report(modulated, baseline, start, end, request.book))
        run_guarded(lambda: _review(home, report, request, as_json))

    @attribution.command("reviews")
    def reviews_command(home: Path | None = HOME_OPTION, as_json: bool = JSON_OPTION) -> None:
        """List the recorded reviews of the E2 diagnostics."""
        run_guarded(lambda: _list_reviews(home, as_json))

    @attribution.command("summarize")
    def summarize_command(
        date: str = typer.Option(..., "--date", help="NY date YYYY-MM-DD."),
        home: Path | None = HOME_OPTION,
        check: bool = typer.Option(False, "--check", help="Compare with the files on disk; write nothing."),
    ) -> None:
        """Rebuild the day's summary and rolling windows from the attribution events."""
        day = date_option(date, "--date")
        assert day is not None
        code = run_guarded(lambda: _summarize(day, home, check))
        raise typer.Exit(code)
