"""The Schwab OAuth token file (issue 13, M1-D): read, written atomically 0600, refreshed by one process.

The file is schwab-py's own format (``{"creation_timestamp": <unix seconds>, "token": {...}}``), so a token
made by schwab-py's login helpers works here and the other way round. What we add:

- **atomic, private writes**: every write (the first one and each refresh schwab-py asks for) replaces the
  file through :func:`avwap.core.files.atomic_write_bytes` with mode 0600: a crash leaves the old or the
  new token, never half of one, and no other user can read it at any instant;
- **one process at a time** (:meth:`TokenFile.exclusive`): an exclusive ``flock`` on ``<file>.lock`` is
  held for as long as a client built on the token is used, so two processes never refresh the same
  refresh token (Schwab would revoke the loser's). A second process fails at once with a clear message;
- **the 7-day limit**: Schwab's refresh token lives 7 days from the login that created it
  (``creation_timestamp``; refreshes keep it). :meth:`TokenFile.check_fresh` refuses an expired token
  *before* any network call (:class:`SchwabTokenExpired`, an operator alert, exit 3): a timer that runs
  the snapshot daily then fails once a day with the same message, never a loop of refused refreshes.

Secrets (the token's contents) are never logged or put in an error message.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from avwap.core.canonical import canonical_json
from avwap.core.clock import Clock
from avwap.core.errors import BrokerUnavailableError, ConfigurationError
from avwap.core.files import atomic_write_bytes

VARIABLE: Final = "SCHWAB_TOKEN_FILE"
REFRESH_TOKEN_LIFETIME: Final = dt.timedelta(days=7)
WARN_BEFORE: Final = dt.timedelta(days=1)
TOKEN_EXPIRED_CODE: Final = "SCHWAB_TOKEN_EXPIRED"
TOKEN_EXPIRING_CODE: Final = "SCHWAB_TOKEN_EXPIRING"


class SchwabTokenExpired(ConfigurationError):
    """The refresh token is past Schwab's 7-day limit or was refused: a person must log in again."""

    def __init__(self, message: str, created_at: dt.datetime | None = None) -> None:
        self.created_at = created_at
        super().__init__(VARIABLE, message + "; log in again: `avwap schwab login` (docs/SCHWAB.md)")


class TokenFile:
    """The token file at ``path``; ``clock`` tells its age."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = Path(path)
        self.clock = clock

    def read(self) -> dict[str, Any]:
        """The wrapped token (schwab-py's ``token_read_func``); a missing or malformed file names the
        variable, never the contents."""
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            raise ConfigurationError(
                VARIABLE, f"no token file at {self.path}: make one with `avwap schwab login`"
            ) from None
        except (OSError, ValueError) as error:
            kind = type(error).__name__
            raise ConfigurationError(VARIABLE, f"token file {self.path} is unreadable ({kind})") from None
        token = data.get("token") if isinstance(data, dict) else None
        created = data.get("creation_timestamp") if isinstance(data, dict) else None
        if not isinstance(token, dict) or isinstance(created, bool) or not isinstance(created, int | float):
            raise ConfigurationError(
                VARIABLE, f"token file {self.path} is not a schwab-py token (creation_timestamp, token)"
            )
        return dict(data)

    def write(self, wrapped: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        """schwab-py's ``token_write_func``: replace the file atomically, mode 0600."""
        atomic_write_bytes(self.path, canonical_json(wrapped), mode=0o600)

    def created_at(self, wrapped: dict[str, Any]) -> dt.datetime:
        return dt.datetime.fromtimestamp(int(wrapped["creation_timestamp"]), tz=dt.UTC)

    def expires_at(self, wrapped: dict[str, Any]) -> dt.datetime:
        return self.created_at(wrapped) + REFRESH_TOKEN_LIFETIME

    def check_fresh(self, wrapped: dict[str, Any]) -> dt.datetime:
        """The refresh token's expiry; :class:`SchwabTokenExpired` when it has passed (no network)."""
        expires = self.expires_at(wrapped)
        if self.clock.now() >= expires:
            raise SchwabTokenExpired(
                f"the Schwab refresh token expired at {expires.isoformat()} (7 days after its login)",
                self.created_at(wrapped),
            )
        return expires

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold ``<file>.lock`` exclusively for the block; another holder is an immediate, clear error."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BrokerUnavailableError(
                    f"another process holds the Schwab token ({lock_path}): one process at a time uses "
                    "and refreshes it; try again when it has finished"
                ) from None
            yield
        finally:
            os.close(descriptor)  # closing releases the lock
