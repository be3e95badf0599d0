"""E3.3 end to end: ``avwap portfolio decide`` with the E3 flags posts the day's risk attribution summary
through the real slack_sdk client to the fake Slack on 127.0.0.1, and the posted text is the one the
artifacts on disk render to."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from tests.fakes.slack_server import FakeSlackServer
from tests.unit.analytics.portfolio_fixtures import DAY
from tests.unit.control.test_portfolio_regime import CLOCK
from tests.unit.jobs.test_risk_attribution_job import E2, E3_FLAGS, prepared
from typer.testing import CliRunner

from avwap.analytics.risk_attribution_slack import summary_event
from avwap.analytics.risk_attribution_store import read_summary, rolling_path
from avwap.cli import portfolio_command
from avwap.integrations.slack.messages import render_event

pytestmark = pytest.mark.integration


@pytest.fixture
def server() -> Iterator[FakeSlackServer]:
    with FakeSlackServer() as running:
        yield running


def test_decide_posts_the_summary_the_artifacts_render_to(
    tmp_path: Path, server: FakeSlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    config = prepared(home)
    monkeypatch.setattr(portfolio_command, "system_clock", lambda: CLOCK)
    app = typer.Typer()
    app.callback()(lambda: None)
    portfolio_command.register(app)
    environ = {
        **E2, **E3_FLAGS, "EXECUTION_MODE": "PAPER_SIM", "SLACK_BOT_TOKEN": server.token,
        "SLACK_CHANNEL": "alerts", "SLACK_BASE_URL": server.base_url,
    }  # fmt: skip
    result = CliRunner().invoke(
        app, ["portfolio", "decide", "--date", DAY.isoformat(), "--home", str(home), "--json"], env=environ
    )
    assert result.exit_code == 0, result.output
    summary, _ = read_summary(config.ledger_dir, DAY)
    windows = {}
    for window in ("5D", "20D", "60D"):
        document = json.loads(rolling_path(config.ledger_dir, window, DAY).read_bytes())
        document.pop("provenance")
        windows[window] = document
    expected = render_event(summary_event(summary, windows))
    (message,) = server.messages
    assert message.text == expected.text
    assert message.blocks == json.loads(expected.to_json_bytes())["blocks"]
    assert "reduced proposed exposure" in message.text


def test_decide_without_the_flags_posts_nothing(
    tmp_path: Path, server: FakeSlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    prepared(home)
    monkeypatch.setattr(portfolio_command, "system_clock", lambda: CLOCK)
    app = typer.Typer()
    app.callback()(lambda: None)
    portfolio_command.register(app)
    environ = {
        **E2, "EXECUTION_MODE": "PAPER_SIM", "SLACK_BOT_TOKEN": server.token, "SLACK_CHANNEL": "alerts",
        "SLACK_BASE_URL": server.base_url,
    }  # fmt: skip
    result = CliRunner().invoke(
        app, ["portfolio", "decide", "--date", DAY.isoformat(), "--home", str(home)], env=environ
    )
    assert result.exit_code == 0, result.output
    assert server.messages == () and not (home / "ledger" / "PORTFOLIO_RISK_ATTRIBUTION_SUMMARY").exists()
