"""``avwap sync``: bars from Alpaca into the bar store; ``avwap universe show``: the scan universe.

``register(app)`` adds both (the ``sync`` command and the ``universe`` group); ``register_sync`` and
``register_universe`` add one each, so ``sync`` can also hang off another group (e.g. ``avwap data``).

``sync`` backfills symbols that have no bars at the frequency and refreshes the tail of the others (see
:mod:`avwap.data.sync`); an interrupted run resumes where it stopped when rerun with the same arguments. It
exits 0 when every batch completed (symbols without data are listed, not errors), 4 on a data error (bad keys,
a feed the subscription does not cover, a malformed universe), 6 when Alpaca is unreachable or keeps answering
429. Heavy imports (pandas, alpaca-py) happen inside the commands; ``universe show`` never imports alpaca-py
unless ``UNIVERSE_ALLOW_NETWORK`` allows it.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
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
    from avwap.core.config import Config
    from avwap.data.sync import SyncResult
    from avwap.data.universe import Universe, UniverseSelection


class SyncFrequency(enum.StrEnum):
    daily = "1d"
    minute = "1m"
    five_minutes = "5m"
    ten_minutes = "10m"


HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")
SYMBOLS_OPTION = typer.Option(None, "--symbols", help="Comma-separated symbols, e.g. AAPL,MSFT.")
UNIVERSE_OPTION = typer.Option(
    None,
    "--universe",
    help="Holdings CSV (symbol,name,sector,weight). Default: the cached or fallback universe.",
)
FREQUENCY_OPTION = typer.Option(SyncFrequency.daily, "--frequency", help="Bar frequency to sync.")
BACKFILL_OPTION = typer.Option(730, "--backfill-days", min=1, help="Calendar days fetched for a new symbol.")
REFRESH_OPTION = typer.Option(
    15, "--refresh-days", min=0, help="Calendar days re-fetched for a known symbol."
)
BATCH_OPTION = typer.Option(100, "--batch-size", min=1, help="Symbols per request.")
AS_OF_OPTION = typer.Option(
    None, "--as-of", help="Last session to fetch (YYYY-MM-DD). Default: the latest session that has closed."
)
RESTART_OPTION = typer.Option(False, "--restart", help="Forget an interrupted run and plan a new one.")
FILE_OPTION = typer.Option(None, "--file", help="Holdings CSV; cached under <home>/data/universe/.")
RULES_OPTION = typer.Option(None, "--rules", help="Liquidity rules TOML: show which members pass them.")


def _as_of(text: str | None) -> dt.date:
    """The explicit session (or the one before it), else the latest closed session by the system clock."""
    from avwap.core.clock import SystemClock
    from avwap.data.sync import last_completed_session, session_on_or_before

    if text is None:
        return last_completed_session(SystemClock().now())  # the one wall-clock read of these commands
    try:
        return session_on_or_before(dt.date.fromisoformat(text.strip()))
    except ValueError:
        fail(f"--as-of: expected YYYY-MM-DD, got {text!r}", EXIT_USAGE)


def _symbols(symbols: str | None, universe_file: Path | None, config: Config) -> tuple[str, ...]:
    from avwap.core.config_parsers import parse_symbols
    from avwap.core.errors import DataError
    from avwap.data.universe import load_universe

    if symbols is not None and universe_file is not None:
        fail("give --symbols or --universe, not both", EXIT_USAGE)
    if symbols is not None:
        return parse_symbols("--symbols", symbols)
    if universe_file is not None and not universe_file.is_file():
        raise DataError(f"universe file not found: {universe_file}")
    return load_universe(universe_file, config.data_dir).symbols


def _run_sync(request: Any, config: Config, show_progress: bool) -> SyncResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from avwap.data.alpaca_source import AlpacaBarSource, settings_from_config
    from avwap.data.store import BarStore
    from avwap.data.sync import SyncProgress, sync_bars

    source = AlpacaBarSource(settings_from_config(config))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=error_console, transient=True, disable=not show_progress) as progress:
            task = progress.add_task("syncing", total=None)

            def advance(step: SyncProgress) -> None:
                label = f"batch {step.batch.id} ({step.batch.symbols[0]}…)"
                progress.update(task, completed=step.done, total=step.total, description=label)

            return sync_bars(source, BarStore(config.data_dir), config.state_dir, request, advance)
    finally:
        source.close()


def _sync_record(result: SyncResult, store: str) -> dict[str, Any]:
    return {
        "store": store,
        "run_id": result.run_id,
        "frequency": result.frequency,
        "as_of": result.as_of,
        "symbols": result.symbols,
        "batches_total": result.batches_total,
        "batches_run": result.batches_run,
        "batches_skipped": result.batches_skipped,
        "rows_written": result.rows_written,
        "rows_outside_session": result.rows_outside_session,
        "rows_quarantined": result.rows_quarantined,
        "partitions_written": result.partitions_written,
        "symbols_without_data": list(result.symbols_without_data),
        "resumed": result.resumed,
    }


def register_sync(app: typer.Typer) -> None:
    """Add the ``sync`` command to ``app``."""

    @app.command("sync")
    def sync_command(
        *,
        symbols: str | None = SYMBOLS_OPTION,
        universe: Path | None = UNIVERSE_OPTION,
        frequency: SyncFrequency = FREQUENCY_OPTION,
        backfill_days: int = BACKFILL_OPTION,
        refresh_days: int = REFRESH_OPTION,
        batch_size: int = BATCH_OPTION,
        as_of: str | None = AS_OF_OPTION,
        restart: bool = RESTART_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Fetch bars from Alpaca into the bar store: backfill new symbols, refresh the tail of known ones."""

        def body() -> None:
            from avwap.data.sync import SyncRequest

            config = load_cli_config(home=home)
            request = SyncRequest(
                symbols=_symbols(symbols, universe, config),
                as_of=_as_of(as_of),
                frequency=frequency.value,
                backfill_days=backfill_days,
                refresh_days=refresh_days,
                batch_size=batch_size,
                restart=restart,
            )
            record = _sync_record(_run_sync(request, config, not as_json), config.data_dir.as_posix())
            if as_json:
                print_json(record)
                return
            rows = [
                (key.replace("_", " "), value)
                for key, value in record.items()
                if key != "symbols_without_data"
            ]
            print_table(f"Sync {record['frequency']} through {record['as_of']}", ("item", "value"), rows)
            if record["symbols_without_data"]:
                typer.echo("no data: " + ", ".join(record["symbols_without_data"]))

        run_guarded(body)


def _selection(universe: Universe, rules_file: Path, as_of: str | None, config: Config) -> UniverseSelection:
    from avwap.data.store import BarStore
    from avwap.data.universe import load_rules, network_allowed, select_universe
    from avwap.data.universe_metrics import StoreMetricsProvider

    return select_universe(
        universe.symbols,
        load_rules(rules_file),
        _as_of(as_of),
        offline=StoreMetricsProvider(BarStore(config.data_dir)),
        allow_network=network_allowed(os.environ, config),
        config=config,
    )


def register_universe(app: typer.Typer) -> None:
    """Add the ``universe`` group (``universe show``) to ``app``."""
    universe_app = typer.Typer(name="universe", help="The scan universe: members and liquidity rules.")
    app.add_typer(universe_app, name="universe")

    @universe_app.command("show")
    def show_command(
        holdings: Path | None = FILE_OPTION,
        rules: Path | None = RULES_OPTION,
        as_of: str | None = AS_OF_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Show the universe (from --file, else the cache, else the committed fallback) and, with --rules,
        which members pass the liquidity rules on stored bars."""

        def body() -> None:
            from avwap.data.universe import load_universe

            config = load_cli_config(home=home)
            universe = load_universe(holdings, config.data_dir)
            selection = _selection(universe, rules, as_of, config) if rules is not None else None
            decisions = {item.symbol: item for item in selection.decisions} if selection else {}
            members = [
                {
                    "symbol": member.symbol,
                    "name": member.name,
                    "sector": member.sector,
                    "weight": member.weight,
                    **(
                        {
                            "kept": decisions[member.symbol].kept,
                            "reasons": list(decisions[member.symbol].reasons),
                            "advisory": list(decisions[member.symbol].advisory),
                            "metrics_source": decisions[member.symbol].metrics_source,
                        }
                        if selection
                        else {}
                    ),
                }
                for member in universe.members
            ]
            if as_json:
                extra = (
                    {"as_of": selection.as_of, "network_skipped": selection.network_skipped}
                    if selection
                    else {}
                )
                print_json(
                    {"source": universe.source, "origin": universe.origin, "members": members, **extra}
                )
                return
            extra_columns = ["kept", "reasons", "advisory"] if selection else []
            columns = ["symbol", "name", "sector", "weight", *extra_columns]
            print_table(
                f"Universe ({universe.source}: {universe.origin}), {len(members)} members",
                columns,
                ([row[column] for column in columns] for row in members),
            )

        run_guarded(body)


def register(app: typer.Typer) -> None:
    """Add ``sync`` and ``universe`` to ``app``."""
    register_sync(app)
    register_universe(app)
