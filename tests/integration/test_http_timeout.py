"""Both Alpaca clients (trading and market data) apply the configured HTTP timeout through the one shared
adapter (:mod:`avwap.core.http`): a server that accepts the request and never answers in time gives the
mapped "try again later" error within about the timeout, not a hang."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from requests.adapters import HTTPAdapter
from tests.fakes.loopback import serving

from avwap.core.errors import BrokerUnavailableError
from avwap.core.http import TimeoutAdapter
from avwap.data.alpaca_source import AlpacaBarSource, AlpacaDataSettings
from avwap.execution.alpaca_broker import AlpacaBroker, AlpacaSettings

TIMEOUT = 0.2
SERVER_DELAY = 5.0  # far longer than the timeout: a client without it would wait this long per attempt
RELEASE = threading.Event()


class _SlowHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        RELEASE.wait(SERVER_DELAY)
        try:
            self.send_response(504)
            self.end_headers()
        except OSError:
            pass  # the client gave up first: exactly what the test wants

    def log_message(self, *args: object) -> None:
        pass


class _SlowServer(ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture(name="slow_url")
def slow_url_fixture() -> Iterator[str]:
    RELEASE.clear()
    with serving(_SlowServer(("127.0.0.1", 0), _SlowHandler)) as url:
        yield url
        RELEASE.set()  # wake the sleeping handlers so the server shuts down at once


def _elapsed(action: object) -> float:
    started = time.perf_counter()
    with pytest.raises(BrokerUnavailableError):
        action()  # type: ignore[operator]
    return time.perf_counter() - started


def test_trading_client_times_out_quickly(slow_url: str) -> None:
    settings = AlpacaSettings(
        "key", "secret", url_override=slow_url, timeout_seconds=TIMEOUT, retry_attempts=0
    )
    with AlpacaBroker(settings) as broker:
        adapter = broker._client._session.get_adapter(slow_url)
        assert isinstance(adapter, TimeoutAdapter) and adapter.timeout == TIMEOUT
        assert _elapsed(broker.clock) < 2.0


def test_market_data_client_times_out_quickly(slow_url: str) -> None:
    settings = AlpacaDataSettings(
        "key", "secret", url_override=slow_url, timeout_seconds=TIMEOUT, retry_attempts=0
    )
    source = AlpacaBarSource(settings)
    try:
        adapter = source._client._session.get_adapter(slow_url)
        assert isinstance(adapter, TimeoutAdapter) and adapter.timeout == TIMEOUT
        start = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
        assert _elapsed(lambda: source.fetch(["AAA"], "1d", start, start + dt.timedelta(days=1))) < 2.0
    finally:
        source.close()


def test_an_explicit_timeout_wins_over_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def record(self: object, request: object, **kwargs: object) -> None:
        seen.update(kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", record)  # only the keyword handling is under test here
    adapter = TimeoutAdapter(TIMEOUT)
    adapter.send(object(), timeout=7.0)
    assert seen["timeout"] == 7.0
    adapter.send(object(), timeout=None)
    assert seen["timeout"] == TIMEOUT
