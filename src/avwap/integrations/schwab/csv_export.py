"""Read a positions export downloaded from Schwab's website (issue 13, M1-D, source 2), tolerantly.

A 401(k) brokerage window may not be reachable by the API, so the operator downloads its positions page
as CSV. The export varies, and this reader accepts what it has been seen to hold:

- preamble lines before the header (``"Positions for account 401k ...123 as of 09:45 PM ET, 2026/12/04"``):
  the ``as of`` instant (New York time; a date alone means 16:00) and the account's last digits are read
  from them; no ``as of`` means the snapshot is as of the moment it is recorded;
- a header row naming ``Symbol`` and ``Quantity`` (or ``Qty (Quantity)``), and optionally ``Price``,
  ``Market Value`` (``Mkt Val (Market Value)``), ``Cost Basis``, ``Description``, ``Security Type``, in any
  order, with any other columns ignored;
- values with ``$``, thousands separators, ``%``, parentheses or a minus for negatives, and ``--`` or an
  empty cell for "none" (a security row must still have a quantity);
- the ``Cash & Cash Investments`` row (the cash balance, from its market value) and the ``Account Total``
  row (the total value); blank rows anywhere, and footnote rows after the total.

Anything else is a :class:`DataError` naming the file and the line (1-based, as an editor shows it).
Pure apart from the one read of the file's bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

from avwap.core.calendar import NEW_YORK
from avwap.core.errors import DataError
from avwap.integrations.schwab.snapshot_facts import SnapshotFacts, mask_account
from avwap.ledger.record_enums import SnapshotSource
from avwap.ledger.records import RecordValidationError, SnapshotPosition

COLUMNS: Final = {
    "symbol": ("symbol",),
    "description": ("description", "name"),
    "quantity": ("quantity", "qty", "shares"),
    "price": ("price",),
    "market_value": ("market value", "mkt val"),
    "cost_basis": ("cost basis",),
    "asset_type": ("security type", "asset type"),
}
NONE_TEXTS: Final = frozenset({"", "--", "n/a", "na"})
CASH_ROWS: Final = ("cash & cash investments", "cash and cash investments", "cash & money market")
TOTAL_ROWS: Final = ("account total", "total")
_AS_OF: Final = re.compile(
    r"as of\s+(?:(?P<time>\d{1,2}:\d{2}\s*[ap]m)\s*(?:et)?\s*,?\s*)?"
    r"(?P<date>\d{4}/\d{1,2}/\d{1,2}|\d{1,2}/\d{1,2}/\d{4})",
    re.IGNORECASE,
)
_ACCOUNT: Final = re.compile(r"account\b(.*?)(?:\bas of\b|$)", re.IGNORECASE)
_DIGITS: Final = re.compile(r"\d{3,}")
CLOSE: Final = dt.time(16, 0)


@dataclass
class _Totals:
    cash: Decimal | None = None
    total: Decimal | None = None
    total_line: int | None = None


def read_positions_csv(path: Path, *, recorded_at: dt.datetime) -> SnapshotFacts:
    """The snapshot facts of a Schwab positions export at ``path`` (``recorded_at``: as-of fallback)."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise DataError(f"Schwab CSV {path}: cannot read ({error.strerror or error})") from None
    return parse_positions_csv(data, name=str(path), recorded_at=recorded_at)


def parse_positions_csv(data: bytes, *, name: str, recorded_at: dt.datetime) -> SnapshotFacts:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"Schwab CSV {name}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    rows = list(_rows(text, name))
    header_index = next((i for i, (_, row) in enumerate(rows) if _is_header(row)), None)
    if header_index is None:
        raise DataError(f"Schwab CSV {name}: no header row naming Symbol and Quantity")
    preamble = " ".join(" ".join(row) for _, row in rows[:header_index])
    header_line, header = rows[header_index]
    columns = _columns(header, name, header_line)
    positions: list[SnapshotPosition] = []
    totals = _Totals()
    for line, row in rows[header_index + 1 :]:
        _read_row(row=row, line=line, columns=columns, name=name, positions=positions, totals=totals)
    if totals.total is None and not positions:
        raise DataError(f"Schwab CSV {name}: no positions and no Account Total row")
    return SnapshotFacts(
        source=SnapshotSource.CSV,
        account=_account(preamble),
        as_of=_as_of(preamble, name) or recorded_at,
        cash=totals.cash,
        total_value=totals.total,
        positions=tuple(positions),
        source_sha256=hashlib.sha256(data).hexdigest(),
    )


def _rows(text: str, name: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            while cells and not cells[-1]:
                cells.pop()  # the export ends rows with a comma
            if cells:
                rows.append((reader.line_num, cells))
    except csv.Error as error:
        raise DataError(f"Schwab CSV {name}: line {reader.line_num}: not CSV ({error})") from None
    return rows


def _normal(cell: str) -> str:
    """``Qty (Quantity)`` -> ``qty``; ``Mkt Val (Market Value)`` -> ``mkt val``."""
    return " ".join(cell.split("(", maxsplit=1)[0].lower().replace('"', "").split())


def _is_header(row: Sequence[str]) -> bool:
    names = {_normal(cell) for cell in row}
    return "symbol" in names and bool(names & set(COLUMNS["quantity"]))


def _columns(header: Sequence[str], name: str, line: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = next((key for key, names in COLUMNS.items() if _normal(cell) in names), None)
        if key is None:
            continue
        if key in found:
            raise DataError(f"Schwab CSV {name}: line {line}: two {key} columns ({cell!r})")
        found[key] = index
    return found


def _cell(row: Sequence[str], columns: dict[str, int], key: str) -> str:
    index = columns.get(key)
    return row[index] if index is not None and index < len(row) else ""


def _read_row(
    *,
    row: list[str],
    line: int,
    columns: dict[str, int],
    name: str,
    positions: list[SnapshotPosition],
    totals: _Totals,
) -> None:
    label = _cell(row, columns, "symbol")
    lowered = _normal(label)
    if totals.total_line is not None:
        if len(row) == 1:
            return  # a footnote after the total
        raise DataError(f"Schwab CSV {name}: line {line}: a row after the Account Total row ({label!r})")
    if _is_header(row):
        raise DataError(f"Schwab CSV {name}: line {line}: a second header (one account per export)")
    if lowered.startswith(CASH_ROWS):
        totals.cash = _number(row, columns, "market_value", name, line)
        return
    if lowered in TOTAL_ROWS:
        totals.total, totals.total_line = _number(row, columns, "market_value", name, line), line
        return
    positions.append(_position(row, line, columns, name, positions))


def _position(
    row: list[str], line: int, columns: dict[str, int], name: str, seen: list[SnapshotPosition]
) -> SnapshotPosition:
    symbol = _cell(row, columns, "symbol").upper()
    quantity = _number(row, columns, "quantity", name, line)
    if quantity is None:
        raise DataError(f"Schwab CSV {name}: line {line}: {symbol or 'a row'} has no quantity")
    if any(position.symbol == symbol for position in seen):
        raise DataError(f"Schwab CSV {name}: line {line}: {symbol} appears twice")
    try:
        return SnapshotPosition(
            symbol=symbol,
            quantity=quantity,
            price=_number(row, columns, "price", name, line),
            market_value=_number(row, columns, "market_value", name, line),
            cost_basis=_number(row, columns, "cost_basis", name, line),
            description=_cell(row, columns, "description").replace("--", "").strip(),
            asset_type=_cell(row, columns, "asset_type").replace("--", "").strip(),
        )
    except RecordValidationError as error:
        raise DataError(f"Schwab CSV {name}: line {line}: {error}") from None


def parse_money(text: str) -> Decimal | None:
    """``$1,234.50`` -> 1234.50; ``(12.00)`` and ``-$12`` -> -12; ``--`` or empty -> None; ValueError else."""
    cleaned = text.strip().replace("$", "").replace(",", "").replace("%", "").replace(" ", "")
    if cleaned.lower() in NONE_TEXTS:
        return None
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    cleaned = cleaned.strip("()")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return -value if negative else value


def _number(row: Sequence[str], columns: dict[str, int], key: str, name: str, line: int) -> Decimal | None:
    raw = _cell(row, columns, key)
    try:
        return parse_money(raw)
    except ValueError:
        raise DataError(f"Schwab CSV {name}: line {line}: {key} is not a number: {raw!r}") from None


def _as_of(preamble: str, name: str) -> dt.datetime | None:
    match = _AS_OF.search(preamble)
    if match is None:
        return None
    parts = [int(part) for part in match.group("date").split("/")]
    year, month, day = parts if parts[0] > 999 else (parts[2], parts[0], parts[1])
    try:
        moment = CLOSE
        if clock := match.group("time"):
            hours, minutes = (int(part) for part in clock[:-2].strip().split(":"))
            if not 1 <= hours <= 12:
                raise ValueError(clock)
            moment = dt.time(hours % 12 + (12 if clock[-2:].lower() == "pm" else 0), minutes)
        return dt.datetime.combine(dt.date(year, month, day), moment, tzinfo=NEW_YORK).astimezone(dt.UTC)
    except ValueError:
        raise DataError(f"Schwab CSV {name}: the preamble's date is not a date: {match.group(0)!r}") from None


def _account(preamble: str) -> str:
    """The last run of digits between ``account`` and ``as of`` (``401k ...123`` -> ``...123``)."""
    match = _ACCOUNT.search(preamble)
    digits = _DIGITS.findall(match.group(1)) if match else []
    return mask_account(digits[-1]) if digits else "unknown"
