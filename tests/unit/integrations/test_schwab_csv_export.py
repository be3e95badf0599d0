"""The Schwab website's positions export (issue 13, M1-D, source 2): read tolerantly, refused clearly."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avwap.core.errors import DataError
from avwap.integrations.schwab.csv_export import parse_money, parse_positions_csv
from avwap.integrations.schwab.snapshot_facts import snapshot_record
from avwap.ledger.record_enums import SnapshotSource

RECORDED = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)

# As downloaded (2026 layout): a preamble line, a blank line, quoted cells, trailing commas.
HEADER = (
    '"Symbol","Description","Qty (Quantity)","Price","Price Chng % (Price Change %)",'
    '"Mkt Val (Market Value)","Cost Basis","Security Type",'
)
EXPORT = (
    '\ufeff"Positions for account Workplace 401k ...123 as of 09:45 PM ET, 2026/12/04",'
    + '"","","","","","","",\n'
    + '"","","","","","","","",\n'
    + HEADER
    + """
"FXAIX","FIDELITY 500 INDEX","300","$201.10","0.52%","$60,330.00","$54,150.00","Mutual Fund",
"FXNAX","FIDELITY US BOND INDEX","1,120.567","$10.02","-0.1%","$11,228.08","--","Mutual Fund",
"Cash & Cash Investments","--","--","--","--","$1,250.40","--","Cash and Money Market",
"Account Total","--","--","--","--","$72,808.48","$54,150.00","--",
"""
)

# An older layout: different header names and order, m/d/Y date without a time, no preamble account.
OLD_EXPORT = """Positions as of 12/04/2026
Symbol,Quantity,Name,Market Value,Price
VTI,"12",VANGUARD TOTAL STOCK MARKET ETF,"$3,012.36",$251.03
Cash & Cash Investments,--,--,$10.00,--
Account Total,--,--,"$3,022.36",--
footnote: values are delayed
"""


def parse(text: str, name: str = "positions.csv"):  # type: ignore[no-untyped-def]
    return parse_positions_csv(text.encode("utf-8"), name=name, recorded_at=RECORDED)


def test_a_real_export_reads_into_positions_cash_and_total() -> None:
    facts = parse(EXPORT)
    assert facts.source is SnapshotSource.CSV
    assert facts.account == "...123"
    assert facts.as_of == dt.datetime(2026, 12, 5, 2, 45, tzinfo=dt.UTC)  # 21:45 New York (EST)
    assert (facts.cash, facts.total_value) == (Decimal("1250.40"), Decimal("72808.48"))
    assert [(p.symbol, p.quantity, p.price, p.market_value, p.cost_basis) for p in facts.positions] == [
        ("FXAIX", Decimal(300), Decimal("201.10"), Decimal("60330.00"), Decimal("54150.00")),
        ("FXNAX", Decimal("1120.567"), Decimal("10.02"), Decimal("11228.08"), None),
    ]
    assert facts.positions[0].description == "FIDELITY 500 INDEX"
    assert facts.positions[0].asset_type == "Mutual Fund"
    assert facts.source_sha256 == hashlib.sha256(EXPORT.encode()).hexdigest()


def test_an_older_layout_with_a_date_only_and_a_footnote_reads_too() -> None:
    facts = parse(OLD_EXPORT)
    assert facts.account == "unknown"
    assert facts.as_of == dt.datetime(2026, 12, 4, 21, 0, tzinfo=dt.UTC)  # 16:00 New York
    assert [(p.symbol, p.quantity, p.description) for p in facts.positions] == [
        ("VTI", Decimal(12), "VANGUARD TOTAL STOCK MARKET ETF")
    ]
    assert (facts.cash, facts.total_value) == (Decimal("10.00"), Decimal("3022.36"))


def test_without_an_as_of_the_snapshot_is_as_of_its_recording() -> None:
    text = "Symbol,Quantity\nVTI,1\n"
    assert parse(text).as_of == RECORDED


def test_the_record_of_the_same_export_has_the_same_id() -> None:
    first = snapshot_record(parse(EXPORT), book_id="SCHWAB_401K_MANUAL", recorded_at=RECORDED)
    later = RECORDED + dt.timedelta(hours=1)
    again = snapshot_record(parse(EXPORT), book_id="SCHWAB_401K_MANUAL", recorded_at=later)
    assert first.snapshot_id == again.snapshot_id and first.ts != again.ts
    assert first.date_ny == dt.date(2026, 12, 4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("just,some,text\n1,2,3\n", "no header row naming Symbol and Quantity"),
        ("Symbol,Quantity,Price\nVTI,12,abc\n", r"line 2: price is not a number: 'abc'"),
        ("Symbol,Quantity\nVTI,1\nVTI,2\n", "line 3: VTI appears twice"),
        ("Symbol,Quantity\nVTI,--\n", "line 2: VTI has no quantity"),
        ("x\n\nSymbol,Quantity\nVTI,-3\n", "line 4: .*quantity must be a finite, non-negative decimal"),
        ("Symbol,Quantity\nvti fund!,3\n", "line 2: .*symbol must be an upper-case ticker"),
        ("Symbol,Quantity\nVTI,1\nAccount Total,--\nVXUS,2\n", "line 4: a row after the Account Total"),
        ("Symbol,Quantity\nVTI,1\nSymbol,Quantity\n", "line 3: a second header"),
        ("Symbol,Quantity,Qty\nVTI,1,1\n", "line 1: two quantity columns"),
        ("Symbol,Quantity\n", "no positions and no Account Total row"),
        ('"as of 13/45/2026"\nSymbol,Quantity\nVTI,1\n', "the preamble's date is not a date"),
    ],
)
def test_a_malformed_export_is_a_data_error_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(DataError, match=message) as caught:
        parse(text, name="my-export.csv")
    assert "my-export.csv" in str(caught.value)


def test_bytes_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(DataError, match="not UTF-8"):
        parse_positions_csv(b"Symbol,Quantity\n\xff\xfe,1\n", name="x.csv", recorded_at=RECORDED)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$1,234.50", Decimal("1234.50")),
        ("(12.00)", Decimal("-12.00")),
        ("-$12", Decimal("-12")),
        (" 0.5% ", Decimal("0.5")),
        ("--", None),
        ("", None),
        ("N/A", None),
    ],
)
def test_money_cells(text: str, value: Decimal | None) -> None:
    assert parse_money(text) == value


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_money_round_trips_the_exports_formatting(value: Decimal) -> None:
    text = f"${abs(value):,.2f}"
    shown = f"({text})" if value < 0 else text
    assert parse_money(shown) == value


@given(st.text(max_size=40))
def test_money_never_fails_other_than_by_value_error(text: str) -> None:
    try:
        result = parse_money(text)
    except ValueError:
        return
    assert result is None or result.is_finite()
