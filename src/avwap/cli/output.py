"""Shared CLI output: ``--json`` prints canonical, sorted JSON; otherwise rich tables for people.

Exit codes mean something (see :data:`EXIT_CODES`); every command maps errors through :func:`run_guarded`.
typer and rich are imported when first used (``console``, ``error_console`` and ``JSON_OPTION`` are resolved
on first access, PEP 562): the commands that ``avwap.cli.fast_path`` runs without typer (an idle
``avwap execute --once`` prints one line) import neither.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar, cast

from avwap.core.canonical import to_plain
from avwap.core.config import Config, load_config
from avwap.core.errors import (
    AvwapError,
    BrokerError,
    ConfigurationError,
    DataError,
    LedgerIntegrityError,
)

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK: Final = 0
EXIT_PROBLEM: Final = 1  # the command ran and found a problem (failed check, stale watchlist, ...)
EXIT_USAGE: Final = 2  # bad command line (typer's own code)
EXIT_CONFIGURATION: Final = 3
EXIT_DATA: Final = 4
EXIT_LEDGER_INTEGRITY: Final = 5
EXIT_BROKER: Final = 6
EXIT_INTERNAL: Final = 70

EXIT_CODES: Final = {
    EXIT_OK: "success",
    EXIT_PROBLEM: "the command ran and found a problem",
    EXIT_USAGE: "bad command line",
    EXIT_CONFIGURATION: "configuration error (the message names the variable)",
    EXIT_DATA: "data error (missing or malformed input)",
    EXIT_LEDGER_INTEGRITY: "ledger integrity error (execution fails closed)",
    EXIT_BROKER: "broker error",
    EXIT_INTERNAL: "internal error (a bug: please report it)",
}

T = TypeVar("T")
_LAZY: dict[str, Any] = {}  # console, error_console, JSON_OPTION: built on first use


def _console(stderr: bool) -> Console:
    name = "error_console" if stderr else "console"
    if name not in _LAZY:
        from rich.console import Console

        _LAZY[name] = Console(stderr=stderr, highlight=False, soft_wrap=True)
    return cast("Console", _LAZY[name])


def __getattr__(name: str) -> Any:
    """``console`` (stdout), ``error_console`` (stderr) and ``JSON_OPTION``, built on first access."""
    if name in ("console", "error_console"):
        return _console(stderr=name == "error_console")
    if name == "JSON_OPTION":
        if name not in _LAZY:
            import typer

            _LAZY[name] = typer.Option(
                False, "--json", help="Print machine-readable JSON (sorted keys) instead of tables."
            )
        return _LAZY[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_cli_config(**overrides: Any) -> Config:
    """The configuration for a CLI command: environment first, then AVWAP_CONFIG, then defaults; then the
    ruleset in force today (New York), when one was ever activated in this home (docs/RUNBOOK.md)."""
    config = load_config(os.environ, **{key: value for key, value in overrides.items() if value is not None})
    if not (config.ledger_dir / "RULESETS").is_dir():
        return config  # no ruleset ever activated: nothing to read (and no ledger import at start-up)
    from avwap.control.ruleset_registry import config_in_force
    from avwap.core.calendar import ny_date
    from avwap.core.clock import SystemClock

    return config_in_force(config, os.environ, ny_date(SystemClock().now()))


def print_json(data: Any) -> None:
    """Stable JSON for scripts: sorted keys, two-space indent, one trailing newline."""
    sys.stdout.write(json.dumps(to_plain(data), sort_keys=True, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    _console(stderr=False).print(table)


def fail(message: str, code: int = EXIT_PROBLEM) -> NoReturn:
    import typer

    _console(stderr=True).print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def exit_code_for(error: AvwapError) -> int:
    if isinstance(error, ConfigurationError):
        return EXIT_CONFIGURATION
    if isinstance(error, LedgerIntegrityError):
        return EXIT_LEDGER_INTEGRITY
    if isinstance(error, DataError):
        return EXIT_DATA
    if isinstance(error, BrokerError):
        return EXIT_BROKER
    return EXIT_PROBLEM


def run_guarded(action: Callable[[], T]) -> T:
    """Run a command body; map avwap errors to a one-line message and a meaningful exit code."""
    try:
        return action()
    except AvwapError as error:
        fail(f"{type(error).__name__}: {error}", exit_code_for(error))


def date_option(text: str | None, option: str) -> dt.date | None:
    """An optional YYYY-MM-DD option value (None when not given); a bad value is a usage error naming it."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        import typer

        raise typer.BadParameter(f"expected YYYY-MM-DD, got {text!r}", param_hint=option) from None


def book_option(config: Config, book: str | None) -> str:
    """The --book value (a validated ledger name, upper case), or the book of EXECUTION_MODE."""
    if book:
        import typer

        from avwap.ledger.paths import validate_name

        try:
            return validate_name(book.strip().upper())
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--book") from None
    from avwap.execution.book import BOOK_FOR_MODE

    return BOOK_FOR_MODE[config.effective_mode]
