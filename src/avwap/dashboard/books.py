"""Which books the dashboard shows, and reading one book's ledger without ever raising: a ledger that does
not verify or cannot be read yields the problem (the book shows HALTED with it), never an error page.

Public API::

    LIVE_MONEY_BOOKS                       books that hold real money (never summed with paper books)
    dashboard_books(config) -> list[str]   books with a ledger folder or snapshots (not BACKTEST)
    BookLedger(book_id, records, problem, state)  ``problem`` is "" when the book verified and was read
    BookReaders()                          one :class:`~avwap.ledger.follow.BookFollower` per book folder:
      .read(ledger_dir, book_id) -> BookLedger   re-verifies and folds only what changed since the last read
    read_book(ledger_dir, book_id) -> BookLedger   a one-off full read
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from avwap.core.config import Config
from avwap.core.errors import AvwapError
from avwap.execution.book import BOOK_FOR_MODE
from avwap.ledger.follow import BookFollower
from avwap.ledger.paths import ALPACA_LIVE, BACKTEST, BOOK_IDS, SCHWAB_401K_MANUAL, list_ledger_names
from avwap.ledger.projection_state import BookState
from avwap.ledger.records import Record

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
    state: BookState | None = None  # the fold of ``records`` (None when the book has a problem)
    files: tuple[str, ...] = ()  # the day files listed, in date order
    tails: tuple[tuple[str, int, str], ...] = ()  # (name, last seq, last hash) of each verified file

    @property
    def readable(self) -> bool:
        return not self.problem


def _followed(follower: BookFollower) -> BookLedger:
    """Verify the book's folder (chains, links, head, what the fold refuses), then its typed records and
    their fold. Anything but a clean verification (a torn tail included: the next cycle repairs it; reading
    would quarantine it, a write, and the dashboard only reads) is the problem shown; nothing is read."""
    book_id = follower.book_id
    if not (follower.root / book_id).is_dir():
        return BookLedger(book_id, (), "", None)
    try:
        view = follower.refresh()
    except (AvwapError, OSError, ValueError) as error:  # a broken ledger is a state to show, not a crash
        follower.forget()
        return BookLedger(book_id, (), f"ledger unreadable: {error}")
    broken = [report for report in view.reports if not report.ok]
    if broken:
        first = broken[0]
        problem = f"ledger {first.status} at {first.location}: {first.reason}"
        return BookLedger(book_id, (), problem, None, view.files)
    return BookLedger(book_id, view.records, "", view.state, view.files, view.tails)


def read_book(ledger_dir: Path, book_id: str) -> BookLedger:
    return _followed(BookFollower(ledger_dir, book_id))


class BookReaders:
    """The followers of the books a dashboard shows. Starlette runs sync routes in a thread pool: each
    follower is refreshed under its own lock (another book's page is never held up)."""

    def __init__(self) -> None:
        self._followers: dict[tuple[Path, str], tuple[BookFollower, threading.Lock]] = {}
        self._lock = threading.Lock()

    def read(self, ledger_dir: Path, book_id: str) -> BookLedger:
        key = (Path(ledger_dir), book_id)
        with self._lock:
            if key not in self._followers:
                self._followers[key] = (BookFollower(ledger_dir, book_id), threading.Lock())
            follower, lock = self._followers[key]
        with lock:
            return _followed(follower)


__all__ = ["LIVE_MONEY_BOOKS", "BookLedger", "BookReaders", "dashboard_books", "money_kind", "read_book"]
