"""State is derived: a pure fold of book records into positions, cash, open orders, counters and keys.

The one canonical order is a book's files in date order, then line order (what
:func:`avwap.ledger.router.read_book_records` yields). The fold is idempotent per key: a fill, intent or cash
movement seen twice (a retried write after a crash) counts once. A second ``OrderSubmitted`` with a known
``client_order_id`` raises :class:`~avwap.core.errors.LedgerIntegrityError` (it would double an order).
Quantities are signed (long > 0).
Cost basis is kept exactly; a partial reduction releases ``basis × closed / open`` rounded to 6 places, a
full close releases the rest, so a round trip is always exact. ``realized_pnl`` is gross of commissions;
``commissions`` are tracked separately and both move ``cash``.

Public API::

    fold_book(records, book_id, initial=None) -> BookState     records of other books are refused
    fold_records(records) -> dict[str, BookState]               by book id
    state_bytes(state) -> bytes                                 canonical JSON: equal states, equal bytes
    rebuild(root, book_id, *, cache_dir=None) -> BookState      see avwap.ledger.projection_cache
    BookState, PositionState, OpenOrder, DayCounters            frozen records
    BookState.counters(date_ny) / .working_orders(date_ny)      per-day views
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from avwap.core.canonical import canonical_json
from avwap.ledger.projection_fold import FoldAccumulator
from avwap.ledger.projection_state import BookState, DayCounters, OpenOrder, PositionState
from avwap.ledger.records import Record

__all__ = [
    "BookState",
    "DayCounters",
    "OpenOrder",
    "PositionState",
    "fold_book",
    "fold_records",
    "rebuild",
    "state_bytes",
]


def fold_book(records: Iterable[Record], book_id: str, initial: BookState | None = None) -> BookState:
    """Fold ``records`` (typed, in canonical order) on top of ``initial`` (default: an empty book)."""
    accumulator = FoldAccumulator(initial or BookState(book_id=book_id))
    if accumulator.book_id != book_id:
        raise ValueError(f"initial state is of book {accumulator.book_id}, not {book_id}")
    for record in records:
        accumulator.apply(record)
    return accumulator.freeze()


def fold_records(records: Iterable[Record]) -> dict[str, BookState]:
    """Fold records of any books; each book's records keep their relative order."""
    accumulators: dict[str, FoldAccumulator] = {}
    for record in records:
        book = record.book_id
        if book not in accumulators:
            accumulators[book] = FoldAccumulator(BookState(book_id=book))
        accumulators[book].apply(record)
    return {book: accumulators[book].freeze() for book in sorted(accumulators)}


def state_bytes(state: BookState | dict[str, BookState]) -> bytes:
    """Canonical JSON of a state: the byte-comparable form."""
    return canonical_json(state)


def rebuild(root: Path, book_id: str, *, cache_dir: Path | None = None) -> BookState:
    """The state of ``book_id`` from its ledger under ``root`` (optionally through a projection cache)."""
    from avwap.ledger.projection_cache import rebuild_book

    return rebuild_book(root, book_id, cache_dir=cache_dir)
