"""``avwap tickets send|list`` (issue 13 M1-B) against the fake Slack API on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from tests.fakes.slack_server import FakeSlackServer
from tests.integration.allocation_files import CHANNEL, HOLDINGS, TARGETS
from typer.testing import CliRunner

from avwap.cli.tickets_command import register

pytestmark = pytest.mark.integration


@pytest.fixture
def server() -> Iterator[FakeSlackServer]:
    with FakeSlackServer(channels={"tickets": CHANNEL}) as running:
        yield running


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    targets, holdings = tmp_path / "targets.toml", tmp_path / "holdings.toml"
    targets.write_text(TARGETS, encoding="utf-8")
    holdings.write_text(HOLDINGS, encoding="utf-8")
    return targets, holdings


def invoke(  # type: ignore[no-untyped-def]
    server: FakeSlackServer,
    home: Path,
    targets: Path,
    *arguments: str,
    post_flag: str | None = None,
    kill_switch: str | None = None,
):
    app = typer.Typer()
    register(app)
    environment = {
        "AVWAP_HOME": str(home),
        "SLACK_BOT_TOKEN": server.token,
        "SLACK_BASE_URL": server.base_url,
        "TICKETS_CHANNEL": CHANNEL,
        "ALLOCATION_401K_FILE": str(targets),
        "AVWAP_TICKETS_POST": post_flag,
        "KILL_SWITCH": kill_switch,
    }
    result = CliRunner().invoke(app, list(arguments), env=environment)
    return result.exit_code, result.stdout, result.stderr


def test_dry_run_then_post_then_list(
    server: FakeSlackServer, files: tuple[Path, Path], tmp_path: Path
) -> None:
    targets, holdings = files
    home = tmp_path / "home"
    send = ("tickets", "send", "--holdings", str(holdings), "--as-of", "2026-12-15", "--json")
    code, output, _ = invoke(server, home, targets, *send)
    assert code == 0, output
    dry = json.loads(output)
    assert dry["post"] is False
    assert [(t["side"], t["symbol"], t["quantity"], t["status"]) for t in dry["tickets"]] == [
        ("SELL", "FXAIX", 100, "WOULD_POST"),
        ("BUY", "FSPSX", 100, "WOULD_POST"),
        ("BUY", "FXNAX", 1500, "WOULD_POST"),
    ]
    assert server.messages == ()

    # --post without the environment flag refuses, clearly, and posts nothing.
    code, _, errors = invoke(server, home, targets, *send, "--post")
    assert code == 3 and "AVWAP_TICKETS_POST=1" in errors and server.messages == ()

    # The kill switch stops new tickets too.
    code, _, errors = invoke(server, home, targets, *send, "--post", post_flag="1", kill_switch="1")
    assert code == 1 and "KILL_SWITCH" in errors and server.messages == ()

    code, output, _ = invoke(server, home, targets, *send, "--post", post_flag="1")
    assert code == 0, output
    assert [t["status"] for t in json.loads(output)["tickets"]] == ["SENT"] * 3 and len(server.messages) == 3
    # A re-run posts nothing new.
    code, output, _ = invoke(server, home, targets, *send, "--post", post_flag="1")
    assert [t["status"] for t in json.loads(output)["tickets"]] == ["ALREADY_SENT"] * 3
    assert len(server.messages) == 3

    code, output, _ = invoke(server, home, targets, "tickets", "list", "--json")
    listed = json.loads(output)
    assert code == 0 and [item["type"] for item in listed] == ["TicketSent"] * 3
    assert {item["symbol"] for item in listed} == {"FXAIX", "FSPSX", "FXNAX"}
    code, output, _ = invoke(server, home, targets, "tickets", "list")
    assert code == 0 and "FXNAX" in output and "SENT" in output


def test_fills_books_nothing_on_a_book_without_confirmations(
    server: FakeSlackServer, files: tuple[Path, Path], tmp_path: Path
) -> None:
    targets, _ = files
    code, output, _ = invoke(server, tmp_path / "home", targets, "tickets", "fills", "--json")
    assert code == 0 and json.loads(output) == []
    code, output, _ = invoke(server, tmp_path / "home", targets, "tickets", "fills")
    assert code == 0 and "nothing new to book" in output
