"""Decommissioning a deployment, step by step (docs/RUNBOOK.md "Decommission").

1. ``stop_entries``: engage the kill switch file (``<state>/KILL_SWITCH``): the next cycle opens nothing;
   exits, stop maintenance and reconciliation keep running (exits are never blocked).
2. Keep managing stops: leave ``avwap-execute.timer`` and the snapshot/reconcile timer running; disable
   the scan and portfolio-decide timers (nothing will use their output).
3. Wait until :func:`status` shows no open position (stops or the operator at the broker close them; a
   control-plane "close all" order path does not exist yet: see docs/ROADMAP.md).
4. Archive with ``avwap audit export`` and check it with ``avwap audit verify``; the ledgers stay readable.

:func:`status` reads only the ledgers and the state folder, so it can run at any time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from avwap.control.state_files import KILL_SWITCH_FILE, kill_switch_file_present
from avwap.core.canonical import format_utc
from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.ledger.paths import BOOK_IDS, list_ledger_files
from avwap.ledger.projection import fold_book
from avwap.ledger.router import read_book_records
from avwap.ledger.verify import verify_path


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
            return "keep avwap-execute.timer running: stops manage the open positions until they close"
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


__all__ = ["DecommissionStatus", "OpenItem", "status", "stop_entries"]
