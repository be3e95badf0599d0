"""Schwab snapshots from the API (issue 13, M1-D): the real schwab-py client against a fake Schwab server on
127.0.0.1 (tests/fakes/schwab_server.py), through our read-only wrapper and the token file."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import stat
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.schwab_server import (
    ACCESS_TOKEN,
    ACCOUNT_HASH,
    REFRESHED_TOKEN,
    FakeSchwabServer,
    account_body,
    filled_order,
    position,
)

from avwap.core.clock import SystemClock
from avwap.core.config import Config
from avwap.core.errors import BrokerUnavailableError, ConfigurationError
from avwap.integrations.schwab.read_only import ReadOnlySchwab, ReadOnlyViolation, build_reader
from avwap.integrations.schwab.snapshot_facts import read_snapshots
from avwap.integrations.schwab.token_store import SchwabTokenExpired, TokenFile
from avwap.integrations.slack.notifier import RecordingNotifier
from avwap.jobs.schwab import snapshot_job
from avwap.ledger.paths import SCHWAB_401K_MANUAL
from avwap.ledger.record_enums import SnapshotSource

ORDER_METHODS = ("place_order", "replace_order", "cancel_order", "preview_order")


@pytest.fixture
def server() -> Iterator[FakeSchwabServer]:
    with FakeSchwabServer() as fake:
        fake.state.account = account_body(
            [position("FXAIX", 300.0, 60330.0, 180.5), position("FXNAX", 120.5, 1207.41, 10.5)],
            1250.4,
            62787.81,
        )
        now = SystemClock().now()
        entered = (now - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S+0000")
        fake.state.orders = [filled_order(9001, "FXAIX", "BUY", quantity=10.0, price=201.1, entered=entered)]
        fake.state.transactions = [
            {
                "activityId": 77,
                "time": entered,
                "type": "TRADE",
                "transferItems": [
                    {
                        "instrument": {"symbol": "FXAIX", "assetType": "MUTUAL_FUND"},
                        "amount": 10.0,
                        "price": 201.1,
                    },
                    {"instrument": {"symbol": "CURRENCY_USD", "assetType": "CURRENCY"}, "amount": -2011.0},
                ],
            }
        ]
        yield fake


def write_token(path: Path, *, age: dt.timedelta, access_expires_in: float) -> dict[str, Any]:
    now = SystemClock().now()
    wrapped = {
        "creation_timestamp": int((now - age).timestamp()),
        "token": {
            "access_token": ACCESS_TOKEN,
            "refresh_token": "refresh-0",
            "token_type": "Bearer",
            "expires_in": 1800,
            "expires_at": int(now.timestamp() + access_expires_in),
            "scope": "api",
        },
    }
    path.write_text(json.dumps(wrapped))
    path.chmod(0o600)
    return wrapped


def config_for(tmp_path: Path, server: FakeSchwabServer, **changes: Any) -> Config:
    values: dict[str, Any] = {
        "home": tmp_path / "home",
        "schwab_api_snapshots": True,
        "schwab_app_key": "app-key",
        "schwab_app_secret": "app-secret",
        "schwab_token_file": tmp_path / "token.json",
        "schwab_base_url": server.base_url,
    }
    return Config(**{**values, **changes})


def test_an_api_snapshot_records_balances_positions_orders_and_trades(
    tmp_path: Path, server: FakeSchwabServer
) -> None:
    config = config_for(tmp_path, server)
    write_token(config.schwab_token_path, age=dt.timedelta(days=1), access_expires_in=3600)
    notifier = RecordingNotifier()
    outcome = snapshot_job(config, SystemClock(), notifier, SCHWAB_401K_MANUAL, None)
    record = outcome.record
    assert record.source is SnapshotSource.API and record.account == "...2222"
    assert (record.cash, record.total_value) == (Decimal("1250.4"), Decimal("62787.81"))
    assert [(p.symbol, p.quantity, p.price) for p in record.positions] == [
        ("FXAIX", Decimal("300.0"), Decimal("201.1000")),
        ("FXNAX", Decimal("120.5"), Decimal("10.0200")),
    ]
    order = record.orders[0]
    assert (order.broker_order_id, order.filled_quantity, order.average_price) == (
        "9001",
        Decimal("10.0"),
        Decimal("201.1000"),
    )
    assert [(t.symbol, t.quantity) for t in record.transactions] == [("FXAIX", Decimal("10.0"))]
    assert read_snapshots(config.ledger_dir, SCHWAB_401K_MANUAL) == [record]
    assert notifier.events == ()  # the token has days left
    # Only GETs, positions asked for, orders and transactions inside Schwab's 60-day window.
    assert {seen.method for seen in server.seen} == {"GET"}
    by_path = {seen.path: seen for seen in server.seen}
    assert by_path[f"/trader/v1/accounts/{ACCOUNT_HASH}"].query["fields"] == ["positions"]
    orders = by_path[f"/trader/v1/accounts/{ACCOUNT_HASH}/orders"].query
    start = dt.datetime.fromisoformat(orders["fromEnteredTime"][0].replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(orders["toEnteredTime"][0].replace("Z", "+00:00"))
    assert dt.timedelta(days=58) < end - start < dt.timedelta(days=60)
    assert by_path[f"/trader/v1/accounts/{ACCOUNT_HASH}/transactions"].query["types"] == ["TRADE"]


def test_an_expired_access_token_is_refreshed_once_and_written_atomically_0600(
    tmp_path: Path, server: FakeSchwabServer
) -> None:
    config = config_for(tmp_path, server)
    before = write_token(config.schwab_token_path, age=dt.timedelta(days=2), access_expires_in=-60)
    snapshot_job(config, SystemClock(), RecordingNotifier(), SCHWAB_401K_MANUAL, None)
    posts = [seen for seen in server.seen if seen.method == "POST"]
    assert [seen.path for seen in posts] == ["/v1/oauth/token"]
    assert posts[0].form["grant_type"] == ["refresh_token"]
    after = json.loads(config.schwab_token_path.read_text())
    assert after["token"]["access_token"] == REFRESHED_TOKEN
    assert after["creation_timestamp"] == before["creation_timestamp"]  # the 7-day clock does not restart
    assert stat.S_IMODE(config.schwab_token_path.stat().st_mode) == 0o600
    assert [p.name for p in config.schwab_token_path.parent.iterdir() if p.name.endswith(".tmp")] == []
    gets = [seen for seen in server.seen if seen.method == "GET"]
    assert {seen.authorization for seen in gets} == {f"Bearer {REFRESHED_TOKEN}"}


def test_order_methods_are_not_reachable_and_never_reach_schwab(
    tmp_path: Path, server: FakeSchwabServer
) -> None:
    config = config_for(tmp_path, server)
    write_token(config.schwab_token_path, age=dt.timedelta(days=1), access_expires_in=3600)
    token_file = TokenFile(config.schwab_token_path, SystemClock())
    reader = build_reader("app-key", "app-secret", token_file, server.base_url)
    public = {name for name in dir(reader) if not name.startswith("_")}
    assert public == {"account_numbers", "account", "orders", "transactions", "close"}
    assert not any(hasattr(ReadOnlySchwab, name) for name in ORDER_METHODS)
    client = reader._client  # digging the SDK client out of the wrapper does not help either
    with pytest.raises(ReadOnlyViolation, match="read-only"):
        client.place_order(ACCOUNT_HASH, {"orderType": "MARKET"})
    with pytest.raises(ReadOnlyViolation):
        client.replace_order(ACCOUNT_HASH, 1, {"orderType": "MARKET"})
    with pytest.raises(ReadOnlyViolation):
        client.cancel_order(1, ACCOUNT_HASH)
    assert server.seen == []  # nothing left the process
    assert reader.account_numbers()[0]["hashValue"] == ACCOUNT_HASH
    reader.close()


def test_a_refresh_token_past_seven_days_alerts_and_fails_without_a_request(
    tmp_path: Path, server: FakeSchwabServer
) -> None:
    config = config_for(tmp_path, server)
    write_token(config.schwab_token_path, age=dt.timedelta(days=7, minutes=1), access_expires_in=-60)
    notifier = RecordingNotifier()
    with pytest.raises(SchwabTokenExpired, match="SCHWAB_TOKEN_FILE: the Schwab refresh token expired"):
        snapshot_job(config, SystemClock(), notifier, SCHWAB_401K_MANUAL, None)
    assert server.seen == []
    [event] = notifier.events
    assert event.reason_codes == ("SCHWAB_TOKEN_EXPIRED",) and event.severity == "CRITICAL"
    assert "refresh-0" not in json.dumps([event.title, event.fields, event.details])
    assert read_snapshots(config.ledger_dir, SCHWAB_401K_MANUAL) == []


def test_a_refused_refresh_is_an_expired_token_alert(tmp_path: Path, server: FakeSchwabServer) -> None:
    config = config_for(tmp_path, server)
    write_token(config.schwab_token_path, age=dt.timedelta(days=3), access_expires_in=-60)
    server.state.refresh_error = "refresh_token_authentication_error"
    notifier = RecordingNotifier()
    with pytest.raises(SchwabTokenExpired, match="refused the refresh token"):
        snapshot_job(config, SystemClock(), notifier, SCHWAB_401K_MANUAL, None)
    assert [event.reason_codes for event in notifier.events] == [("SCHWAB_TOKEN_EXPIRED",)]
    assert [seen.method for seen in server.seen] == ["POST"]  # one refusal, no retry loop


def test_a_token_close_to_its_limit_warns_and_the_snapshot_goes_on(
    tmp_path: Path, server: FakeSchwabServer
) -> None:
    config = config_for(tmp_path, server)
    write_token(config.schwab_token_path, age=dt.timedelta(days=6, hours=12), access_expires_in=3600)
    notifier = RecordingNotifier()
    outcome = snapshot_job(config, SystemClock(), notifier, SCHWAB_401K_MANUAL, None)
    assert outcome.record.positions
    assert [event.reason_codes for event in notifier.events] == [("SCHWAB_TOKEN_EXPIRING",)]


def test_the_api_source_is_off_by_default(tmp_path: Path, server: FakeSchwabServer) -> None:
    config = config_for(tmp_path, server, schwab_api_snapshots=False)
    with pytest.raises(ConfigurationError, match="SCHWAB_API_SNAPSHOTS"):
        snapshot_job(config, SystemClock(), RecordingNotifier(), SCHWAB_401K_MANUAL, None)
    assert server.seen == []


def test_one_process_at_a_time_holds_the_token(tmp_path: Path, server: FakeSchwabServer) -> None:
    config = config_for(tmp_path, server)
    write_token(config.schwab_token_path, age=dt.timedelta(days=1), access_expires_in=3600)
    descriptor = os.open(f"{config.schwab_token_path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        with pytest.raises(BrokerUnavailableError, match="another process holds the Schwab token"):
            snapshot_job(config, SystemClock(), RecordingNotifier(), SCHWAB_401K_MANUAL, None)
    finally:
        os.close(descriptor)
    assert server.seen == []


def test_server_errors_and_ambiguous_accounts_fail_clearly(tmp_path: Path, server: FakeSchwabServer) -> None:
    config = config_for(tmp_path, server)
    write_token(config.schwab_token_path, age=dt.timedelta(days=1), access_expires_in=3600)
    server.state.fail_next = 1
    with pytest.raises(BrokerUnavailableError, match="HTTP 500"):
        snapshot_job(config, SystemClock(), RecordingNotifier(), SCHWAB_401K_MANUAL, None)
    server.state.accounts.append({"accountNumber": "99998888", "hashValue": "OTHER"})
    with pytest.raises(ConfigurationError, match=r"SCHWAB_ACCOUNT_NUMBER: required.*\.\.\.2222, \.\.\.8888"):
        snapshot_job(config, SystemClock(), RecordingNotifier(), SCHWAB_401K_MANUAL, None)
    chosen = config_for(tmp_path, server, schwab_account_number="11112222")
    assert snapshot_job(chosen, SystemClock(), RecordingNotifier(), SCHWAB_401K_MANUAL, None).record.positions


def test_the_login_writes_a_private_token_that_the_snapshot_then_uses(
    tmp_path: Path, server: FakeSchwabServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urllib.parse import parse_qs, urlsplit

    from tests.fakes.schwab_server import LOGIN_CODE

    from avwap.integrations.schwab.login import login
    from avwap.integrations.schwab.read_only import schwab_auth

    # schwab-py spells its token endpoint out; the login's exchange is pointed at the fake server here
    # (the reads use SCHWAB_BASE_URL).
    monkeypatch.setattr(schwab_auth(), "TOKEN_ENDPOINT", f"{server.base_url}/v1/oauth/token")
    config = config_for(tmp_path, server)
    token_file = TokenFile(config.schwab_token_path, SystemClock())
    asked: list[str] = []

    def browser(authorization_url: str) -> str:
        asked.append(authorization_url)
        state = parse_qs(urlsplit(authorization_url).query)["state"][0]
        return f"https://127.0.0.1:8182/?code={LOGIN_CODE}&state={state}"

    expires = login("app-key", "app-secret", token_file, "https://127.0.0.1:8182", browser)
    assert asked[0].startswith("https://api.schwabapi.com/v1/oauth/authorize?")
    assert "client_id=app-key" in asked[0] and "app-secret" not in asked[0]
    assert stat.S_IMODE(config.schwab_token_path.stat().st_mode) == 0o600
    written = json.loads(config.schwab_token_path.read_text())
    assert written["token"]["refresh_token"] == "refresh-login"
    assert dt.timedelta(days=6, hours=23) < expires - SystemClock().now() <= dt.timedelta(days=7)
    [exchange] = [seen for seen in server.seen if seen.method == "POST"]
    assert exchange.form["grant_type"] == ["authorization_code"]
    assert snapshot_job(config, SystemClock(), RecordingNotifier(), SCHWAB_401K_MANUAL, None).record.positions


def test_a_refused_login_code_writes_nothing(
    tmp_path: Path, server: FakeSchwabServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urllib.parse import parse_qs, urlsplit

    from avwap.core.errors import BrokerRejectedError
    from avwap.integrations.schwab.login import login
    from avwap.integrations.schwab.read_only import schwab_auth

    monkeypatch.setattr(schwab_auth(), "TOKEN_ENDPOINT", f"{server.base_url}/v1/oauth/token")
    token_file = TokenFile(tmp_path / "token.json", SystemClock())

    def browser(authorization_url: str) -> str:
        state = parse_qs(urlsplit(authorization_url).query)["state"][0]
        return f"https://127.0.0.1:8182/?code=wrong&state={state}"

    with pytest.raises(BrokerRejectedError, match="Schwab refused the login"):
        login("app-key", "app-secret", token_file, "https://127.0.0.1:8182", browser)
    assert not token_file.path.exists()
