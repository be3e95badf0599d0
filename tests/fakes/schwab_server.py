"""A fake Schwab Trader API on 127.0.0.1 for the real schwab-py client (``SCHWAB_BASE_URL=server.base_url``).

Endpoints: ``GET /trader/v1/accounts/accountNumbers``, ``GET /trader/v1/accounts/<hash>`` (positions only
with ``fields=positions``, as Schwab does), ``GET .../<hash>/orders``, ``GET .../<hash>/transactions``,
and ``POST /v1/oauth/token`` (the login's ``authorization_code`` grant for :data:`LOGIN_CODE`; the refresh
grant: a new access token, or ``refresh_error`` as Schwab's 400).
A request without the current bearer token answers 401. Anything else (an order placed, replaced or
canceled) answers 201 and is recorded, so a test can prove that it never arrives. ``fail_next`` makes the
next N API requests answer 500. Every request is recorded (method, path, query, form, authorization).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACCOUNT_NUMBER = "11112222"
ACCOUNT_HASH = "HASH0401K"
ACCESS_TOKEN = "access-0"
REFRESHED_TOKEN = "access-1"
LOGIN_CODE = "code-from-the-browser"


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    authorization: str


@dataclass
class SchwabState:
    accounts: list[dict[str, str]] = field(
        default_factory=lambda: [{"accountNumber": ACCOUNT_NUMBER, "hashValue": ACCOUNT_HASH}]
    )
    account: dict[str, Any] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)
    transactions: list[dict[str, Any]] = field(default_factory=list)
    access_token: str = ACCESS_TOKEN
    refresh_error: str | None = None
    fail_next: int = 0
    seen: list[SeenRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeSchwabServer:
    def __init__(self) -> None:
        self.state = SchwabState()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.state = self.state  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02})

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeSchwabServer:
        self._thread.daemon = True
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def seen(self) -> list[SeenRequest]:
        with self.state.lock:
            return list(self.state.seen)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def state(self) -> SchwabState:
        return self.server.state  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> SeenRequest:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        form = parse_qs(body) if "form" in (self.headers.get("Content-Type") or "") else {}
        seen = SeenRequest(
            self.command, parts.path, parse_qs(parts.query), form, self.headers.get("Authorization") or ""
        )
        with self.state.lock:
            self.state.seen.append(seen)
        return seen

    def do_GET(self) -> None:
        seen = self._record()
        state = self.state
        if state.fail_next > 0:
            state.fail_next -= 1
            self._send(500, {"errors": [{"status": 500, "title": "Internal Server Error"}]})
            return
        if seen.authorization != f"Bearer {state.access_token}":
            self._send(401, {"errors": [{"status": 401, "title": "Unauthorized"}]})
            return
        prefix = "/trader/v1/accounts/"
        rest = seen.path.removeprefix(prefix)
        if rest == "accountNumbers":
            self._send(200, state.accounts)
        elif rest == ACCOUNT_HASH:
            account = json.loads(json.dumps(state.account))
            if "positions" not in (seen.query.get("fields") or [""])[0]:
                account.get("securitiesAccount", {}).pop("positions", None)
            self._send(200, account)
        elif rest == f"{ACCOUNT_HASH}/orders":
            self._send(200, state.orders)
        elif rest == f"{ACCOUNT_HASH}/transactions":
            self._send(200, state.transactions)
        else:
            self._send(404, {"errors": [{"status": 404}]})

    def do_POST(self) -> None:
        seen = self._record()
        if seen.path != "/v1/oauth/token":
            self._send(201, {})  # an order: must never arrive
            return
        state = self.state
        if seen.form.get("grant_type") == ["authorization_code"] and seen.form.get("code") == [LOGIN_CODE]:
            token = {"access_token": ACCESS_TOKEN, "refresh_token": "refresh-login", "token_type": "Bearer"}
            self._send(200, {**token, "expires_in": 1800, "scope": "api"})
            return
        if state.refresh_error is not None or seen.form.get("grant_type") != ["refresh_token"]:
            self._send(400, {"error": state.refresh_error or "invalid_request", "error_description": "no"})
            return
        state.access_token = REFRESHED_TOKEN
        self._send(
            200,
            {
                "access_token": REFRESHED_TOKEN,
                "refresh_token": seen.form["refresh_token"][0],
                "token_type": "Bearer",
                "expires_in": 1800,
                "scope": "api",
            },
        )

    def do_PUT(self) -> None:
        self._record()
        self._send(201, {})

    def do_DELETE(self) -> None:
        self._record()
        self._send(200, {})


def account_body(positions: list[dict[str, Any]], cash: float, total: float) -> dict[str, Any]:
    return {
        "securitiesAccount": {
            "type": "CASH",
            "accountNumber": ACCOUNT_NUMBER,
            "positions": positions,
            "currentBalances": {"cashBalance": cash, "liquidationValue": total},
        },
        "aggregatedBalance": {"currentLiquidationValue": total, "liquidationValue": total},
    }


def position(symbol: str, quantity: float, market_value: float, average: float) -> dict[str, Any]:
    return {
        "shortQuantity": 0.0,
        "longQuantity": quantity,
        "averagePrice": average,
        "marketValue": market_value,
        "instrument": {"assetType": "MUTUAL_FUND", "symbol": symbol, "description": f"{symbol} FUND"},
    }


def filled_order(
    order_id: int, symbol: str, instruction: str, *, quantity: float, price: float, entered: str
) -> dict[str, Any]:
    return {
        "orderId": order_id,
        "orderType": "MARKET",
        "quantity": quantity,
        "filledQuantity": quantity,
        "status": "FILLED",
        "enteredTime": entered,
        "closeTime": entered,
        "orderLegCollection": [
            {"legId": 1, "instruction": instruction, "quantity": quantity, "instrument": {"symbol": symbol}}
        ],
        "orderActivityCollection": [
            {
                "activityType": "EXECUTION",
                "executionLegs": [{"legId": 1, "quantity": quantity, "price": price}],
            }
        ],
    }
