"""Socket Mode (``avwap slack listen``): replies to tickets without a public HTTPS endpoint (issue 13, M1-C).

slack_sdk's ``SocketModeClient`` opens the websocket (``apps.connections.open`` with the app-level token
``SLACK_APP_TOKEN``, ``xapp-…``) and hands each envelope to :func:`socket_mode_listener`, which feeds the
same :class:`~avwap.integrations.slack.reply_queue.ReplyQueue` and handler as the Events API receiver.
Socket Mode needs no signature (the connection is authenticated by the token). An ``events_api`` envelope
is acknowledged once it is queued or known; when the queue is full it is *not* acknowledged (Slack
redelivers it) and the alert is raised. Other envelope types are acknowledged and ignored.

Public API::

    socket_mode_listener(replies, alert) -> listener(client, request)
    listen(client, replies, stop)        connect, serve until ``stop`` is set, close
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from avwap.integrations.slack.events_app import QUEUE_FULL_ALERT
from avwap.integrations.slack.reply_queue import Alert, ReplyQueue

logger = logging.getLogger(__name__)


def socket_mode_listener(replies: ReplyQueue, alert: Alert) -> Callable[[Any, Any], None]:
    """The listener for ``SocketModeClient.socket_mode_request_listeners``."""
    from slack_sdk.socket_mode.response import SocketModeResponse

    def listener(client: Any, request: Any) -> None:
        payload = request.payload if isinstance(request.payload, dict) else {}
        event_id = payload.get("event_id")
        event_id = event_id if isinstance(event_id, str) else ""
        if request.type == "events_api" and event_id and replies.offer(event_id, payload) is None:
            alert(QUEUE_FULL_ALERT, f"reply queue full; Slack will redeliver {event_id}")
            return  # no ack: Slack redelivers the envelope later
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

    return listener


def listen(client: Any, replies: ReplyQueue, stop: threading.Event, alert: Alert) -> None:
    """Serve Socket Mode on ``client`` until ``stop`` is set; what was acknowledged is recorded before
    returning."""
    client.socket_mode_request_listeners.append(socket_mode_listener(replies, alert))
    replies.start()
    try:
        client.connect()
        logger.info("Socket Mode connected")
        stop.wait()
    finally:
        client.close()
        replies.stop()
