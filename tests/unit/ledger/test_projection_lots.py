"""Lots in the projection (issue 11): open positions are kept per position id, one lot per (symbol, strategy)
when S2_ALLOW_SYMBOL_OVERLAP=1 lets two strategies hold one symbol; the broker-level position is their sum.
A fill moves the lot it names; its strategy's lot otherwise; else a sell nets into the symbol's first lot (as
one position per symbol always did) and a buy of a strategy without a lot opens its own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.projection import fold_book, rebuild, state_bytes
from avwap.ledger.record_enums import ExitEventKind, Side, StopBasis
from avwap.ledger.records import ExitEvent, Fill, PositionOpened, Record
from avwap.ledger.router import Ledger

S1, S2 = "S1_AVWAP_CORE", "S2_AVWAP_SWING"
DAY = dt.date(2026, 4, 1)
TS = dt.datetime(2026, 4, 1, 15, 0, tzinfo=dt.UTC)
COMMON = {"book_id": PAPER_SIM, "date_ny": DAY, "ts": TS}


def fill(number: int, strategy: str, position: str, side: Side, quantity: int, price: str) -> Fill:  # noqa: PLR0917 - a fill read as one line
    return Fill(
        **COMMON,
        strategy_id=strategy,
        fill_id=f"fil_{number:04d}",
        order_id=f"ord_{number:04d}",
        client_order_id=f"avw-{number:04d}",
        position_id=position,
        symbol="AAA",
        side=side,
        quantity=quantity,
        price=Decimal(price),
        commission=Decimal("0"),
        broker_fill_id=f"b{number}",
    )


def opened(strategy: str, position: str, quantity: int, stop: str) -> PositionOpened:
    return PositionOpened(
        **COMMON,
        strategy_id=strategy,
        position_id=position,
        intent_id=f"int_{position}",
        symbol="AAA",
        quantity=quantity,
        average_price=Decimal("50"),
        initial_stop_price=Decimal(stop),
        fill_ids=(),
    )


def ratchet(strategy: str, position: str, stop: str) -> ExitEvent:
    return ExitEvent(
        **COMMON,
        strategy_id=strategy,
        exit_id=f"exi_{position}",
        position_id=position,
        symbol="AAA",
        kind=ExitEventKind.STOP_RATCHET,
        stop_price=Decimal(stop),
        basis=StopBasis.INTRADAY_HL,
        reason="higher low",
        stop_revision=1,
    )


def two_lots() -> list[Record]:
    return [
        fill(1, S2, "pos_s2", Side.BUY, 10, "50"),
        opened(S2, "pos_s2", 10, "47.00"),
        fill(2, S1, "pos_s1", Side.BUY, 6, "51"),
        opened(S1, "pos_s1", 6, "49.50"),
    ]


def test_two_strategies_hold_their_own_lots_of_one_symbol() -> None:
    state = fold_book(two_lots(), PAPER_SIM)
    assert list(state.positions) == ["pos_s1", "pos_s2"]  # by symbol, then strategy
    lots = {lot.strategy_id: lot for lot in state.lots_of("AAA")}
    assert (lots[S1].quantity, lots[S1].average_price, lots[S1].stop_price) == (
        6,
        Decimal("51"),
        Decimal("49.50"),
    )
    assert (lots[S2].quantity, lots[S2].average_price, lots[S2].stop_price) == (
        10,
        Decimal("50"),
        Decimal("47.00"),
    )
    assert state.symbol_quantities() == {"AAA": 16} and state.held_symbols() == ["AAA"]
    assert state.lot_of("AAA", S1) == lots[S1] and state.lot_of("AAA", "OTHER") is None


def test_a_stop_ratchet_and_a_stop_fill_of_one_lot_never_touch_the_other() -> None:
    records = two_lots()
    before = fold_book(records, PAPER_SIM)
    records += [ratchet(S1, "pos_s1", "50.20")]
    ratcheted = fold_book(records, PAPER_SIM)
    assert ratcheted.positions["pos_s1"].stop_price == Decimal("50.20")
    assert ratcheted.positions["pos_s2"] == before.positions["pos_s2"]
    records += [fill(3, S1, "pos_s1", Side.SELL, 6, "50.20")]  # S1's stop fills
    after = fold_book(records, PAPER_SIM)
    assert list(after.positions) == ["pos_s2"] and after.positions["pos_s2"] == before.positions["pos_s2"]
    assert after.realized_pnl == Decimal("-4.80") and "pos_s1" in after.closed_position_ids


def test_a_partial_exit_of_one_lot_keeps_its_own_basis() -> None:
    state = fold_book([*two_lots(), fill(3, S2, "pos_s2", Side.SELL, 4, "53")], PAPER_SIM)
    assert state.positions["pos_s2"].quantity == 6 and state.positions["pos_s2"].realized_pnl == Decimal("12")
    assert state.positions["pos_s1"].quantity == 6 and state.symbol_quantities() == {"AAA": 12}


def test_one_lot_per_symbol_nets_as_before() -> None:
    """The flag off: a fill of another strategy names the held position (broker_sync stamps it) and nets
    into it; a sell naming no lot, of a strategy without one, nets into the symbol's first lot."""
    records: list[Record] = [fill(1, S1, "pos_s1", Side.BUY, 10, "50"), opened(S1, "pos_s1", 10, "48")]
    named = fold_book([*records, fill(2, S2, "pos_s1", Side.BUY, 5, "53")], PAPER_SIM)
    assert list(named.positions) == ["pos_s1"] and named.positions["pos_s1"].quantity == 15
    unnamed = fold_book([*records, fill(2, "ADOPTED", "pos_manual", Side.SELL, 4, "52")], PAPER_SIM)
    assert list(unnamed.positions) == ["pos_s1"] and unnamed.positions["pos_s1"].quantity == 6


def test_a_strategys_own_fill_finds_its_lot_even_without_its_id() -> None:
    state = fold_book([*two_lots(), fill(3, S1, "pos_other", Side.BUY, 4, "52")], PAPER_SIM)
    assert state.positions["pos_s1"].quantity == 10 and state.positions["pos_s2"].quantity == 10


def test_the_cache_rebuilds_lots_exactly(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger")
    for record in [*two_lots(), ratchet(S1, "pos_s1", "50.20")]:
        ledger.append(record)
    fresh = fold_book(ledger.read_book(PAPER_SIM), PAPER_SIM)
    cache = tmp_path / "cache"
    assert state_bytes(rebuild(ledger.root, PAPER_SIM, cache_dir=cache)) == state_bytes(fresh)
    assert state_bytes(rebuild(ledger.root, PAPER_SIM, cache_dir=cache)) == state_bytes(fresh)  # from it
