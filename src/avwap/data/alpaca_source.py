"""Historical bars from Alpaca's market-data API, through alpaca-py's ``StockHistoricalDataClient``.

The boundary: every SDK call goes through :meth:`AlpacaBarSource.fetch`, which maps errors exactly once:

* HTTP 408, 429 (once the SDK's own retries are spent), 5xx, timeouts and connection errors →
  :class:`BrokerUnavailableError` (try again later);
* any other HTTP refusal (401/403: keys or a feed the subscription does not cover; 422: a bad request) →
  :class:`DataError` carrying Alpaca's message;
* a response that does not parse → :class:`DataError`.

Retries: alpaca-py's ``RESTClient`` re-sends a request answered 429 or 504 ``retry_attempts`` times,
``retry_wait_seconds`` apart (it ignores ``Retry-After``); that is safe for these idempotent GETs. The
transport itself never retries, and every request has a timeout (``requests`` has none by default).

Pagination: the SDK follows ``next_page_token`` until the server stops sending one and merges the pages per
symbol; the server caps each page (10,000 bars, across all symbols of the request).

Conversion (:func:`to_bar_frame`): Alpaca labels bars by their START, in UTC. Daily bars carry the session's
midnight in New York (04:00Z in summer, 05:00Z in winter) and become the session date at 00:00 New York;
intraday bars are converted to New York. The frame is not validated here (that, and dropping bars outside the
regular session, is :mod:`avwap.data.sync`'s job); its ``line`` column is the bar's 1-based position in its
symbol's response, so a quarantined bar can be traced to the raw payload.

Hourly bars are not offered: Alpaca's are clock-aligned (09:00-10:00), the store's are Lean-aligned (09:30);
sync 5- or 10-minute bars and resample instead.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd
import pydantic
import requests

with warnings.catch_warnings():
    # alpaca.data imports alpaca.trading, whose websocket stream imports the deprecated websockets.legacy;
    # we never stream, and the test runner turns warnings into errors.
    warnings.filterwarnings("ignore", message="websockets.legacy is deprecated", category=DeprecationWarning)
    from alpaca.common.exceptions import APIError
    from alpaca.data.enums import Adjustment, DataFeed
    from alpaca.data.historical.stock import StockHistoricalDataClient
    from alpaca.data.requests import StockBarsRequest
    from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

from avwap.core.config import Config
from avwap.core.errors import AvwapError, BrokerUnavailableError, ConfigurationError, DataError
from avwap.core.http import mount_timeout
from avwap.data.bars import BAR_COLUMNS, NEW_YORK, PRICE_COLUMNS

TIMEFRAMES: Final = {
    "1d": TimeFrame(1, TimeFrameUnit.Day),
    "1m": TimeFrame(1, TimeFrameUnit.Minute),
    "5m": TimeFrame(5, TimeFrameUnit.Minute),
    "10m": TimeFrame(10, TimeFrameUnit.Minute),
}
UNAVAILABLE_STATUSES: Final = frozenset({408, 429})
RAW_FIELDS: Final = {"open": "o", "high": "h", "low": "l", "close": "c", "volume": "v"}


@dataclass(frozen=True)
class AlpacaDataSettings:
    """Connection settings of the market-data client; the keys never appear in ``repr``."""

    api_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    url_override: str | None = None
    feed: str = "iex"
    adjustment: str = "split"
    timeout_seconds: float = 30.0
    retry_attempts: int = 3
    retry_wait_seconds: float = 3.0
    retry_codes: tuple[int, ...] = (429, 504)

    def __post_init__(self) -> None:
        if self.feed not in {feed.value for feed in DataFeed}:
            choices = ", ".join(feed.value for feed in DataFeed)
            raise ConfigurationError("ALPACA_DATA_FEED", f"expected one of {choices}, got {self.feed!r}")
        if self.adjustment not in {item.value for item in Adjustment}:
            choices = ", ".join(item.value for item in Adjustment)
            raise ConfigurationError("adjustment", f"expected one of {choices}, got {self.adjustment!r}")


def settings_from_config(config: Config, **overrides: Any) -> AlpacaDataSettings:
    """Settings from the one config (``ALPACA_API_KEY``, ``ALPACA_SECRET_KEY``, ``ALPACA_DATA_URL``, ...)."""
    values: dict[str, Any] = {
        "api_key": config.alpaca_api_key,
        "secret_key": config.alpaca_secret_key,
        "url_override": config.alpaca_data_url or None,
        "feed": config.alpaca_data_feed or "iex",
    }
    values.update(overrides)
    return AlpacaDataSettings(**values)


@dataclass(frozen=True)
class FetchedBars:
    """One request's bars: ``frame`` (canonical columns + ``line``, not validated) and the raw payload."""

    frame: pd.DataFrame
    raw: Mapping[str, Sequence[Mapping[str, Any]]]
    symbols_without_data: tuple[str, ...]


def map_data_error(error: Exception) -> AvwapError:
    """Map an exception raised inside alpaca-py / requests to our error tree."""
    if isinstance(error, APIError):
        status = error.status_code
        message = str(error)[:300]
        if status is None or status in UNAVAILABLE_STATUSES or status >= 500:
            return BrokerUnavailableError(f"Alpaca market data unavailable (HTTP {status}): {message}")
        return DataError(f"Alpaca market data refused the request (HTTP {status}): {message}")
    if isinstance(error, requests.RequestException):
        return BrokerUnavailableError(f"Alpaca market data unreachable: {type(error).__name__}: {error}")
    if isinstance(error, pydantic.ValidationError | ValueError | KeyError | TypeError | AttributeError):
        return DataError(f"Alpaca market data response did not parse: {type(error).__name__}: {error}")
    raise TypeError(f"not an Alpaca boundary error: {error!r}") from error


def to_bar_frame(raw: Mapping[str, Sequence[Mapping[str, Any]]], frequency: str) -> pd.DataFrame:
    """Canonical columns (+ ``line``) from Alpaca's raw ``{symbol: [{t, o, h, l, c, v, ...}]}`` payload."""
    symbols: list[str] = []
    lines: list[int] = []
    values: dict[str, list[Any]] = {"timestamp": [], **{column: [] for column in RAW_FIELDS}}
    for symbol in sorted(raw):
        for line, bar in enumerate(raw[symbol] or (), start=1):
            symbols.append(symbol.upper())
            lines.append(line)
            values["timestamp"].append(bar.get("t"))
            for column, key in RAW_FIELDS.items():
                values[column].append(bar.get(key))
    raw_stamps = pd.Series(values["timestamp"], dtype=object)
    stamps = pd.to_datetime(raw_stamps, utc=True, errors="coerce", format="ISO8601")  # bad text: NaT
    stamps = stamps.dt.tz_convert(NEW_YORK)
    if frequency == "1d":
        stamps = stamps.dt.normalize()  # the session's midnight in New York, whatever UTC hour Alpaca used
    frame = pd.DataFrame({"symbol": pd.Series(symbols, dtype=object), "timestamp": stamps})
    for column in (*PRICE_COLUMNS, "volume"):
        frame[column] = pd.to_numeric(pd.Series(values[column], dtype=object), errors="coerce").astype(
            "float64"
        )
    frame["line"] = pd.Series(lines, dtype="int64")
    return frame[[*BAR_COLUMNS, "line"]]


class AlpacaBarSource:
    """Bars for many symbols per request from Alpaca's ``/v2/stocks/bars``."""

    def __init__(self, settings: AlpacaDataSettings) -> None:
        self.settings = settings
        try:
            client = StockHistoricalDataClient(
                settings.api_key, settings.secret_key, raw_data=True, url_override=settings.url_override
            )
        except ValueError as error:
            raise ConfigurationError("ALPACA_API_KEY", f"Alpaca market data needs keys: {error}") from None
        # RESTClient's retry knobs are constructor arguments that StockHistoricalDataClient does not forward.
        client._retry = settings.retry_attempts
        client._retry_wait = settings.retry_wait_seconds  # type: ignore[assignment]
        client._retry_codes = list(settings.retry_codes)
        mount_timeout(client._session, settings.timeout_seconds)
        self._client = client

    @property
    def name(self) -> str:
        """Identifies the data (feed and adjustment) in quarantine records and run ids."""
        return f"alpaca:{self.settings.feed}:{self.settings.adjustment}"

    def close(self) -> None:
        self._client._session.close()

    def fetch(
        self, symbols: Sequence[str], frequency: str, start: dt.datetime, end: dt.datetime
    ) -> FetchedBars:
        """Bars of ``symbols`` whose start lies in ``[start, end]`` (aware instants), all pages."""
        if frequency not in TIMEFRAMES:
            raise DataError(f"Alpaca sync supports {sorted(TIMEFRAMES)}, not {frequency!r}")
        wanted = sorted({symbol.upper() for symbol in symbols})
        request = StockBarsRequest(
            symbol_or_symbols=wanted,
            timeframe=TIMEFRAMES[frequency],
            start=start,
            end=end,
            adjustment=Adjustment(self.settings.adjustment),
            feed=DataFeed(self.settings.feed),
        )
        try:
            raw = self._client.get_stock_bars(request)
            if not isinstance(raw, Mapping):
                raise TypeError(f"expected a mapping of symbol to bars, got {type(raw).__name__}")
            frame = to_bar_frame(raw, frequency)
        except (
            APIError,
            requests.RequestException,
            pydantic.ValidationError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,  # the SDK walks the payload: {"bars": "text"} fails inside it
        ) as error:
            raise map_data_error(error) from error
        without = tuple(symbol for symbol in wanted if not raw.get(symbol))
        return FetchedBars(frame, raw, without)
