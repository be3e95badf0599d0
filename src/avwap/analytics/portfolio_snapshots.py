"""Daily portfolio snapshots of a book (roadmap D2/D3.4): from the ledger projection and the day's closes.

The snapshot schema is :class:`avwap.analytics.portfolio.PortfolioSnapshot` (the one schema; the demo writes
the same artifact). This module holds what the demo and ``avwap portfolio snapshot`` share:

* :func:`snapshot_of_book` (pure): folded :class:`~avwap.ledger.projection.BookState` + records + marks +
  earlier equities -> snapshot;
* :func:`write_snapshot_artifact` / :func:`read_snapshot`: ``<artifacts>/snapshots/<BOOK>/<YYYY-MM-DD>.json``
  written atomically with provenance, read back strictly (another kind, unknown fields, truncation ->
  :class:`DataError`); :func:`snapshot_dates`, :func:`earlier_snapshots`;
* :func:`closing_marks`: the day's official closes from the bar store (``1d``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Final

import msgspec

from avwap.analytics.portfolio import HeldPosition, PortfolioSnapshot, build_snapshot
from avwap.core.errors import DataError
from avwap.core.money import round_price
from avwap.ledger.atomic import Provenance, atomic_write_json
from avwap.ledger.paths import validate_name
from avwap.ledger.projection import BookState
from avwap.ledger.record_enums import CashMovementKind
from avwap.ledger.records import CashMovement, PositionClosed, Record

if TYPE_CHECKING:
    from avwap.data.store import BarStore

SNAPSHOT_KIND: Final = "portfolio_snapshot"
SNAPSHOT_FOLDER: Final = "snapshots"


def held_positions(state: BookState) -> list[HeldPosition]:
    return [
        HeldPosition(
            symbol=position.symbol,
            quantity=position.quantity,
            average_price=position.average_price,
            strategy_id=position.strategy_id,
            stop_price=position.stop_price,
        )
        for position in state.positions.values()
    ]


def realized_by_symbol(records: Iterable[Record]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for record in records:
        if isinstance(record, PositionClosed):
            totals[record.symbol] = totals.get(record.symbol, Decimal("0")) + record.realized_pnl
    return totals


def funding(records: Iterable[Record]) -> Decimal | None:
    """Net cash moved into the book (the equity before any trade); None when none was recorded."""
    seen: dict[str, Decimal] = {}
    for record in records:
        if isinstance(record, CashMovement):
            sign = 1 if record.kind == CashMovementKind.DEPOSIT else -1
            seen.setdefault(record.movement_id, sign * record.amount)
    return sum(seen.values(), Decimal("0")) if seen else None


def snapshot_of_book(
    state: BookState,
    records: Sequence[Record],
    day: dt.date,
    *,
    marks: dict[str, Decimal],
    equity_history: Sequence[Decimal],
) -> PortfolioSnapshot:
    """The snapshot of ``state`` at the close of ``day``; ``equity_history`` are earlier equities, oldest
    first (the book's funding, then earlier snapshots). A position without a mark is valued at cost."""
    return build_snapshot(
        book_id=state.book_id,
        date_ny=day,
        cash=state.cash,
        positions=held_positions(state),
        marks=marks,
        realized_pnl=state.realized_pnl,
        fees=state.commissions,
        realized_by_symbol=realized_by_symbol(records),
        equity_history=equity_history,
    )


def snapshot_path(artifacts_dir: Path, book_id: str, day: dt.date) -> Path:
    return Path(artifacts_dir) / SNAPSHOT_FOLDER / validate_name(book_id) / f"{day.isoformat()}.json"


def write_snapshot_artifact(
    artifacts_dir: Path, snapshot: PortfolioSnapshot, provenance: Provenance
) -> tuple[Path, str]:
    """Write the snapshot atomically; returns its path and the file's sha256."""
    if provenance.as_of_date_ny != snapshot.date_ny:
        raise ValueError(f"provenance is dated {provenance.as_of_date_ny}, the snapshot {snapshot.date_ny}")
    path = snapshot_path(artifacts_dir, snapshot.book_id, snapshot.date_ny)
    digest = atomic_write_json(path, {"kind": SNAPSHOT_KIND, "snapshot": snapshot}, provenance)
    return path, digest


def read_snapshot(path: Path) -> PortfolioSnapshot:
    """The snapshot stored at ``path``; anything else (missing, truncated, foreign, off-schema) is a
    :class:`DataError` naming the file."""
    try:
        document = json.loads(Path(path).read_bytes())
        if not isinstance(document, dict) or document.get("kind") != SNAPSHOT_KIND:
            raise DataError(f"{path} is not a portfolio snapshot")
        snapshot = msgspec.convert(document["snapshot"], PortfolioSnapshot, strict=False)
    except (OSError, ValueError, KeyError, TypeError, msgspec.ValidationError) as error:
        raise DataError(f"{path}: unreadable portfolio snapshot: {error}") from error
    if snapshot.schema_version != 1:
        raise DataError(f"{path}: unsupported snapshot schema_version {snapshot.schema_version}")
    return snapshot


def snapshot_dates(artifacts_dir: Path, book_id: str) -> list[dt.date]:
    """Dates that have a snapshot file of ``book_id``, ascending (other names ignored)."""
    folder = Path(artifacts_dir) / SNAPSHOT_FOLDER / validate_name(book_id)
    dates = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            dates.append(dt.date.fromisoformat(path.stem))
        except ValueError:
            continue
    return sorted(dates)


def earlier_snapshots(artifacts_dir: Path, book_id: str, before: dt.date) -> list[PortfolioSnapshot]:
    """Every snapshot of ``book_id`` dated before ``before``, oldest first (an unreadable one raises)."""
    return [
        read_snapshot(snapshot_path(artifacts_dir, book_id, day))
        for day in snapshot_dates(artifacts_dir, book_id)
        if day < before
    ]


def closing_marks(store: BarStore, symbols: Iterable[str], day: dt.date) -> dict[str, Decimal]:
    """The official daily close of ``day`` for each symbol the store has it for."""
    wanted = sorted(set(symbols))
    if not wanted:
        return {}
    frame = store.read("1d", wanted, start=day, end=day)
    return {
        str(symbol): round_price(float(close))
        for symbol, close in zip(frame["symbol"], frame["close"], strict=True)
    }
