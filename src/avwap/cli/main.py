"""Entry point of the ``avwap`` command.

Each command group lives in its own module and exposes ``register(app)``; heavy imports (pandas, pyarrow)
happen inside the commands so that ``avwap --help`` stays fast. :func:`main` registers only the module of
the command named on the command line (``avwap scan ...`` imports no other command module, nor what those
import at the top, e.g. rich.progress for the demo); ``avwap``, ``avwap --help``, ``--version`` and an
unknown name get every command, so the help lists them all and typer words the error as before.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Final

import typer

from avwap import __version__
from avwap.cli.output import EXIT_CODES, EXIT_INTERNAL

COMMAND_MODULES: Final = (
    "avwap.cli.calendar_command",
    "avwap.cli.ledger_command",
    "avwap.cli.data_command",
    "avwap.cli.demo_command",
    "avwap.cli.indicators_command",
    "avwap.cli.scan_command",
    "avwap.cli.config_check_command",
    "avwap.cli.market_command",
    "avwap.cli.exits_command",
    "avwap.cli.sync_command",
    "avwap.cli.watchlist_command",
    "avwap.cli.execute_command",
    "avwap.cli.portfolio_command",
    "avwap.cli.backtest_command",
    "avwap.cli.strategies_command",
    "avwap.cli.regime_command",
    "avwap.cli.rules_command",
    "avwap.cli.doctor_command",
    "avwap.cli.decommission_command",
    "avwap.cli.audit_command",
    "avwap.cli.backup_command",
    "avwap.cli.rebuild_command",
    "avwap.cli.tickets_command",
    "avwap.cli.slack_command",
    "avwap.cli.ml_command",
)
# The top-level names each module registers (tests/integration/test_cli_startup.py holds them equal).
COMMAND_NAMES: Final = {
    "calendar": "avwap.cli.calendar_command",
    "ledger": "avwap.cli.ledger_command",
    "data": "avwap.cli.data_command",
    "demo": "avwap.cli.demo_command",
    "indicators": "avwap.cli.indicators_command",
    "scan": "avwap.cli.scan_command",
    "config-check": "avwap.cli.config_check_command",
    "market": "avwap.cli.market_command",
    "exits": "avwap.cli.exits_command",
    "sync": "avwap.cli.sync_command",
    "universe": "avwap.cli.sync_command",
    "watchlist": "avwap.cli.watchlist_command",
    "execute": "avwap.cli.execute_command",
    "portfolio": "avwap.cli.portfolio_command",
    "backtest": "avwap.cli.backtest_command",
    "strategies": "avwap.cli.strategies_command",
    "regime": "avwap.cli.regime_command",
    "rules": "avwap.cli.rules_command",
    "doctor": "avwap.cli.doctor_command",
    "decommission": "avwap.cli.decommission_command",
    "audit": "avwap.cli.audit_command",
    "backup": "avwap.cli.backup_command",
    "restore": "avwap.cli.backup_command",
    "rebuild": "avwap.cli.rebuild_command",
    "tickets": "avwap.cli.tickets_command",
    "slack": "avwap.cli.slack_command",
    "ml": "avwap.cli.ml_command",
}

EPILOG = "Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in sorted(EXIT_CODES.items()))

app = typer.Typer(
    name="avwap",
    help=(
        "Anchored-VWAP trading system: daily scan, one fail-closed execution plane, append-only ledgers.\n\n"
        "Start with `avwap demo` (a full paper-trading run on the embedded synthetic market)."
    ),
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"avwap {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """avwap command line."""


def build_app(modules: Sequence[str] = COMMAND_MODULES) -> typer.Typer:
    """The ``avwap`` app with the commands of ``modules`` (default: all of them) registered."""
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # a command group that is not built yet
        module.register(app)
    return app


def invoked_modules(arguments: Sequence[str]) -> tuple[str, ...]:
    """The command module(s) to register for ``avwap *arguments``: the named command's, else all."""
    module_name = COMMAND_NAMES.get(arguments[0]) if arguments else None
    return COMMAND_MODULES if module_name is None else (module_name,)


def main() -> None:
    try:
        build_app(invoked_modules(sys.argv[1:]))(prog_name="avwap", standalone_mode=True)
    except SystemExit:
        raise
    except Exception:  # a bug: keep the traceback for the report, say so in one line, exit 70
        import traceback

        traceback.print_exc(file=sys.stderr)
        sys.stderr.write("avwap: internal error (a bug); the traceback above helps us fix it\n")
        raise SystemExit(EXIT_INTERNAL) from None


if __name__ == "__main__":
    main()
