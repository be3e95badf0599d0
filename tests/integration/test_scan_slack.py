"""The scan job's Slack summary through the real slack_sdk client against the fake Slack API on 127.0.0.1.

A configured Slack gets one scan summary; a failing or unreachable Slack never fails the scan or its files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fakes.slack_server import FakeSlackServer, Fault, unused_base_url
from tests.unit.watchlist.scan_fixtures import build_store, make_config, scan_into, written_files

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def market_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("market") / "store")


@pytest.fixture
def server() -> Iterator[FakeSlackServer]:
    with FakeSlackServer() as running:
        yield running


def slack_home(tmp_path: Path, base_url: str, token: str) -> tuple[Path, dict[str, object]]:
    home = tmp_path / "home"
    config = make_config(home, slack_bot_token=token, slack_channel="alerts", slack_base_url=base_url)
    return home, {"config": config}


def test_a_configured_slack_gets_one_scan_summary(
    tmp_path: Path, market_store: Path, server: FakeSlackServer
) -> None:
    home, options = slack_home(tmp_path, server.base_url, server.token)
    job = scan_into(home, market_store, **options)
    assert job.summary_sent
    (message,) = server.messages
    candidates = len(job.result.candidates)
    assert f"Scan for 2026-11-30: {candidates} candidates from 44 symbols" in message.text
    assert message.metadata is not None
    assert message.metadata["event_payload"]["kind"] == "SCAN_SUMMARY"
    assert message.channel == "C0ALERTS"
    blocks = str(message.blocks)
    assert job.result.candidates[0].symbol in blocks and "Filtered out, by reason" in blocks


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.DROP])
def test_a_failing_slack_never_fails_the_scan(
    tmp_path: Path,
    market_store: Path,
    server: FakeSlackServer,
    fault: Fault,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.inject(fault, count=10)
    home, options = slack_home(tmp_path, server.base_url, server.token)
    with caplog.at_level(logging.WARNING):
        job = scan_into(home, market_store, **options)
    assert len(written_files(home)) == 5 and job.result.candidates
    assert server.messages == ()
    assert server.requests_for("chat.postMessage")  # it did try


def test_an_unreachable_or_unauthorised_slack_never_fails_the_scan(
    tmp_path: Path, market_store: Path
) -> None:
    home, options = slack_home(tmp_path, unused_base_url(), "xoxb-whatever")
    job = scan_into(home, market_store, **options)
    assert len(written_files(home)) == 5 and job.result.candidates
    with FakeSlackServer() as running:
        other, options = slack_home(tmp_path / "other", running.base_url, "xoxb-wrong-token")
        second = scan_into(other, market_store, **options)
        assert running.messages == ()
    # Slack never changes what the scan decides (the config hash differs: SLACK_BASE_URL is a setting).
    assert second.result == job.result
    assert set(written_files(home)) == set(written_files(other))
