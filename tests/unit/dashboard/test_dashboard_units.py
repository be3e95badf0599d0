"""The dashboard's pure parts: job health, loopback and token checks, settings validation, the memo cache."""

from __future__ import annotations

import datetime as dt

import pytest

from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError
from avwap.dashboard.health import FAILING, OK, STALE, UNKNOWN, expected_session, job_health
from avwap.dashboard.security import Sessions, check_bind, is_loopback, tokens_match
from avwap.dashboard.signature import MemoCache

DAY = dt.date(2026, 11, 27)


def test_job_health_is_never_healthy_without_output() -> None:
    assert job_health("scan", None, DAY).status == UNKNOWN
    assert job_health("scan", None, DAY, "broken").status == UNKNOWN
    assert job_health("scan", DAY, DAY).status == OK
    assert job_health("scan", DAY + dt.timedelta(days=1), DAY).status == OK
    assert job_health("scan", DAY - dt.timedelta(days=1), DAY).status == STALE
    assert job_health("reconciliation", DAY, DAY, "2 drift item(s)").status == FAILING


def test_the_expected_session_is_the_last_closed_one() -> None:
    # Friday 2026-11-27 closes early at 13:00 New York (18:00 UTC); Saturday expects Friday
    assert expected_session(dt.datetime(2026, 11, 27, 17, 59, tzinfo=dt.UTC)) == dt.date(2026, 11, 25)
    assert expected_session(dt.datetime(2026, 11, 27, 18, 0, tzinfo=dt.UTC)) == DAY
    assert expected_session(dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)) == DAY


LOOPBACK_CASES = [
    ("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("10.0.0.5", False), ("example.org", False),
]  # fmt: skip


@pytest.mark.parametrize(("host", "loopback"), LOOPBACK_CASES)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_public_bind_needs_a_token_and_tokens_compare_exactly() -> None:
    check_bind("127.0.0.1", "")
    check_bind("0.0.0.0", "x" * 16)
    with pytest.raises(ConfigurationError, match="AVWAP_DASHBOARD_TOKEN"):
        check_bind("0.0.0.0", "")
    assert tokens_match("secret-token-123456", "secret-token-123456")
    assert not tokens_match("secret-token-12345", "secret-token-123456")
    assert not tokens_match("", "") and not tokens_match("é", "e")


def test_login_replaces_the_session_id() -> None:
    sessions = Sessions()
    old, session = sessions.new()
    assert not session.authenticated and sessions.get(old) == session and sessions.get(None) is None
    fresh, logged = sessions.login(old)
    assert (
        fresh != old and logged.authenticated and sessions.get(old) is None and sessions.get(fresh) == logged
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [("AVWAP_DASHBOARD_PORT", "0"), ("AVWAP_DASHBOARD_PORT", "65536"), ("AVWAP_DASHBOARD_PORT", "x"),
     ("AVWAP_DASHBOARD_HOST", "http://h"), ("AVWAP_DASHBOARD_HOST", "h:80"), ("AVWAP_DASHBOARD_HOST", ""),
     ("AVWAP_DASHBOARD_TOKEN", "short")],
)  # fmt: skip
def test_bad_dashboard_settings_name_their_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        load_config({variable: value})


def test_dashboard_settings_and_their_secret() -> None:
    config = load_config({"AVWAP_DASHBOARD_PORT": "9000", "AVWAP_DASHBOARD_TOKEN": "t" * 20})
    assert (config.dashboard_host, config.dashboard_port) == ("127.0.0.1", 9000)
    assert config.public_values()["AVWAP_DASHBOARD_TOKEN"] == "set" and "t" * 20 not in repr(config)
    with pytest.raises(ConfigurationError, match="AVWAP_DASHBOARD_PORT"):
        load_config({}, dashboard_port=0)


def test_the_memo_cache_builds_once_per_key_and_drops_the_oldest() -> None:
    cache, built = MemoCache(limit=2), []
    for key in ("a", "a", "b", "c", "a"):
        cache.get_or_build(key, lambda key=key: built.append(key) or key)
    assert built == ["a", "b", "c", "a"] and cache.hits == 1
