"""The Schwab OAuth login (issue 13, M1-D): make the token file, once a week, by hand.

Schwab's OAuth needs a person: open the authorization URL in a browser, log in, approve the app, and copy
the address the browser is sent to (the callback URL with ``code`` and ``state``; nothing needs to listen
there, the page may fail to load). :func:`login` prints the first and takes the second, then lets
schwab-py (``get_auth_context``, ``client_from_received_url``) exchange the code, writing the token through
:class:`~avwap.integrations.schwab.token_store.TokenFile` (atomically, mode 0600) under its lock. The key
and secret come from the environment only; nothing secret is printed.
"""

from __future__ import annotations

import datetime as dt
import gc
import warnings
from collections.abc import Callable

from avwap.core.errors import BrokerError, BrokerRejectedError, BrokerUnavailableError
from avwap.integrations.schwab.read_only import schwab_auth
from avwap.integrations.schwab.token_store import TokenFile


def login(
    app_key: str, app_secret: str, token_file: TokenFile, callback_url: str, ask: Callable[[str], str]
) -> dt.datetime:
    """Run the login; ``ask(authorization_url)`` returns the address the browser landed on. The new
    refresh token's expiry."""
    import httpx
    from authlib.common.errors import AuthlibBaseError

    auth = schwab_auth()
    # schwab-py builds throwaway OAuth sessions here and never closes them: their sockets are released
    # by the collector at the end of the block, without a ResourceWarning per login.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        context = auth.get_auth_context(app_key, callback_url)
        received = ask(context.authorization_url).strip()
        with token_file.exclusive():
            failure: BrokerError | None = None
            try:
                client = auth.client_from_received_url(
                    app_key, app_secret, context, received, token_file.write
                )
            except AuthlibBaseError as error:
                failure = BrokerRejectedError(f"Schwab refused the login ({error.error})")
            except httpx.HTTPError as error:
                failure = BrokerUnavailableError(f"Schwab login: {type(error).__name__}")
            gc.collect()  # after the handler: its traceback no longer holds the sessions
            if failure is not None:
                raise failure
            client.session.close()
            return token_file.expires_at(token_file.read())
