"""S1_AVWAP_CORE entry trigger: breakout-and-hold on closed 10-minute bars (pure).

Rule (DESIGN.md §7): one closed 10-minute bar closes above the entry level and the *next* closed bar does not
close below it. Decisions use closed bars only, never a forming one. Signals are accepted only when the hold
bar closes inside the entry window, 09:45 to 15:30 New York time; on an early-close day the window ends 30
minutes before the close (12:30 on a 13:00 close).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import pandas as pd

from avwap.core.calendar import NEW_YORK, nyse
from avwap.data.resample import closed_bars, resample_session

TRIGGER_MINUTES: Final = 10
WINDOW_START_AFTER_OPEN: Final = dt.timedelta(minutes=15)
WINDOW_END_BEFORE_CLOSE: Final = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class EntrySignal:
    """A confirmed breakout-and-hold: the decision instant and the prices it was based on."""

    symbol: str
    decided_at: dt.datetime  # the hold bar's close (UTC)
    entry_level: float
    breakout_bar_start: dt.datetime
    breakout_close: float
    hold_close: float


def entry_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The [start, end] instants (UTC) within which a hold bar may confirm an entry on ``day``."""
    session = nyse().session(day)
    return session.open + WINDOW_START_AFTER_OPEN, session.close - WINDOW_END_BEFORE_CLOSE


def find_entry(
    symbol: str, session_bars: pd.DataFrame, entry_level: float, now: dt.datetime
) -> EntrySignal | None:
    """The first breakout-and-hold in ``session_bars`` (one symbol, one session, any bar length ≤ 10 minutes)
    that is confirmed by ``now`` inside the entry window, or None."""
    if session_bars.empty or not entry_level > 0:
        return None
    bars = closed_bars(resample_session(session_bars, TRIGGER_MINUTES), TRIGGER_MINUTES, now)
    if len(bars) < 2:
        return None
    day = bars["timestamp"].iloc[0].date()
    window_start, window_end = entry_window(day)
    closes = bars["close"].to_numpy()
    starts = bars["timestamp"].to_list()
    for index in range(len(bars) - 1):
        breakout, hold = closes[index], closes[index + 1]
        hold_end = (starts[index + 1] + pd.Timedelta(minutes=TRIGGER_MINUTES)).to_pydatetime()
        decided_at = min(hold_end, nyse().session_close(day).astimezone(NEW_YORK)).astimezone(dt.UTC)
        if decided_at > window_end:
            break
        if decided_at < window_start:
            continue
        if breakout > entry_level and hold >= entry_level:
            return EntrySignal(
                symbol=symbol,
                decided_at=decided_at,
                entry_level=entry_level,
                breakout_bar_start=starts[index].to_pydatetime().astimezone(dt.UTC),
                breakout_close=float(breakout),
                hold_close=float(hold),
            )
    return None
