"""Properties of the portfolio decision engine over random books, candidates and limits: whatever it
allows respects every limit together, blocks always say why, and failed inputs never allow anything."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from hypothesis import find, given, settings
from hypothesis import strategies as st

from avwap.control import reasons as r
from avwap.control.portfolio.correlation import ReturnsPanel
from avwap.control.portfolio.engine import decide
from avwap.control.portfolio.records import BookInput, CandidateInput, GuardrailLimits, HeldInput, Verdict
from avwap.strategies.registry import S1_AVWAP_CORE

SYMBOLS = tuple(f"S{number:02d}" for number in range(16))
SECTORS = ("A", "B", "C")


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    held_symbols = draw(st.lists(st.sampled_from(SYMBOLS), unique=True, max_size=6))
    positions = tuple(
        HeldInput(symbol=symbol, market_value=Decimal(draw(st.integers(100, 20_000))))
        for symbol in sorted(held_symbols)
    )
    equity = Decimal(draw(st.integers(20_000, 200_000)))
    book = BookInput(
        book_id="PAPER_SIM",
        snapshot_date=dt.date(2026, 4, 1),
        equity=equity,
        gross_exposure=sum((item.market_value for item in positions), Decimal("0")),
        positions=positions,
        equity_history=(equity * Decimal(draw(st.sampled_from(["1", "1.05", "1.2"]))), equity),
    )
    names = draw(st.lists(st.sampled_from(SYMBOLS), unique=True, min_size=1, max_size=10))
    candidates = tuple(
        CandidateInput(symbol=name, rank=rank, entry_price=Decimal("50"), distance=draw(st.floats(0, 0.1)))
        for rank, name in enumerate(names, start=1)
    )
    limits = GuardrailLimits(
        max_positions=draw(st.integers(0, 12)),
        max_new_entries=draw(st.integers(0, 5)),
        max_symbol_pct=Decimal(draw(st.integers(1, 30))),
        max_sector_pct=Decimal(draw(st.integers(5, 60))),
        max_gross_pct=Decimal(draw(st.integers(10, 150))),
        max_correlation=Decimal(draw(st.sampled_from(["0.3", "0.6", "0.9"]))),
        max_book_correlation=Decimal(draw(st.sampled_from(["0.3", "0.6", "0.9"]))),
    )
    generator = np.random.default_rng(draw(st.integers(0, 1000)))
    returns = generator.normal(0, 0.01, (60, len(SYMBOLS)))
    sectors = {symbol: SECTORS[index % 3] for index, symbol in enumerate(SYMBOLS) if index % 5}
    return {
        "book": book,
        "candidates": candidates,
        "limits": limits,
        "returns": ReturnsPanel(SYMBOLS, returns),
        "sectors": sectors,
    }


def _decide(scenario: dict[str, object], **changes: object):  # type: ignore[no-untyped-def]
    arguments = {
        "book_id": "PAPER_SIM",
        "date_ny": dt.date(2026, 4, 2),
        "decided_at": dt.datetime(2026, 4, 2, 12, tzinfo=dt.UTC),
        "strategies": (S1_AVWAP_CORE,),
        **scenario,
        **changes,
    }
    return decide(**arguments)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_what_is_allowed_respects_every_limit_together(scenario: dict[str, object]) -> None:
    batch = _decide(scenario)
    book, limits, sectors = scenario["book"], scenario["limits"], scenario["sectors"]
    assert isinstance(book, BookInput) and isinstance(limits, GuardrailLimits) and isinstance(sectors, dict)
    allowed = [item for item in batch.decisions if item.verdict is Verdict.ALLOW]
    assert len(allowed) <= limits.max_new_entries
    held = {item.symbol: item.market_value for item in book.positions}
    assert len(set(held) | {item.symbol for item in allowed}) <= max(limits.max_positions, len(held))
    if allowed:
        gross = book.gross_exposure + sum((item.proposed_notional for item in allowed), Decimal("0"))
        assert gross * 100 <= limits.max_gross_pct * book.equity
        assert -(book.equity_history[-1] / max(book.equity_history) - 1) * 100 < limits.drawdown_throttle_pct
    by_sector: dict[str, Decimal] = {}
    for symbol, value in held.items():
        by_sector[sectors.get(symbol, "UNKNOWN")] = (
            by_sector.get(sectors.get(symbol, "UNKNOWN"), Decimal(0)) + value
        )
    for item in allowed:
        by_sector[item.sector] = by_sector.get(item.sector, Decimal(0)) + item.proposed_notional
        after = held.get(item.symbol, Decimal(0)) + item.proposed_notional
        assert after * 100 <= limits.max_symbol_pct * book.equity
        assert item.max_correlation is None or item.max_correlation <= float(limits.max_correlation)
    for sector in {item.sector for item in allowed}:
        assert by_sector[sector] * 100 <= limits.max_sector_pct * book.equity
    for item in batch.decisions:
        assert (item.verdict is Verdict.BLOCK) == bool(item.reason_codes)
        assert item.reason_codes == r.sort_portfolio_reasons(item.reason_codes)


@settings(max_examples=50, deadline=None)
@given(
    scenarios(),
    st.sampled_from([r.PORTFOLIO_NOT_A_SESSION, r.PORTFOLIO_CANDIDATES_STALE, r.PORTFOLIO_SNAPSHOT_STALE]),
)
def test_failed_inputs_never_allow_anything(scenario: dict[str, object], code: str) -> None:
    batch = _decide(scenario, input_reasons=(code,))
    assert batch.allowed == 0 and not batch.inputs_ok
    assert all(item.reason_codes == (code,) for item in batch.decisions)
    assert len(batch.decisions) == len(scenario["candidates"])  # type: ignore[arg-type]


def test_the_scenarios_do_allow_and_block_so_the_properties_are_not_vacuous() -> None:
    assert find(scenarios(), lambda scenario: _decide(scenario).allowed >= 2).get("candidates")
    assert find(
        scenarios(), lambda scenario: 0 < _decide(scenario).blocked < len(_decide(scenario).decisions)
    )
