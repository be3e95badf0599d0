"""``avwap execute``: run the execution cycle once (``--once``, the default) or as a loop (``--loop``).

The mode is whatever the live gate allows at each cycle (``avwap config-check`` shows it): DRY_RUN records
decisions and would-be orders and calls no broker; ALPACA_PAPER and LIVE trade through Alpaca (LIVE only with
all three live keys; anything less falls back to DRY_RUN and alerts). PAPER_SIM is refused here (it is the
demo's and the backtest's replay book): the command exits 3 and says so.

Exit codes (cli/output.py): 0 the run ended normally; 3 configuration error; 5 a ledger failed verification
(new entries were blocked; exits kept running); 6 broker error; 70 an unexpected error. The loop ends on
SIGTERM/SIGINT after the cycle in progress, after ``--max-cycles``, or after ``--max-failures`` failed
cycles in a row (non-zero).

The body lives in :mod:`avwap.cli.execute_run` (no typer): :mod:`avwap.cli.fast_path` runs it directly for
a well-formed command line, so the options below and ``fast_path.EXECUTE_OPTIONS`` must agree (a test holds
them equal).
"""

from __future__ import annotations

from pathlib import Path

import typer

from avwap.cli.execute_run import alpaca_factory, assemble, exit_code, run_execute, summary_line
from avwap.cli.output import JSON_OPTION

ONCE_OPTION = typer.Option(False, "--once", help="Run one cycle and exit (the default).")
LOOP_OPTION = typer.Option(False, "--loop", help="Run a cycle every --poll-seconds until stopped.")
POLL_OPTION = typer.Option(None, "--poll-seconds", min=1, help="Seconds between cycle starts (POLL_SECONDS).")
MAX_CYCLES_OPTION = typer.Option(None, "--max-cycles", min=1, help="Stop the loop after this many cycles.")
MAX_FAILURES_OPTION = typer.Option(
    5, "--max-failures", min=1, help="Exit non-zero after this many failed cycles in a row."
)
HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")


def register(app: typer.Typer) -> None:
    @app.command("execute")
    def execute(  # noqa: PLR0917 (typer options)
        once: bool = ONCE_OPTION,
        loop: bool = LOOP_OPTION,
        poll_seconds: int | None = POLL_OPTION,
        max_cycles: int | None = MAX_CYCLES_OPTION,
        max_failures: int = MAX_FAILURES_OPTION,
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Run the execution cycle in the mode the live gate allows (one cycle, or a loop with --loop).

        Each cycle: facts (calendar, broker clock, live gate, kill switch, watchlist) → broker sync and
        reconciliation → protective stops → entries through the control plane → alerts. --json prints one
        JSON object per cycle, one per line.
        """
        code = run_execute(
            once=once,
            loop=loop,
            poll_seconds=poll_seconds,
            max_cycles=max_cycles,
            max_failures=max_failures,
            home=home,
            as_json=as_json,
        )
        raise typer.Exit(code)


__all__ = ["alpaca_factory", "assemble", "exit_code", "register", "run_execute", "summary_line"]
