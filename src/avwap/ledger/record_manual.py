"""Records of the manual (Schwab 401(k)) book: tickets sent and failed, operator confirmations and
read-only broker snapshots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec

from avwap.ledger.record_base import SYMBOL, UPPER_SNAKE, RecordBase, fail
from avwap.ledger.record_enums import (
    ConfirmationKind,
    ConfirmationMatch,
    OrderType,
    Side,
    SnapshotSource,
)


class TicketSent(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """A trade ticket posted to Slack for a person to place (book ``SCHWAB_401K_MANUAL``, issue 13 M1-B).

    What the ticket asked for (``symbol`` ... ``reason``) and where it is: ``channel`` (Slack channel id),
    ``message_ts`` (the message's Slack timestamp, its id), ``permalink`` (None when Slack would not give
    one). ``recovered``: the post was found in channel history by its metadata (a crash between the post
    and this record) instead of being posted by this run. At most one per ``intent_id``."""

    strategy_id: str
    intent_id: str
    symbol: str
    side: Side
    quantity: int
    order_type: OrderType
    limit_price: Decimal | None = None
    reason: str = ""
    channel: str
    message_ts: str
    permalink: str | None = None
    recovered: bool = False

    def check(self) -> None:
        if (self.order_type == OrderType.LIMIT) != (self.limit_price is not None):
            fail(
                self, f"a {self.order_type} ticket {'needs' if self.limit_price is None else 'has no'} limit"
            )
        if not self.channel or not self.message_ts:
            fail(self, "channel and message_ts are required")


class TicketFailed(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """A ticket that was not posted: ``outcome`` (RATE_LIMITED, SERVER_ERROR, REJECTED, UNREACHABLE, UNKNOWN,
    HISTORY_UNAVAILABLE) and Slack's ``detail`` (``http_500``, ``ratelimited``, ...). Never retried by the
    run that recorded it: the next run checks the ledger and channel history first, then posts once."""

    strategy_id: str
    intent_id: str
    symbol: str
    outcome: str
    detail: str
    retry_after_seconds: Decimal | None = None

    def check(self) -> None:
        if not UPPER_SNAKE.fullmatch(self.outcome):
            fail(self, f"outcome must be UPPER_SNAKE, got {self.outcome!r}")


class ConfirmationRecorded(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """The operator's reply in a manual book's Slack ticket thread (issue 13, M1-C), append-only.

    ``book_id`` is the manual book the ticket belongs to; ``confirmation_id`` derives from the Slack
    ``event_id`` (a retried delivery is the same record). ``intent_id`` is the ticket's intent, None when
    the thread is none of our tickets (``match`` UNMATCHED_THREAD). A later confirmation for the same
    intent names the one it supersedes in ``corrects``: earlier records are never changed. ``text`` is the
    reply as written (cut at 500 characters), for the audit trail."""

    strategy_id: str | None = None
    confirmation_id: str
    event_id: str
    channel: str
    thread_ts: str
    message_ts: str
    user: str = ""
    intent_id: str | None = None
    match: ConfirmationMatch
    kind: ConfirmationKind
    quantity: int | None = None
    price: Decimal | None = None
    note: str = ""
    text: str = ""
    corrects: str | None = None

    def check(self) -> None:
        if (self.match is ConfirmationMatch.MATCHED) != (self.intent_id is not None):
            fail(self, "a MATCHED confirmation names its intent_id, an UNMATCHED_THREAD one has none")
        fills = self.kind in (ConfirmationKind.EXECUTED, ConfirmationKind.PARTIAL)
        if fills != (self.quantity is not None and self.price is not None):
            fail(self, f"{self.kind} {'needs' if fills else 'takes no'} quantity and price")
        if fills is False and (self.quantity is not None or self.price is not None):
            fail(self, f"{self.kind} takes no quantity or price")
        if self.corrects is not None and self.intent_id is None:
            fail(self, "only a confirmation of a known intent can correct an earlier one")
        if not self.event_id or not self.channel or not self.thread_ts or len(self.text) > 500:
            fail(self, "event_id, channel and thread_ts are required; text is at most 500 characters")


def _check_snapshot_item(item: object, symbol: str, quantities: dict[str, Decimal | None]) -> None:
    """Checks of a snapshot line (nested lines are not seen by ``RecordBase``'s field checks)."""
    if not SYMBOL.fullmatch(symbol):
        fail(item, f"symbol must be an upper-case ticker, got {symbol!r}")
    for name, value in quantities.items():
        if value is not None and (not value.is_finite() or value < 0):
            fail(item, f"{symbol}: {name} must be a finite, non-negative decimal, got {value}")


class SnapshotPosition(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One holding as the broker reports it: shares may be fractional (mutual funds)."""

    symbol: str
    quantity: Decimal
    price: Decimal | None = None
    market_value: Decimal | None = None
    cost_basis: Decimal | None = None
    description: str = ""
    asset_type: str = ""

    def __post_init__(self) -> None:
        _check_snapshot_item(self, self.symbol, {"quantity": self.quantity, "price": self.price})
        if self.quantity == 0:
            fail(self, f"{self.symbol}: a position holds a positive quantity")


class SnapshotOrder(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One broker order of the window: ``instruction`` is the broker's (BUY, SELL, ...), ``average_price``
    the quantity-weighted price of its executions (None when nothing filled)."""

    broker_order_id: str
    symbol: str
    instruction: str
    quantity: Decimal
    filled_quantity: Decimal
    average_price: Decimal | None = None
    status: str
    order_type: str = ""
    entered_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        _check_snapshot_item(
            self,
            self.symbol,
            {"quantity": self.quantity, "filled": self.filled_quantity, "price": self.average_price},
        )


class SnapshotTransaction(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One trade of the window: ``quantity`` is signed (negative: shares left the account)."""

    transaction_id: str
    symbol: str
    quantity: Decimal
    price: Decimal | None = None
    time: dt.datetime

    def __post_init__(self) -> None:
        _check_snapshot_item(self, self.symbol, {"price": self.price})


class BrokerSnapshotRecorded(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """Broker truth of a manual book at one instant, read-only (issue 13, M1-D; ``BROKER_SNAPSHOTS``).

    ``source``: API (schwab-py) or CSV (a website export, ``source_sha256`` its bytes). ``account`` is
    masked (last digits only). ``as_of`` is when the broker's figures were true (the export's header, or
    the fetch instant); ``cash`` and ``total_value`` are the balances (None when the source has none);
    ``orders`` and ``transactions`` cover ``window_start`` .. ``as_of`` (API only). Never changed: a
    later snapshot is a new record."""

    snapshot_id: str
    source: SnapshotSource
    account: str
    as_of: dt.datetime
    cash: Decimal | None = None
    total_value: Decimal | None = None
    positions: tuple[SnapshotPosition, ...] = ()
    orders: tuple[SnapshotOrder, ...] = ()
    transactions: tuple[SnapshotTransaction, ...] = ()
    window_start: dt.datetime | None = None
    source_sha256: str = ""

    def check(self) -> None:
        symbols = [position.symbol for position in self.positions]
        if len(symbols) != len(set(symbols)):
            fail(self, f"a symbol appears twice among the positions: {sorted(symbols)}")
        if self.as_of.utcoffset() != dt.timedelta(0):
            fail(self, "as_of must be a UTC instant")
        if (self.source is SnapshotSource.CSV) != bool(self.source_sha256):
            fail(self, "a CSV snapshot names its file's sha256, an API snapshot none")
