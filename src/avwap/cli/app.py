"""The typer application of the ``avwap`` command: the root (``--version``, help, exit codes) and
:func:`build_app`, which registers command modules on it. Imported only when typer parses the command line
(:mod:`avwap.cli.main`; :mod:`avwap.cli.fast_path` runs some commands without it).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import typer

from avwap import __version__
from avwap.cli.main import COMMAND_MODULES
from avwap.cli.output import EXIT_CODES

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
