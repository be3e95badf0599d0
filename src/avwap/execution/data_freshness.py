"""The intraday data-freshness check of a cycle: which watched symbols have no recent closed bar.

While the regular session is open, a watched symbol is STALE when its newest closed intraday bar ended more
than ``INTRADAY_MAX_LAG_MINUTES`` ago (before its first bar of the day, the lag counts from the open; bars
that cannot be read count as stale: fail closed). For a stale symbol:

* new entries are not considered this cycle (deferred, not rejected: a REJECT is final for the day, a feed
  outage of a few minutes should not be) and an intent that reaches the control plane anyway (a pending
  intent completed after a crash) is rejected there with ``INTRADAY_DATA_STALE``;
* stops and exits are untouched: they keep being managed from the last known bars;
* the cycle notes ``intraday_data_stale`` with the symbols and their newest bar, and alerts once per cycle
  (throttled downstream) naming them.

Feed failures the refresher reported (``deps.data_problems``) are noted as ``market_data_unavailable``
events here too, so they reach the cycle report and the alerts.

Caveat (documented in the RUNBOOK): with the IEX feed, thinly traded symbols can go 15 minutes without a
trade and so without a bar; such a symbol is stale by this rule. Use the SIP feed or a larger lag.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Final

from avwap.control import reasons
from avwap.core.calendar import ny_date, nyse
from avwap.core.errors import DataError
from avwap.execution.context import CycleDependencies, CycleFacts
from avwap.execution.events import IntradayDataStale, MarketDataUnavailable
from avwap.execution.watched import cycle_watched_symbols

if TYPE_CHECKING:  # market_data imports pandas: an idle cycle never needs it
    from avwap.execution.market_protocol import MarketData

LOGGER: Final = logging.getLogger("avwap.execution.data_freshness")


def newest_closed_bar_end(
    market: MarketData, symbol: str, day: dt.date, now: dt.datetime
) -> dt.datetime | None:
    """The end of ``symbol``'s newest bar closed by ``now``; a read failure is logged and treated as none."""
    try:
        return market.newest_bar_end(symbol, day, now)
    except DataError:
        LOGGER.exception("cannot read the intraday bars of %s", symbol)
        return None


def stale_symbols(
    market: MarketData, symbols: tuple[str, ...], now: dt.datetime, max_lag: dt.timedelta
) -> dict[str, dt.datetime | None]:
    """Stale symbols of ``symbols`` at ``now`` (an instant of an open session) -> their newest bar end."""
    today = ny_date(now)
    session_open = nyse().session_open(today)
    stale: dict[str, dt.datetime | None] = {}
    for symbol in symbols:
        newest = newest_closed_bar_end(market, symbol, today, now)
        if now - (newest or session_open) > max_lag:
            stale[symbol] = newest
    return stale


def check_market_data(deps: CycleDependencies, facts: CycleFacts) -> None:
    """Note the refresher's problems and the stale watched symbols of this cycle (module docstring)."""
    for problem in deps.data_problems:
        facts.note(MarketDataUnavailable(problem))
    if not facts.market_open:
        return
    max_lag = dt.timedelta(minutes=deps.config.intraday_max_lag_minutes)
    symbols = cycle_watched_symbols(deps, facts.today)
    stale = stale_symbols(deps.market, symbols, facts.now, max_lag)
    if not stale:
        return
    facts.stale_data = tuple(sorted(stale))
    facts.note(
        IntradayDataStale(
            symbols=facts.stale_data,
            newest=tuple(
                (symbol, None if end is None else end.isoformat()) for symbol, end in sorted(stale.items())
            ),
            reasons=(reasons.INTRADAY_DATA_STALE,),
        )
    )
