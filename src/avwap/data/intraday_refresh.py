"""Incremental intraday refresh: fetch the session's newly CLOSED bars of a few symbols, write them through.

The execution loop calls :meth:`IntradayRefresher.refresh` once per cycle with its watched symbols. For each
symbol it reads the last bar stored for today's session and asks the source only for the bars after it,
up to the last bar that has closed by ``now`` (a bar labelled ``t`` closes at ``t + length``); a bar still
forming is never fetched nor written, and whatever the source sends outside that window is dropped.
Symbols needing the same first bar share one request (in batches); a symbol already up to date costs
nothing. Bars are validated like every import: invalid rows are counted and logged, never stored.

Failures never raise: a source that cannot be built (no keys) or that fails (HTTP 5xx, 429, a timeout, a
payload that does not parse) ends the refresh of this cycle, is reported in
:attr:`RefreshOutcome.problems`, and the caller goes on with the bars already stored. The next cycle
simply asks again from the last stored bar, so nothing is lost, only late.

Not covered: a bar the source revises after it was stored is not fetched again (the store keeps the first
version), and a bar the source publishes after a LATER bar of the same symbol was stored is never asked for
(with IEX, a missing bar is almost always five minutes without a trade, not a late bar).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

import pandas as pd

from avwap.core.calendar import ny_date, nyse
from avwap.core.errors import AvwapError, CalendarError
from avwap.data.bars import FREQUENCY_MINUTES
from avwap.data.refresh_outcome import RefreshOutcome

if (
    TYPE_CHECKING
):  # pyarrow (the store) is imported when bars are first written, not by `avwap execute`'s start
    from avwap.data.store import BarStore
    from avwap.data.sync import BarSource

LOGGER: Final = logging.getLogger(__name__)
BATCH_SIZE: Final = 100


def last_closed_start(now: dt.datetime, bar_length: dt.timedelta) -> dt.datetime | None:
    """The start of the latest regular-session bar of today that has closed by ``now`` (None: none yet)."""
    day = ny_date(now)
    calendar = nyse()
    try:
        if not calendar.is_session(day):
            return None
    except CalendarError:
        return None
    session_open, session_close = calendar.session_open(day), calendar.session_close(day)
    end = min(now, session_close)
    if end < session_open + bar_length:
        return None
    return session_open + ((end - session_open) // bar_length - 1) * bar_length


class IntradayRefresher:
    """Writes a source's newly closed intraday bars through to a :class:`BarStore` (module docstring)."""

    def __init__(
        self,
        store: BarStore,
        source_factory: Callable[[], BarSource],
        frequency: str = "5m",
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.store = store
        self.frequency = frequency
        self.bar_length = dt.timedelta(minutes=FREQUENCY_MINUTES[frequency])
        self.batch_size = batch_size
        self._factory = source_factory
        self._source: BarSource | None = None

    def source(self) -> BarSource:
        """The source, built on first use (a failure to build is retried by the next refresh)."""
        if self._source is None:
            self._source = self._factory()
        return self._source

    def plan(self, symbols: Sequence[str], now: dt.datetime) -> dict[dt.datetime, list[str]]:
        """First bar start still missing -> the symbols missing it (only symbols behind ``now``)."""
        last = last_closed_start(now, self.bar_length)
        if last is None or not symbols:
            return {}
        session_open = nyse().session_open(ny_date(now))
        stored = self.store.read(self.frequency, symbols=symbols, start=ny_date(now), end=ny_date(now))
        newest = {
            str(symbol): pd.Timestamp(stamp).to_pydatetime()
            for symbol, stamp in stored.groupby("symbol")["timestamp"].max().items()
        }
        groups: dict[dt.datetime, list[str]] = {}
        for symbol in sorted(set(symbols)):
            first = newest[symbol] + self.bar_length if symbol in newest else session_open
            if first <= last:
                groups.setdefault(first.astimezone(dt.UTC), []).append(symbol)
        return groups

    def refresh(self, symbols: Sequence[str], now: dt.datetime) -> RefreshOutcome:
        """Fetch and store the bars each of ``symbols`` lacks, up to the last bar closed by ``now``."""
        wanted = tuple(sorted({symbol.upper() for symbol in symbols}))
        groups = self.plan(wanted, now)
        last = last_closed_start(now, self.bar_length)
        if last is None:
            return RefreshOutcome(wanted)
        fetched: list[str] = []
        written = rejected = 0
        for first in sorted(groups):
            members = groups[first]
            for offset in range(0, len(members), self.batch_size):
                chunk = members[offset : offset + self.batch_size]
                try:
                    frame = self.source().fetch(chunk, self.frequency, first, last).frame
                except AvwapError as error:
                    LOGGER.warning("intraday refresh failed for %d symbols: %s", len(chunk), error)
                    problem = f"{type(error).__name__}: {error}"
                    return RefreshOutcome(wanted, tuple(fetched), written, rejected, (problem,))
                fetched.extend(chunk)
                stored, dropped = self._write(frame, first, now)
                written, rejected = written + stored, rejected + dropped
        return RefreshOutcome(wanted, tuple(fetched), written, rejected)

    def _write(self, frame: pd.DataFrame, first: dt.datetime, now: dt.datetime) -> tuple[int, int]:
        """Store the closed, regular-session bars at or after ``first``; (rows written, rows rejected)."""
        from avwap.data.bar_time import instants_ns, regular_session_mask
        from avwap.data.validation import validate_bars

        if frame.empty:
            return 0, 0
        validation = validate_bars(frame)
        rejected = len(validation.quarantined)
        if rejected:
            LOGGER.warning(
                "intraday refresh rejected %d invalid bars: %s", rejected, validation.reason_counts
            )
        bars = validation.bars
        starts = instants_ns(bars["timestamp"])
        length = int(pd.Timedelta(self.bar_length).value)
        keep = (starts + length <= _ns(now)) & (starts >= _ns(first))
        keep &= regular_session_mask(starts, self.frequency)
        self.store.write(bars.loc[keep], self.frequency)
        return int(keep.sum()), rejected


def _ns(moment: dt.datetime) -> int:
    return int(pd.Timestamp(moment).value)
