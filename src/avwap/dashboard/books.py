"""Which books the dashboard shows, and reading one book's ledger without ever raising: a ledger that does
not verify or cannot be read yields the problem (the book shows HALTED with it), never an error page.

Public API::

    LIVE_MONEY_BOOKS                       books that hold real money (never summed with paper books)
    dashboard_books(config) -> list[str]   books with a ledger folder or snapshots (not BACKTEST)
    BookLedger(book_id, records, problem)  ``problem`` is "" when the book verified and was read
    read_book(ledger_dir, book_id) -> BookLedger
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from avwap.core.config import Config
from avwap.core.errors import AvwapError
from avwap.execution.book import BOOK_FOR_MODE
from avwap.ledger.paths import ALPACA_LIVE, BACKTEST, BOOK_IDS, SCHWAB_401K_MANUAL, list_ledger_names
from avwap.ledger.records import Record
from avwap.ledger.router import read_book_records
from avwap.ledger.verify import verify_path

LIVE_MONEY_BOOKS: Final = frozenset({ALPACA_LIVE, SCHWAB_401K_MANUAL})


def money_kind(book_id: str) -> str:
    return "live money" if book_id in LIVE_MONEY_BOOKS else "paper"


def dashboard_books(config: Config) -> list[str]:
    names = set(list_ledger_names(config.ledger_dir)) if config.ledger_dir.is_dir() else set()
    snapshots = config.artifacts_dir / "snapshots"
    if snapshots.is_dir():
        names |= {path.name for path in snapshots.iterdir() if path.is_dir()}
    return sorted((names & (BOOK_IDS | set(BOOK_FOR_MODE.values()))) - {BACKTEST})


@dataclass(frozen=True)
class BookLedger:
    book_id: str
    records: tuple[Record, ...]
    problem: str

    @property
    def readable(self) -> bool:
        return not self.problem


def read_book(ledger_dir: Path, book_id: str) -> BookLedger:
    """Verify the book's folder (chains, links, head), then read its typed records. Anything but a clean
    verification (a torn tail included: the next cycle repairs it) is the problem shown; nothing is read."""
    folder = ledger_dir / book_id
    if not folder.is_dir():
        return BookLedger(book_id, (), "")
    try:
        # a torn tail counts too: reading would quarantine it (a write), and the dashboard only reads
        broken = [report for report in verify_path(folder) if not report.ok]
        if broken:
            first = broken[0]
            return BookLedger(book_id, (), f"ledger {first.status} at {first.location}: {first.reason}")
        return BookLedger(book_id, tuple(read_book_records(ledger_dir, book_id)), "")
    except (AvwapError, OSError, ValueError) as error:  # a broken ledger is a state to show, not a crash
        return BookLedger(book_id, (), f"ledger unreadable: {error}")


__all__ = ["LIVE_MONEY_BOOKS", "BookLedger", "dashboard_books", "money_kind", "read_book"]
