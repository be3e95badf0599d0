"""The Starlette application: routes (pages.py), the session/login/CSRF middleware, static files.

Public API::

    create_app(config, clock) -> Starlette       ConfigurationError when the bind needs a token and has none
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.dashboard import pages
from avwap.dashboard.books import BookReaders
from avwap.dashboard.security import SECURITY_HEADERS, SESSION_COOKIE, Sessions, check_bind, is_loopback
from avwap.dashboard.signature import MemoCache

STATIC: Final = Path(__file__).resolve().parent / "static"
OPEN_PATHS: Final = ("/login", "/static/")
LOOPBACK_NAMES: Final = ["127.0.0.1", "localhost", "::1", "[::1]"]


class SessionMiddleware(BaseHTTPMiddleware):
    """Attach (or start) the session; demand a login when a token is configured; add the security headers."""

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        state: pages.DashboardState = request.app.state.dashboard
        identifier = request.cookies.get(SESSION_COOKIE)
        session = state.sessions.get(identifier)
        fresh = session is None
        if session is None:
            identifier, session = state.sessions.new()
        request.state.session_id = identifier
        request.state.session = session
        response: Response
        if (
            state.config.dashboard_token
            and not session.authenticated
            and not request.url.path.startswith(OPEN_PATHS)
        ):
            if request.method == "GET":
                response = RedirectResponse("/login", status_code=303)
            else:
                response = PlainTextResponse("login required", status_code=403)
        else:
            response = await call_next(request)
        new_id = getattr(request.state, "new_session_id", None)
        if fresh or new_id:
            response.set_cookie(
                SESSION_COOKIE,
                str(new_id or identifier),
                httponly=True,
                samesite="strict",
                path="/",
                secure=request.url.scheme == "https",
            )
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        return response


def create_app(config: Config, clock: Clock) -> Starlette:
    check_bind(config.dashboard_host, config.dashboard_token)
    hosts = ["*"] if not is_loopback(config.dashboard_host) else LOOPBACK_NAMES
    routes = [
        Route("/", pages.overview_page),
        Route("/positions", pages.positions_page),
        Route("/today", pages.today_page),
        Route("/trace/{identifier}", pages.trace_page),
        Route("/performance", pages.performance_page),
        Route("/performance/run/{name}", pages.run_page),
        Route("/audit", pages.audit_page),
        Route("/kill-switch", pages.kill_switch_page, methods=["GET", "POST"]),
        Route("/login", pages.login_page, methods=["GET", "POST"]),
        Route("/api/version", pages.version_api),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
            Middleware(SessionMiddleware),
        ],
        exception_handlers={404: pages.not_found, 500: pages.server_error},
    )
    app.state.dashboard = pages.DashboardState(config, clock, MemoCache(), Sessions(), BookReaders())
    return app


__all__ = ["create_app"]
