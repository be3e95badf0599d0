"""``avwap schwab snapshot|reconcile`` (issue 13, M1-D): the whole manual loop through the command line.

Tickets are posted to the fake Slack API (M1-B), the operator's replies recorded in the confirmation
ledger (M1-C), the broker's truth read from Schwab website exports; the reconciliation's artifact, table,
exit code and Slack summary are checked. The API source is driven against the fake Schwab server.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from tests.fakes.schwab_server import FakeSchwabServer
from tests.fakes.slack_server import FakeSlackServer
from tests.integration.allocation_files import CHANNEL, HOLDINGS, TARGETS
from typer.testing import CliRunner

from avwap.cli import schwab_command, tickets_command
from avwap.core.clock import FixedClock, SystemClock
from avwap.ledger.confirmations import ConfirmationLedger, ReplyFacts
from avwap.ledger.record_enums import ConfirmationKind

pytestmark = pytest.mark.integration
DAY = "2026-12-15"


def export(as_of: str, holdings: dict[str, int]) -> str:
    header = '"Symbol","Description","Qty (Quantity)","Price","Mkt Val (Market Value)","Security Type",'
    lines = [f'"Positions for account Workplace 401k ...123 as of 04:10 PM ET, {as_of}"', "", header]
    lines += [f'"{symbol}","{symbol} FUND","{quantity:,}","$10.00","$1.00","Mutual Fund",'
              for symbol, quantity in holdings.items()]  # fmt: skip
    lines += ['"Cash & Cash Investments","--","--","--","$0.00","Cash and Money Market",',
              '"Account Total","--","--","--","$9,999.00","--",']  # fmt: skip
    return "\n".join(lines) + "\n"


@pytest.fixture
def slack() -> Iterator[FakeSlackServer]:
    with FakeSlackServer(channels={"tickets": CHANNEL}) as running:
        yield running


def invoke(slack: FakeSlackServer, home: Path, *arguments: str, **extra: str) -> tuple[int, str, str]:
    app = typer.Typer()
    tickets_command.register(app)
    schwab_command.register(app)
    environment = {
        "AVWAP_HOME": str(home),
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_BASE_URL": slack.base_url,
        "SLACK_CHANNEL": CHANNEL,
        "TICKETS_CHANNEL": CHANNEL,
        "ALLOCATION_401K_FILE": str(home.parent / "targets.toml"),
        "AVWAP_TICKETS_POST": "1",
        **extra,
    }
    result = CliRunner().invoke(app, list(arguments), env=environment)
    return result.exit_code, result.stdout, result.stderr


def post_tickets_and_replies(
    slack: FakeSlackServer, home: Path, fills: dict[str, int]
) -> list[dict[str, Any]]:
    (home.parent / "targets.toml").write_text(TARGETS, encoding="utf-8")
    (home.parent / "holdings.toml").write_text(HOLDINGS, encoding="utf-8")
    code, _, err = invoke(slack, home, "tickets", "send", "--holdings", str(home.parent / "holdings.toml"),
                          "--as-of", DAY, "--post")  # fmt: skip
    assert code == 0, err
    code, out, _ = invoke(slack, home, "tickets", "list", "--json")
    tickets = json.loads(out)
    assert {(t["symbol"], t["side"], t["quantity"]) for t in tickets} == {
        ("FXAIX", "SELL", 100),
        ("FSPSX", "BUY", 100),
        ("FXNAX", "BUY", 1500),
    }
    replies = ConfirmationLedger(home / "ledger", FixedClock(dt.datetime(2026, 12, 15, 19, 0, tzinfo=dt.UTC)))
    for number, ticket in enumerate(tickets):
        replies.record(
            ReplyFacts(book_id="SCHWAB_401K_MANUAL", event_id=f"Ev{number}", channel=CHANNEL,
                       thread_ts=ticket["message_ts"], message_ts=f"1.{number}", user="U0OPERATOR",
                       text="EXECUTED", intent_id=ticket["intent_id"], strategy_id=ticket["strategy_id"],
                       kind=ConfirmationKind.EXECUTED, quantity=fills[ticket["symbol"]], price=Decimal(10))
        )  # fmt: skip
    return tickets


def snapshot(slack: FakeSlackServer, home: Path, as_of: str, holdings: dict[str, int]) -> dict[str, Any]:
    path = home.parent / f"export-{as_of.replace('/', '-')}.csv"
    path.write_text(export(as_of, holdings), encoding="utf-8")
    code, out, err = invoke(slack, home, "schwab", "snapshot", "--csv", str(path), "--json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_tickets_replies_and_exports_that_agree_reconcile_clean(
    slack: FakeSlackServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    post_tickets_and_replies(slack, home, {"FXAIX": 100, "FSPSX": 100, "FXNAX": 1500})
    before = snapshot(slack, home, "2026/12/14", {"FXAIX": 400, "FSPSX": 400})
    after = snapshot(slack, home, "2026/12/15", {"FXAIX": 300, "FSPSX": 500, "FXNAX": 1500})
    assert before["snapshot"]["account"] == "...123" and after["snapshot"]["source"] == "CSV"
    assert Path(after["path"]).parent.name == "BROKER_SNAPSHOTS"
    posted = len(slack.messages)
    code, out, err = invoke(slack, home, "schwab", "reconcile", "--as-of", DAY, "--json")
    assert code == 0, err
    result = json.loads(out)
    report = result["report"]
    assert report["status"] == "CLEAN" and report["findings"] == []
    assert report["baseline_snapshot_id"] == before["snapshot"]["snapshot_id"]
    assert report["snapshot_id"] == after["snapshot"]["snapshot_id"]
    assert [row["reply"] for row in report["rows"]] == ["EXECUTED"] * 3
    artifact = Path(result["path"])
    assert artifact == home / "artifacts" / "manual_reconciliation" / "SCHWAB_401K_MANUAL" / f"{DAY}.json"
    first_bytes = artifact.read_bytes()
    code, _, _ = invoke(slack, home, "schwab", "reconcile", "--as-of", DAY, "--no-slack")
    assert code == 0 and artifact.read_bytes() == first_bytes  # same inputs, same bytes
    summaries = slack.messages[posted:]
    assert len(summaries) == 1 and "reconciliation 2026-12-15: CLEAN" in summaries[0].text


def test_a_position_that_moved_differently_is_drift_exit_1_and_a_slack_warning(
    slack: FakeSlackServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    post_tickets_and_replies(slack, home, {"FXAIX": 100, "FSPSX": 100, "FXNAX": 1500})
    snapshot(slack, home, "2026/12/14", {"FXAIX": 400, "FSPSX": 400})
    snapshot(slack, home, "2026/12/15", {"FXAIX": 300, "FSPSX": 500, "FXNAX": 1400, "GME": 3})
    posted = len(slack.messages)
    code, out, _ = invoke(slack, home, "schwab", "reconcile", "--as-of", DAY)
    assert code == 1
    assert "RECON_POSITION_MISMATCH" in out and "RECON_UNEXPECTED_POSITION" in out
    [summary] = slack.messages[posted:]
    assert "DRIFT" in summary.text
    assert "RECON_POSITION_MISMATCH" in json.dumps(summary.blocks)


def test_a_malformed_export_names_its_line_and_records_nothing(
    slack: FakeSlackServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    path = tmp_path / "bad.csv"
    path.write_text("Symbol,Quantity\nFXAIX,12\nFXNAX,twelve\n", encoding="utf-8")
    code, _, err = invoke(slack, home, "schwab", "snapshot", "--csv", str(path))
    assert code == 4 and "line 3: quantity is not a number: 'twelve'" in err
    assert not (home / "ledger" / "BROKER_SNAPSHOTS").exists()


def test_the_api_source_is_refused_unless_enabled(slack: FakeSlackServer, tmp_path: Path) -> None:
    code, _, err = invoke(slack, tmp_path / "home", "schwab", "snapshot")
    assert code == 3 and "SCHWAB_API_SNAPSHOTS" in err


def test_an_expired_token_alerts_in_slack_and_exits_3(slack: FakeSlackServer, tmp_path: Path) -> None:
    token = tmp_path / "token.json"
    created = SystemClock().now() - dt.timedelta(days=8)
    stale = {"access_token": "a", "refresh_token": "r", "expires_at": 0}
    token.write_text(json.dumps({"creation_timestamp": int(created.timestamp()), "token": stale}))
    with FakeSchwabServer() as schwab:
        environment = {"SCHWAB_API_SNAPSHOTS": "1", "SCHWAB_APP_KEY": "key", "SCHWAB_APP_SECRET": "secret",
                       "SCHWAB_TOKEN_FILE": str(token), "SCHWAB_BASE_URL": schwab.base_url}  # fmt: skip
        for _ in range(2):  # a timer that runs again fails the same way: no loop, no request to Schwab
            code, _, err = invoke(slack, tmp_path / "home", "schwab", "snapshot", **environment)
            assert code == 3 and "SCHWAB_TOKEN_FILE: the Schwab refresh token expired" in err
        assert schwab.seen == []
    alerts = [message for message in slack.messages if "SCHWAB_TOKEN_EXPIRED" in json.dumps(message.blocks)]
    assert len(alerts) >= 1 and all("secret" not in message.text for message in alerts)


def test_login_needs_the_app_key_and_refuses_a_foreign_callback(
    slack: FakeSlackServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    code, _, err = invoke(slack, home, "schwab", "login", "--received-url", "https://127.0.0.1:8182/?code=x")
    assert code == 3 and "SCHWAB_APP_KEY" in err
    token = tmp_path / "token.json"
    keys = {"SCHWAB_APP_KEY": "key", "SCHWAB_APP_SECRET": "secret", "SCHWAB_TOKEN_FILE": str(token)}
    code, out, err = invoke(slack, home, "schwab", "login", "--received-url",
                            "https://127.0.0.1:8182/?code=x&state=not-ours", **keys)  # fmt: skip
    assert "https://api.schwabapi.com/v1/oauth/authorize?" in out and "secret" not in out
    assert code == 6 and "Schwab refused the login" in err
    assert not token.exists()
