"""Sleeve gates (Phase S2): each strategy's caps inside the book's, symbol overlap, missing sleeves and
daily PnL; stable codes in gate order, resizable gross, exits never blocked; the settings they read."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from tests.unit.control.control_builders import build

from avwap.control import reasons
from avwap.control.context import SleeveView
from avwap.control.plane import Action, evaluate_entry, evaluate_exit
from avwap.core.config import load_config
from avwap.core.config_parsers import Sleeve
from avwap.core.errors import ConfigurationError
from avwap.strategies.registry import check_strategy_ids

SLEEVE = Sleeve(
    max_daily_loss=Decimal("300"),
    max_gross_exposure=Decimal("1000"),
    max_positions=2,
    max_new_entries_per_day=2,
)
# The healthy context buys 10 AAPL at $50 ($500); the strategy holds one position of $400.
INSIDE = SleeveView(configured=True, sleeve=SLEEVE, open_positions=1, gross_exposure=Decimal("400"))


def decide(view: SleeveView):  # type: ignore[no-untyped-def]
    return evaluate_entry(build(sleeve=view))


def test_a_strategy_inside_its_sleeve_is_approved_and_no_sleeves_is_the_book_alone() -> None:
    assert decide(INSIDE).action is Action.APPROVE
    assert decide(SleeveView()).action is Action.APPROVE  # sleeves not configured: book caps only


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"held_by_others": ("S2_AVWAP_SWING",)}, reasons.SLEEVE_SYMBOL_HELD_BY_OTHER),
        ({"sleeve": None}, reasons.SLEEVE_MISSING),
        ({"daily_pnl": None}, reasons.SLEEVE_DAILY_PNL_UNKNOWN),
        ({"daily_pnl": Decimal("-300")}, reasons.SLEEVE_DAILY_LOSS_REACHED),
        ({"entries_today": 2}, reasons.SLEEVE_MAX_NEW_ENTRIES_REACHED),
        ({"open_positions": 2}, reasons.SLEEVE_MAX_POSITIONS_REACHED),
    ],
)
def test_each_sleeve_rule_rejects_with_its_code(changes: dict[str, object], code: str) -> None:
    from dataclasses import replace

    decision = decide(replace(INSIDE, **changes))
    assert decision.action is Action.REJECT and decision.reasons == (code,)


def test_sleeve_gross_resizes_to_the_largest_quantity_that_fits() -> None:
    from dataclasses import replace

    decision = decide(replace(INSIDE, gross_exposure=Decimal("800")))  # $200 left at $50: 4 shares
    assert decision.action is Action.RESIZE and decision.quantity == 4
    assert decision.reasons == (reasons.SLEEVE_MAX_GROSS_EXPOSURE_EXCEEDED,)


def test_the_escape_hatches_and_a_loss_just_under_the_cap() -> None:
    from dataclasses import replace

    assert decide(SleeveView(configured=True, sleeve=None, allow_unsleeved=True)).action is Action.APPROVE
    overlap = replace(INSIDE, held_by_others=("S2_AVWAP_SWING",), allow_symbol_overlap=True)
    assert decide(overlap).action is Action.APPROVE
    assert decide(replace(INSIDE, daily_pnl=Decimal("-299.99"))).action is Action.APPROVE
    uncapped = Sleeve(max_daily_loss=None, max_gross_exposure=None, max_positions=None)
    assert decide(SleeveView(configured=True, sleeve=uncapped, daily_pnl=None)).action is Action.APPROVE


def test_a_malformed_sleeve_view_blocks_and_exits_are_never_blocked() -> None:
    decision = evaluate_entry(build(sleeve="not a view"))  # type: ignore[arg-type]
    assert decision.action is Action.REJECT and reasons.SLEEVE_MISSING in decision.reasons
    blocked = SleeveView(configured=True, sleeve=None, daily_pnl=None, held_by_others=("X_OTHER",))
    exit_decision = evaluate_exit(build(sleeve=blocked))
    assert exit_decision.allowed is True and exit_decision.would_block == ()


SLEEVES = {
    "S1_AVWAP_CORE": {"max_daily_loss": 500, "max_gross_exposure": "20000", "max_positions": 3},
    "S2_AVWAP_SWING": {
        "max_daily_loss": None,
        "max_gross_exposure": 8000,
        "max_positions": 2,
        "max_new_entries_per_day": 1,
    },
}


def test_sleeves_load_from_json_or_file_into_the_config(tmp_path: Path) -> None:
    from_json = load_config({"S2_SLEEVES_JSON": json.dumps(SLEEVES)})
    path = tmp_path / "sleeves.json"
    path.write_text(json.dumps(SLEEVES))
    from_file = load_config({"S2_SLEEVES_FILE": str(path)})
    assert from_json.sleeves == from_file.sleeves
    assert from_json.sleeves is not None
    assert from_json.sleeves["S2_AVWAP_SWING"] == Sleeve(None, Decimal("8000"), 2, 1)
    assert from_json.sleeves_variable == "S2_SLEEVES_JSON" and from_file.sleeves_variable == "S2_SLEEVES_FILE"
    assert load_config({}).sleeves is None
    assert from_json.config_hash() != load_config({}).config_hash()  # the sleeves are configuration


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"S2_SLEEVES_JSON": "{not json"}, "S2_SLEEVES_JSON"),
        ({"S2_SLEEVES_JSON": "[1, 2]"}, "S2_SLEEVES_JSON"),
        ({"S2_SLEEVES_JSON": '{"S1_AVWAP_CORE": {"max_daily_loss": 1}}'}, "S2_SLEEVES_JSON"),
        (
            {
                "S2_SLEEVES_JSON": json.dumps(
                    {"S1_AVWAP_CORE": {**SLEEVES["S1_AVWAP_CORE"], "max_positions": -1}}
                )
            },
            "S2_SLEEVES_JSON",
        ),
        (
            {
                "S2_SLEEVES_JSON": json.dumps(
                    {"S1_AVWAP_CORE": {**SLEEVES["S1_AVWAP_CORE"], "max_daily_loss": -5}}
                )
            },
            "S2_SLEEVES_JSON",
        ),
        (
            {"S2_SLEEVES_JSON": json.dumps({"S1_AVWAP_CORE": {**SLEEVES["S1_AVWAP_CORE"], "extra": 1}})},
            "S2_SLEEVES_JSON",
        ),
        ({"S2_SLEEVES_FILE": "/no/such/sleeves.json"}, "S2_SLEEVES_FILE"),
        ({"S2_SLEEVES_JSON": json.dumps(SLEEVES), "S2_SLEEVES_FILE": "/x.json"}, "S2_SLEEVES_FILE"),
        ({"S2_DAILY_PNL_JSON": '{"S1_AVWAP_CORE": "lots"}'}, "S2_DAILY_PNL_JSON"),
        ({"S2_DAILY_PNL_JSON": "{"}, "S2_DAILY_PNL_JSON"),
    ],
)
def test_malformed_sleeve_settings_name_their_variable(environ: dict[str, str], variable: str) -> None:
    if "S2_SLEEVES_FILE" in environ and "S2_SLEEVES_JSON" in environ:
        with pytest.raises(ConfigurationError) as raised:
            load_config({"S2_SLEEVES_JSON": environ["S2_SLEEVES_JSON"]}, s2_sleeves_file=())
    else:
        with pytest.raises(ConfigurationError) as raised:
            load_config(environ)
    assert raised.value.variable == variable


def test_a_sleeve_priority_or_pnl_for_an_unknown_strategy_is_refused(tmp_path: Path) -> None:
    unknown = {"S7_NOT_REGISTERED": SLEEVES["S1_AVWAP_CORE"]}
    path = tmp_path / "sleeves.json"
    path.write_text(json.dumps(unknown))
    cases = [
        ({"S2_SLEEVES_JSON": json.dumps(unknown)}, "S2_SLEEVES_JSON"),
        ({"S2_SLEEVES_FILE": str(path)}, "S2_SLEEVES_FILE"),
        ({"S2_DAILY_PNL_JSON": '{"S7_NOT_REGISTERED": -10}'}, "S2_DAILY_PNL_JSON"),
        ({"S3_STRATEGY_PRIORITIES": "S7_NOT_REGISTERED=1"}, "S3_STRATEGY_PRIORITIES"),
    ]
    for environ, variable in cases:
        with pytest.raises(ConfigurationError) as raised:
            check_strategy_ids(load_config(environ))
        assert raised.value.variable == variable and "S7_NOT_REGISTERED" in str(raised.value)


def test_already_holding_yields_to_overlap_only_for_a_strategy_without_its_own_lot() -> None:
    """Issue 11: with S2_ALLOW_SYMBOL_OVERLAP=1 a strategy may open its own lot of a symbol that only other
    strategies hold; its own holding, or the flag off, is still ALREADY_HOLDING."""
    from dataclasses import replace

    held = {"portfolio__positions": {"AAPL": Decimal("300")}, "portfolio__gross_exposure": Decimal("300")}
    others = replace(INSIDE, held_by_others=("S2_AVWAP_SWING",))
    assert reasons.ALREADY_HOLDING in evaluate_entry(build(sleeve=others, **held)).reasons  # flag off
    allowed = replace(others, allow_symbol_overlap=True)
    assert evaluate_entry(build(sleeve=allowed, **held)).action is Action.APPROVE
    own = evaluate_entry(build(sleeve=replace(allowed, holds_symbol=True), **held))
    assert own.action is Action.REJECT and own.reasons == (reasons.ALREADY_HOLDING,)
    alone = evaluate_entry(build(sleeve=replace(INSIDE, allow_symbol_overlap=True), **held))
    assert alone.reasons == (reasons.ALREADY_HOLDING,)  # held, and by no other strategy: its own
