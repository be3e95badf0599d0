"""``avwap slack serve`` / ``avwap slack listen``: replies to trade tickets from Slack (issue 13, M1-C).

``listen`` is Socket Mode (``SLACK_APP_TOKEN``, no public endpoint needed) feeding the same handler.

Serves :func:`avwap.integrations.slack.events_app.build_app` with uvicorn on ``--host``/``--port`` (behind
a TLS-terminating proxy: Slack posts to ``https://<public host>/slack/events``). Requests are verified with
``SLACK_SIGNING_SECRET``; replies in the threads of ``--channel`` (a channel *id*, default
``SLACK_CHANNEL``) are recorded in the ``SLACK_REPLIES`` ledger stream and answered in the thread through
``SLACK_BOT_TOKEN``. Starlette, uvicorn and slack_sdk are imported only when the command runs. See
docs/SLACK_REPLIES.md.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import typer

from avwap.cli.output import load_cli_config, run_guarded
from avwap.core.errors import ConfigurationError

MANUAL_BOOK = "SCHWAB_401K_MANUAL"
HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (default: AVWAP_HOME or ./var).")
HOST_OPTION = typer.Option("127.0.0.1", "--host", help="Address to listen on (keep it local behind a proxy).")
PORT_OPTION = typer.Option(3000, "--port", min=1, max=65535, help="Port to listen on.")
CHANNEL_OPTION = typer.Option(None, "--channel", help="Ticket channel id (default: SLACK_CHANNEL).")
BOOK_OPTION = typer.Option(MANUAL_BOOK, "--book", help="The manual book whose tickets are answered.")
QUEUE_OPTION = typer.Option(1000, "--queue-size", min=1, help="Replies waiting for the ledger at most.")


def _handler(config: Any, channel: str | None, book: str) -> tuple[Any, Any]:
    """(WebClient, ReplyHandler) shared by both transports."""
    from slack_sdk import WebClient

    from avwap.core.clock import SystemClock
    from avwap.integrations.slack.reply_handler import ReplyHandler, web_client_answer
    from avwap.ledger.confirmations import ConfirmationLedger, ticket_finder

    channel_id = channel or config.slack_channel
    if not channel_id:
        raise ConfigurationError(
            "SLACK_CHANNEL", "no ticket channel: pass --channel or set it (a channel id)"
        )
    if not config.slack_bot_token:
        raise ConfigurationError("SLACK_BOT_TOKEN", "not set: replies could not be answered in their thread")
    # No automatic retries: a connection retry could post the answer twice (DESIGN.md section 8).
    base_url = config.slack_base_url or WebClient.BASE_URL
    client = WebClient(token=config.slack_bot_token, base_url=base_url, retry_handlers=[])
    handler = ReplyHandler(
        ConfirmationLedger(config.ledger_dir, SystemClock()),
        book_id=book,
        channel=channel_id,
        find_intent=ticket_finder(config.ledger_dir, book),
        answer=web_client_answer(client),
    )
    return client, handler


def _serve(  # noqa: PLR0917 - the command's options, passed straight through
    home: Path | None, host: str, port: int, channel: str | None, book: str, queue_size: int
) -> None:
    import uvicorn

    from avwap.core.clock import SystemClock
    from avwap.integrations.slack.events_app import build_app

    config = load_cli_config(home=home)
    if not config.slack_signing_secret:
        raise ConfigurationError(
            "SLACK_SIGNING_SECRET", "not set: the receiver cannot verify Slack's requests"
        )
    _, handler = _handler(config, channel, book)
    app = build_app(
        signing_secret=config.slack_signing_secret,
        handler=handler,
        clock=SystemClock(),
        queue_size=queue_size,
    )
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="on")


def _listen(home: Path | None, channel: str | None, book: str, queue_size: int) -> None:
    from slack_sdk.socket_mode import SocketModeClient

    from avwap.integrations.slack.events_app import log_alert
    from avwap.integrations.slack.reply_queue import ReplyQueue
    from avwap.integrations.slack.socket_mode import listen

    config = load_cli_config(home=home)
    if not config.slack_app_token:
        raise ConfigurationError(
            "SLACK_APP_TOKEN", "not set: Socket Mode needs the app-level token (xapp-...)"
        )
    client, handler = _handler(config, channel, book)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    socket_client = SocketModeClient(app_token=config.slack_app_token, web_client=client)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        listen(socket_client, ReplyQueue(handler, queue_size, log_alert), stop, log_alert)
    except KeyboardInterrupt:
        stop.set()


def register(app: typer.Typer) -> None:
    slack = typer.Typer(
        help="Slack trade-ticket replies: the Events API receiver and Socket Mode.", no_args_is_help=True
    )
    app.add_typer(slack, name="slack")

    @slack.command("serve")
    def serve(  # noqa: PLR0917 - one option each (typer passes them by name)
        host: str = HOST_OPTION,
        port: int = PORT_OPTION,
        channel: str | None = CHANNEL_OPTION,
        book: str = BOOK_OPTION,
        queue_size: int = QUEUE_OPTION,
        home: Path | None = HOME_OPTION,
    ) -> None:
        """Receive replies to trade tickets (signed Slack Events API requests) and record them."""
        run_guarded(lambda: _serve(home, host, port, channel, book, queue_size))

    @slack.command("listen")
    def listen(
        channel: str | None = CHANNEL_OPTION,
        book: str = BOOK_OPTION,
        queue_size: int = QUEUE_OPTION,
        home: Path | None = HOME_OPTION,
    ) -> None:
        """Receive replies to trade tickets over Socket Mode (no public endpoint) and record them."""
        run_guarded(lambda: _listen(home, channel, book, queue_size))
