"""The symbols a cycle watches: one definition, used by every part that needs it.

A cycle looks at (and the loop refreshes the intraday bars of) the candidates of today's FRESH candidates
artifact, every open position of the book and every symbol with an order still open in the book. The
bar store loader, the intraday refresher, the data-freshness check and the demo's bar feeding all ask
:func:`watched_symbols` (or :func:`cycle_watched_symbols`), so they can never disagree about what matters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from avwap.core.calendar import nyse
from avwap.core.errors import CalendarError
from avwap.execution.context import CycleDependencies
from avwap.ledger.projection_state import BookState


def watched_symbols(candidate_symbols: Iterable[str], state: BookState) -> tuple[str, ...]:
    """Candidates plus held symbols plus symbols with open orders, sorted and unique."""
    symbols = set(candidate_symbols) | set(state.held_symbols())
    symbols |= {order.symbol for order in state.open_orders.values()}
    return tuple(sorted(symbols))


def fresh_candidate_symbols(deps: CycleDependencies, today: dt.date) -> tuple[str, ...]:
    """The candidates of today's artifact when it is fresh (none otherwise: a stale list is not watched)."""
    try:
        is_session = nyse().is_session(today)
    except CalendarError:
        is_session = False
    freshness = deps.cache.freshness(deps.artifacts_dir, today, is_session)
    if freshness.watchlist is None:
        return ()
    return tuple(candidate.symbol for candidate in freshness.watchlist.candidates)


def cycle_watched_symbols(deps: CycleDependencies, today: dt.date) -> tuple[str, ...]:
    """:func:`watched_symbols` of the cycle at ``today`` (New York date): fresh candidates and the book."""
    return watched_symbols(fresh_candidate_symbols(deps, today), deps.book.state)
