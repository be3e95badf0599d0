"""Route handlers: each validates its parameters (an unknown book, a malformed date, code, id or run name is
a 404, never a path), reads through the page modules and renders a Jinja2 template (autoescaped).

Public API: the handlers named in :mod:`avwap.dashboard.app`, and :class:`DashboardState`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, Final

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from avwap.core.calendar import ny_date
from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.core.errors import AvwapError
from avwap.dashboard import audit, performance, positions, today
from avwap.dashboard.books import BookReaders, dashboard_books
from avwap.dashboard.health import expected_session, system_jobs
from avwap.dashboard.kill_switch import engage
from avwap.dashboard.overview import book_facts, book_overview, deployment, facts_key, latest_regime
from avwap.dashboard.security import SECURITY_HEADERS, Sessions, tokens_match
from avwap.dashboard.signature import MemoCache, folder_signature, ledger_signature
from avwap.ledger.lineage import stage_of
from avwap.ledger.lineage_read import trace_ledger
from avwap.ledger.paths import REGIME_E1

CODE: Final = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
IDENTIFIER: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
WHO: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$")
MAX_FORM_BYTES: Final = 8192
TEMPLATES: Final = Environment(
    loader=PackageLoader("avwap.dashboard", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class DashboardState:
    config: Config
    clock: Clock
    cache: MemoCache
    sessions: Sessions
    readers: BookReaders


def _state(request: Request) -> DashboardState:
    return request.app.state.dashboard  # type: ignore[no-any-return]


def render(request: Request, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    state = _state(request)
    session = getattr(request.state, "session", None)
    html = TEMPLATES.get_template(name).render(
        page=name.removesuffix(".html"),
        home=str(state.config.home.name),
        books=dashboard_books(state.config),
        csrf=session.csrf if session else "",
        login_required=bool(state.config.dashboard_token),
        svg=Markup,
        **values,
    )
    return HTMLResponse(html, status_code=status_code)


def _book(request: Request) -> str:
    books = dashboard_books(_state(request).config)
    book = request.query_params.get("book") or (books[0] if books else "")
    if book not in books:
        raise HTTPException(404, "no such book")
    return book


def _day(request: Request) -> dt.date | None:
    text = request.query_params.get("date", "")
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise HTTPException(404, "not a date") from None


async def form_fields(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the only kind the forms send; no multipart parser is
    needed), at most :data:`MAX_FORM_BYTES`; anything else is an empty form (every check then fails)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return {}
    body = b""
    async for chunk in request.stream():  # bounded: a large body is never held in memory
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    try:
        return dict(urllib.parse.parse_qsl(body.decode("utf-8", errors="replace"), max_num_fields=16))
    except ValueError:  # more fields than any form has
        return {}


def _facts(state: DashboardState, book: str) -> Any:
    return state.cache.get_or_build(
        facts_key(state.config, book), lambda: book_facts(state.config, book, state.readers, state.cache)
    )


def overview_page(request: Request) -> Response:
    state = _state(request)
    now = state.clock.now()
    expected = expected_session(now)
    deployed = deployment(state.config, ny_date(now))
    books = [
        book_overview(state.config, book, expected, deployed, state.cache, readers=state.readers)
        for book in dashboard_books(state.config)
    ]
    return render(
        request,
        "overview.html",
        now=now,
        expected=expected,
        deployed=deployed,
        overviews=books,
        system=system_jobs(state.config.data_dir, state.config.artifacts_dir, expected),
        regime=state.cache.get_or_build(
            ("regime", folder_signature(state.config.ledger_dir / REGIME_E1)),
            lambda: latest_regime(state.config.ledger_dir),
        ),
    )


def positions_page(request: Request) -> Response:
    state = _state(request)
    book = _book(request)
    facts = _facts(state, book)
    today_ny = ny_date(state.clock.now())
    rows = []
    for item in positions.open_positions(facts):
        key = ("chart", facts_key(state.config, book), item.trade.position_id, item.mark)
        chart, problem = state.cache.get_or_build(
            key,
            functools.partial(positions.position_chart, state.config, facts.ledger.records, item, today_ny),
        )
        rows.append((item, chart, problem))
    return render(request, "positions.html", book=book, facts=facts, rows=rows)


def today_page(request: Request) -> Response:
    state = _state(request)
    book = _book(request)
    code = request.query_params.get("code", "")
    if code and not CODE.fullmatch(code):
        raise HTTPException(404, "not a reason code")
    facts = _facts(state, book)
    view = today.today_view(state.config, facts.ledger.records, _day(request), code)
    return render(request, "today.html", book=book, facts=facts, view=view)


def trace_page(request: Request) -> Response:
    state = _state(request)
    identifier = request.path_params["identifier"]
    if not IDENTIFIER.fullmatch(identifier):
        raise HTTPException(404, "not an id")
    try:
        lineage = trace_ledger(state.config.ledger_dir, identifier)
    except AvwapError as error:
        return render(
            request, "trace.html", status_code=404, identifier=identifier, rows=[], problem=str(error)
        )
    rows = [(stage_of(row.record), row) for row in lineage.rows]
    return render(request, "trace.html", identifier=identifier, rows=rows, lineage=lineage, problem="")


def _performance(request: Request, config: Config, book: str, title: str) -> Response:
    state = _state(request)
    if config is state.config:  # the home's book: cached by what the page reads (see inputs_key)
        key = performance.inputs_key(config, book, _facts(state, book).ledger)
    else:  # a backtest run folder: by its ledger's head and files
        key = ("performance", facts_key(config, book), str(config.home))
    data_dir = state.config.data_dir
    result = state.cache.get_or_build(key, lambda: performance.performance(config, book, data_dir))
    runs = performance.run_names(state.config)
    return render(request, "performance.html", book=book, result=result, title=title, runs=runs)


def performance_page(request: Request) -> Response:
    book = _book(request)
    return _performance(request, _state(request).config, book, f"Performance of {book}")


def run_page(request: Request) -> Response:
    name = request.path_params["name"]
    config = performance.run_config(_state(request).config, name)
    if config is None:
        raise HTTPException(404, "no such backtest run")
    return _performance(request, config, "BACKTEST", f"Backtest run {name}")


def audit_page(request: Request) -> Response:
    state = _state(request)
    key = ("audit", ledger_signature(state.config.ledger_dir))
    rows = state.cache.get_or_build(key, lambda: audit.verification_rows(state.config.ledger_dir))
    books = dashboard_books(state.config)
    folders = tuple(folder_signature(state.config.artifacts_dir / "reconciliation" / book) for book in books)
    reconciliations = state.cache.get_or_build(
        ("reconciliations", tuple(books), folders),
        lambda: audit.reconciliation_rows(state.config.artifacts_dir, books),
    )
    return render(request, "audit.html", rows=rows, reconciliations=reconciliations)


async def kill_switch_page(request: Request) -> Response:
    state = _state(request)
    deployed = deployment(state.config, ny_date(state.clock.now()))
    if request.method == "GET":
        return render(request, "kill_switch.html", deployed=deployed, problem="", outcome=None)
    form = await form_fields(request)
    session = request.state.session
    if not tokens_match(str(form.get("csrf", "")), session.csrf):
        return render(
            request,
            "kill_switch.html",
            403,
            deployed=deployed,
            problem="invalid or missing CSRF token",
            outcome=None,
        )
    who, reason = str(form.get("who", "")).strip(), str(form.get("reason", "")).strip()[:200]
    if form.get("confirm") != "ENGAGE" or not WHO.fullmatch(who):
        problem = "type ENGAGE to confirm and give your name (letters, digits, . _ @ -)"
        return render(request, "kill_switch.html", 400, deployed=deployed, problem=problem, outcome=None)
    outcome = await run_in_threadpool(engage, state.config, state.clock, who, reason or "no reason given")
    deployed = deployment(state.config, ny_date(state.clock.now()))
    return render(request, "kill_switch.html", deployed=deployed, problem="", outcome=outcome)


async def login_page(request: Request) -> Response:
    state = _state(request)
    if request.method == "GET":
        return render(request, "login.html", problem="")
    form = await form_fields(request)
    if not tokens_match(str(form.get("csrf", "")), request.state.session.csrf):
        return render(request, "login.html", 403, problem="invalid or missing CSRF token")
    if not tokens_match(str(form.get("token", "")), state.config.dashboard_token):
        return render(request, "login.html", 403, problem="wrong token")
    fresh, _ = state.sessions.login(request.state.session_id)
    request.state.new_session_id = fresh
    return RedirectResponse("/", status_code=303)


def version_api(request: Request) -> Response:
    """A digest of everything the pages read cheaply (ledger heads, kill switch): the page script reloads
    when it changes."""
    config = _state(request).config
    kill = (config.state_dir / "KILL_SWITCH").exists()
    text = repr((ledger_signature(config.ledger_dir), kill)).encode()
    return JSONResponse({"version": hashlib.sha256(text).hexdigest()[:16]})


async def not_found(request: Request, exc: Exception) -> Response:
    detail = exc.detail if isinstance(exc, HTTPException) else "not found"
    return render(request, "error.html", 404, title="Not found", detail=str(detail))


async def server_error(request: Request, exc: Exception) -> Response:
    response = HTMLResponse(
        "<!doctype html><title>error</title><p>internal error (see the server log)</p>", 500
    )
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


__all__ = ["DashboardState"]
