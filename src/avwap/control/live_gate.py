"""The live gate: which execution mode is in force, and why.

Rules, in order (the first that applies decides):

1. ``DRY_RUN=1`` always wins: the effective mode is DRY_RUN (reason ``DRY_RUN_FORCED`` when another mode was
   requested; no alert, it is the operator's explicit choice).
2. ``EXECUTION_MODE=LIVE`` needs all three keys at once: ``LIVE_TRADING=1``; ``LIVE_CONFIRM_TOKEN`` non-empty
   and equal (constant-time compare) to the stripped contents of ``<state>/live_confirm_token.txt``; and
   ``ALPACA_TRADING_URL`` naming the live endpoint (:func:`is_live_endpoint`). Anything less falls back to
   DRY_RUN with ``LIVE_NOT_CONFIRMED``, every specific failing key in a fixed order, and an alert.
3. ``EXECUTION_MODE=ALPACA_PAPER`` pointed at the live endpoint falls back to DRY_RUN with
   ``PAPER_MODE_LIVE_ENDPOINT``: a paper book must never reach real money.
4. Any other mode is used as requested.

Phase C (``PHASE_C=1``) only applies when the effective mode is LIVE. Its symbol-independent checks
(:func:`phase_c_failures`) are recorded here for alerts and config-check; they do not change the mode, they
reject *entries* in the gates. Keeping LIVE (rather than falling back) on a Phase C mismatch keeps the exits
of any live position running on the live book.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from avwap.control import reasons
from avwap.core.config import Config
from avwap.core.execution_mode import ExecutionMode

LIVE_TRADING_HOST: Final = "api.alpaca.markets"
PAPER_TRADING_HOST: Final = "paper-api.alpaca.markets"
_ALLOWED_PATHS: Final = frozenset({"", "/", "/v2", "/v2/"})


@dataclass(frozen=True)
class ModeResolution:
    """The outcome of the live gate. ``live_confirmed`` is True only when all three LIVE keys matched."""

    requested_mode: ExecutionMode
    effective_mode: ExecutionMode
    live_confirmed: bool = False
    reasons: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()
    phase_c_active: bool = False
    phase_c_reasons: tuple[str, ...] = ()


def endpoint_host(url: str) -> str | None:
    """The Alpaca host that ``url`` names exactly, or None when it is anything else.

    Exact means: scheme ``https``; no user, password, query or fragment; port absent or 443; path empty,
    ``/``, ``/v2`` or ``/v2/``. Comparison ignores case and surrounding whitespace. Anything looser (http,
    another port, a look-alike host such as ``api.alpaca.markets.example``) is not an Alpaca endpoint.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or parts.username is not None or parts.password is not None:
        return None
    if port not in (None, 443) or parts.query or parts.fragment or parts.path not in _ALLOWED_PATHS:
        return None
    return (parts.hostname or "").lower() or None


def is_live_endpoint(url: str) -> bool:
    """True only for the live Alpaca endpoint ``https://api.alpaca.markets`` (see :func:`endpoint_host`)."""
    return endpoint_host(url) == LIVE_TRADING_HOST


def live_key_failures(config: Config, token_file_text: str | None) -> tuple[str, ...]:
    """Every missing or wrong LIVE key, in the documented order (empty when LIVE is confirmed)."""
    failures: list[str] = []
    if not config.live_trading:
        failures.append(reasons.LIVE_TRADING_NOT_SET)
    expected = config.live_confirm_token.strip()
    if not expected:
        failures.append(reasons.LIVE_TOKEN_MISSING)
    actual = None if token_file_text is None else token_file_text.strip()
    if actual is None:
        failures.append(reasons.LIVE_TOKEN_FILE_MISSING)
    elif not actual:
        failures.append(reasons.LIVE_TOKEN_FILE_EMPTY)
    if expected and actual and not hmac.compare_digest(expected.encode(), actual.encode()):
        failures.append(reasons.LIVE_TOKEN_MISMATCH)
    if not is_live_endpoint(config.alpaca_trading_url):
        failures.append(reasons.LIVE_ENDPOINT_NOT_LIVE)
    return tuple(failures)


def phase_c_failures(enable_date: object, allowlist: object, today_ny: object) -> tuple[str, ...]:
    """Phase C's symbol-independent failures (caller decides whether Phase C applies), in order."""
    failures: list[str] = []
    if not isinstance(today_ny, dt.date) or isinstance(today_ny, dt.datetime):
        failures.append(reasons.CLOCK_UNKNOWN)
    if not isinstance(enable_date, dt.date) or isinstance(enable_date, dt.datetime):
        failures.append(reasons.PHASE_C_DATE_MISSING)
    elif enable_date != today_ny:
        failures.append(reasons.PHASE_C_DATE_MISMATCH)
    if not isinstance(allowlist, tuple | list | frozenset) or len(allowlist) != 1:
        failures.append(reasons.PHASE_C_ALLOWLIST_NOT_SINGLE)
    return tuple(failures)


def resolve_mode(config: Config, token_file_text: str | None, today_ny: dt.date) -> ModeResolution:
    """Resolve the effective execution mode (see the module docstring for the rules)."""
    requested = config.execution_mode
    if config.dry_run:
        forced = (reasons.DRY_RUN_FORCED,) if requested is not ExecutionMode.DRY_RUN else ()
        return ModeResolution(requested, ExecutionMode.DRY_RUN, reasons=forced)
    if requested is ExecutionMode.LIVE:
        failures = live_key_failures(config, token_file_text)
        if failures:
            return _fall_back(requested, (reasons.LIVE_NOT_CONFIRMED, *failures))
        return _confirmed_live(config, today_ny)
    if requested is ExecutionMode.ALPACA_PAPER and is_live_endpoint(config.alpaca_trading_url):
        return _fall_back(requested, (reasons.PAPER_MODE_LIVE_ENDPOINT,))
    return ModeResolution(requested, requested)


def _fall_back(requested: ExecutionMode, codes: tuple[str, ...]) -> ModeResolution:
    alert = f"EXECUTION_MODE={requested.value} refused ({', '.join(codes)}): falling back to DRY_RUN"
    return ModeResolution(requested, ExecutionMode.DRY_RUN, reasons=codes, alerts=(alert,))


def _confirmed_live(config: Config, today_ny: dt.date) -> ModeResolution:
    if not config.phase_c:
        return ModeResolution(ExecutionMode.LIVE, ExecutionMode.LIVE, live_confirmed=True)
    failures = phase_c_failures(config.live_enable_date_ny, config.allowlist_symbols, today_ny)
    alerts = (f"PHASE_C: new entries rejected today ({', '.join(failures)})",) if failures else ()
    return ModeResolution(
        ExecutionMode.LIVE,
        ExecutionMode.LIVE,
        live_confirmed=True,
        alerts=alerts,
        phase_c_active=True,
        phase_c_reasons=failures,
    )
