"""The pure portfolio decision engine: each guardrail, rule order, fail-closed inputs, shadow clone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
import numpy as np
import pytest

from avwap.control import reasons as r
from avwap.control.portfolio import rules
from avwap.control.portfolio.correlation import ReturnsPanel, correlation_table
from avwap.control.portfolio.engine import decide, drawdown, proposed_notional
from avwap.control.portfolio.records import (
    BookInput,
    CandidateInput,
    GuardrailLimits,
    HeldInput,
    PortfolioDecision,
    PortfolioDecisionBatch,
    Verdict,
)
from avwap.strategies.registry import S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW

DAY = dt.date(2026, 4, 2)
AT = dt.datetime(2026, 4, 2, 12, 0, tzinfo=dt.UTC)
SECTORS = {"AAPL": "Technology", "MSFT": "Technology", "XOM": "Energy", "JPM": "Financials"}


def panel(**series: np.ndarray) -> ReturnsPanel:
    names = tuple(sorted(series))
    return ReturnsPanel(names, np.column_stack([series[name] for name in names]))


def independent_returns(*symbols: str, sessions: int = 60) -> dict[str, np.ndarray]:
    generator = np.random.default_rng(11)
    return {symbol: generator.normal(0, 0.01, sessions) for symbol in symbols}


def book(positions: dict[str, str] | None = None, history: tuple[str, ...] = ("100000",)) -> BookInput:
    held = tuple(HeldInput(symbol=s, market_value=Decimal(v)) for s, v in sorted((positions or {}).items()))
    gross = sum((item.market_value for item in held), Decimal("0"))
    return BookInput(
        book_id="PAPER_SIM",
        snapshot_date=dt.date(2026, 4, 1),
        equity=Decimal(history[-1]),
        gross_exposure=gross,
        positions=held,
        equity_history=tuple(Decimal(value) for value in history),
    )


def candidate(symbol: str, rank: int, distance: float = 0.0) -> CandidateInput:
    return CandidateInput(symbol=symbol, rank=rank, entry_price=Decimal("100"), distance=distance)


def run(**changes: Any) -> PortfolioDecisionBatch:
    arguments: dict[str, Any] = {
        "book_id": "PAPER_SIM",
        "date_ny": DAY,
        "decided_at": AT,
        "strategies": (S1_AVWAP_CORE,),
        "candidates": (candidate("XOM", 1),),
        "book": book({"AAPL": "5000"}),
        "returns": panel(**independent_returns("AAPL", "XOM", "MSFT", "JPM")),
        "sectors": SECTORS,
        "limits": GuardrailLimits(),
    }
    return decide(**{**arguments, **changes})


def only(batch: PortfolioDecisionBatch, symbol: str = "XOM") -> PortfolioDecision:
    decision = batch.verdict_for(S1_AVWAP_CORE, symbol)
    assert decision is not None
    return decision


def test_a_candidate_within_every_limit_is_allowed_with_its_measures() -> None:
    batch = run()
    decision = only(batch)
    assert decision.verdict is Verdict.ALLOW and decision.reason_codes == ()
    assert decision.proposed_notional == Decimal("2000.00")  # 2 % of 100,000 at distance 0
    assert decision.sector == "Energy" and decision.max_correlation is not None
    assert batch.inputs_ok and (batch.allowed, batch.blocked) == (1, 0)


def test_sizing_scale_follows_the_distance() -> None:
    limits = GuardrailLimits()
    assert proposed_notional(Decimal("100000"), 0.03, limits) == Decimal("1000.00")  # scale 0.5
    assert proposed_notional(Decimal("100000"), 0.30, limits) == Decimal("500.00")  # floor 0.25


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"limits": GuardrailLimits(max_positions=1)}, r.PORTFOLIO_MAX_POSITIONS),
        ({"limits": GuardrailLimits(max_new_entries=0)}, r.PORTFOLIO_MAX_NEW_ENTRIES),
        ({"limits": GuardrailLimits(max_symbol_pct=Decimal("1"))}, r.PORTFOLIO_SYMBOL_CONCENTRATION),
        ({"book": book({"AAPL": "5000", "XOM": "29000"})}, r.PORTFOLIO_SECTOR_CONCENTRATION),
        ({"limits": GuardrailLimits(max_gross_pct=Decimal("6"))}, r.PORTFOLIO_GROSS_EXPOSURE),
        ({"book": book({"AAPL": "5000"}, ("100000", "120000", "105000"))}, r.PORTFOLIO_DRAWDOWN_THROTTLE),
    ],
    ids=["max_positions", "new_entries", "symbol", "sector", "gross", "drawdown"],
)
def test_each_guardrail_blocks_with_its_code(changes: dict[str, Any], code: str) -> None:
    decision = only(run(**changes))
    assert decision.verdict is Verdict.BLOCK and code in decision.reason_codes


def test_unknown_sector_is_its_own_bucket() -> None:
    sectors = {"AAPL": "Technology"}  # neither XOM nor the held ZZZ has a known sector
    limits = GuardrailLimits(max_sector_pct=Decimal("5"))
    returns = panel(**independent_returns("AAPL", "XOM", "ZZZ"))
    held = book({"AAPL": "1000", "ZZZ": "4000"})
    decision = only(run(sectors=sectors, limits=limits, book=held, returns=returns))
    assert decision.sector == "UNKNOWN" and decision.reason_codes == (r.PORTFOLIO_SECTOR_CONCENTRATION,)
    allowed = only(run(sectors=sectors, limits=limits, book=book({"AAPL": "1000"}), returns=returns))
    assert allowed.verdict is Verdict.ALLOW


def test_correlation_with_a_held_position_and_with_the_book() -> None:
    series = independent_returns("AAPL", "JPM")
    noise = np.random.default_rng(3).normal(0, 0.0005, 60)
    series["XOM"] = series["AAPL"] + noise  # moves with AAPL
    decision = only(run(returns=panel(**series), book=book({"AAPL": "5000"})))
    assert decision.reason_codes == (r.PORTFOLIO_CORRELATION_HIGH, r.PORTFOLIO_BOOK_CORRELATION_HIGH)
    assert decision.max_correlation is not None and decision.max_correlation > 0.99


def test_correlation_counts_the_candidates_allowed_earlier_in_the_batch() -> None:
    series = independent_returns("AAPL", "XOM")
    series["JPM"] = series["XOM"] * 1.5 + 0.0001  # perfectly correlated with XOM, not with AAPL
    batch = run(candidates=(candidate("XOM", 1), candidate("JPM", 2)), returns=panel(**series))
    assert only(batch, "XOM").verdict is Verdict.ALLOW
    assert only(batch, "JPM").reason_codes == (r.PORTFOLIO_CORRELATION_HIGH,)


def test_missing_returns_block_as_unknown_but_only_when_something_is_held() -> None:
    series = independent_returns("AAPL", "XOM")
    series["XOM"][10] = np.nan
    assert only(run(returns=panel(**series))).reason_codes == (r.PORTFOLIO_CORRELATION_UNKNOWN,)
    assert only(run(returns=ReturnsPanel.empty())).reason_codes == (r.PORTFOLIO_CORRELATION_UNKNOWN,)
    assert only(run(returns=ReturnsPanel.empty(), book=book())).verdict is Verdict.ALLOW


def test_reasons_are_listed_in_rule_order() -> None:
    limits = GuardrailLimits(max_positions=1, max_new_entries=0, max_gross_pct=Decimal("1"))
    history = ("100000", "120000", "100000")
    decision = only(run(limits=limits, book=book({"AAPL": "5000"}, history)))
    assert decision.reason_codes == (
        r.PORTFOLIO_DRAWDOWN_THROTTLE,
        r.PORTFOLIO_MAX_NEW_ENTRIES,
        r.PORTFOLIO_MAX_POSITIONS,
        r.PORTFOLIO_GROSS_EXPOSURE,
    )


def test_new_entries_quota_blocks_the_lower_ranks() -> None:
    candidates = (candidate("XOM", 1), candidate("JPM", 2), candidate("MSFT", 3))
    batch = run(
        candidates=candidates, limits=GuardrailLimits(max_new_entries=2, max_sector_pct=Decimal("100"))
    )
    verdicts = [item.verdict for item in batch.decisions]
    assert verdicts == [Verdict.ALLOW, Verdict.ALLOW, Verdict.BLOCK]
    assert batch.decisions[-1].reason_codes == (r.PORTFOLIO_MAX_NEW_ENTRIES,)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"input_reasons": (r.PORTFOLIO_CANDIDATES_STALE,)}, r.PORTFOLIO_CANDIDATES_STALE),
        ({"input_reasons": (r.PORTFOLIO_NOT_A_SESSION,)}, r.PORTFOLIO_NOT_A_SESSION),
        ({"book": None}, r.PORTFOLIO_SNAPSHOT_MISSING),
        (
            {"book": msgspec.structs.replace(book(), book_id="ALPACA_PAPER")},
            r.PORTFOLIO_SNAPSHOT_BOOK_MISMATCH,
        ),
        ({"book": msgspec.structs.replace(book(), equity=Decimal("0"))}, r.PORTFOLIO_SNAPSHOT_INVALID),
    ],
)
def test_unusable_inputs_block_every_candidate_explicitly(changes: dict[str, Any], code: str) -> None:
    candidates = (candidate("XOM", 1), candidate("JPM", 2))
    batch = run(candidates=candidates, strategies=(S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW), **changes)
    assert not batch.inputs_ok and batch.input_reasons == (code,)
    assert batch.allowed == 0 and batch.blocked == 4
    assert all(item.reason_codes == (code,) for item in batch.decisions)


def test_shadow_clone_is_decided_by_the_same_engine_and_recorded_separately() -> None:
    batch = run(strategies=(S1_AVWAP_CORE_SHADOW, S1_AVWAP_CORE), shadow_strategies=(S1_AVWAP_CORE_SHADOW,))
    assert batch.strategies == (S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW)
    live, shadow = batch.decisions
    assert (live.strategy_id, shadow.strategy_id) == (S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW)
    assert msgspec.structs.replace(shadow, strategy_id=S1_AVWAP_CORE) == live


def test_equal_inputs_give_equal_bytes() -> None:
    assert msgspec.json.encode(run()) == msgspec.json.encode(run())


def test_a_crashing_rule_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> tuple[str, ...]:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(rules, "RULES", (*rules.RULES, ("broken", broken)))
    assert only(run()).reason_codes == (r.PORTFOLIO_RULE_ERROR,)


def test_drawdown_and_correlation_helpers() -> None:
    assert drawdown([Decimal("100"), Decimal("120"), Decimal("90")]) == Decimal("-0.25")
    assert drawdown([]) == 0
    series = independent_returns("A", "B")
    table = correlation_table(panel(**series), {"A": 1.0})
    assert table.pair("A", "A") == pytest.approx(1.0)
    assert table.book("A") == pytest.approx(1.0)
    assert np.isnan(table.pair("A", "MISSING"))
    expected = np.corrcoef(series["A"], series["B"])[0, 1]
    assert table.pair("A", "B") == pytest.approx(expected)


def test_batch_refuses_duplicates_nan_and_other_versions() -> None:
    batch = run()
    plain = msgspec.to_builtins(batch)
    twice = {**plain, "decisions": plain["decisions"] * 2, "allowed": 2}
    with pytest.raises(msgspec.ValidationError, match=r"sorted|twice"):
        msgspec.convert(twice, PortfolioDecisionBatch)
    with pytest.raises(msgspec.ValidationError, match="schema_version"):
        msgspec.convert({**plain, "schema_version": 2}, PortfolioDecisionBatch)
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.convert({**plain, "surprise": 1}, PortfolioDecisionBatch)
    nan_decision = {**plain["decisions"][0], "max_correlation": float("nan")}
    with pytest.raises(msgspec.ValidationError, match="finite"):
        msgspec.convert({**plain, "decisions": [nan_decision]}, PortfolioDecisionBatch)
