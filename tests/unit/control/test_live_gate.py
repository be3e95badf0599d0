# ruff: noqa: E501  (tables read best one case per line)
"""The live gate: DRY_RUN wins, LIVE needs all three keys, Phase C leaves Phase B untouched when unset."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import replace
from decimal import Decimal

import pytest
from control_builders import HEALTHY, build

from avwap.control import live_gate
from avwap.control import reasons as r
from avwap.control.context import GateRules
from avwap.control.live_gate import ModeResolution, endpoint_host, is_live_endpoint, resolve_mode
from avwap.control.plane import Decision, ExitDecision, evaluate_entry, evaluate_exit
from avwap.core.config import Config, load_config
from avwap.core.execution_mode import ExecutionMode

TODAY = dt.date(2026, 4, 1)
LIVE_URL = "https://api.alpaca.markets"
PAPER_URL = "https://paper-api.alpaca.markets"
TOKEN = "s3cret-token-42"
LIVE_ENV = {
    "EXECUTION_MODE": "LIVE",
    "LIVE_TRADING": "1",
    "LIVE_CONFIRM_TOKEN": TOKEN,
    "ALPACA_TRADING_URL": LIVE_URL,
}
NOT_CONFIRMED = r.LIVE_NOT_CONFIRMED


def config_of(environment: dict[str, str]) -> Config:
    return load_config(environment)


# (id, environment, token file text, effective mode, reasons, alerts expected)
MODE_CASES = [
    ("default is dry run", {}, None, ExecutionMode.DRY_RUN, (), False),
    ("paper sim as asked", {"EXECUTION_MODE": "PAPER_SIM"}, None, ExecutionMode.PAPER_SIM, (), False),
    ("schwab manual as asked", {"EXECUTION_MODE": "SCHWAB_401K_MANUAL"}, None, ExecutionMode.SCHWAB_401K_MANUAL, (), False),
    ("alpaca paper on paper url", {"EXECUTION_MODE": "ALPACA_PAPER", "ALPACA_TRADING_URL": PAPER_URL}, None, ExecutionMode.ALPACA_PAPER, (), False),
    ("alpaca paper on live url", {"EXECUTION_MODE": "ALPACA_PAPER", "ALPACA_TRADING_URL": LIVE_URL}, None, ExecutionMode.DRY_RUN, (r.PAPER_MODE_LIVE_ENDPOINT,), True),
    ("all three keys", LIVE_ENV, TOKEN, ExecutionMode.LIVE, (), False),
    ("token file with newline", LIVE_ENV, TOKEN + "\n", ExecutionMode.LIVE, (), False),
    ("token file padded", LIVE_ENV, f"  {TOKEN}\t\n", ExecutionMode.LIVE, (), False),
    ("dry run wins over live", {**LIVE_ENV, "DRY_RUN": "1"}, TOKEN, ExecutionMode.DRY_RUN, (r.DRY_RUN_FORCED,), False),
    ("dry run wins over paper", {"EXECUTION_MODE": "PAPER_SIM", "DRY_RUN": "true"}, None, ExecutionMode.DRY_RUN, (r.DRY_RUN_FORCED,), False),
    ("dry run 0 keeps live", {**LIVE_ENV, "DRY_RUN": "0"}, TOKEN, ExecutionMode.LIVE, (), False),
    ("live trading unset", {**LIVE_ENV, "LIVE_TRADING": "0"}, TOKEN, ExecutionMode.DRY_RUN, (NOT_CONFIRMED, r.LIVE_TRADING_NOT_SET), True),
    ("token unset", {**LIVE_ENV, "LIVE_CONFIRM_TOKEN": ""}, TOKEN, ExecutionMode.DRY_RUN, (NOT_CONFIRMED, r.LIVE_TOKEN_MISSING), True),
    ("token whitespace", {**LIVE_ENV, "LIVE_CONFIRM_TOKEN": "   "}, TOKEN, ExecutionMode.DRY_RUN, (NOT_CONFIRMED, r.LIVE_TOKEN_MISSING), True),
    ("token file missing", LIVE_ENV, None, ExecutionMode.DRY_RUN, (NOT_CONFIRMED, r.LIVE_TOKEN_FILE_MISSING), True),
    ("token file empty", LIVE_ENV, "", ExecutionMode.DRY_RUN, (NOT_CONFIRMED, r.LIVE_TOKEN_FILE_EMPTY), True),
    ("token file whitespace", LIVE_ENV, " \n\t ", ExecutionMode.DRY_RUN, (NOT_CONFIRMED, r.LIVE_TOKEN_FILE_EMPTY), True),
    ("token mismatch", LIVE_ENV, "other-token", ExecutionMode.DRY_RUN, (NOT_CONFIRMED, r.LIVE_TOKEN_MISMATCH), True),
    ("token differs in case", LIVE_ENV, TOKEN.upper(), ExecutionMode.DRY_RUN, (NOT_CONFIRMED, r.LIVE_TOKEN_MISMATCH), True),
    ("token prefix only", LIVE_ENV, TOKEN[:-1], ExecutionMode.DRY_RUN, (NOT_CONFIRMED, r.LIVE_TOKEN_MISMATCH), True),
    ("paper endpoint", {**LIVE_ENV, "ALPACA_TRADING_URL": PAPER_URL}, TOKEN, ExecutionMode.DRY_RUN, (NOT_CONFIRMED, r.LIVE_ENDPOINT_NOT_LIVE), True),
    ("no endpoint", {**LIVE_ENV, "ALPACA_TRADING_URL": ""}, TOKEN, ExecutionMode.DRY_RUN, (NOT_CONFIRMED, r.LIVE_ENDPOINT_NOT_LIVE), True),
    (
        "nothing but the mode",
        {"EXECUTION_MODE": "LIVE"},
        None,
        ExecutionMode.DRY_RUN,
        (NOT_CONFIRMED, r.LIVE_TRADING_NOT_SET, r.LIVE_TOKEN_MISSING, r.LIVE_TOKEN_FILE_MISSING, r.LIVE_ENDPOINT_NOT_LIVE),
        True,
    ),
    (
        "mismatch and paper endpoint",
        {**LIVE_ENV, "ALPACA_TRADING_URL": PAPER_URL},
        "nope",
        ExecutionMode.DRY_RUN,
        (NOT_CONFIRMED, r.LIVE_TOKEN_MISMATCH, r.LIVE_ENDPOINT_NOT_LIVE),
        True,
    ),
]  # fmt: skip


@pytest.mark.parametrize(("environment", "token_text", "effective", "codes", "alerted"), [case[1:] for case in MODE_CASES], ids=[case[0] for case in MODE_CASES])  # fmt: skip
def test_resolve_mode(
    environment: dict[str, str],
    token_text: str | None,
    effective: ExecutionMode,
    codes: tuple[str, ...],
    alerted: bool,
) -> None:
    resolution = resolve_mode(config_of(environment), token_text, TODAY)
    assert resolution.effective_mode is effective
    assert resolution.reasons == codes
    assert bool(resolution.alerts) is alerted
    assert resolution.live_confirmed is (effective is ExecutionMode.LIVE)
    for alert in resolution.alerts:
        assert TOKEN not in alert and "other-token" not in alert


@pytest.mark.parametrize(
    ("url", "live", "host"),
    [
        ("https://api.alpaca.markets", True, "api.alpaca.markets"),
        ("https://api.alpaca.markets/", True, "api.alpaca.markets"),
        ("https://api.alpaca.markets/v2", True, "api.alpaca.markets"),
        ("  HTTPS://API.Alpaca.Markets:443/v2/ ", True, "api.alpaca.markets"),
        ("https://paper-api.alpaca.markets", False, "paper-api.alpaca.markets"),
        ("http://api.alpaca.markets", False, None),
        ("https://api.alpaca.markets:8443", False, None),
        ("https://api.alpaca.markets.example.com", False, "api.alpaca.markets.example.com"),
        ("https://user:pw@api.alpaca.markets", False, None),
        ("https://api.alpaca.markets/v2/orders", False, None),
        ("https://api.alpaca.markets/?x=1", False, None),
        ("https://api.alpaca.markets:notaport", False, None),
        ("http://127.0.0.1:8080", False, None),
        ("api.alpaca.markets", False, None),
        ("", False, None),
    ],
)
def test_live_endpoint_rule(url: str, live: bool, host: str | None) -> None:
    assert is_live_endpoint(url) is live
    assert endpoint_host(url) == host


def test_token_compare_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def recording(left: bytes, right: bytes) -> bool:
        calls.append((left, right))
        return original(left, right)

    monkeypatch.setattr(live_gate.hmac, "compare_digest", recording)
    assert resolve_mode(config_of(LIVE_ENV), TOKEN, TODAY).effective_mode is ExecutionMode.LIVE
    assert calls == [(TOKEN.encode(), TOKEN.encode())]


# -- Phase C in the mode resolution ---------------------------------------------------------------------------

PHASE_C_CASES = [
    ("right date, one symbol", {"LIVE_ENABLE_DATE_NY": "2026-04-01", "ALLOWLIST_SYMBOLS": "AAPL"}, ()),
    ("date unset", {"ALLOWLIST_SYMBOLS": "AAPL"}, (r.PHASE_C_DATE_MISSING,)),
    ("yesterday", {"LIVE_ENABLE_DATE_NY": "2026-03-31", "ALLOWLIST_SYMBOLS": "AAPL"}, (r.PHASE_C_DATE_MISMATCH,)),
    ("no symbol", {"LIVE_ENABLE_DATE_NY": "2026-04-01"}, (r.PHASE_C_ALLOWLIST_NOT_SINGLE,)),
    ("two symbols", {"LIVE_ENABLE_DATE_NY": "2026-04-01", "ALLOWLIST_SYMBOLS": "AAPL,MSFT"}, (r.PHASE_C_ALLOWLIST_NOT_SINGLE,)),
    ("tomorrow and two symbols", {"LIVE_ENABLE_DATE_NY": "2026-04-02", "ALLOWLIST_SYMBOLS": "AAPL,MSFT"}, (r.PHASE_C_DATE_MISMATCH, r.PHASE_C_ALLOWLIST_NOT_SINGLE)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "codes"), [case[1:] for case in PHASE_C_CASES], ids=[case[0] for case in PHASE_C_CASES]
)
def test_phase_c_is_recorded_without_changing_the_mode(extra: dict[str, str], codes: tuple[str, ...]) -> None:
    resolution = resolve_mode(config_of({**LIVE_ENV, "PHASE_C": "1", **extra}), TOKEN, TODAY)
    assert resolution.effective_mode is ExecutionMode.LIVE  # exits of live positions keep running live
    assert resolution.phase_c_active is True
    assert resolution.phase_c_reasons == codes
    assert bool(resolution.alerts) is bool(codes)


def test_phase_c_is_inactive_outside_live() -> None:
    resolution = resolve_mode(config_of({"EXECUTION_MODE": "PAPER_SIM", "PHASE_C": "1"}), None, TODAY)
    assert resolution.phase_c_active is False and resolution.phase_c_reasons == ()


def test_phase_c_failures_flag_a_bad_today() -> None:
    assert live_gate.phase_c_failures(TODAY, ("AAPL",), "2026-04-01") == (
        r.CLOCK_UNKNOWN,
        r.PHASE_C_DATE_MISMATCH,
    )


# -- Phase C unset leaves Phase B unchanged --------------------------------------------------------------------

BYPASS_ENVIRONMENTS = [
    {},
    {"EXECUTION_MODE": "PAPER_SIM"},
    {"EXECUTION_MODE": "PAPER_SIM", "ALLOWLIST_SYMBOLS": "MSFT"},
    {"EXECUTION_MODE": "PAPER_SIM", "ALLOWLIST_SYMBOLS": "AAPL,MSFT", "LIVE_ENABLE_DATE_NY": "2026-01-02"},
    LIVE_ENV,
    {**LIVE_ENV, "ALLOWLIST_SYMBOLS": "AAPL,MSFT"},
    {**LIVE_ENV, "ALLOWLIST_SYMBOLS": "MSFT", "LIVE_ENABLE_DATE_NY": "2026-03-31"},
    {**LIVE_ENV, "LIVE_CONFIRM_TOKEN": "wrong"},
    {**LIVE_ENV, "MAX_NOTIONAL_PER_SYMBOL": "499.99"},
    {**LIVE_ENV, "KILL_SWITCH": "1"},
]
BYPASS_CONTEXTS = [
    HEALTHY,
    build(intent__symbol="MSFT", portfolio__positions={}, portfolio__gross_exposure=Decimal(0)),
    build(session__broker_market_open=True),
    build(portfolio__equity=None),
]


def _decide(environment: dict[str, str], base_index: int) -> tuple[ModeResolution, Decision, ExitDecision]:
    config = config_of(environment)
    mode = resolve_mode(config, TOKEN, TODAY)
    base = BYPASS_CONTEXTS[base_index]
    context = replace(base, mode=mode, rules=GateRules.from_config(config), kill_switch=config.kill_switch)
    return mode, evaluate_entry(context), evaluate_exit(context)


@pytest.mark.parametrize("base_index", range(len(BYPASS_CONTEXTS)))
@pytest.mark.parametrize("environment", BYPASS_ENVIRONMENTS)
def test_phase_c_absent_and_zero_decide_identically(environment: dict[str, str], base_index: int) -> None:
    absent = _decide(environment, base_index)
    assert _decide({**environment, "PHASE_C": "0"}, base_index) == absent
    assert _decide({**environment, "PHASE_C": "false"}, base_index) == absent


@pytest.mark.parametrize("base_index", range(len(BYPASS_CONTEXTS)))
def test_phase_c_one_outside_live_changes_nothing(base_index: int) -> None:
    environment = {"EXECUTION_MODE": "PAPER_SIM", "ALLOWLIST_SYMBOLS": "AAPL,MSFT"}
    assert _decide({**environment, "PHASE_C": "1"}, base_index)[1] == _decide(environment, base_index)[1]


def test_phase_c_one_in_live_does_change_decisions() -> None:
    """The bypass tests above could pass vacuously if Phase C never did anything: show that it does."""
    environment = {**LIVE_ENV, "ALLOWLIST_SYMBOLS": "AAPL,MSFT", "LIVE_ENABLE_DATE_NY": "2026-04-01"}
    _, without, _ = _decide(environment, 2)
    _, with_phase_c, _ = _decide({**environment, "PHASE_C": "1"}, 2)
    assert without.reasons == ()
    assert with_phase_c.reasons == (r.PHASE_C_ALLOWLIST_NOT_SINGLE,)
