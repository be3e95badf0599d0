"""``avwap strategies report``: which strategy caused what (Phase S4 attribution and diagnostics).

Reads the book's ledger and its daily snapshots (the closes to attribute and their marks), writes
``<home>/artifacts/strategy_attribution/<BOOK>/<D>.json`` (one day) or ``<FROM>_<TO>.json`` (a range)
atomically with provenance, and prints it: per strategy (and sleeve) the PnL, contribution, exposure,
drawdown and volatility, the largest contributors, the portfolio's deepest drawdown and who caused it, and
the blocked intents by reason code. See docs/STRATEGIES.md ("Attribution").

Exit codes: 0 done; 2 bad date; 3 configuration; 4 data (no ledger, no snapshot in the window, from after
to, an unreadable snapshot); 5 ledger integrity.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from avwap.cli.output import (
    JSON_OPTION,
    book_option,
    console,
    date_option,
    error_console,
    load_cli_config,
    print_json,
    print_table,
    run_guarded,
)

if TYPE_CHECKING:
    from avwap.analytics.attribution_artifact import AttributionOutcome
    from avwap.core.config import Config

BOOK_OPTION = typer.Option(None, "--book", help="Book id (default: the book of EXECUTION_MODE).")
HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")


def _money(value: Any) -> str:
    return f"{value:,.2f}"


def _groups_table(title: str, groups: Any) -> None:
    columns = (
        "name",
        "realized",
        "fees",
        "unrealized chg",
        "PnL",
        "contribution",
        "gross (end)",
        "max DD",
        "DD contribution",
        "volatility",
    )
    rows = [
        (
            group.name,
            _money(group.realized_pnl),
            _money(group.fees),
            _money(group.unrealized_change),
            _money(group.pnl),
            group.contribution,
            _money(group.end_gross_exposure),
            _money(group.max_drawdown),
            _money(group.drawdown_contribution),
            group.volatility if group.volatility is not None else "n/a",
        )
        for group in groups
    ]
    print_table(title, columns, rows)


def _print(outcome: AttributionOutcome, path: Path) -> None:
    report = outcome.report
    portfolio = report.portfolio
    console.print(
        f"{report.book_id} {report.date_from} to {report.date_to} ({report.days} close(s)): equity "
        f"{_money(report.start_equity)} -> {_money(report.end_equity)}, PnL {_money(portfolio.pnl)} "
        f"(realized {_money(portfolio.realized_pnl)}, fees {_money(portfolio.fees)}, unrealized change "
        f"{_money(portfolio.unrealized_change)})"
    )
    _groups_table("By strategy (adds up to the portfolio to the cent)", (*report.strategies, portfolio))
    if [group.name for group in report.sleeves] != [group.name for group in report.strategies]:
        _groups_table("By sleeve", report.sleeves)
    print_table(
        "Largest contributors (strategy, symbol)",
        ("strategy", "symbol", "PnL", "realized", "fees", "unrealized chg"),
        [
            (item.strategy_id, item.symbol, _money(item.pnl), _money(item.realized_pnl), _money(item.fees),
             _money(item.unrealized_change))
            for item in report.top_contributors
        ],
    )  # fmt: skip
    drawdown = report.drawdown
    if drawdown is None:
        console.print("drawdown: none in the window (equity never fell below a running peak)")
    else:
        causes = ", ".join(
            f"{group.name} {_money(group.drawdown_contribution)}"
            for group in sorted(
                report.strategies, key=lambda group: (group.drawdown_contribution, group.name)
            )
        )
        console.print(
            f"deepest drawdown {drawdown.depth} from {drawdown.peak_date or 'the close before'} to "
            f"{drawdown.trough_date} (PnL {_money(drawdown.pnl)}): {causes}"
        )
    print_table(
        "Blocked or resized intents by reason code",
        ("strategy", "source", "outcome", "reason code", "intents (first code)", "mentions"),
        [
            (
                item.strategy_id,
                item.source,
                item.outcome,
                item.reason_code,
                item.intents,
                item.mentions,
            )
            for item in report.blocked
        ],
    )
    if outcome.mismatched:
        error_console.print(
            "[yellow]recomputed equity differs from the stored snapshot on "
            f"{', '.join(day.isoformat() for day in outcome.mismatched)} (snapshot taken before later "
            "ledger records, or edited): re-run `avwap portfolio snapshot` for those dates[/]"
        )
    console.print(f"written to {path}")


def _report(config: Config, book_id: str, date_from: dt.date, date_to: dt.date, as_json: bool) -> None:
    from avwap.jobs.portfolio import write_range_attribution

    path, digest, outcome = write_range_attribution(config, book_id, date_from, date_to)
    if as_json:
        print_json(
            {"path": str(path), "sha256": digest, "report": outcome.report, "mismatched": outcome.mismatched}
        )
        return
    _print(outcome, path)


def register(app: typer.Typer) -> None:
    strategies = typer.Typer(help="Strategy attribution and diagnostics (Phase S4).", no_args_is_help=True)
    app.add_typer(strategies, name="strategies")

    @strategies.command("report")
    def report_command(
        date_from: str = typer.Option(..., "--from", help="First New York date YYYY-MM-DD."),
        date_to: str | None = typer.Option(None, "--to", help="Last New York date (default: --from)."),
        book: str | None = BOOK_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Attribute a day or a range by strategy: PnL, contribution, exposure, drawdown, blocked intents."""
        config = run_guarded(lambda: load_cli_config(home=home))
        first = date_option(date_from, "--from")
        assert first is not None
        last = date_option(date_to, "--to") or first
        run_guarded(lambda: _report(config, book_option(config, book), first, last, as_json))
