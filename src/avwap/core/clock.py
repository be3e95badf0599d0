"""The only place avwap reads the wall clock.

Every component takes a :class:`Clock`. Production uses :class:`SystemClock`; tests use
:class:`FixedClock`; the demo and backtests use :class:`SimulatedClock`, which only moves when told to.
All instants are timezone-aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Source of the current instant."""

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware UTC."""
        ...


def _require_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("clock instants must be timezone-aware")
    return moment.astimezone(dt.UTC)


class SystemClock:
    """The real wall clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, for measuring durations only."""
        return time.monotonic()


class FixedClock:
    """A clock frozen at one instant."""

    def __init__(self, moment: dt.datetime) -> None:
        self._moment = _require_utc(moment)

    def now(self) -> dt.datetime:
        return self._moment


class SimulatedClock:
    """A clock that moves only when advanced; never backwards."""

    def __init__(self, start: dt.datetime) -> None:
        self._moment = _require_utc(start)

    def now(self) -> dt.datetime:
        return self._moment

    def advance(self, seconds: float) -> dt.datetime:
        """Move forward by ``seconds`` (must be non-negative) and return the new instant."""
        if seconds < 0:
            raise ValueError("a simulated clock cannot go backwards")
        self._moment = self._moment + dt.timedelta(seconds=seconds)
        return self._moment

    def set(self, moment: dt.datetime) -> dt.datetime:
        """Jump to ``moment`` (not earlier than now)."""
        target = _require_utc(moment)
        if target < self._moment:
            raise ValueError(f"a simulated clock cannot go backwards ({target} < {self._moment})")
        self._moment = target
        return self._moment
