"""The dashboard's protections: strict response headers, the token login and its cookie session, CSRF.

* Bind: loopback by default; :func:`check_bind` refuses any other address without ``AVWAP_DASHBOARD_TOKEN``.
* Login: when a token is configured, every page needs a session that logged in with it (compared in
  constant time, :func:`hmac.compare_digest`); the session lives in this process only (a restart logs out).
* CSRF: each session holds a token that every POST form must carry back (constant-time compare too).
* Headers: a CSP with no inline script or style, ``frame-ancestors 'none'``, no sniffing, no referrer, no
  caching of pages that show positions.

Session and CSRF tokens come from :mod:`secrets`: the one use of randomness in avwap that must not be
reproducible (a seeded token could be guessed).

Public API::

    is_loopback(host) -> bool
    check_bind(host, token)                       ConfigurationError naming AVWAP_DASHBOARD_TOKEN
    Sessions: new(), get(id), login(id)           id -> Session(csrf, authenticated)
    tokens_match(given, expected) -> bool
    SECURITY_HEADERS
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from dataclasses import dataclass, replace
from typing import Final

from avwap.core.errors import ConfigurationError

SESSION_COOKIE: Final = "avwap_dashboard_session"
MAX_SESSIONS: Final = 1024
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str) -> None:
    if not is_loopback(host) and not token:
        raise ConfigurationError(
            "AVWAP_DASHBOARD_TOKEN",
            f"binding the dashboard to {host} (not loopback) requires a login token; set it (16+ characters)",
        )


def tokens_match(given: str, expected: str) -> bool:
    """Constant-time comparison (of the UTF-8 bytes); an empty expected token never matches."""
    return bool(expected) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass(frozen=True)
class Session:
    csrf: str
    authenticated: bool


class Sessions:
    """In-memory sessions (the oldest dropped beyond :data:`MAX_SESSIONS`)."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def new(self) -> tuple[str, Session]:
        identifier, session = secrets.token_urlsafe(32), Session(secrets.token_urlsafe(32), False)
        with self._lock:
            self._sessions[identifier] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.pop(next(iter(self._sessions)))
        return identifier, session

    def get(self, identifier: str | None) -> Session | None:
        if not identifier:
            return None
        with self._lock:
            return self._sessions.get(identifier)

    def login(self, identifier: str) -> tuple[str, Session]:
        """A fresh session id for the logged-in session (the old id is dropped: no session fixation)."""
        with self._lock:
            self._sessions.pop(identifier, None)
        fresh, session = self.new()
        session = replace(session, authenticated=True)
        with self._lock:
            self._sessions[fresh] = session
        return fresh, session


__all__ = [
    "SECURITY_HEADERS",
    "SESSION_COOKIE",
    "Session",
    "Sessions",
    "check_bind",
    "is_loopback",
    "tokens_match",
]
