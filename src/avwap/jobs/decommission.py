"""Decommissioning a deployment, step by step (docs/RUNBOOK.md "Decommission").

1. ``stop_entries``: engage the kill switch file (``<state>/KILL_SWITCH``): the next cycle opens nothing;
   exits, stop maintenance and reconciliation keep running (exits are never blocked).
2. Keep managing stops: leave ``avwap-execute.timer`` and the snapshot/reconcile timer running; disable
   the scan and portfolio-decide timers (nothing will use their output).
3. Optionally close what is still open: :func:`close_open_positions` (``avwap decommission
   close-positions``) sends each open position's MARKET exit through the one exit path
   (:mod:`avwap.execution.exit_orders`, note ``DECOMMISSION_CLOSE``), after the cycle's broker
   synchronization; in DRY_RUN (or ``--dry-run``) it only lists what it would send. Then wait until
   :func:`status` shows no open position (the execution cycle records the fills).
4. Archive with ``avwap audit export`` and check it with ``avwap audit verify``; the ledgers stay readable.

:func:`status` reads only the ledgers and the state folder, so it can run at any time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from avwap.control.state_files import KILL_SWITCH_FILE, kill_switch_file_present
from avwap.core.canonical import format_utc
from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.core.errors import ConfigurationError, LedgerIntegrityError
from avwap.core.execution_mode import ExecutionMode
from avwap.ledger.paths import BOOK_IDS, list_ledger_files
from avwap.ledger.projection import fold_book
from avwap.ledger.projection_state import lot_order
from avwap.ledger.router import read_book_records
from avwap.ledger.verify import verify_path

if TYPE_CHECKING:
    from avwap.execution.runner import BrokerFactory


@dataclass(frozen=True)
class OpenItem:
    book_id: str
    symbol: str
    strategy_id: str
    quantity: int
    stop_price: str


@dataclass(frozen=True)
class DecommissionStatus:
    kill_switch: bool
    positions: tuple[OpenItem, ...]
    working_orders: int
    ledgers_ok: bool
    first_ledger_problem: str

    @property
    def next_step(self) -> str:
        if not self.ledgers_ok:
            return f"fix the ledger first ({self.first_ledger_problem}): avwap ledger verify"
        if not self.kill_switch:
            return "avwap decommission stop-entries"
        if self.positions:
            return (
                "keep avwap-execute.timer running: stops manage the open positions until they close "
                "(or close them now: avwap decommission close-positions)"
            )
        return "avwap audit export --from FIRST --to LAST OUT && avwap audit verify OUT; then stop the timers"

    @property
    def done(self) -> bool:
        return self.ledgers_ok and self.kill_switch and not self.positions and not self.working_orders


def stop_entries(config: Config, clock: Clock, reason: str) -> Path:
    """Create the kill switch file (0600, saying why and when); idempotent."""
    folder = config.state_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KILL_SWITCH_FILE
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(f"decommission {format_utc(clock.now())}: {reason}\n")
    return path


def status(config: Config) -> DecommissionStatus:
    """Kill switch, open positions and working orders per book (from the ledgers), ledger verification."""
    reports = verify_path(config.ledger_dir) if config.ledger_dir.is_dir() else []
    broken = [report for report in reports if report.integrity_failure]
    positions: list[OpenItem] = []
    working = 0
    if not broken:
        for book_id in sorted(BOOK_IDS):
            if not list_ledger_files(config.ledger_dir, book_id):
                continue
            state = fold_book(read_book_records(config.ledger_dir, book_id), book_id)
            working += len(state.open_orders)
            positions += [
                OpenItem(
                    book_id, item.symbol, item.strategy_id, item.quantity, str(item.stop_price or "none")
                )
                for item in state.positions.values()
            ]
    return DecommissionStatus(
        kill_switch=kill_switch_file_present(config.state_dir) or config.kill_switch,
        positions=tuple(positions),
        working_orders=working,
        ledgers_ok=not broken,
        first_ledger_problem=broken[0].location if broken else "",
    )


@dataclass(frozen=True)
class CloseOutcome:
    book_id: str
    mode: str
    positions: tuple[OpenItem, ...]  # what was open when the command ran
    client_order_ids: tuple[str, ...]  # the exit orders sent (empty when nothing was sent)
    sent: bool  # False: DRY_RUN or --dry-run, nothing recorded or sent
    kill_switch: bool


def open_items(config: Config, book_id: str) -> tuple[OpenItem, ...]:
    """The open positions (lots) of ``book_id`` folded from its ledger (symbol, then strategy order)."""
    state = fold_book(read_book_records(config.ledger_dir, book_id), book_id)
    return tuple(
        OpenItem(book_id, item.symbol, item.strategy_id, item.quantity, str(item.stop_price or "none"))
        for item in sorted(state.positions.values(), key=lot_order)
    )


def close_open_positions(
    config: Config, clock: Clock, broker_factory: BrokerFactory, *, book_id: str, reason: str, dry_run: bool
) -> CloseOutcome:
    """Close every open position of ``book_id`` as MARKET exits through the execution plane.

    Holds the execution lock (refused while ``avwap execute`` runs: one writer per book). With
    ``dry_run`` or an effective DRY_RUN mode nothing is recorded or sent: the outcome lists the positions
    that would be closed. Otherwise the book must be the one the mode trades; the cycle's facts are
    established and the broker synchronized first (a position a stop has just closed is not sold twice),
    then each position gets its exit (a working exit is left alone). Exits are never blocked: the kill
    switch is reported, not required."""
    from avwap.core.process_lock import hold_execute_lock
    from avwap.execution.book import BOOK_FOR_MODE
    from avwap.execution.broker_sync import synchronize
    from avwap.execution.cycle import establish_facts
    from avwap.execution.exit_orders import close_positions
    from avwap.execution.runner import Assembly, empty_market
    from avwap.integrations.slack.notifier import NullNotifier

    with hold_execute_lock(config.state_dir, f"avwap decommission close-positions pid {os.getpid()}"):
        kill_switch = kill_switch_file_present(config.state_dir) or config.kill_switch
        assembly = Assembly(
            config,
            clock,
            NullNotifier(),
            broker_factory=broker_factory,
            market_loader=lambda deps: empty_market(),
        )
        mode = assembly.resolve().effective_mode
        positions = open_items(config, book_id)
        if dry_run or mode is ExecutionMode.DRY_RUN:
            return CloseOutcome(book_id, str(mode), positions, (), False, kill_switch)
        if BOOK_FOR_MODE.get(mode) != book_id:
            raise ConfigurationError(
                "EXECUTION_MODE",
                f"the mode in force ({mode}) trades {BOOK_FOR_MODE.get(mode)}, not {book_id}",
            )
        deps = assembly.dependencies()
        if deps.ledger_problem:
            raise LedgerIntegrityError(str(config.ledger_dir / book_id), 0, deps.ledger_problem)
        assert deps.broker is not None  # every mode but DRY_RUN has one
        facts = establish_facts(deps, assembly.mode)
        synchronize(deps, facts, deps.broker)
        sent = close_positions(deps, facts, deps.broker, reason=reason)
        return CloseOutcome(book_id, str(mode), positions, tuple(sent), True, kill_switch)


__all__ = [
    "CloseOutcome",
    "DecommissionStatus",
    "OpenItem",
    "close_open_positions",
    "open_items",
    "status",
    "stop_entries",
]
