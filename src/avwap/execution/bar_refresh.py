"""The seam through which a cycle's market data is brought up to date before the cycle looks at it.

:class:`BarRefresher` is the protocol. Two implementations:

* :class:`avwap.data.intraday_refresh.IntradayRefresher` over Alpaca (:func:`alpaca_refresher`): what
  ``avwap execute`` uses in every mode that reads the bar store (DRY_RUN, ALPACA_PAPER, LIVE) unless
  ``INTRADAY_REFRESH=off``. It writes newly closed 5-minute bars of the watched symbols to the store, which
  the :class:`~avwap.execution.market_data.StoreMarketLoader` then reads.
* :class:`NoRefresh`, its in-memory twin: nothing to fetch. The demo and the backtest hold the whole market
  in memory (:class:`~avwap.execution.market_data.FrameMarketData`, which only shows bars closed by the
  simulated now), and ``INTRADAY_REFRESH=off`` means another process keeps the store current.

Either way the cycle then sees the same :class:`~avwap.execution.market_data.MarketData`, and the same
data-freshness check (:mod:`avwap.execution.data_freshness`) decides whether entries may use it.

:func:`refresh_safely` is the only way the loop calls a refresher: a failing feed (or a bug in the refresh)
is logged and reported in the outcome, never raised, so the cycle goes on with the bars already stored.
Alpaca's SDK is imported only when the first refresh builds its client (``avwap execute`` starts fast).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, Protocol

from avwap.core.config import Config
from avwap.data.refresh_outcome import RefreshOutcome

if TYPE_CHECKING:
    from avwap.data.intraday_refresh import IntradayRefresher
    from avwap.data.sync import BarSource

LOGGER: Final = logging.getLogger("avwap.execution.bar_refresh")
# The loop must not hang on the feed: one SDK retry on 429/504, a short timeout (a cycle is 5 minutes).
LOOP_TIMEOUT_SECONDS: Final = 10.0
LOOP_RETRY_ATTEMPTS: Final = 1
LOOP_RETRY_WAIT_SECONDS: Final = 1.0


class BarRefresher(Protocol):
    def refresh(self, symbols: Sequence[str], now: dt.datetime) -> RefreshOutcome:
        """Bring the intraday bars of ``symbols`` up to the last bar closed by ``now``."""
        ...


class NoRefresh:
    """Nothing to fetch: the bars are already where the market data reads them (module docstring)."""

    def refresh(self, symbols: Sequence[str], now: dt.datetime) -> RefreshOutcome:
        return RefreshOutcome(tuple(sorted(set(symbols))))


def alpaca_refresher(config: Config) -> IntradayRefresher:
    """The Alpaca refresher of ``config`` (keys, ``ALPACA_DATA_URL``, ``ALPACA_DATA_FEED``) over its store."""

    def build() -> BarSource:
        from avwap.data.alpaca_source import AlpacaBarSource, settings_from_config

        settings = settings_from_config(
            config,
            timeout_seconds=LOOP_TIMEOUT_SECONDS,
            retry_attempts=LOOP_RETRY_ATTEMPTS,
            retry_wait_seconds=LOOP_RETRY_WAIT_SECONDS,
        )
        return AlpacaBarSource(settings)

    from avwap.data.intraday_refresh import IntradayRefresher  # pandas: only once a refresher is built
    from avwap.data.store import BarStore

    return IntradayRefresher(BarStore(config.data_dir), build)


class LazyRefresher:
    """Builds its refresher at the first refresh that has symbols: an idle day imports neither the bar
    store (pyarrow) nor alpaca-py, so ``avwap execute --once`` starts fast."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._built: BarRefresher | None = None

    def refresh(self, symbols: Sequence[str], now: dt.datetime) -> RefreshOutcome:
        if not symbols:
            return RefreshOutcome()
        if self._built is None:
            self._built = alpaca_refresher(self.config)
        return self._built.refresh(symbols, now)


def refresher_for(config: Config) -> BarRefresher:
    """``INTRADAY_REFRESH``: ``alpaca`` (the default) or ``off``."""
    return NoRefresh() if config.intraday_refresh == "off" else LazyRefresher(config)


def refresh_safely(refresher: BarRefresher, symbols: Sequence[str], now: dt.datetime) -> RefreshOutcome:
    """:meth:`BarRefresher.refresh`, with any exception turned into a reported problem."""
    try:
        return refresher.refresh(symbols, now)
    except Exception as error:  # a data-feed failure must never stop the loop (exits run every cycle)
        LOGGER.exception("intraday refresh failed")
        return RefreshOutcome(tuple(sorted(set(symbols))), problems=(f"{type(error).__name__}: {error}",))
