"""A read-only view of a book at its broker: account, positions, open orders (stops included) and fills.

Reconciliation and reporting read the broker's truth through :class:`BrokerView`, which has no way to
change anything: the protocol has no submit, replace or cancel, and neither implementation holds an object
that has them.

* :class:`AlpacaBrokerView` speaks to Alpaca's trading API through :class:`_GetOnlyTransport`, a
  ``requests`` session whose only transport adapter refuses every method but GET before a byte leaves the
  process. It holds no alpaca-py ``TradingClient`` (whose ``submit_order`` a caller could reach); responses
  are parsed by alpaca-py's models and translated, and errors mapped, by the helpers of
  :mod:`avwap.execution.alpaca_broker`, so both Alpaca adapters read the API the same way.
* :class:`SimBrokerView` reads a :class:`~avwap.execution.sim_broker.SimBroker` (the paper simulator and
  the backtest). It must hold the simulator to read it; its own type exposes only the four reads.

Errors: :class:`~avwap.core.errors.BrokerUnavailableError` (timeout, 5xx, unparsable answer) and
:class:`~avwap.core.errors.BrokerRejectedError` (other 4xx), exactly as the trading adapters raise them.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from typing import Any, Protocol, runtime_checkable

import pydantic
import requests
from alpaca.common.enums import BaseURL
from requests.adapters import HTTPAdapter

with warnings.catch_warnings():
    # As in alpaca_broker: alpaca.trading imports its websocket stream, which warns; we never stream.
    warnings.filterwarnings("ignore", message="websockets.legacy is deprecated", category=DeprecationWarning)
    from alpaca.common.exceptions import APIError
    from alpaca.trading import models as alpaca_models

from avwap.core.errors import BrokerError, BrokerUnavailableError
from avwap.execution import alpaca_broker as alpaca
from avwap.execution.broker import BrokerAccount, BrokerFill, BrokerOrder, BrokerPosition
from avwap.execution.sim_broker import SimBroker

READ_ONLY_METHOD = "GET"


@runtime_checkable
class BrokerView(Protocol):
    """What reconciliation reads from a book's broker; nothing here can change the account."""

    def account(self) -> BrokerAccount: ...

    def positions(self) -> list[BrokerPosition]:
        """Non-zero positions, sorted by symbol."""
        ...

    def open_orders(self) -> list[BrokerOrder]:
        """Orders that can still fill (protective stops included), by (submitted_at, client_order_id)."""
        ...

    def fills(self, since: dt.datetime | None) -> list[BrokerFill]:
        """Executions at or after ``since`` (all when ``None``), sorted by (timestamp, fill_id)."""
        ...


class ReadOnlyViolationError(BrokerError):
    """Something tried to send a request other than GET through a read-only broker view."""


class _GetOnlyAdapter(HTTPAdapter):
    """The session's only transport: GET with a default timeout; anything else is refused unsent."""

    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self._timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if request.method != READ_ONLY_METHOD:
            raise ReadOnlyViolationError(f"read-only broker view refused {request.method} {request.url}")
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


class _GetOnlyTransport:
    """GET requests to one Alpaca trading endpoint (``<base>/v2<path>``), with the SDK's retry rule for
    429/504 (harmless here: a GET changes nothing) and alpaca-py's ``APIError`` for HTTP errors."""

    def __init__(self, settings: alpaca.AlpacaSettings) -> None:
        base = settings.url_override or (BaseURL.TRADING_PAPER if settings.paper else BaseURL.TRADING_LIVE)
        self._base_url = f"{str(base).rstrip('/')}/v2"
        self._headers = {"APCA-API-KEY-ID": settings.api_key, "APCA-API-SECRET-KEY": settings.secret_key}
        self._retry_attempts = settings.retry_attempts
        self._retry_wait_seconds = settings.retry_wait_seconds
        self._retry_codes = frozenset(settings.retry_codes)
        session = requests.Session()
        adapter = _GetOnlyAdapter(settings.timeout_seconds)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._session = session

    def close(self) -> None:
        self._session.close()

    def get(self, path: str, query: dict[str, Any] | None = None) -> Any:
        """The decoded JSON body of ``GET <base>/v2<path>``; raises alpaca-py/requests errors unmapped."""
        attempts_left = self._retry_attempts
        while True:
            response = self._session.get(
                self._base_url + path, params=query, headers=self._headers, allow_redirects=False
            )
            try:
                response.raise_for_status()
            except requests.HTTPError as http_error:
                if response.status_code in self._retry_codes and attempts_left > 0:
                    attempts_left -= 1
                    time.sleep(self._retry_wait_seconds)
                    continue
                raise APIError(response.text, http_error) from None  # type: ignore[no-untyped-call]
            return response.json() if response.text else None


class AlpacaBrokerView:
    """:class:`BrokerView` on Alpaca's trading API, over GET requests only. Close it (or use ``with``)."""

    def __init__(self, settings: alpaca.AlpacaSettings) -> None:
        self._transport = _GetOnlyTransport(settings)
        self._fills_page_size = settings.fills_page_size
        self._open_orders_limit = settings.open_orders_limit
        self._client_ids: dict[str, str] = {}  # Alpaca order id -> our client order id (for fills)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> AlpacaBrokerView:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _get(self, path: str, query: dict[str, Any] | None = None) -> Any:
        try:
            return self._transport.get(path, query)
        except (APIError, requests.RequestException) as error:
            raise alpaca.map_alpaca_error(error) from error

    def _parsed(self, model: type[Any], raw: object) -> Any:
        try:
            return model(**raw) if isinstance(raw, dict) else None
        except pydantic.ValidationError as error:
            raise alpaca.map_alpaca_error(error) from error

    def _parsed_list(self, model: type[Any], raw: object) -> object:
        if not isinstance(raw, list):
            return raw  # the translation helper refuses it with the adapter's message
        return [self._parsed(model, item) for item in raw]

    def account(self) -> BrokerAccount:
        return alpaca.to_broker_account(self._parsed(alpaca_models.TradeAccount, self._get("/account")))

    def positions(self) -> list[BrokerPosition]:
        raw = self._parsed_list(alpaca_models.Position, self._get("/positions"))
        return alpaca.to_broker_positions(raw)

    def open_orders(self) -> list[BrokerOrder]:
        limit = self._open_orders_limit
        fields = alpaca.open_orders_query(limit).to_request_fields()
        query = {name: getattr(value, "value", value) for name, value in fields.items()}  # enums as text
        raw = self._parsed_list(alpaca_models.Order, self._get("/orders", query))
        orders = [self._order(item) for item in alpaca.checked_open_orders(raw, limit)]
        return sorted(orders, key=lambda order: (order.submitted_at, order.client_order_id))

    def fills(self, since: dt.datetime | None) -> list[BrokerFill]:
        activities = alpaca.read_fill_activities(self._get, since, self._fills_page_size)
        result = [alpaca.to_broker_fill(activity, self._client_order_id) for activity in activities]
        selected = [fill for fill in result if since is None or fill.timestamp >= since]
        return sorted(selected, key=lambda fill: (fill.timestamp, fill.fill_id))

    def _order(self, raw: object) -> BrokerOrder:
        if not isinstance(raw, alpaca_models.Order):
            raise BrokerUnavailableError(f"Alpaca returned {type(raw).__name__}, expected an order")
        order = alpaca.to_broker_order(raw)
        self._client_ids[order.broker_order_id] = order.client_order_id
        return order

    def _client_order_id(self, broker_order_id: str) -> str:
        known = self._client_ids.get(broker_order_id)
        if known is None:
            raw = self._get(f"/orders/{broker_order_id}")
            known = self._order(self._parsed(alpaca_models.Order, raw)).client_order_id
        return known


class SimBrokerView:
    """:class:`BrokerView` over the simulated broker: the same four reads, nothing else."""

    def __init__(self, broker: SimBroker) -> None:
        self.__broker = broker  # name-mangled: the view's surface is its four reads

    def account(self) -> BrokerAccount:
        return self.__broker.account()

    def positions(self) -> list[BrokerPosition]:
        return self.__broker.positions()

    def open_orders(self) -> list[BrokerOrder]:
        return self.__broker.open_orders()

    def fills(self, since: dt.datetime | None) -> list[BrokerFill]:
        return self.__broker.fills(since)
