"""Entry point of the ``avwap`` command.

Each command group lives in its own module and exposes ``register(app)``; heavy imports (pandas, pyarrow)
happen inside the commands so that ``avwap --help`` stays fast.
"""

from __future__ import annotations

import importlib
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
)

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


def build_app() -> typer.Typer:
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # a command group that is not built yet
        module.register(app)
    return app


def main() -> None:
    try:
        build_app()(prog_name="avwap", standalone_mode=True)
    except SystemExit:
        raise
    except Exception:  # a bug: keep the traceback for the report, say so in one line, exit 70
        import sys
        import traceback

        traceback.print_exc(file=sys.stderr)
        sys.stderr.write("avwap: internal error (a bug); the traceback above helps us fix it\n")
        raise SystemExit(EXIT_INTERNAL) from None


if __name__ == "__main__":
    main()
