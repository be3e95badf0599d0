"""docs/STRATEGIES.md, "Worked example": conflict rules and the sleeve gate on one cycle of two strategies.
Every row of the doc's two tables is computed here by the code and must appear in the doc verbatim."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.unit.control.control_builders import TODAY

from avwap.control.conflicts import BUY, SELL, Claim, ConflictRules, Resolution, resolve
from avwap.control.context import EntryIntent, GateContext, GateRules, PortfolioView, SessionView, SleeveView
from avwap.control.live_gate import ModeResolution
from avwap.control.plane import evaluate_entry
from avwap.core.config_parsers import Sleeve
from avwap.core.execution_mode import ExecutionMode

DOC = (Path(__file__).resolve().parents[3] / "docs" / "STRATEGIES.md").read_text(encoding="utf-8")
S1, S2 = "S1_AVWAP_CORE", "S2_AVWAP_SWING"
EQUITY = Decimal("100000")
HELD = [
    Claim(S1, "AAA", BUY, 1, Decimal("4000"), "pos_aaa"),
    Claim(S2, "BBB", BUY, 1, Decimal("6000"), "pos_bbb"),
]
INTENTS = [
    Claim(S2, "AAA", BUY, 50, Decimal("40.00"), "int_1"),
    Claim(S1, "CCC", BUY, 100, Decimal("50.00"), "int_2"),
    Claim(S2, "CCC", BUY, 80, Decimal("50.00"), "int_3"),
    Claim(S1, "DDD", BUY, 90, Decimal("50.00"), "int_4"),
    Claim(S2, "EEE", BUY, 280, Decimal("25.00"), "int_5"),
    Claim(S1, "FFF", BUY, 100, Decimal("20.00"), "int_6"),
    Claim(S2, "FFF", SELL, 30, Decimal("20.00"), "int_7"),
]
# MAX_GROSS_EXPOSURE $25,000 (100 % of equity allows more): $10,000 held leaves a $15,000 budget
RULES = ConflictRules({S1: 1, S2: 2}, max_notional_per_symbol=Decimal("5000"), gross_budget=Decimal("15000"))


def row(item: Resolution) -> str:
    claim = item.claim
    codes = ", ".join(f"`{code}`" for code in item.reasons) or "none"
    intent = f"{claim.side} {claim.quantity} {claim.symbol} @ {claim.price}"
    return f"| {claim.strategy_id} | {intent} | {item.outcome} | {item.quantity} | {codes} |"


def test_the_conflict_table_is_what_the_rules_compute() -> None:
    resolutions = resolve(HELD, INTENTS, RULES)
    for item in resolutions:
        assert row(item) in DOC, row(item)
    eee = next(item for item in resolutions if item.claim.symbol == "EEE")
    assert eee.quantity == 164  # (15,000 - 5,000 CCC - 4,500 DDD - 1,400 FFF) / $25


def test_the_sleeve_then_resizes_s2s_entry() -> None:
    """EEE reaches the control plane at 164 shares ($4,100), after S1's CCC, DDD and FFF entries are working
    (book gross $20,900: exactly $25,000 with EEE). S2 holds $6,000 in a $9,000 sleeve, so the sleeve gross
    gate resizes it to 120 shares ($3,000)."""
    context = GateContext(
        intent=EntryIntent("EEE", 164, Decimal("25.00"), Decimal("24.50"), strategy_id=S2),
        mode=ModeResolution(ExecutionMode.PAPER_SIM, ExecutionMode.PAPER_SIM),
        today_ny=TODAY,
        kill_switch=False,
        portfolio=PortfolioView(
            positions={
                "AAA": Decimal("4000"),
                "BBB": Decimal("6000"),
                "CCC": Decimal("5000"),
                "DDD": Decimal("4500"),
                "FFF": Decimal("1400"),
            },
            gross_exposure=Decimal("20900"),
            entries_today=3,
            equity=EQUITY,
        ),
        session=SessionView(market_open=True, in_entry_window=True),
        rules=GateRules(
            max_gross_exposure=Decimal("25000"), max_notional_per_symbol=Decimal("5000"), max_positions=10
        ),
        sleeve=SleeveView(
            configured=True,
            sleeve=Sleeve(Decimal("1000"), Decimal("9000"), 3, 2),
            open_positions=1,
            gross_exposure=Decimal("6000"),
            daily_pnl=Decimal("-250"),
        ),
    )
    decision = evaluate_entry(context)
    line = (
        f"| EEE | {decision.action} | {decision.quantity} | "
        + ", ".join(f"`{c}`" for c in decision.reasons)
        + " |"
    )
    assert line in DOC, line
