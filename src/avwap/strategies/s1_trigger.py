"""S1_AVWAP_CORE entry trigger: breakout-and-hold on closed 10-minute bars (pure).

Rule (DESIGN.md §7): one closed 10-minute bar closes above the entry level and the *next* closed bar does not
close below it. Decisions use closed bars only, never a forming one. Signals are accepted only when the hold
bar closes inside the entry window, 09:45 to 15:30 New York time; on an early-close day the window ends 30
minutes before the close (12:30 on a 13:00 close).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from avwap.core.calendar import nyse

if TYPE_CHECKING:  # numpy and pandas are imported where bars are read: an idle cycle never needs them
    import numpy as np
    import pandas as pd

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


def ten_minute_closes(session_bars: pd.DataFrame, now: dt.datetime) -> tuple[np.ndarray, np.ndarray]:
    """Closes and end instants (ns, UTC) of the closed 10-minute bars of one symbol-session.

    Vectorized equivalent of ``closed_bars(resample_session(bars, 10), 10, now)``: bars are bucketed by
    their offset from the session open; a bucket's close is its last bar's close; a bucket is closed when
    its end (capped at the session close) is at or before ``now``.
    """
    import numpy as np

    stamps = session_bars["timestamp"].dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]").astype(np.int64)
    day = session_bars["timestamp"].iloc[0].date()
    session = nyse().session(day)
    open_ns = _ns(session.open)
    step = TRIGGER_MINUTES * 60 * 1_000_000_000
    buckets = (stamps - open_ns) // step
    last_of_bucket = np.flatnonzero(np.append(buckets[1:] != buckets[:-1], True))
    closes = session_bars["close"].to_numpy(dtype=np.float64)[last_of_bucket]
    ends = np.minimum(open_ns + (buckets[last_of_bucket] + 1) * step, _ns(session.close))
    closed = ends <= _ns(now)
    return closes[closed], ends[closed]


def _ns(moment: dt.datetime) -> int:
    import pandas as pd

    return int(pd.Timestamp(moment).value)


def find_entry(
    symbol: str, session_bars: pd.DataFrame, entry_level: float, now: dt.datetime
) -> EntrySignal | None:
    """The first breakout-and-hold in ``session_bars`` (one symbol, one session, any bar length ≤ 10 minutes)
    that is confirmed by ``now`` inside the entry window, or None."""
    import numpy as np
    import pandas as pd

    if session_bars.empty or not entry_level > 0:
        return None
    closes, ends = ten_minute_closes(session_bars, now)
    if len(closes) < 2:
        return None
    day = session_bars["timestamp"].iloc[0].date()
    window_start, window_end = (_ns(moment) for moment in entry_window(day))
    breakout = closes[:-1] > entry_level
    hold = closes[1:] >= entry_level
    confirmed = ends[1:]
    eligible = breakout & hold & (confirmed >= window_start) & (confirmed <= window_end)
    hits = np.flatnonzero(eligible)
    if not hits.size:
        return None
    index = int(hits[0])
    step = pd.Timedelta(minutes=TRIGGER_MINUTES)
    breakout_end = pd.Timestamp(int(ends[index]), tz="UTC")
    return EntrySignal(
        symbol=symbol,
        decided_at=pd.Timestamp(int(confirmed[index]), tz="UTC").to_pydatetime(),
        entry_level=entry_level,
        breakout_bar_start=(breakout_end - step).to_pydatetime(),
        breakout_close=float(closes[index]),
        hold_close=float(closes[index + 1]),
    )
