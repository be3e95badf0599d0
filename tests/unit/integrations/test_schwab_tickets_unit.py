"""The ticket text, its metadata match and the holdings file (issue 13 M1-B), without Slack."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from avwap.core.errors import DataError
from avwap.integrations.schwab.holdings_file import load_holdings
from avwap.integrations.schwab.tickets import (
    Ticket,
    is_ticket_message,
    ticket_metadata,
    ticket_text,
)
from avwap.ledger.record_enums import OrderType, Side

DAY = dt.date(2026, 12, 1)
TICKET = Ticket(
    "int_abc",
    "SCHWAB_401K_MANUAL",
    "S_401K_ALLOCATION",
    DAY,
    "FXAIX",
    Side.SELL,
    7,
    OrderType.MARKET,
    None,
    "why",
)


def test_the_text_names_everything_the_operator_needs() -> None:
    text = ticket_text(TICKET)
    parts = ("SELL 7 FXAIX MARKET", "int_abc", "why", "EXECUTED <qty> @ <price>", "PARTIAL <qty> @ <price>")
    for part in (*parts, "SKIPPED <reason>", "ERROR <text>", "2026-12-01", "limit: none"):
        assert part in text


def test_metadata_matches_only_the_same_intent_and_date() -> None:
    message = {"metadata": ticket_metadata(TICKET)}
    assert is_ticket_message(message, "int_abc", DAY)
    assert not is_ticket_message(message, "int_other", DAY)
    assert not is_ticket_message(message, "int_abc", DAY + dt.timedelta(days=1))
    assert not is_ticket_message({"metadata": {"event_type": "avwap_alert"}}, "int_abc", DAY)
    assert not is_ticket_message({}, "int_abc", DAY)


def test_a_ticket_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="positive whole"):
        Ticket("int_a", "SCHWAB_401K_MANUAL", "S", DAY, "X", Side.BUY, 0, OrderType.MARKET, None, "")
    with pytest.raises(ValueError, match="limit"):
        Ticket("int_a", "SCHWAB_401K_MANUAL", "S", DAY, "X", Side.BUY, 1, OrderType.LIMIT, None, "")


def test_holdings_file(tmp_path: Path) -> None:
    path = tmp_path / "h.toml"
    path.write_text('cash = "10.5"\n[positions]\nFXAIX = 3\n[prices]\nFXAIX = "201.1"\n', encoding="utf-8")
    holdings, prices = load_holdings(path)
    assert holdings.cash == Decimal("10.5") and holdings.positions == {"FXAIX": 3}
    assert prices == {"FXAIX": Decimal("201.1")}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[positions]\nFXAIX = 1.5\n", "whole shares"),
        ('cash = "-1"\n', "negative"),
        ('[prices]\nFXAIX = "0"\n', "positive"),
        ('[prices]\nFXAIX = "abc"\n', "must be a number"),
        ("shares = 3\n", "unknown keys"),
        ("cash = [", "not valid TOML"),
    ],
)
def test_bad_holdings_are_data_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "h.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_holdings(path)
