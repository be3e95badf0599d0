"""The Slack Web API boundary: post one message, look one up, and classify every failure once.

slack_sdk errors never leave this module: each call returns a :class:`PostResult` whose ``outcome`` says
what the caller may do next. Only ``UNKNOWN`` (timeout, dropped connection: the post may or may not have
landed) justifies looking at channel history before posting again; everything else is final.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from avwap.integrations.slack.messages import AlertEvent, SlackMessage

if TYPE_CHECKING:
    from slack_sdk.errors import SlackApiError

LOGGER: Final = logging.getLogger("avwap.integrations.slack")
METADATA_EVENT_PREFIX: Final = "avwap_"
HTTP_TOO_MANY_REQUESTS: Final = 429
HTTP_SERVER_ERROR: Final = 500


class SlackClient(Protocol):
    """The two Web API methods we use; slack_sdk's ``WebClient`` satisfies it, unit tests pass a fake."""

    def chat_postMessage(
        self,
        *,
        channel: str,
        text: str | None = None,
        blocks: Sequence[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Any: ...

    def conversations_history(
        self, *, channel: str, include_all_metadata: bool | None = None, limit: int | None = None
    ) -> Any: ...


class Outcome(enum.StrEnum):
    DELIVERED = "DELIVERED"
    RATE_LIMITED = "RATE_LIMITED"  # 429: not posted; wait Retry-After
    REJECTED = "REJECTED"  # Slack answered ok=false (invalid_auth, channel_not_found, ...): not posted
    SERVER_ERROR = "SERVER_ERROR"  # 5xx: Slack failed; not retried (a retry could duplicate)
    UNREACHABLE = "UNREACHABLE"  # connection refused: certainly not posted
    UNKNOWN = "UNKNOWN"  # timeout or dropped connection: may have been posted


@dataclass(frozen=True)
class PostResult:
    outcome: Outcome
    reason: str  # stable lower_snake detail: "ok", "invalid_auth", "http_500", "timeout", ...
    retry_after_seconds: float | None = None
    channel_id: str | None = None


def message_metadata(event: AlertEvent, post_id: str) -> dict[str, Any]:
    """Slack message metadata: the event type and the keys that let a re-post be recognised."""
    return {
        "event_type": METADATA_EVENT_PREFIX + event.kind.value.lower(),
        "event_payload": {
            "date_ny": event.date_ny.isoformat(),
            "dedupe_key": event.dedupe_key,
            "kind": event.kind.value,
            "post_id": post_id,
            "severity": event.severity.value,
        },
    }


def post_message(
    client: SlackClient, channel: str, message: SlackMessage, metadata: dict[str, Any]
) -> PostResult:
    """Post once (the client must not retry by itself); never raises."""
    try:
        response = client.chat_postMessage(
            channel=channel,
            text=message.text,
            blocks=[dict(block) for block in message.blocks],
            metadata=metadata,
        )
    except Exception as error:
        return classify_error(error)
    channel_id = response.get("channel") if hasattr(response, "get") else None
    return PostResult(Outcome.DELIVERED, "ok", channel_id=channel_id if isinstance(channel_id, str) else None)


def find_post(client: SlackClient, channel: str, post_id: str, limit: int) -> bool | None:
    """Whether the latest ``limit`` messages hold ``post_id`` in their metadata; None when we cannot tell."""
    try:
        response = client.conversations_history(channel=channel, include_all_metadata=True, limit=limit)
        messages = response.get("messages") or []
    except Exception as error:
        LOGGER.warning("Slack history lookup failed (%s)", classify_error(error).reason)
        return None
    return any(_post_id(item) == post_id for item in messages if isinstance(item, Mapping))


def _post_id(message: Mapping[str, Any]) -> object:
    metadata = message.get("metadata")
    payload = metadata.get("event_payload") if isinstance(metadata, Mapping) else None
    return payload.get("post_id") if isinstance(payload, Mapping) else None


def classify_error(error: BaseException) -> PostResult:
    """Map any exception from slack_sdk / urllib to a :class:`PostResult` (the one mapping point)."""
    import http.client  # here, like slack_sdk: a process that never posts needs neither (nor ssl)
    import urllib.error

    from slack_sdk.errors import SlackApiError  # here: a process that never posts never imports slack_sdk

    if isinstance(error, SlackApiError):
        return _classify_api_error(error)
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        if isinstance(reason, ConnectionRefusedError):
            return PostResult(Outcome.UNREACHABLE, "connection_refused")
        if isinstance(reason, TimeoutError):
            return PostResult(Outcome.UNKNOWN, "timeout")
        return PostResult(Outcome.UNREACHABLE, "network_error")
    if isinstance(error, TimeoutError):
        return PostResult(Outcome.UNKNOWN, "timeout")
    if isinstance(error, ConnectionRefusedError):
        return PostResult(Outcome.UNREACHABLE, "connection_refused")
    if isinstance(error, ConnectionError | http.client.HTTPException):
        return PostResult(Outcome.UNKNOWN, "connection_dropped")
    if isinstance(error, OSError):
        return PostResult(Outcome.UNKNOWN, "network_error")
    return PostResult(Outcome.REJECTED, f"unexpected_{type(error).__name__}")


def _classify_api_error(error: SlackApiError) -> PostResult:
    response = error.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = getattr(response, "data", None)
    code = data.get("error") if isinstance(data, Mapping) else None
    if status == HTTP_TOO_MANY_REQUESTS or code == "ratelimited":
        return PostResult(Outcome.RATE_LIMITED, "ratelimited", _retry_after(getattr(response, "headers", {})))
    if status >= HTTP_SERVER_ERROR:
        return PostResult(Outcome.SERVER_ERROR, f"http_{status}")
    if isinstance(code, str) and code.isidentifier():
        return PostResult(Outcome.REJECTED, code)
    return PostResult(Outcome.REJECTED, f"http_{status}")


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                seconds = float(str(raw))
            except ValueError:
                return None
            return seconds if seconds >= 0 else None
    return None
