"""What ``avwap execute`` runs, without typer: :func:`run_execute` is the command's body, called by the typer
command (:mod:`avwap.cli.execute_command`) and by :mod:`avwap.cli.fast_path`, which runs a well-formed
``avwap execute ...`` without importing typer, pydantic or rich (an idle cycle's start-up, docs/ROADMAP.md
issue 8). Exit codes: see :mod:`avwap.cli.execute_command`.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

from avwap.cli.output import (
    EXIT_INTERNAL,
    EXIT_LEDGER_INTEGRITY,
    EXIT_OK,
    EXIT_USAGE,
    exit_code_for,
    fail,
    load_cli_config,
    run_guarded,
)
from avwap.core.canonical import to_plain
from avwap.core.errors import AvwapError

if TYPE_CHECKING:
    from avwap.core.clock import Clock
    from avwap.core.config import Config
    from avwap.core.execution_mode import ExecutionMode
    from avwap.execution.broker import Broker
    from avwap.execution.cycle import CycleReport
    from avwap.execution.runner import Assembly, LoopOutcome, LoopSettings
    from avwap.integrations.slack.notifier import Notifier


def alpaca_factory(config: Config) -> object:
    """Builds the Alpaca adapter for ALPACA_PAPER (paper endpoint) or LIVE (the live gate confirmed it)."""

    def build(mode: ExecutionMode) -> Broker:
        from avwap.execution.adapters import build_adapter
        from avwap.execution.book import BOOK_FOR_MODE

        return cast("Broker", build_adapter(BOOK_FOR_MODE[mode], config))  # adapters keyed by book_id

    return build


def summary_line(report: CycleReport) -> str:
    """One human line per cycle: time, mode, what happened."""
    counts: dict[str, int] = {}
    for event in report.events:
        counts[event.kind] = counts.get(event.kind, 0) + 1
    happened = ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "nothing to do"
    extras = [f"drift: {'; '.join(report.drift)}"] if report.drift else []
    if report.entries_blocked:
        extras.append(f"entries blocked: {', '.join(report.entries_blocked)}")
    if report.blocked_reasons:
        extras.append(f"rejections: {', '.join(report.blocked_reasons)}")
    tail = f" [{' | '.join(extras)}]" if extras else ""
    return (
        f"{report.now.isoformat()} {report.mode}/{report.book_id}: {happened}; alerts {report.alerts}{tail}"
    )


def exit_code(outcome: LoopOutcome) -> int:
    if outcome.error is not None:
        return exit_code_for(outcome.error) if isinstance(outcome.error, AvwapError) else EXIT_INTERNAL
    return EXIT_LEDGER_INTEGRITY if outcome.ledger_problem else EXIT_OK


def assemble(config: Config, clock: Clock, notifier: Notifier) -> Assembly:
    """What ``avwap execute`` runs: Alpaca brokers, and the bar store refreshed each cycle for the watched
    symbols (``INTRADAY_REFRESH``, ``ALPACA_DATA_FEED``). Tests drive it with a simulated clock."""
    from avwap.execution.bar_refresh import refresher_for
    from avwap.execution.runner import Assembly, store_market_loader

    return Assembly(
        config,
        clock,
        notifier,
        broker_factory=alpaca_factory(config),  # type: ignore[arg-type]
        market_loader=store_market_loader(config.data_dir, refresher_for(config)),
    )


def _execute(config: Config, settings: LoopSettings, *, as_json: bool) -> int:
    from avwap.core.clock import SystemClock
    from avwap.core.process_lock import hold_execute_lock

    # Held for the whole run: `avwap rebuild` and `avwap decommission close-positions` refuse meanwhile.
    with hold_execute_lock(config.state_dir, f"avwap execute pid {os.getpid()}"):
        return _execute_locked(config, settings, as_json=as_json, clock=SystemClock())


def _execute_locked(config: Config, settings: LoopSettings, *, as_json: bool, clock: Clock) -> int:
    from avwap.execution.runner import EventSleeper, Runner, StopFlag
    from avwap.integrations.slack.notifier import build_notifier

    notifier = build_notifier(config, clock)
    assembly = assemble(config, clock, notifier)
    stop = StopFlag()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda received, frame: stop.request(signal.Signals(received).name))

    def show(report: CycleReport) -> None:
        if as_json:
            sys.stdout.write(
                json.dumps(to_plain(report.to_dict()), sort_keys=True, ensure_ascii=False) + "\n"
            )
        else:
            sys.stdout.write(summary_line(report) + "\n")
        sys.stdout.flush()

    try:
        assembly.dependencies()  # configuration problems end the run now, not after N failed cycles
        outcome = Runner(assembly, settings, sleeper=EventSleeper(stop), stop=stop, on_report=show).run()
    finally:
        notifier.close()
    logging.getLogger("avwap.execution").info(
        "execute ended after %d cycles (%s)", outcome.cycles, outcome.stopped_by
    )
    if outcome.error is not None:
        sys.stderr.write(f"error: {type(outcome.error).__name__}: {outcome.error}\n")
    if outcome.ledger_problem:
        sys.stderr.write(f"ledger integrity: {outcome.ledger_problem}\n")
    return exit_code(outcome)


def run_execute(
    *,
    once: bool,
    loop: bool,
    poll_seconds: int | None,
    max_cycles: int | None,
    max_failures: int,
    home: Path | None,
    as_json: bool,
) -> int:
    """The command's body once its options are parsed: one cycle, or the loop; the exit code."""
    if once and loop:
        fail("--once and --loop exclude each other", EXIT_USAGE)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    def body() -> int:
        config = load_cli_config(home=home)
        from avwap.execution.runner import LoopSettings

        settings = LoopSettings(
            poll_seconds=float(poll_seconds if poll_seconds is not None else config.poll_seconds),
            max_cycles=max_cycles if loop else None,
            max_consecutive_failures=max_failures,
            once=not loop,
        )
        return _execute(config, settings, as_json=as_json)

    return run_guarded(body)
