"""One book's ledger and its live projection: every record is appended durably, then folded in.

The cycle never keeps state of its own: :attr:`BookRecorder.state` is exactly what the ledger implies
(rebuilt from the files on start, advanced record by record), so a crash and restart lands on the same state.
A ledger that cannot be read leaves ``readable`` False and the state empty: the control plane then blocks
new entries (LEDGER_UNREADABLE) while exits keep running from the broker's view.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Final

from avwap.core.errors import LedgerIntegrityError
from avwap.core.execution_mode import ExecutionMode
from avwap.exits.position_state import ExitBook, ExitFold
from avwap.ledger.paths import ALPACA_LIVE, ALPACA_PAPER, BACKTEST, PAPER_SIM, SCHWAB_401K_MANUAL
from avwap.ledger.projection import BookState, fold_book
from avwap.ledger.record_enums import OrderPurpose
from avwap.ledger.records import (
    ConflictResolved,
    Decision,
    ExitEvent,
    Fill,
    Note,
    OrderCanceled,
    OrderRejected,
    OrderReplaced,
    OrderSubmitted,
    PositionClosed,
    PositionOpened,
    Record,
    TradeIntent,
)
from avwap.ledger.router import Ledger

LOGGER: Final = logging.getLogger("avwap.execution")
EXIT_RECORD_TYPES: Final = (
    PositionOpened,
    PositionClosed,
    ExitEvent,
    Fill,
    OrderSubmitted,
    OrderReplaced,
    OrderCanceled,
    OrderRejected,
)
DRY_RUN_BOOK: Final = "DRY_RUN"

BOOK_FOR_MODE: Final = {
    ExecutionMode.DRY_RUN: DRY_RUN_BOOK,
    ExecutionMode.PAPER_SIM: PAPER_SIM,
    ExecutionMode.BACKTEST: BACKTEST,
    ExecutionMode.ALPACA_PAPER: ALPACA_PAPER,
    ExecutionMode.LIVE: ALPACA_LIVE,
    ExecutionMode.SCHWAB_401K_MANUAL: SCHWAB_401K_MANUAL,
}


class BookRecorder:
    """Appends typed records of one book and keeps the folded state current."""

    def __init__(self, ledger: Ledger, book_id: str) -> None:
        self.ledger = ledger
        self.book_id = book_id
        self.readable = True
        self.problem = ""
        self.state = BookState(book_id=book_id)
        # Lifecycle progress of entry intents, for recovery after a crash between two records.
        self.intents: dict[str, TradeIntent] = {}
        self.decisions: dict[str, Decision] = {}
        self.submitted: set[str] = set()
        self.unsized: set[str] = set()  # would-be intent ids noted as unsizable (Note.intent_id)
        self.position_commissions: dict[str, Decimal] = {}
        self._counted_fills: set[str] = set()
        self.last_skip: dict[str, tuple[str, str]] = {}  # position id -> last recorded stop skip
        self._exit_fold = ExitFold()
        self.records: list[Record] = []  # every record of the book, in ledger order (reports, snapshots)
        self.closed: list[PositionClosed] = []  # the PositionClosed records among them (realized PnL)
        self.reload()

    def reload(self) -> BookState:
        """Rebuild the state from the ledger files (start-up, or after another writer)."""
        self.intents, self.decisions, self.submitted, self.unsized = {}, {}, set(), set()
        self.position_commissions, self._counted_fills = {}, set()
        # Phase S2/S3: conflict resolutions recorded (ids); positions closed by date (a strategy's PnL
        # today) and the date each position opened; entry orders by date and strategy.
        self.resolutions: set[str] = set()
        self.closed_on: dict[dt.date, list[PositionClosed]] = {}
        self.opened_on: dict[str, dt.date] = {}
        self.entries_by_day: dict[tuple[dt.date, str], int] = {}  # (date, strategy) -> entry orders
        self._exit_fold, self.records, self.closed = ExitFold(), [], []
        try:
            records = self.ledger.read_book(self.book_id)
            self.state = fold_book(records, self.book_id)
            self.readable, self.problem = True, ""
        except LedgerIntegrityError as error:
            LOGGER.error("ledger of %s is unreadable: %s", self.book_id, error)
            self.state = BookState(book_id=self.book_id)
            self.readable, self.problem = False, str(error)
            return self.state
        for record in records:
            self._track(record)
        return self.state

    def record(self, *records: Record) -> None:
        """Append the records (durable on return) and fold them into the state. Records passed together
        (a fill and the position it opens or closes, an order and its exit event) are written with one
        ``write`` so that a crash cannot keep one without the other."""
        if len(records) > 1 and len({(record.book_id, record.date_ny) for record in records}) == 1:
            self.ledger.append_together(list(records))  # related records: a crash keeps all or none
        else:
            for record in records:
                self.ledger.append(record)
        for record in records:
            self._track(record)
        self.state = fold_book(records, self.book_id, self.state)

    def exit_book(self) -> ExitBook:
        """The stop policy's view of open positions; each exit record is folded in once, as it is added."""
        return self._exit_fold.book()

    def _track(self, record: Record) -> None:
        self.records.append(record)
        if isinstance(record, PositionClosed):
            self.closed.append(record)
        if isinstance(record, EXIT_RECORD_TYPES):
            self._exit_fold.add(record)
        if isinstance(record, TradeIntent):
            self.intents.setdefault(record.intent_id, record)
        elif isinstance(record, Decision):
            self.decisions.setdefault(record.intent_id, record)
        elif isinstance(record, OrderSubmitted) and record.purpose == OrderPurpose.ENTRY:
            if record.intent_id not in self.submitted:
                key = (record.date_ny, record.strategy_id)
                self.entries_by_day[key] = self.entries_by_day.get(key, 0) + 1
            self.submitted.add(record.intent_id)
        elif isinstance(record, Note) and record.intent_id is not None:
            self.unsized.add(record.intent_id)
        elif isinstance(record, ConflictResolved):
            self.resolutions.add(record.resolution_id)
        elif isinstance(record, PositionOpened):
            self.opened_on.setdefault(record.position_id, record.date_ny)
        elif isinstance(record, PositionClosed):
            self.closed_on.setdefault(record.date_ny, []).append(record)
        elif isinstance(record, Fill) and record.fill_id not in self._counted_fills:
            self._counted_fills.add(record.fill_id)
            total = self.position_commissions.get(record.position_id, Decimal("0"))
            self.position_commissions[record.position_id] = total + record.commission
