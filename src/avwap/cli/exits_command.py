"""``avwap exits``: exit quality of closed trades (Phase D1) and real-vs-simulated exit parity.

``avwap exits report --from D --to D [--book PAPER_SIM] [--write]`` reconstructs trades from the book's
ledger, measures every trade closed in the date range (MAE/MFE, R, stop efficiency, giveback, holding time)
on bars from the bar store (intraday when stored, else daily) and prints a table or ``--json``; ``--write``
also writes ``<artifacts>/exits/<date>.json`` for each date. ``avwap exits simulate`` replays the same trades
through the stop policy and exits 1 when real and simulated exits diverge.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from avwap.cli.output import EXIT_PROBLEM, JSON_OPTION, load_cli_config, print_json, print_table, run_guarded

if TYPE_CHECKING:
    from avwap.analytics.exit_metrics import ExitMetrics
    from avwap.analytics.trades import Trade
    from avwap.core.config import Config
    from avwap.data.store import BarStore
    from avwap.exits.bar_arrays import BarArrays

HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (default: AVWAP_HOME or ./var).")
BOOK_OPTION = typer.Option("PAPER_SIM", "--book", help="Book id, e.g. PAPER_SIM.")
FROM_OPTION = typer.Option(..., "--from", formats=["%Y-%m-%d"], help="First NY exit date, YYYY-MM-DD.")
TO_OPTION = typer.Option(..., "--to", formats=["%Y-%m-%d"], help="Last NY exit date, YYYY-MM-DD.")
WRITE_OPTION = typer.Option(False, "--write", help="Also write <artifacts>/exits/<date>.json per date.")


def _closed_trades(config: Config, book: str, first: dt.date, last: dt.date) -> list[Trade]:
    from avwap.analytics.exit_trades import closed_trades

    return closed_trades(config.ledger_dir, book, first, last)


def _bars(store: BarStore, trade: Trade) -> tuple[BarArrays, int | None]:
    from avwap.analytics.exit_trades import trade_bars

    return trade_bars(store, trade)


def _metrics(config: Config, trades: Sequence[Trade]) -> list[ExitMetrics]:
    from avwap.analytics.exit_trades import trade_metrics_from_store

    return trade_metrics_from_store(config.data_dir, trades)


def _row(item: ExitMetrics) -> dict[str, Any]:
    return {
        "position_id": item.position_id,
        "symbol": item.symbol,
        "exit_date": item.exit_date_ny,
        "entry": item.entry_price,
        "exit": item.exit_price,
        "reason": item.exit_reason,
        "mae": item.mae,
        "mfe": item.mfe,
        "r": item.r_multiple,
        "efficiency": item.efficiency,
        "giveback": item.giveback,
        "sessions": item.holding_sessions,
        "minutes": item.holding_minutes,
        "net_pnl": item.net_pnl,
    }


def _write(config: Config, book: str, metrics: list[ExitMetrics], first: dt.date, last: dt.date) -> list[str]:
    from avwap.analytics.exit_metrics import write_exit_artifact
    from avwap.core.calendar import nyse
    from avwap.data.store import BarStore
    from avwap.ledger.atomic import build_provenance

    store = BarStore(config.data_dir)
    data_hash = store.data_hash("1d") if "1d" in store.frequencies() else "none"
    paths = []
    for day in nyse().sessions(first, last):
        provenance = build_provenance(
            config.config_hash(), data_hash, day, ruleset_version=config.ruleset_version
        )
        paths.append(str(write_exit_artifact(config.artifacts_dir, day, {book: metrics}, provenance)))
    return paths


def _report(
    home: Path | None, book: str, first: dt.date, last: dt.date, *, write: bool, as_json: bool
) -> None:
    from avwap.analytics.exit_metrics import summarize

    config = load_cli_config(home=home)
    metrics = _metrics(config, _closed_trades(config, book, first, last))
    written = _write(config, book, metrics, first, last) if write else []
    rows = [_row(item) for item in metrics]
    if as_json:
        print_json(
            {"book": book, "from": first, "to": last, "trades": metrics, "summary": summarize(metrics)}
        )
        return
    columns = list(rows[0]) if rows else list(_ROW_COLUMNS)
    print_table(
        f"Exits of {book} closed {first}..{last} ({len(rows)})", columns, [list(r.values()) for r in rows]
    )
    for path in written:
        typer.echo(f"wrote {path}")


_ROW_COLUMNS = ("position_id", "symbol", "exit_date", "entry", "exit", "reason", "mae", "mfe", "r")


def _simulate(home: Path | None, book: str, first: dt.date, last: dt.date, as_json: bool) -> int:
    from avwap.analytics.exit_metrics import exit_parity
    from avwap.data.store import BarStore
    from avwap.exits.bar_arrays import bar_arrays, empty_arrays
    from avwap.exits.rules import stop_rules
    from avwap.exits.simulator import SimulatedEntry, simulate_intraday
    from avwap.exits.simulator_daily import simulate_daily_position
    from avwap.strategies.registry import uses_daily_stops

    config = load_cli_config(home=home)
    rules = stop_rules(config)  # the rules the cycle traded with, or the comparison is meaningless
    store = BarStore(config.data_dir)
    trades = _closed_trades(config, book, first, last)
    simulated = []
    for trade in trades:
        entry = SimulatedEntry(
            trade.position_id, trade.symbol, trade.entry_time, trade.entry_price, trade.entry_quantity,
            trade.initial_stop,
        )  # fmt: skip
        bars, minutes = _bars(store, trade)
        daily_frame = (
            store.read("1d", symbols=[trade.symbol], end=last) if "1d" in store.frequencies() else None
        )
        daily = (
            bar_arrays(daily_frame) if daily_frame is not None and not daily_frame.empty else empty_arrays()
        )
        if minutes is not None:
            intraday_rules = dataclasses.replace(rules, bar_minutes=minutes)
            daily_stops = uses_daily_stops(
                trade.strategy_id
            )  # e.g. S2_AVWAP_SWING: daily policy intraday too
            simulated.append(simulate_intraday(entry, bars, daily, intraday_rules, daily_stops=daily_stops))
        else:
            simulated.append(simulate_daily_position(entry, daily, rules=rules))
    report = exit_parity(trades, simulated, time_tolerance=dt.timedelta(minutes=5))
    if as_json:
        print_json({"book": book, "from": first, "to": last, "ok": report.ok, "report": report})
    else:
        rows = [(d.position_id, d.symbol, d.cause, d.real, d.simulated) for d in report.divergences]
        title = f"Exit parity of {book}: {report.matched}/{report.compared} positions match"
        print_table(title, ("position_id", "symbol", "cause", "real", "simulated"), rows)
    return 0 if report.ok else EXIT_PROBLEM


def register(app: typer.Typer) -> None:
    exits = typer.Typer(help="Exit quality (MAE/MFE, R, efficiency) and exit parity.", no_args_is_help=True)
    app.add_typer(exits, name="exits")

    @exits.command("report")
    def report(  # noqa: PLR0917 (typer options)
        date_from: dt.datetime = FROM_OPTION,
        date_to: dt.datetime = TO_OPTION,
        book: str = BOOK_OPTION,
        home: Path | None = HOME_OPTION,
        write: bool = WRITE_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Table of trades closed in the date range with MAE/MFE/R/efficiency/holding time."""
        run_guarded(
            lambda: _report(home, book, date_from.date(), date_to.date(), write=write, as_json=as_json)
        )

    @exits.command("simulate")
    def simulate(
        date_from: dt.datetime = FROM_OPTION,
        date_to: dt.datetime = TO_OPTION,
        book: str = BOOK_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Replay the closed trades through the stop policy; list divergences from the real exits."""
        code = run_guarded(lambda: _simulate(home, book, date_from.date(), date_to.date(), as_json))
        if code:
            raise typer.Exit(code)
