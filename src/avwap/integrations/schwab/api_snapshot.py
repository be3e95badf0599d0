"""Snapshot facts from the Schwab Trader API (issue 13, M1-D, source 1).

:func:`take_api_snapshot` reads, through :class:`~avwap.integrations.schwab.read_only.ReadOnlySchwab`,
the account numbers (to find the account's hash), the account with its positions, and the orders and
trade transactions of the last :data:`WINDOW_DAYS` days (Schwab answers at most 60 days back). The
``from_*`` functions map Schwab's JSON to the ledger's snapshot lines (pure); a field that is missing or of
the wrong type is a :class:`DataError` naming it. JSON numbers become ``Decimal`` through their text, so
no binary float reaches a ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from avwap.core.errors import ConfigurationError, DataError
from avwap.integrations.schwab.read_only import ReadOnlySchwab
from avwap.integrations.schwab.snapshot_facts import SnapshotFacts, mask_account
from avwap.ledger.record_enums import SnapshotSource
from avwap.ledger.records import (
    RecordValidationError,
    SnapshotOrder,
    SnapshotPosition,
    SnapshotTransaction,
)

WINDOW_DAYS: Final = 59  # inside Schwab's 60-day limit for orders and transactions, whatever the hour
PRICE_PLACES: Final = Decimal("0.0001")
CASH_KEYS: Final = ("cashBalance", "totalCash", "cashAvailableForTrading", "moneyMarketFund")


def take_api_snapshot(reader: ReadOnlySchwab, *, account_number: str, now: dt.datetime) -> SnapshotFacts:
    """The snapshot of the account (``account_number``; empty: the token's only account) as of ``now``."""
    account_hash = choose_account(reader.account_numbers(), account_number)
    start = now - dt.timedelta(days=WINDOW_DAYS)
    account = reader.account(account_hash)
    orders = reader.orders(account_hash, start, now)
    transactions = reader.transactions(account_hash, start, now)
    return from_account(account, orders, transactions, as_of=now, window_start=start)


def choose_account(numbers: Sequence[Mapping[str, Any]], account_number: str) -> str:
    """The hash of ``account_number``, or of the only account; several without a choice is a
    ConfigurationError naming SCHWAB_ACCOUNT_NUMBER (listing masked numbers only)."""
    pairs = [(str(item.get("accountNumber", "")), str(item.get("hashValue", ""))) for item in numbers]
    if account_number:
        found = [hash_value for number, hash_value in pairs if number == account_number and hash_value]
        if not found:
            masked = ", ".join(mask_account(number) for number, _ in pairs) or "none"
            raise ConfigurationError("SCHWAB_ACCOUNT_NUMBER", f"not among this token's accounts ({masked})")
        return found[0]
    if len(pairs) != 1 or not pairs[0][1]:
        masked = ", ".join(mask_account(number) for number, _ in pairs) or "none"
        raise ConfigurationError(
            "SCHWAB_ACCOUNT_NUMBER", f"required: the token reaches {len(pairs)} accounts ({masked})"
        )
    return pairs[0][1]


def decimal_of(value: Any, where: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DataError(f"Schwab {where}: expected a number, got {type(value).__name__}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise DataError(f"Schwab {where}: expected a number, got {value!r}") from None
    if not number.is_finite():
        raise DataError(f"Schwab {where}: expected a finite number, got {value!r}")
    return number


def instant_of(value: Any, where: str) -> dt.datetime | None:
    """Schwab's ``2026-12-04T14:30:00+0000`` (or ``...Z``, or with milliseconds) as a UTC instant."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise DataError(f"Schwab {where}: not an ISO-8601 instant: {value!r}") from None
    if moment.tzinfo is None:
        raise DataError(f"Schwab {where}: an instant without a time zone: {value!r}")
    return moment.astimezone(dt.UTC)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DataError(f"Schwab {where}: expected an object")
    return value


def _symbol(item: Mapping[str, Any], where: str) -> str:
    symbol = _mapping(item.get("instrument"), f"{where}.instrument").get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise DataError(f"Schwab {where}.instrument.symbol: missing")
    return symbol.upper()


def from_position(item: Mapping[str, Any], index: int) -> SnapshotPosition:
    where = f"positions[{index}]"
    symbol = _symbol(item, where)
    long_quantity = decimal_of(item.get("longQuantity"), f"{where}.longQuantity") or Decimal(0)
    short_quantity = decimal_of(item.get("shortQuantity"), f"{where}.shortQuantity") or Decimal(0)
    if short_quantity:
        raise DataError(f"Schwab {where}: {symbol} is short {short_quantity}: a manual book holds no shorts")
    value = decimal_of(item.get("marketValue"), f"{where}.marketValue")
    average = decimal_of(item.get("averagePrice"), f"{where}.averagePrice")
    price = (value / long_quantity).quantize(PRICE_PLACES) if value and long_quantity else None
    instrument = _mapping(item.get("instrument"), f"{where}.instrument")
    try:
        return SnapshotPosition(
            symbol=symbol,
            quantity=long_quantity,
            price=price,
            market_value=value,
            cost_basis=(average * long_quantity).quantize(PRICE_PLACES) if average is not None else None,
            description=str(instrument.get("description") or ""),
            asset_type=str(instrument.get("assetType") or ""),
        )
    except RecordValidationError as error:
        raise DataError(f"Schwab {where}: {error}") from None


def from_order(item: Mapping[str, Any], index: int) -> list[SnapshotOrder]:
    """One line per leg (a 401(k) order has one); ``average_price`` over the order's execution legs."""
    where = f"orders[{index}]"
    legs = item.get("orderLegCollection") or []
    executions = [
        execution
        for activity in item.get("orderActivityCollection") or []
        if isinstance(activity, Mapping) and activity.get("activityType") == "EXECUTION"
        for execution in activity.get("executionLegs") or []
        if isinstance(execution, Mapping)
    ]
    lines = []
    for leg_index, leg in enumerate(legs):
        leg = _mapping(leg, f"{where}.orderLegCollection[{leg_index}]")
        leg_id = leg.get("legId")
        mine = [e for e in executions if len(legs) == 1 or e.get("legId") == leg_id]
        filled = sum(
            (decimal_of(e.get("quantity"), f"{where}.execution") or Decimal(0) for e in mine), Decimal(0)
        )
        paid = sum(
            (
                (decimal_of(e.get("quantity"), f"{where}.execution") or Decimal(0))
                * (decimal_of(e.get("price"), f"{where}.execution") or Decimal(0))
                for e in mine
            ),
            Decimal(0),
        )
        order_id = str(item.get("orderId", ""))
        lines.append(
            SnapshotOrder(
                broker_order_id=order_id if len(legs) == 1 else f"{order_id}-{leg_index}",
                symbol=_symbol(leg, f"{where}.orderLegCollection[{leg_index}]"),
                instruction=str(leg.get("instruction") or ""),
                quantity=decimal_of(leg.get("quantity", item.get("quantity")), f"{where}.quantity")
                or Decimal(0),
                filled_quantity=filled
                if mine
                else decimal_of(item.get("filledQuantity"), f"{where}.filledQuantity") or Decimal(0),
                average_price=(paid / filled).quantize(PRICE_PLACES) if filled else None,
                status=str(item.get("status") or ""),
                order_type=str(item.get("orderType") or ""),
                entered_at=instant_of(item.get("enteredTime"), f"{where}.enteredTime"),
                closed_at=instant_of(item.get("closeTime"), f"{where}.closeTime"),
            )
        )
    return lines


def from_transaction(item: Mapping[str, Any], index: int) -> list[SnapshotTransaction]:
    """The security lines of a TRADE (fees and currency lines are skipped); quantity keeps its sign."""
    where = f"transactions[{index}]"
    moment = instant_of(item.get("time") or item.get("tradeDate"), f"{where}.time")
    if moment is None:
        raise DataError(f"Schwab {where}.time: missing")
    lines = []
    for line_index, transfer in enumerate(item.get("transferItems") or []):
        transfer = _mapping(transfer, f"{where}.transferItems[{line_index}]")
        instrument = _mapping(transfer.get("instrument"), f"{where}.transferItems[{line_index}].instrument")
        if instrument.get("assetType") == "CURRENCY" or transfer.get("feeType"):
            continue
        amount = decimal_of(transfer.get("amount"), f"{where}.transferItems[{line_index}].amount")
        if not amount:
            continue
        lines.append(
            SnapshotTransaction(
                transaction_id=f"{item.get('activityId', index)}-{line_index}",
                symbol=_symbol(transfer, f"{where}.transferItems[{line_index}]"),
                quantity=amount,
                price=decimal_of(transfer.get("price"), f"{where}.transferItems[{line_index}].price"),
                time=moment,
            )
        )
    return lines


def from_account(
    body: Mapping[str, Any],
    orders: Sequence[Mapping[str, Any]],
    transactions: Sequence[Mapping[str, Any]],
    *,
    as_of: dt.datetime,
    window_start: dt.datetime,
) -> SnapshotFacts:
    account = _mapping(body.get("securitiesAccount"), "securitiesAccount")
    balances = _mapping(account.get("currentBalances") or {}, "securitiesAccount.currentBalances")
    cash_key = next((key for key in CASH_KEYS if balances.get(key) is not None), None)
    total = balances.get("liquidationValue")
    if total is None:
        total = (body.get("aggregatedBalance") or {}).get("liquidationValue")
    return SnapshotFacts(
        source=SnapshotSource.API,
        account=mask_account(str(account.get("accountNumber", ""))),
        as_of=as_of,
        cash=decimal_of(balances.get(cash_key), f"currentBalances.{cash_key}") if cash_key else None,
        total_value=decimal_of(total, "currentBalances.liquidationValue"),
        positions=tuple(
            from_position(_mapping(item, f"positions[{i}]"), i)
            for i, item in enumerate(account.get("positions") or [])
        ),
        orders=tuple(
            line for i, item in enumerate(orders) for line in from_order(_mapping(item, "order"), i)
        ),
        transactions=tuple(
            line for i, item in enumerate(transactions) for line in from_transaction(_mapping(item, "tx"), i)
        ),
        window_start=window_start,
    )
