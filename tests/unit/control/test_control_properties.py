"""Properties over arbitrary (often malformed) contexts: the kill switch always wins, exits always pass."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from avwap.control import reasons as r
from avwap.control.context import EntryIntent, GateContext, GateRules, PortfolioView, SessionView
from avwap.control.live_gate import ModeResolution
from avwap.control.plane import Action, TradingState, evaluate_entry, evaluate_exit, run_gates
from avwap.core.canonical import canonical_json
from avwap.core.execution_mode import ExecutionMode

TODAY = dt.date(2026, 4, 1)
GARBAGE = st.sampled_from([None, "1", "", 1.5, float("nan"), Decimal("NaN"), Decimal("-1"), [], True])
AMOUNTS = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)
MAYBE_AMOUNT = AMOUNTS | st.integers(min_value=-10, max_value=10_000_000) | GARBAGE
PRICES = st.decimals(
    min_value=Decimal("0.01"), max_value=1000, places=2, allow_nan=False, allow_infinity=False
)
FLAGS = st.sampled_from([True, False, None, 0, 1, "1", "0"])
SYMBOLS = st.sampled_from(["AAPL", "MSFT", "BRK.B", "", "aapl", None, 7])
MODES = st.sampled_from(
    [
        ModeResolution(ExecutionMode.DRY_RUN, ExecutionMode.DRY_RUN),
        ModeResolution(ExecutionMode.PAPER_SIM, ExecutionMode.PAPER_SIM),
        ModeResolution(ExecutionMode.ALPACA_PAPER, ExecutionMode.ALPACA_PAPER),
        ModeResolution(ExecutionMode.LIVE, ExecutionMode.LIVE, live_confirmed=True),
        ModeResolution(ExecutionMode.LIVE, ExecutionMode.LIVE),
        ModeResolution(ExecutionMode.LIVE, ExecutionMode.DRY_RUN, reasons=(r.LIVE_NOT_CONFIRMED,)),
        None,
        "LIVE",
    ]
)

intents = (
    st.builds(
        EntryIntent,
        symbol=SYMBOLS,
        quantity=st.integers(min_value=-5, max_value=500) | GARBAGE,
        entry_price=PRICES | GARBAGE,
        stop_price=PRICES | GARBAGE,
        side=st.sampled_from(["buy", "buy", "sell", None]),
    )
    | st.none()
)
portfolios = st.builds(
    PortfolioView,
    positions=st.dictionaries(st.sampled_from(["AAPL", "MSFT", "NVDA"]), AMOUNTS, max_size=3) | GARBAGE,
    gross_exposure=MAYBE_AMOUNT,
    entries_today=st.integers(min_value=-1, max_value=8) | GARBAGE,
    equity=MAYBE_AMOUNT,
    unknown_positions=FLAGS,
    ledger_readable=FLAGS,
    reconciliation_drift=FLAGS,
    watchlist_fresh=FLAGS,
)
sessions = (
    st.builds(SessionView, market_open=FLAGS, in_entry_window=FLAGS, broker_market_open=FLAGS) | st.none()
)
CAPS = AMOUNTS | st.none() | GARBAGE
rules = st.builds(
    GateRules,
    phase_c=FLAGS,
    live_enable_date_ny=st.sampled_from([TODAY, TODAY - dt.timedelta(days=1), None, "2026-04-01"]),
    allowlist_symbols=st.sampled_from([(), ("AAPL",), ("AAPL", "MSFT"), ("MSFT",), None, "AAPL"]),
    max_entries_per_day=st.integers(min_value=-1, max_value=10) | GARBAGE,
    max_positions=st.integers(min_value=-1, max_value=10) | GARBAGE,
    max_gross_exposure=CAPS,
    max_gross_exposure_pct=CAPS,
    max_notional_per_symbol=CAPS,
    max_risk_per_trade=CAPS,
    max_risk_per_trade_pct=CAPS,
    max_risk_per_share=st.sampled_from([Decimal("3.00"), Decimal("0"), None, "3"]),
)


def contexts(kill_switch: st.SearchStrategy[object]) -> st.SearchStrategy[GateContext]:
    return st.builds(
        GateContext,
        intent=intents,
        mode=MODES,
        today_ny=st.sampled_from([TODAY, TODAY, None, "2026-04-01"]),
        kill_switch=kill_switch,
        portfolio=portfolios | st.none(),
        session=sessions,
        rules=rules,
    )


@settings(max_examples=400)
@given(contexts(st.sampled_from([True, None, 1, "1", "0", 0, "off"])))
def test_no_entry_is_approved_while_the_kill_switch_is_on(context: GateContext) -> None:
    decision = evaluate_entry(context)
    assert decision.action is Action.REJECT
    assert decision.quantity == 0
    assert decision.primary_reason == r.KILL_SWITCH_ACTIVE
    assert decision.trading_state is not TradingState.ACTIVE


@settings(max_examples=300)
@given(contexts(FLAGS), st.sampled_from(["EXIT", "CANCEL"]))
def test_exits_and_cancels_always_pass(context: GateContext, kind: str) -> None:
    decision = evaluate_exit(context, kind)
    assert decision.allowed is True and decision.kind == kind
    assert list(decision.would_block) == sorted(set(decision.would_block), key=r.reason_rank)
    if context.kill_switch is not False:
        assert decision.would_block[0] == r.KILL_SWITCH_ACTIVE
    canonical_json(decision.to_record())


@st.composite
def sane_contexts(draw: st.DrawFn) -> GateContext:
    """Well-formed contexts whose caps are random multiples (0-3x) of what the intent needs.

    Unlike :func:`contexts`, these often APPROVE and RESIZE, so the property below is not vacuous.
    """
    symbol = draw(st.sampled_from(["AAPL", "AMD"]))
    quantity = draw(st.integers(1, 400))
    price = draw(st.decimals(min_value=Decimal("3.10"), max_value=500, places=2))
    risk_per_share = draw(st.decimals(min_value=Decimal("0.01"), max_value=3, places=2))
    positions = draw(st.dictionaries(st.sampled_from(["MSFT", "NVDA", "AMD"]), AMOUNTS, max_size=2))
    gross = sum(positions.values(), Decimal(0))
    equity = draw(st.decimals(min_value=1000, max_value=1_000_000, places=2))
    entries = draw(st.integers(0, 6))
    risk, notional = quantity * risk_per_share, quantity * price

    def times(amount: Decimal) -> Decimal:
        return amount * draw(st.integers(0, 300)) / 100

    return GateContext(
        intent=EntryIntent(symbol, quantity, price, price - risk_per_share),
        mode=ModeResolution(ExecutionMode.PAPER_SIM, ExecutionMode.PAPER_SIM),
        today_ny=TODAY,
        kill_switch=False,
        portfolio=PortfolioView(
            positions=positions, gross_exposure=gross, entries_today=entries, equity=equity
        ),
        session=SessionView(market_open=True, in_entry_window=True),
        rules=GateRules(
            max_entries_per_day=entries + draw(st.integers(0, 3)),
            max_positions=len(positions) + draw(st.integers(0, 3)),
            max_gross_exposure=gross + times(notional),
            max_gross_exposure_pct=(gross + times(notional)) * 100 / equity,
            max_notional_per_symbol=positions.get(symbol, Decimal(0)) + times(notional),
            max_risk_per_trade=times(risk),
            max_risk_per_trade_pct=times(risk) * 100 / equity,
        ),
    )


@settings(max_examples=400)
@given(contexts(st.just(False)) | sane_contexts())
def test_an_approved_or_resized_entry_passes_every_gate_at_its_quantity(context: GateContext) -> None:
    decision = evaluate_entry(context)
    assert decision.to_record() == evaluate_entry(context).to_record()  # deterministic
    canonical_json(decision.to_record())
    if decision.action is Action.REJECT:
        assert decision.quantity == 0 and decision.reasons
        return
    assert decision.trading_state is TradingState.ACTIVE
    assert isinstance(context.intent.quantity, int) and 1 <= decision.quantity <= context.intent.quantity
    assert all(outcome.allowed for outcome in run_gates(context.with_quantity(decision.quantity)))
    if decision.action is Action.RESIZE:
        assert decision.quantity < context.intent.quantity
        assert not all(outcome.allowed for outcome in run_gates(context.with_quantity(decision.quantity + 1)))
