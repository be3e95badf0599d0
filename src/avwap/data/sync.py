"""Backfill and refresh the bar store from a bar source (Alpaca), in resumable batches of symbols.

The plan of a run gives each symbol a window ``[start, as_of]`` (New York dates):

* nothing stored at this frequency → backfill: ``start = as_of − backfill_days`` (calendar days);
* bars stored → refresh the tail: ``start = min(last stored date, as_of − refresh_days)``, never before the
  backfill start, so a store that missed a few weeks closes its gap and revised recent bars are replaced.

Symbols with the same start share batches of ``batch_size`` (sorted), one request per batch (plus its pages).

Resuming: the run id hashes (source, frequency, as_of, symbols, backfill/refresh days, batch size). The state
file ``<state>/sync/bars_<frequency>.json`` (written atomically) holds the run id, the plan and the completed
batches. A rerun with the same run id reuses the stored plan (recomputing it would see the bars the
interrupted run already wrote) and skips completed batches; another run id starts a new plan; ``restart``
forgets the state.

Each batch: fetch → drop bars outside the regular session (daily: dates that are not sessions) → validate →
write clean bars → record quarantined rows (source ``<source>/<frequency>/<SYMBOL>/<start>..<end>``) → mark
the batch done → progress callback. Any exception (the progress callback's included) leaves the completed
batches recorded. A symbol without data is recorded in the state and the result; it is not an error.
Dates come from the caller (an explicit as-of, or :func:`last_completed_session` of an injected clock).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

import msgspec
import pandas as pd

from avwap.core.calendar import ny_date, nyse
from avwap.core.canonical import canonical_json, canonical_text, content_hash
from avwap.core.errors import DataError
from avwap.core.files import atomic_write_bytes
from avwap.data.bar_time import instants_ns, regular_session_mask
from avwap.data.bars import FREQUENCIES, NEW_YORK
from avwap.data.quarantine import QuarantineRecord
from avwap.data.store import BarStore
from avwap.data.validation import validate_bars

if TYPE_CHECKING:
    from avwap.data.alpaca_source import FetchedBars

LOGGER: Final = logging.getLogger(__name__)
STATE_SCHEMA_VERSION: Final = 1


class BarSource(Protocol):
    """What the sync needs from a data source (:class:`avwap.data.alpaca_source.AlpacaBarSource`)."""

    @property
    def name(self) -> str: ...

    def fetch(
        self, symbols: Sequence[str], frequency: str, start: dt.datetime, end: dt.datetime
    ) -> FetchedBars: ...


@dataclass(frozen=True)
class SyncRequest:
    symbols: tuple[str, ...]
    as_of: dt.date
    frequency: str = "1d"
    backfill_days: int = 730
    refresh_days: int = 15
    batch_size: int = 100
    restart: bool = False


class SyncBatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    symbols: tuple[str, ...]
    start: dt.date
    end: dt.date


class SyncState(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    schema_version: int
    run_id: str
    source: str
    frequency: str
    as_of: dt.date
    batches: tuple[SyncBatch, ...]
    completed: tuple[str, ...] = ()
    no_data: tuple[str, ...] = ()


@dataclass(frozen=True)
class SyncProgress:
    done: int  # batches finished in this run, skipped ones included
    total: int
    batch: SyncBatch
    skipped: int  # batches a previous invocation had completed


@dataclass(frozen=True)
class SyncResult:
    run_id: str
    frequency: str
    as_of: dt.date
    symbols: int
    batches_total: int
    batches_run: int
    batches_skipped: int
    rows_written: int
    rows_outside_session: int
    rows_quarantined: int
    partitions_written: int
    symbols_without_data: tuple[str, ...]
    resumed: bool


ProgressCallback = Callable[[SyncProgress], None]


def last_completed_session(now: dt.datetime) -> dt.date:
    """The latest session whose regular close is at or before ``now`` (never a partial session)."""
    calendar = nyse()
    day = ny_date(now)
    if calendar.is_session(day) and now >= calendar.session_close(day):
        return day
    return calendar.previous_session(day)


def session_on_or_before(day: dt.date) -> dt.date:
    calendar = nyse()
    return day if calendar.is_session(day) else calendar.previous_session(day)


def requested_symbols(request: SyncRequest) -> list[str]:
    """The request's symbols, upper case, unique and sorted."""
    return sorted({symbol.strip().upper() for symbol in request.symbols if symbol.strip()})


def plan_batches(request: SyncRequest, last_stored: Mapping[str, dt.date]) -> tuple[SyncBatch, ...]:
    """The batches of a new run (pure): windows per symbol (module docstring), grouped by start date."""
    if request.batch_size < 1:
        raise DataError(f"batch size must be at least 1, got {request.batch_size}")
    if request.frequency not in FREQUENCIES:
        raise DataError(f"unknown bar frequency {request.frequency!r}; known: {list(FREQUENCIES)}")
    backfill_start = request.as_of - dt.timedelta(days=request.backfill_days)
    refresh_start = request.as_of - dt.timedelta(days=request.refresh_days)
    groups: dict[dt.date, list[str]] = {}
    for symbol in requested_symbols(request):
        last = last_stored.get(symbol)
        start = backfill_start if last is None else max(backfill_start, min(last, refresh_start))
        groups.setdefault(start, []).append(symbol)
    batches: list[SyncBatch] = []
    for start in sorted(groups):
        members = groups[start]
        for offset in range(0, len(members), request.batch_size):
            chunk = tuple(members[offset : offset + request.batch_size])
            batches.append(SyncBatch(f"{len(batches) + 1:04d}", chunk, start, request.as_of))
    return tuple(batches)


def run_id(request: SyncRequest, source_name: str) -> str:
    return content_hash(
        {
            "source": source_name,
            "frequency": request.frequency,
            "as_of": request.as_of,
            "symbols": requested_symbols(request),
            "backfill_days": request.backfill_days,
            "refresh_days": request.refresh_days,
            "batch_size": request.batch_size,
        }
    )


def state_path(state_dir: Path, frequency: str) -> Path:
    return state_dir / "sync" / f"bars_{frequency}.json"


def read_state(path: Path) -> SyncState | None:
    """The saved state, or None when absent or unreadable (a new plan is then made: re-fetching is safe)."""
    if not path.exists():
        return None
    try:
        return msgspec.json.decode(path.read_bytes(), type=SyncState)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        LOGGER.warning("sync_state_unreadable: %s: %s; starting a new run", path, error)
        return None


def write_state(path: Path, state: SyncState) -> None:
    atomic_write_bytes(path, canonical_json(msgspec.to_builtins(state)) + b"\n")


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """One sync per frequency at a time (a second one fails fast instead of interleaving state writes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataError(f"another sync holds {path}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _last_stored(store: BarStore, frequency: str) -> dict[str, dt.date]:
    return {
        item.symbol: pd.Timestamp(item.last).tz_convert(NEW_YORK).date() for item in store.coverage(frequency)
    }


@dataclass(frozen=True)
class _BatchOutcome:
    rows_written: int
    rows_outside_session: int
    rows_quarantined: int
    partitions: tuple[Path, ...]
    no_data: tuple[str, ...]


@dataclass
class _Totals:
    """What this invocation did (a local accumulator)."""

    batches: int = 0
    rows: int = 0
    outside: int = 0
    quarantined: int = 0
    partitions: set[Path] = field(default_factory=set)

    def add(self, outcome: _BatchOutcome) -> None:
        self.batches += 1
        self.rows += outcome.rows_written
        self.outside += outcome.rows_outside_session
        self.quarantined += outcome.rows_quarantined
        self.partitions.update(outcome.partitions)


def _window(batch: SyncBatch) -> tuple[dt.datetime, dt.datetime]:
    """Aware instants: midnight New York of the first day, the regular close of the last session."""
    start = pd.Timestamp(batch.start).tz_localize(NEW_YORK).to_pydatetime()
    return start, nyse().session_close(session_on_or_before(batch.end))


def quarantine_source(source_name: str, frequency: str, symbol: str, batch: SyncBatch) -> str:
    return f"{source_name}/{frequency}/{symbol}/{batch.start.isoformat()}..{batch.end.isoformat()}"


def _quarantine_records(
    rejected: pd.DataFrame, fetched: FetchedBars, source_name: str, frequency: str, batch: SyncBatch
) -> list[QuarantineRecord]:
    records = []
    columns = (rejected["symbol"], rejected["line"], rejected["timestamp"], rejected["reasons"])
    for symbol, line, moment, reasons in zip(*columns, strict=True):
        name = str(symbol)
        timestamp = None if pd.isna(moment) else pd.Timestamp(moment).isoformat()
        records.append(
            QuarantineRecord(
                source=quarantine_source(source_name, frequency, name, batch),
                line=int(line),
                reasons=tuple(reasons),
                symbol=name,
                timestamp=timestamp,
                raw=canonical_text(fetched.raw[name][int(line) - 1]),
            )
        )
    return records


def _run_batch(source: BarSource, store: BarStore, frequency: str, batch: SyncBatch) -> _BatchOutcome:
    start, end = _window(batch)
    fetched = source.fetch(batch.symbols, frequency, start, end)
    frame = fetched.frame
    inside = regular_session_mask(instants_ns(frame["timestamp"]), frequency)
    validation = validate_bars(frame.loc[inside])
    written = store.write(validation.bars, frequency)
    records = _quarantine_records(validation.quarantined, fetched, source.name, frequency, batch)
    sources = [quarantine_source(source.name, frequency, symbol, batch) for symbol in batch.symbols]
    store.record_quarantine(frequency, sources, records)
    return _BatchOutcome(
        rows_written=len(validation.bars),
        rows_outside_session=int((~inside).sum()),
        rows_quarantined=len(records),
        partitions=tuple(written),
        no_data=tuple(fetched.symbols_without_data),
    )


def _starting_state(request: SyncRequest, source: BarSource, store: BarStore, path: Path) -> SyncState:
    identifier = run_id(request, source.name)
    saved = None if request.restart else read_state(path)
    if saved is not None and saved.run_id == identifier and saved.schema_version == STATE_SCHEMA_VERSION:
        return saved
    batches = plan_batches(request, _last_stored(store, request.frequency))
    return SyncState(
        schema_version=STATE_SCHEMA_VERSION,
        run_id=identifier,
        source=source.name,
        frequency=request.frequency,
        as_of=request.as_of,
        batches=batches,
    )


def sync_bars(
    source: BarSource,
    store: BarStore,
    state_dir: Path,
    request: SyncRequest,
    progress: ProgressCallback | None = None,
) -> SyncResult:
    """Run (or resume) the sync described by ``request``; see the module docstring."""
    path = state_path(state_dir, request.frequency)
    with _exclusive(path.with_suffix(".lock")):
        state = _starting_state(request, source, store, path)
        completed = set(state.completed)
        skipped = sum(1 for batch in state.batches if batch.id in completed)
        totals = _Totals()
        no_data = set(state.no_data)
        write_state(path, state)
        for batch in state.batches:
            if batch.id in completed:
                continue
            outcome = _run_batch(source, store, request.frequency, batch)
            totals.add(outcome)
            completed.add(batch.id)
            no_data.update(outcome.no_data)
            state = msgspec.structs.replace(
                state, completed=tuple(sorted(completed)), no_data=tuple(sorted(no_data))
            )
            write_state(path, state)
            if progress is not None:
                progress(SyncProgress(skipped + totals.batches, len(state.batches), batch, skipped))
    return SyncResult(
        run_id=state.run_id,
        frequency=request.frequency,
        as_of=request.as_of,
        symbols=sum(len(batch.symbols) for batch in state.batches),
        batches_total=len(state.batches),
        batches_run=totals.batches,
        batches_skipped=skipped,
        rows_written=totals.rows,
        rows_outside_session=totals.outside,
        rows_quarantined=totals.quarantined,
        partitions_written=len(totals.partitions),
        symbols_without_data=tuple(sorted(no_data)),
        resumed=skipped > 0,
    )
