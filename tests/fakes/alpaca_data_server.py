"""A small fake of Alpaca's market-data API (v2) on 127.0.0.1, for the real alpaca-py data client.

Route: ``GET /v2/stocks/bars`` with ``symbols``, ``timeframe`` (``1Day``, ``5Min``, ...), ``start``, ``end``,
``limit``, ``page_token``, ``adjustment`` and ``feed``, answered like the real API so alpaca-py parses it:

* ``{"bars": {"AAPL": [{"t", "o", "h", "l", "c", "v", "n", "vw"}]}, "next_page_token": ..., "currency"}``;
  bars sorted by symbol then time; symbols without bars in the window are absent from ``bars``;
* ``limit`` caps the bars of one page across all symbols (the server caps it again at ``max_page_size``);
  ``next_page_token`` is opaque (base64 of ``SYMBOL|t`` of the last bar sent) and continues after that bar;
* ``start``/``end`` are inclusive RFC-3339 instants; bars are kept per (timeframe, adjustment);
* the key headers must match (401 otherwise); an unknown feed, adjustment or timeframe is a 422.

Test helpers: :meth:`FakeAlpacaData.add_frame` (a canonical bar frame), :meth:`queue_fault` (429 with
Retry-After, 403, 500, a malformed 200, a slow answer), :meth:`request_count` and :attr:`requests` (the parsed
query of every request), and :func:`make_bars` (deterministic valid daily bars to serve). With a ``clock``,
intraday bars are served progressively: only bars that have closed by the clock's now (``t + length``), as
the real API serves a session in progress.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest

from avwap.core.calendar import nyse
from avwap.core.clock import Clock
from avwap.data.alpaca_source import AlpacaDataSettings
from avwap.data.bars import FREQUENCY_MINUTES, normalize_bars
from tests.fakes.loopback import serving

API_KEY = "fake-data-key"
SECRET_KEY = "fake-data-secret"
ROUTE = "GET /v2/stocks/bars"
FEEDS = frozenset({"iex", "sip", "delayed_sip", "otc", "boats", "overnight"})
ADJUSTMENTS = frozenset({"raw", "split", "dividend", "all"})
TIMEFRAMES = {"1Day": "1d", "1Min": "1m", "5Min": "5m", "10Min": "10m"}
Reply = tuple[int, dict[str, str], Any]


@dataclass(frozen=True)
class Fault:
    """One scripted answer that replaces the next request's real answer."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0

    @classmethod
    def rate_limited(cls, retry_after: int = 1) -> Fault:
        return cls(429, {"code": 42910000, "message": "too many requests"}, {"Retry-After": str(retry_after)})

    @classmethod
    def forbidden(cls, message: str = "subscription does not permit querying recent SIP data") -> Fault:
        return cls(403, {"code": 40310000, "message": message})

    @classmethod
    def server_error(cls) -> Fault:
        return cls(500, {"code": 50010000, "message": "internal server error"})

    @classmethod
    def malformed(cls) -> Fault:
        """A 200 whose bars do not parse (prices that are not numbers, no time)."""
        return cls(200, {"bars": {"AAA": [{"o": "x"}]}, "next_page_token": None})

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """A 500 after ``seconds``: past a client timeout shorter than that, the client sees a timeout."""
        return cls(500, {"code": 50010000, "message": "slow"}, delay_seconds=seconds)


def _utc_text(moment: pd.Timestamp) -> str:
    return moment.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _instant_text(text: str) -> str:
    """An RFC-3339 instant as the bars' ``t`` text, so that windows compare as strings (fast)."""
    moment = pd.Timestamp(text)
    return _utc_text(moment if moment.tzinfo else moment.tz_localize("UTC"))


def _token(symbol: str, stamp: str) -> str:
    return base64.urlsafe_b64encode(f"{symbol}|{stamp}".encode()).decode()


def _untoken(token: str) -> tuple[str, str]:
    symbol, stamp = base64.urlsafe_b64decode(token.encode()).decode().split("|", 1)
    return symbol, stamp


def _error(status: int, message: str) -> Reply:
    return status, {}, {"code": status * 100000, "message": message}


class FakeAlpacaData:
    """The fake's state and request handling (thread-safe)."""

    def __init__(
        self,
        max_page_size: int = 10_000,
        clock: Clock | None = None,
        keys: tuple[str, str] = (API_KEY, SECRET_KEY),
    ) -> None:
        self.url = ""
        self.max_page_size = max_page_size
        self.clock = clock
        self.keys = keys
        self.bars: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self.faults: collections.deque[Fault] = collections.deque()
        self.requests: list[dict[str, str]] = []
        self.handler_errors: list[str] = []
        self._lock = threading.RLock()

    # ----------------------------------------------------------- test helpers

    def add_frame(self, frame: pd.DataFrame, timeframe: str = "1Day", adjustment: str = "split") -> None:
        """Serve the bars of a canonical frame; daily bars are stamped at New York midnight in UTC like
        Alpaca's (04:00Z or 05:00Z). A bar with the same symbol and time replaces the one served before."""
        with self._lock:
            for symbol, group in frame.groupby("symbol", sort=True):
                key = (timeframe, adjustment, str(symbol))
                served = {bar["t"]: bar for bar in self.bars.get(key, [])}
                for row in group.itertuples(index=False):
                    stamp = _utc_text(pd.Timestamp(row.timestamp))
                    served[stamp] = {
                        "t": stamp, "o": row.open, "h": row.high, "l": row.low, "c": row.close,
                        "v": row.volume, "n": 100, "vw": round((row.high + row.low + row.close) / 3, 4),
                    }  # fmt: skip
                self.bars[key] = [served[stamp] for stamp in sorted(served)]

    def queue_fault(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def first_page_symbols(self) -> list[list[str]]:
        """The symbols of every request that started a query (no page token), in order."""
        with self._lock:
            return [query["symbols"].split(",") for query in self.requests if "page_token" not in query]

    # ------------------------------------------------------------- handling

    def handle(self, method: str, target: str, headers: dict[str, str]) -> Reply:
        parts = urlsplit(target)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        with self._lock:
            self.requests.append(query)
            if (headers.get("apca-api-key-id"), headers.get("apca-api-secret-key")) != self.keys:
                return _error(401, "unauthorized.")
            fault = self.faults.popleft() if self.faults else None
        if fault is not None:
            time.sleep(fault.delay_seconds)
            return fault.status, fault.headers, fault.body
        with self._lock:
            if f"{method} {parts.path}" != ROUTE:
                return _error(404, "not found")
            return self._bars(query)

    def _bars(self, query: dict[str, str]) -> Reply:
        feed, adjustment = query.get("feed", "sip"), query.get("adjustment", "raw")
        timeframe = query.get("timeframe", "")
        if feed not in FEEDS or adjustment not in ADJUSTMENTS or timeframe not in TIMEFRAMES:
            return _error(422, f"invalid feed, adjustment or timeframe: {feed}, {adjustment}, {timeframe}")
        if not query.get("symbols"):
            return _error(422, "missing symbols")
        start = _instant_text(query["start"]) if "start" in query else ""
        end = _instant_text(query["end"]) if "end" in query else "9999"
        if self.clock is not None and timeframe != "1Day":  # only bars closed by now exist yet
            length = pd.Timedelta(minutes=FREQUENCY_MINUTES[TIMEFRAMES[timeframe]])
            end = min(end, _utc_text(pd.Timestamp(self.clock.now()) - length))
        flat = [
            (symbol, bar)
            for symbol in sorted(set(query["symbols"].split(",")))
            for bar in self.bars.get((timeframe, adjustment, symbol), [])
            if start <= bar["t"] <= end
        ]
        offset = 0
        if query.get("page_token"):
            last = _untoken(query["page_token"])
            offset = next(index for index, (symbol, bar) in enumerate(flat) if (symbol, bar["t"]) == last) + 1
        limit = min(int(query.get("limit", self.max_page_size)), self.max_page_size)
        page = flat[offset : offset + limit]
        grouped: dict[str, list[dict[str, Any]]] = {}
        for symbol, bar in page:
            grouped.setdefault(symbol, []).append(bar)
        more = offset + limit < len(flat)
        token = _token(page[-1][0], page[-1][1]["t"]) if more and page else None
        return 200, {}, {"bars": grouped, "next_page_token": token, "currency": "USD"}


class _Handler(BaseHTTPRequestHandler):
    server: _FakeServer

    def do_GET(self) -> None:
        headers = {key.lower(): value for key, value in self.headers.items()}
        status, extra_headers, payload = self.server.fake.handle(self.command, self.path, headers)
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            for key, value in extra_headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out first: exactly what a slow fault wanted

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging."""


class _FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeAlpacaData) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        import traceback

        self.fake.handler_errors.append(traceback.format_exc())


@contextmanager
def running_fake_alpaca_data(
    max_page_size: int = 10_000, clock: Clock | None = None, keys: tuple[str, str] = (API_KEY, SECRET_KEY)
) -> Iterator[FakeAlpacaData]:
    """Start the fake on a free 127.0.0.1 port; stop it (and join its thread) on exit."""
    fake = FakeAlpacaData(max_page_size, clock, keys)
    with serving(_FakeServer(fake)) as url:
        fake.url = url
        yield fake
    assert not fake.handler_errors, fake.handler_errors


def data_settings(fake: FakeAlpacaData, **overrides: Any) -> AlpacaDataSettings:
    """Settings pointing at ``fake`` with test-sized retry wait and timeout."""
    values: dict[str, Any] = {
        "api_key": API_KEY,
        "secret_key": SECRET_KEY,
        "url_override": fake.url,
        "timeout_seconds": 5.0,
        "retry_wait_seconds": 0.01,
    }
    values.update(overrides)
    return AlpacaDataSettings(**values)


@pytest.fixture(name="alpaca_data_server")
def alpaca_data_server_fixture() -> Iterator[FakeAlpacaData]:
    """A running fake Alpaca market-data API at ``alpaca_data_server.url``."""
    with running_fake_alpaca_data() as fake:
        yield fake


def utc_day_label(day: dt.date) -> str:
    """How Alpaca stamps the daily bar of ``day``: New York midnight in UTC."""
    return _utc_text(pd.Timestamp(day).tz_localize("America/New_York"))


def make_bars(symbols: Sequence[str], first: dt.date, last: dt.date, seed: int = 7) -> pd.DataFrame:
    """Deterministic, valid daily bars (cents) on every NYSE session in [first, last]."""
    rng = np.random.default_rng(seed)
    days = nyse().sessions(first, last)
    frames = []
    for symbol in symbols:
        close = np.round(50 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days)))), 2)
        open_ = np.round(close * (1 + rng.normal(0, 0.004, len(days))), 2)
        high = np.round(np.maximum(open_, close) + rng.integers(1, 50, len(days)) / 100, 2)
        low = np.round(np.minimum(open_, close) - rng.integers(1, 50, len(days)) / 100, 2)
        volume = rng.integers(500_000, 3_000_000, len(days)).astype("float64")
        frames.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "timestamp": [pd.Timestamp(day).tz_localize("America/New_York") for day in days],
                    "open": open_,
                    "high": high,
                    "low": low,
                    "close": close,
                    "volume": volume,
                }
            )
        )
    return normalize_bars(pd.concat(frames, ignore_index=True))
