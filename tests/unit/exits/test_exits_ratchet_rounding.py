"""Tick rounding below the level, the ratchet table, and stop levels from pivots."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from avwap.core.money import round_price
from avwap.exits.candidates import stop_level
from avwap.exits.ratchet import ratchet, tightens, valid_stop


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.007", "10.00"),
        ("0.50005", "0.5000"),
        ("10.009999", "10.00"),
        ("1.00", "1.00"),
        ("0.99999", "0.9999"),
        ("100.01", "100.01"),
    ],
)
def test_round_down_never_above_the_level(value: str, expected: str) -> None:
    rounded = round_price(Decimal(value), "down")
    assert rounded == Decimal(expected) and str(rounded) == expected
    assert rounded <= Decimal(value)


@pytest.mark.parametrize(
    ("pivot", "buffer", "expected"),
    [
        (10.07, "0.10", "9.97"),  # decimal arithmetic: not 9.96 from a float round-off
        (99.80, "0.10", "99.70"),
        (10.107, "0.10", "10.00"),
        (0.60005, "0.10", "0.5000"),
        (0.05, "0.10", None),  # at or below zero: no stop
        (0.10, "0.10", None),
        (math.nan, "0.10", None),
    ],
)
def test_stop_level(pivot: float, buffer: str, expected: str | None) -> None:
    level = stop_level(pivot, Decimal(buffer))
    assert level == (Decimal(expected) if expected else None)
    if level is not None:
        assert str(level) == expected


@pytest.mark.parametrize(
    ("old", "candidate", "expected"),
    [
        ("10.00", "10.50", "10.50"),
        ("10.00", "9.50", "10.00"),
        ("10.00", "10.00", "10.00"),
        ("10.00", None, "10.00"),
        ("10.00", math.nan, "10.00"),
        ("10.00", math.inf, "10.00"),
        ("10.00", Decimal("NaN"), "10.00"),
        ("10.00", -1.0, "10.00"),
        ("10.00", 0, "10.00"),
        ("10.00", "garbage", "10.00"),
        ("10.00", True, "10.00"),
        ("10.00", 10.25, "10.25"),
        (None, "9.00", "9.00"),
        (None, None, None),
    ],
)
def test_ratchet_table(old: str | None, candidate: object, expected: str | None) -> None:
    result = ratchet(Decimal(old) if old else None, candidate)
    assert result == (Decimal(expected) if expected else None)
    assert tightens(Decimal(old) if old else None, candidate) == (
        expected is not None and (old is None or Decimal(expected) > Decimal(old))
    )


def test_valid_stop_reads_floats_by_their_repr() -> None:
    assert valid_stop(0.1) == Decimal("0.1")
    assert valid_stop(object()) is None
