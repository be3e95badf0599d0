"""Entry point of the ``avwap`` command.

Each command group lives in its own module and exposes ``register(app)``; heavy imports (pandas, pyarrow)
happen inside the commands so that ``avwap --help`` stays fast. :func:`main` registers only the module of
the command named on the command line (``avwap scan ...`` imports no other command module, nor what those
import at the top, e.g. rich.progress for the demo); ``avwap``, ``avwap --help``, ``--version`` and an
unknown name get every command, so the help lists them all and typer words the error as before. A plainly
well-formed ``avwap execute ...`` or ``avwap scan --as-of ...`` runs without typer at all
(:mod:`avwap.cli.fast_path`); the typer app itself is built in :mod:`avwap.cli.app`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from avwap.cli.fast_path import fast_command, run_standalone
from avwap.cli.output import EXIT_INTERNAL

if TYPE_CHECKING:
    import typer

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
    "avwap.cli.schwab_command",
    "avwap.cli.ml_command",
    "avwap.cli.dashboard_command",
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
    "schwab": "avwap.cli.schwab_command",
    "ml": "avwap.cli.ml_command",
    "dashboard": "avwap.cli.dashboard_command",
}


def build_app(modules: Sequence[str] = COMMAND_MODULES) -> typer.Typer:
    """The ``avwap`` typer app with the commands of ``modules`` (default: all of them) registered."""
    from avwap.cli.app import build_app as build

    return build(modules)


def invoked_modules(arguments: Sequence[str]) -> tuple[str, ...]:
    """The command module(s) to register for ``avwap *arguments``: the named command's, else all."""
    module_name = COMMAND_NAMES.get(arguments[0]) if arguments else None
    return COMMAND_MODULES if module_name is None else (module_name,)


def main() -> None:
    arguments = sys.argv[1:]
    try:
        fast = fast_command(arguments)
        if fast is not None:  # a plainly well-formed execute or scan: no typer (cli/fast_path.py)
            raise SystemExit(run_standalone(fast))
        build_app(invoked_modules(arguments))(prog_name="avwap", standalone_mode=True)
    except SystemExit:
        raise
    except Exception:  # a bug: keep the traceback for the report, say so in one line, exit 70
        import traceback

        traceback.print_exc(file=sys.stderr)
        sys.stderr.write("avwap: internal error (a bug); the traceback above helps us fix it\n")
        raise SystemExit(EXIT_INTERNAL) from None


if __name__ == "__main__":
    main()
