"""Engaging the kill switch from the dashboard: the same state file as ``avwap decommission stop-entries``
(``<state>/KILL_SWITCH``, which every cycle's kill-switch gate reads: the next cycle opens nothing; exits
and stops keep running), then a ``Note`` with code ``KILL_SWITCH_ENGAGED`` in each book's ledger saying who
and when. The file comes first: a ledger that cannot be written (e.g. corrupted) must not keep the switch off.
Releasing it stays a CLI action (remove the file).

Public API::

    KILL_SWITCH_ENGAGED                 the note code
    EngageOutcome(path, recorded, problems)
    engage(config, clock, who, reason) -> EngageOutcome
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from avwap.core.calendar import ny_date
from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.core.errors import AvwapError
from avwap.dashboard.books import dashboard_books
from avwap.execution.book import BOOK_FOR_MODE
from avwap.jobs.decommission import stop_entries
from avwap.ledger.records import Note, note_detail
from avwap.ledger.router import Ledger

KILL_SWITCH_ENGAGED: Final = "KILL_SWITCH_ENGAGED"


@dataclass(frozen=True)
class EngageOutcome:
    path: Path
    recorded: tuple[str, ...]
    problems: tuple[str, ...]


def engage(config: Config, clock: Clock, who: str, reason: str) -> EngageOutcome:
    now = clock.now()
    path = stop_entries(config, clock, f"dashboard, by {who}: {reason}")
    books = dashboard_books(config) or [BOOK_FOR_MODE[config.effective_mode]]
    ledger = Ledger(config.ledger_dir)
    recorded, problems = [], []
    for book_id in books:
        note = Note(
            book_id=book_id,
            date_ny=ny_date(now),
            ts=now,
            code=KILL_SWITCH_ENGAGED,
            message=f"kill switch engaged from the dashboard by {who}: {reason}",
            detail=note_detail({"who": who, "source": "dashboard", "reason": reason, "file": str(path)}),
        )
        try:
            ledger.append(note)
            recorded.append(book_id)
        except (AvwapError, OSError, ValueError) as error:  # the switch is on; say what was not recorded
            problems.append(f"{book_id}: not recorded ({error})")
    return EngageOutcome(path, tuple(recorded), tuple(problems))


__all__ = ["KILL_SWITCH_ENGAGED", "EngageOutcome", "engage"]
