"""Universe liquidity metrics from the network (Alpaca daily bars), for symbols the bar store cannot measure.

Importing this module imports alpaca-py's market-data client (through :mod:`avwap.data.alpaca_source`), on
purpose: :mod:`avwap.data.universe` imports it only past the ``UNIVERSE_ALLOW_NETWORK`` guard, so a test can
prove that with the flag off no network code is even loaded (roadmap E1.2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from avwap.core.calendar import nyse
from avwap.core.config import Config
from avwap.data.alpaca_source import AlpacaBarSource, settings_from_config
from avwap.data.bar_time import instants_ns, regular_session_mask
from avwap.data.bars import NEW_YORK
from avwap.data.universe_metrics import SymbolMetrics, lookback_sessions, metrics_from_bars
from avwap.data.validation import validate_bars


class AlpacaMetricsProvider:
    """Fetches the lookback window of daily bars and measures them like the offline provider does."""

    def __init__(self, source: AlpacaBarSource) -> None:
        self._source = source

    def metrics(self, symbols: Sequence[str], as_of: dt.date, lookback: int) -> dict[str, SymbolMetrics]:
        if not symbols:
            return {}
        first, last = lookback_sessions(as_of, lookback)
        start = pd.Timestamp(first).tz_localize(NEW_YORK).to_pydatetime()
        fetched = self._source.fetch(symbols, "1d", start, nyse().session_close(last))
        frame = fetched.frame
        inside = regular_session_mask(instants_ns(frame["timestamp"]), "1d")
        bars = validate_bars(frame.loc[inside]).bars
        return metrics_from_bars(bars, as_of, lookback, source="network")


def provider_from_config(config: Config) -> AlpacaMetricsProvider:
    """The network provider configured by ``ALPACA_API_KEY``, ``ALPACA_SECRET_KEY``, ``ALPACA_DATA_URL``."""
    return AlpacaMetricsProvider(AlpacaBarSource(settings_from_config(config)))
