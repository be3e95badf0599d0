"""A read-only Schwab client (issue 13, M1-D, source 1): schwab-py, with only the read calls reachable.

Built with schwab-py's ``client_from_access_functions`` (its ``client_from_token_file`` with our token
reader and writer, so that a refreshed token is written atomically with mode 0600, see
:mod:`avwap.integrations.schwab.token_store`). Read-only is enforced twice:

1. :class:`ReadOnlySchwab` exposes four methods (account numbers, one account with its positions, orders
   and transactions of a window) and nothing else; the SDK client sits in a private slot;
2. a request hook on the SDK's HTTP session refuses, before anything leaves the process, every request
   that is not a ``GET`` (except the OAuth token refresh): even code that digs the SDK client out of the
   wrapper cannot place, replace or cancel an order (``tests/integration/test_schwab_snapshot_api.py``).

``SCHWAB_BASE_URL`` (tests only) sends the SDK's requests to another origin: schwab-py spells its URLs out
(``https://api.schwabapi.com``), so a second hook rewrites the origin of each request.

Failures map to the exception tree once, here: an OAuth refusal of the refresh token is
:class:`~avwap.integrations.schwab.token_store.SchwabTokenExpired`; 401/403 a
:class:`BrokerRejectedError`; timeouts, connection errors and 5xx :class:`BrokerUnavailableError`.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from typing import Any, Final

import httpx

from avwap.core.errors import BrokerRejectedError, BrokerUnavailableError, DataError
from avwap.integrations.schwab.token_store import SchwabTokenExpired, TokenFile

TOKEN_PATH: Final = "/v1/oauth/token"
TIMEOUT_SECONDS: Final = 20.0
READ_METHODS: Final = ("account_numbers", "account", "orders", "transactions")  # and close()


class ReadOnlyViolation(BrokerRejectedError):
    """Something tried to send a non-GET request through the read-only Schwab client."""


def refuse_writes(request: httpx.Request) -> None:
    """The request hook that keeps the client read-only (raises before the request is sent)."""
    if request.method != "GET" and not (request.method == "POST" and request.url.path == TOKEN_PATH):
        raise ReadOnlyViolation(
            f"refused {request.method} {request.url.path}: the Schwab client is read-only (issue 13 M1-D)"
        )


def redirect_to(base_url: str) -> Callable[[httpx.Request], None]:
    """A request hook that sends every request to ``base_url``'s origin (SCHWAB_BASE_URL, tests)."""
    target = httpx.URL(base_url)

    def redirect(request: httpx.Request) -> None:
        request.url = request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port)

    return redirect


class ReadOnlySchwab:
    """The four reads of a snapshot; see the module docstring."""

    __slots__ = ("_client",)

    def __init__(self, client: Any) -> None:
        self._client = client

    def close(self) -> None:
        """Close the SDK's HTTP session (its connections)."""
        self._client.session.close()

    def account_numbers(self) -> list[dict[str, Any]]:
        """``[{"accountNumber": ..., "hashValue": ...}]``: the hashes the other calls take."""
        body = self._call("get_account_numbers")
        if not isinstance(body, list):
            raise DataError("Schwab accountNumbers: expected a list")
        return body

    def account(self, account_hash: str) -> dict[str, Any]:
        """Balances and positions of one account."""
        fields = [self._client.Account.Fields.POSITIONS]
        body = self._call("get_account", account_hash, fields=fields)
        if not isinstance(body, dict):
            raise DataError("Schwab account: expected an object")
        return body

    def orders(self, account_hash: str, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
        """Orders entered between ``start`` and ``end`` (Schwab keeps 60 days)."""
        body = self._call(
            "get_orders_for_account", account_hash, from_entered_datetime=start, to_entered_datetime=end
        )
        if not isinstance(body, list):
            raise DataError("Schwab orders: expected a list")
        return body

    def transactions(self, account_hash: str, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
        """Trade transactions between ``start`` and ``end`` (Schwab keeps 60 days here too)."""
        trade = self._client.Transactions.TransactionType.TRADE
        body = self._call(
            "get_transactions", account_hash, start_date=start, end_date=end, transaction_types=[trade]
        )
        if not isinstance(body, list):
            raise DataError("Schwab transactions: expected a list")
        return body

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        from authlib.common.errors import AuthlibBaseError

        try:
            response = getattr(self._client, method)(*args, **kwargs)
        except ReadOnlyViolation:
            raise
        except AuthlibBaseError as error:  # the token endpoint refused the refresh token
            raise SchwabTokenExpired(f"Schwab refused the refresh token ({error.error})") from None
        except httpx.TimeoutException:
            raise BrokerUnavailableError(f"Schwab {method}: timed out") from None
        except httpx.HTTPError as error:
            raise BrokerUnavailableError(f"Schwab {method}: {type(error).__name__}") from None
        return _body(method, response)


def _body(method: str, response: httpx.Response) -> Any:
    status = response.status_code
    if status in (401, 403):
        raise BrokerRejectedError(f"Schwab {method}: HTTP {status} (access refused)", status=status)
    if status == 429 or status >= 500:
        raise BrokerUnavailableError(f"Schwab {method}: HTTP {status}")
    if status != 200:
        raise BrokerRejectedError(f"Schwab {method}: HTTP {status}", status=status)
    try:
        return response.json()
    except ValueError:
        raise DataError(f"Schwab {method}: the answer is not JSON") from None


def schwab_auth() -> Any:
    """``schwab.auth``, imported quietly (only the commands that talk to Schwab import schwab-py)."""
    with warnings.catch_warnings():
        import authlib.deprecate  # noqa: F401  (it installs an "always" filter; ours must come after)

        # Import-time deprecation notices of schwab-py's dependencies (authlib's httpx shim, websockets'
        # legacy client for streaming, which we never use): noise to an operator, errors under pytest.
        warnings.simplefilter("ignore", DeprecationWarning)
        from schwab import auth

    return auth


def build_reader(app_key: str, app_secret: str, token_file: TokenFile, base_url: str = "") -> ReadOnlySchwab:
    """schwab-py's client on ``token_file`` (call inside :meth:`TokenFile.exclusive`), read-only."""
    auth = schwab_auth()
    client = auth.client_from_access_functions(app_key, app_secret, token_file.read, token_file.write)
    session = client.session
    hooks: list[Callable[[httpx.Request], None]] = [refuse_writes]
    if base_url:
        hooks.append(redirect_to(base_url))
    session.event_hooks = {
        "request": [*hooks, *session.event_hooks["request"]],
        "response": list(session.event_hooks["response"]),
    }
    client.set_timeout(httpx.Timeout(TIMEOUT_SECONDS))
    return ReadOnlySchwab(client)
