"""The Slack reply receiver on loopback (issue 13, M1-C): signed requests per second, latency, exact dedupe.

A real uvicorn server on 127.0.0.1, in its own process, serves
:func:`avwap.integrations.slack.events_app.build_app` with the confirmation ledger in a temp dir (every
unique event recorded, fsynced) and a no-op thread answer (no Slack). Four client threads (raw keep-alive
sockets) post signed ``event_callback`` replies; every tenth request is a retry of an earlier event (as
Slack's retries). Deterministic inputs (no randomness).
Reported: requests/s over the sending phase, p50/p99 latency of the ack, and whether the ledger holds
exactly one record per unique event once the worker has drained the queue.
Targets: >= 1,000 signed requests/s, p99 <= 20 ms.

``python benchmarks/bench_slack_receiver.py --smoke`` sends 200 requests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from avwap.core.clock import FixedClock
from avwap.integrations.slack.events_app import build_app
from avwap.integrations.slack.reply_handler import ReplyHandler
from avwap.ledger.confirmations import SLACK_REPLIES, ConfirmationLedger, ticket_for_thread
from avwap.ledger.paths import list_ledger_files
from avwap.ledger.store import LedgerStore

HERE = Path(__file__).resolve().parent
FULL = {"requests": 5000}
SMOKE = {"requests": 200}
CLIENTS = 4
SECRET = "bench-signing-secret-not-a-secret"
NOW = dt.datetime(2026, 4, 1, 15, 30, tzinfo=dt.UTC)
CHANNEL = "C0TICKETS"
TICKETS = [
    {
        "type": "TicketSent",
        "intent_id": f"int_{n:04d}",
        "channel": CHANNEL,
        "message_ts": f"1700000000.{n:06d}",
    }
    for n in range(50)
]


def _body(number: int) -> bytes:
    event = {
        "type": "message",
        "channel": CHANNEL,
        "user": "U0OPERATOR",
        "text": f"EXECUTED {1 + number % 900} @ {10 + number % 90}.{number % 100:02d}",
        "ts": f"1700001000.{number:06d}",
        "thread_ts": f"1700000000.{number % 50:06d}",
    }
    return json.dumps({"type": "event_callback", "event_id": f"Ev{number:07d}", "event": event}).encode()


def _headers(body: bytes) -> dict[str, str]:
    stamp = str(int(NOW.timestamp()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def _plan(requests: int) -> list[int]:
    """Event numbers to send: every tenth request repeats the event sent five requests earlier."""
    plan: list[int] = []
    unique = 0
    for index in range(requests):
        if index % 10 == 9:
            plan.append(plan[index - 5])
        else:
            plan.append(unique)
            unique += 1
    return plan


def serve(root: str, port: int, queue_size: int) -> None:
    """The server process: the receiver app under uvicorn on 127.0.0.1:``port`` (ledger under ``root``)."""
    import uvicorn

    handler = ReplyHandler(
        ConfirmationLedger(Path(root), FixedClock(NOW)),
        book_id="SCHWAB_401K_MANUAL",
        channel=CHANNEL,
        find_intent=lambda channel, thread_ts: ticket_for_thread(
            TICKETS, channel=channel, thread_ts=thread_ts
        ),
        answer=lambda channel, thread_ts, text: None,
    )
    app = build_app(signing_secret=SECRET, handler=handler, clock=FixedClock(NOW), queue_size=queue_size)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False, lifespan="on")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(root: Path, queue_size: int) -> tuple[subprocess.Popen[bytes], int]:
    """uvicorn in its own process, as in production (a client in the server's process shares its GIL)."""
    import httpx

    port = _free_port()
    script = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); import bench_slack_receiver as bench; "
        "bench.serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(root), str(port), str(queue_size)])
    url = f"http://127.0.0.1:{port}/slack/events"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url, timeout=1)
            return process, port
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the receiver did not start")


def _request(body: bytes) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in _headers(body).items())
    return (
        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{head}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _read_response(connection: socket.socket, pending: bytes) -> tuple[int, bytes]:
    """(status, bytes left over) of one HTTP/1.1 response with a Content-Length (uvicorn always sends one)."""
    while b"\r\n\r\n" not in pending:
        pending += connection.recv(65536)
    head, _, rest = pending.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    while len(rest) < length:
        rest += connection.recv(65536)
    return int(lines[0].split()[1]), rest[length:]


def _send(port: int, bodies: list[bytes], latencies: list[float], statuses: list[int]) -> None:
    """One keep-alive connection, requests pre-built: a raw socket client, so that the client's own CPU
    (httpx costs ~10x more per request) does not hide the server's figures on a small host."""
    requests = [_request(body) for body in bodies]
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        for request in requests:
            started = time.perf_counter()
            connection.sendall(request)
            status, pending = _read_response(connection, pending)
            latencies.append(time.perf_counter() - started)
            statuses.append(status)


def run(*, smoke: bool = False) -> dict[str, Any]:
    size = SMOKE if smoke else FULL
    plan = _plan(size["requests"])
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        process, port = _start_server(root, len(plan))
        latencies: list[float] = []
        statuses: list[int] = []
        shares = [[_body(number) for number in plan[start::CLIENTS]] for start in range(CLIENTS)]
        started = time.perf_counter()
        senders = [
            threading.Thread(target=_send, args=(port, share, latencies, statuses)) for share in shares
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        seconds = time.perf_counter() - started
        process.send_signal(signal.SIGTERM)  # uvicorn's shutdown drains the queue into the ledger
        process.wait(timeout=600)
        records = [
            r for path in list_ledger_files(root, SLACK_REPLIES) for r in LedgerStore(path).read_records()
        ]
    ordered = sorted(latencies)
    unique = len(set(plan))
    return {
        "smoke": smoke,
        "requests": len(plan),
        "unique_events": unique,
        "retries": len(plan) - unique,
        "clients": CLIENTS,
        "statuses": {str(code): statuses.count(code) for code in sorted(set(statuses))},
        "requests_per_second": round(len(plan) / seconds),
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        "records": len(records),
        "exact_dedupe": len(records) == unique and len({r["event_id"] for r in records}) == unique,
        "target_requests_per_second": 1000,
        "target_p99_ms": 20,
    }


if __name__ == "__main__":
    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2, sort_keys=True))
