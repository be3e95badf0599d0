"""The Slack Events API receiver: a Starlette ASGI app (served by uvicorn, see ``avwap slack serve``).

``POST /slack/events``: the body is read up to :data:`MAX_BODY_BYTES` (larger: 413), the ``v0`` signature
is checked with slack_sdk's ``SignatureVerifier`` against ``SLACK_SIGNING_SECRET`` and the injected clock
(missing, wrong or older than five minutes: 401; a timestamp that is not a number: 400), then the JSON is
read (malformed: 400). ``url_verification`` answers the challenge. An ``event_callback`` is acknowledged at
once and queued for a worker thread that runs :class:`~avwap.integrations.slack.reply_handler.ReplyHandler`
(ledger writes and Slack answers never hold up the ack). The queue is bounded: when it is full the answer is
503 (Slack retries later) and an alert is raised. Retries of an event already queued or recorded are
acknowledged and dropped (the ledger remembers recorded events across restarts).

Nothing here logs a header value, the body or the secret: rejections log the reason and the client.

Public API::

    build_app(*, signing_secret, handler, clock, queue_size=, alert=) -> Starlette
    MAX_BODY_BYTES, SIGNATURE_WINDOW_SECONDS
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from avwap.core.clock import Clock
from avwap.integrations.slack.reply_handler import ReplyHandler
from avwap.integrations.slack.reply_queue import Alert, ReplyQueue

logger = logging.getLogger(__name__)

MAX_BODY_BYTES: Final = 64 * 1024  # Slack events are a few KB; anything this large is not Slack
SIGNATURE_WINDOW_SECONDS: Final = 5 * 60
QUEUE_FULL_ALERT: Final = "SLACK_REPLY_QUEUE_FULL"


def log_alert(code: str, message: str) -> None:
    logger.error("%s: %s", code, message)


class _SlackClock:
    """slack_sdk's verifier asks its clock for epoch seconds; ours is the injected avwap clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock.now().timestamp()


def build_app(
    *,
    signing_secret: str,
    handler: ReplyHandler,
    clock: Clock,
    queue_size: int = 1000,
    alert: Alert = log_alert,
) -> Any:
    """The ASGI app (Starlette, imported here so that ``avwap`` start-up never pays for it)."""
    from slack_sdk.signature import SignatureVerifier
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    if not signing_secret:
        raise ValueError("the Slack receiver needs SLACK_SIGNING_SECRET")
    verifier = SignatureVerifier(signing_secret, clock=_SlackClock(clock))  # type: ignore[arg-type]
    worker = ReplyQueue(handler, queue_size, alert)

    def reject(status: int, reason: str, request: Request) -> Response:
        client = request.client.host if request.client else "?"
        logger.warning("rejected Slack request from %s: %s (%d)", client, reason, status)
        return PlainTextResponse(reason, status_code=status)

    async def read_body(request: Request) -> bytes | None:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return None
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return None
        return bytes(body)

    def signature_problem(
        body: bytes, timestamp: str | None, signature: str | None
    ) -> tuple[int, str] | None:
        if not timestamp or not signature:
            return 401, "unsigned"
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            return 400, "malformed timestamp"
        if abs(clock.now().timestamp() - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
            return 401, "stale timestamp"
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return 400, "body is not UTF-8"
        if not verifier.is_valid(body, timestamp, signature):
            return 401, "bad signature"
        return None

    async def events(request: Request) -> Response:
        body = await read_body(request)
        if body is None:
            return reject(413, "body too large", request)
        headers = request.headers
        problem = signature_problem(
            body, headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
        )
        if problem is not None:
            return reject(*problem, request)
        try:
            payload = json.loads(body)
        except ValueError:
            return reject(400, "malformed JSON", request)
        if not isinstance(payload, dict):
            return reject(400, "not a JSON object", request)
        kind = payload.get("type")
        if kind == "url_verification":
            challenge = payload.get("challenge")
            if not isinstance(challenge, str):
                return reject(400, "url_verification without a challenge", request)
            return JSONResponse({"challenge": challenge})
        if kind != "event_callback":
            return PlainTextResponse("ignored")
        event_id = payload.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            return reject(400, "event_callback without an event_id", request)
        queued = worker.offer(event_id, payload)
        if queued is None:
            alert(QUEUE_FULL_ALERT, f"reply queue full ({queue_size}); Slack will retry {event_id}")
            return PlainTextResponse("busy", status_code=503, headers={"Retry-After": "5"})
        return PlainTextResponse("ok" if queued else "duplicate")

    async def guarded(request: Request) -> Response:
        try:
            return await events(request)
        except Exception as error:
            return reject(400, f"unreadable request ({type(error).__name__})", request)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        worker.start()
        try:
            yield
        finally:
            worker.stop()

    app = Starlette(routes=[Route("/slack/events", guarded, methods=["POST"])], lifespan=lifespan)
    app.state.worker = worker
    return app
