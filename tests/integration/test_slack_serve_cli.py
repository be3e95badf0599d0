"""``avwap slack serve`` as operators run it: a fresh interpreter, real uvicorn on 127.0.0.1, a signed
url_verification and a threaded reply recorded in the home's ledger and answered on the fake Slack API."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.fakes.slack_server import FakeSlackServer

from avwap.core.clock import SystemClock
from avwap.ledger.confirmations import SLACK_REPLIES
from avwap.ledger.paths import list_ledger_files
from avwap.ledger.store import LedgerStore

SECRET = "cli-test-signing-secret"
SCRIPT = "from avwap.cli.main import main\nmain()\n"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _signed(body: bytes) -> dict[str, str]:
    stamp = str(int(SystemClock().now().timestamp()))  # the served process verifies with the system clock
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def _environment(home: Path, **settings: str) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "AVWAP_"))
    }
    return {**environment, "AVWAP_HOME": str(home), "PYTHONPATH": os.pathsep.join(sys.path), **settings}


def test_serve_refuses_to_start_without_a_signing_secret(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, "slack", "serve", "--port", str(_free_port()), "--channel", "C0T"],
        env=_environment(tmp_path, SLACK_BOT_TOKEN="xoxb-x"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 3, completed.stderr
    assert "SLACK_SIGNING_SECRET" in completed.stderr


def test_serve_records_a_signed_reply(tmp_path: Path) -> None:
    port = _free_port()
    tickets = tmp_path / "ledger" / "SCHWAB_401K_MANUAL"
    tickets.mkdir(parents=True)
    with FakeSlackServer(channels={"tickets": "C0TICKETS"}) as slack:
        environment = _environment(
            tmp_path,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_BOT_TOKEN=slack.token,
            SLACK_BASE_URL=slack.base_url,
            SLACK_CHANNEL="C0TICKETS",
        )
        command = [sys.executable, "-c", SCRIPT, "slack", "serve", "--host", "127.0.0.1", "--port", str(port)]
        server = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            url = f"http://127.0.0.1:{port}/slack/events"
            with httpx.Client(timeout=5) as http:
                deadline = time.monotonic() + 60
                challenge = json.dumps({"type": "url_verification", "challenge": "abc"}).encode()
                while True:
                    try:
                        response = http.post(url, content=challenge, headers=_signed(challenge))
                        break
                    except httpx.TransportError:
                        if time.monotonic() > deadline or server.poll() is not None:
                            pytest.fail(f"avwap slack serve did not start: {server.stderr.read()!r}")  # type: ignore[union-attr]
                        time.sleep(0.1)
                assert response.json() == {"challenge": "abc"}
                event = {"type": "message", "channel": "C0TICKETS", "user": "U1", "text": "SKIPPED closed",
                         "ts": "1700000100.000001", "thread_ts": "1700000000.000001"}  # fmt: skip
                body = json.dumps({"type": "event_callback", "event_id": "EvCLI", "event": event}).encode()
                assert http.post(url, content=body, headers=_signed(body)).status_code == 200
            deadline = time.monotonic() + 10
            while not slack.messages and time.monotonic() < deadline:
                time.sleep(0.05)
            assert slack.messages and "not one of our trade tickets" in slack.messages[0].text
        finally:
            server.terminate()
            server.communicate(timeout=30)
    [path] = list_ledger_files(tmp_path / "ledger", SLACK_REPLIES)
    [record] = LedgerStore(path).read_records()
    assert (record["event_id"], record["kind"], record["match"]) == ("EvCLI", "SKIPPED", "UNMATCHED_THREAD")


def test_listen_refuses_to_start_without_an_app_token(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, "slack", "listen", "--channel", "C0T"],
        env=_environment(tmp_path, SLACK_BOT_TOKEN="xoxb-x"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 3, completed.stderr
    assert "SLACK_APP_TOKEN" in completed.stderr
