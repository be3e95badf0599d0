"""The regime shell (Phase E1): label sessions from the bar store and append them to the ``REGIME_E1`` stream.

Reading: the benchmark's daily bars come from the adjusted store when one holds it (``<data>/adjusted/all``,
then ``split``: dividends and splits would otherwise look like drops), else from the main store; the
breadth universe is every other daily symbol of the main store (minus ``BENCHMARK_SYMBOLS``). The whole
history up to ``end`` is labelled in one pass, so a range's labels (hysteresis included) do not depend on
where the range starts. Writing: one :class:`~avwap.ledger.records.RegimeRecorded` per NY date, in date
order, only after the stream's newest file (the ledger is append-only: an older day never grows again).

Public API::

    RegimeHistory                                  labelled sessions of a range with their provenance
    label_history(config, start, end, data_dir=None) -> RegimeHistory
    regime_record(day, history, ts) -> RegimeRecorded
    record_history(config, history, clock) -> RecordOutcome
    (reading the stream back: avwap.regimes.recorded.read_recorded)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from avwap.core.calendar import CALENDAR_END, nyse
from avwap.core.canonical import content_hash
from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.ledger.paths import REGIME_E1, ledger_date, list_ledger_files
from avwap.ledger.records import RegimeRecorded
from avwap.ledger.router import Ledger
from avwap.regimes.classifier import RegimeDay, label_sessions
from avwap.regimes.rules import RULES_VERSION, rules_from_config

if TYPE_CHECKING:
    import pandas as pd

DAILY: Final = "1d"
ADJUSTED_SOURCES: Final = ("adjusted/all", "adjusted/split")
MAIN_SOURCE: Final = "store"


@dataclass(frozen=True)
class RegimeHistory:
    """Labelled sessions of ``[start, end]`` and where their inputs came from."""

    start: dt.date
    end: dt.date
    benchmark: str
    days: list[RegimeDay]
    closes: dict[dt.date, float]  # the benchmark's closes on the labelled sessions (for the chart)
    bars_source: str
    data_sha256: str
    config_hash: str
    universe_symbols: int


@dataclass(frozen=True)
class RecordOutcome:
    written: list[dt.date]
    already_recorded: list[dt.date]  # on or before the stream's newest date: never appended again


def _daily_frame(root: Path, symbols: list[str] | None, end: dt.date) -> pd.DataFrame:
    from avwap.data.store import BarStore

    return BarStore(root).read(DAILY, symbols, end=end)


def _benchmark_bars(data_dir: Path, benchmark: str, end: dt.date) -> tuple[str, pd.DataFrame]:
    """(source name, the benchmark's daily bars): the first adjusted store that holds it, else the store."""
    for source in ADJUSTED_SOURCES:
        root = data_dir / source
        if root.is_dir():
            frame = _daily_frame(root, [benchmark], end)
            if len(frame):
                return source, frame
    return MAIN_SOURCE, _daily_frame(data_dir, [benchmark], end)


def _data_hash(data_dir: Path, source: str) -> str:
    from avwap.data.store import BarStore

    hashes = {MAIN_SOURCE: BarStore(data_dir).data_hash(DAILY)}
    if source != MAIN_SOURCE:
        hashes[source] = BarStore(data_dir / source).data_hash(DAILY)
    return content_hash(hashes)


def _universe_panel(
    data_dir: Path, excluded: frozenset[str], dates: list[dt.date], end: dt.date
) -> tuple[np.ndarray, int]:
    """Closes of the universe on the benchmark's dates (symbols x dates, NaN where a symbol has no bar)."""
    frame = _daily_frame(data_dir, None, end)
    frame = frame[~frame["symbol"].isin(excluded)]
    if not len(frame) or not dates:
        return np.empty((0, len(dates))), 0
    frame = frame.assign(day=frame["timestamp"].dt.date)
    panel = frame.pivot_table(index="symbol", columns="day", values="close", aggfunc="last")
    panel = panel.reindex(columns=dates)
    return panel.to_numpy(dtype=np.float64), len(panel.index)


def label_history(
    config: Config, start: dt.date, end: dt.date, data_dir: Path | None = None
) -> RegimeHistory:
    """Label every NYSE session of ``[start, end]`` (UNKNOWN where the benchmark has no bar)."""
    if start > end:
        raise ValueError(f"--from {start} is after --to {end}")
    rules = rules_from_config(config)
    root = Path(data_dir) if data_dir is not None else config.data_dir
    source, bench = _benchmark_bars(root, rules.benchmark, end)
    dates = [stamp.date() for stamp in bench["timestamp"]]
    close = bench["close"].to_numpy(dtype=np.float64)
    excluded = frozenset({*config.benchmark_symbols, rules.benchmark})  # index funds are not breadth
    universe, symbols = _universe_panel(root, excluded, dates, end)
    calendar = nyse()
    first = min(dates[0], start) if dates else start
    sessions = calendar.sessions(first, end)
    days = label_sessions(sessions, dates, close, universe, rules)
    by_date = dict(zip(dates, close.tolist(), strict=True))
    kept = [day for day in days if day.date >= start]
    return RegimeHistory(
        start=start, end=end, benchmark=rules.benchmark, days=kept,
        closes={day.date: by_date[day.date] for day in kept if day.date in by_date},
        bars_source=source, data_sha256=_data_hash(root, source), config_hash=config.config_hash(),
        universe_symbols=symbols,
    )  # fmt: skip


def _decimal(value: float | None, places: int = 6) -> Decimal | None:
    return None if value is None else Decimal(f"{value:.{places}f}")


def regime_record(day: RegimeDay, history: RegimeHistory, ts: dt.datetime) -> RegimeRecorded:
    """The ledger record of one labelled session (features rounded to 6 places, confidence to 4)."""
    confidence = _decimal(day.confidence, 4)
    assert confidence is not None
    return RegimeRecorded(
        book_id=REGIME_E1, date_ny=day.date, ts=ts, benchmark=history.benchmark, label=day.label.value,
        candidate=day.candidate.value if day.candidate is not None else None, confidence=confidence,
        score=_decimal(day.score, 4), volatility=_decimal(day.volatility), drawdown=_decimal(day.drawdown),
        trend=_decimal(day.trend), breadth=_decimal(day.breadth), breadth_symbols=day.breadth_symbols,
        levels={name: label.value for name, label in day.levels.items()},
        pending_sessions=day.pending_sessions, reason_codes=day.reasons, bars_source=history.bars_source,
        data_sha256=history.data_sha256, config_hash=history.config_hash, rules_version=RULES_VERSION,
    )  # fmt: skip


def newest_recorded(ledger_dir: Path) -> dt.date | None:
    files = list_ledger_files(ledger_dir, REGIME_E1)
    return ledger_date(files[-1]) if files else None


def record_history(config: Config, history: RegimeHistory, clock: Clock) -> RecordOutcome:
    """Append one record per labelled session after the stream's newest date, in date order."""
    ledger = Ledger(config.ledger_dir)
    newest = newest_recorded(config.ledger_dir)
    written: list[dt.date] = []
    already: list[dt.date] = []
    for day in history.days:
        if newest is not None and day.date <= newest:
            already.append(day.date)
            continue
        ledger.append(regime_record(day, history, clock.now()))
        written.append(day.date)
    return RecordOutcome(written, already)


# Whole-history labels per (data folder, its daily partitions' names/sizes/mtimes, Config hash): a backtest
# asks every morning, and a label at date t reads only bars up to t (tested), so one pass serves every day.
_LABELS: dict[tuple[str, tuple[tuple[str, int, int], ...], str], dict[dt.date, RegimeDay]] = {}


def _store_key(data_dir: Path) -> tuple[tuple[str, int, int], ...]:
    from avwap.data.store import BarStore

    roots = [data_dir, *(data_dir / source for source in ADJUSTED_SOURCES)]
    files = [path for root in roots for path in BarStore(root).partitions(DAILY)]
    return tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in files)


def labels_by_date(config: Config, data_dir: Path) -> dict[dt.date, RegimeDay]:
    """Every session's label over the whole stored history of the benchmark (cached; {} without bars)."""
    key = (str(Path(data_dir).resolve()), _store_key(Path(data_dir)), config.config_hash())
    if key not in _LABELS:
        _, bench = _benchmark_bars(Path(data_dir), config.regime_benchmark, CALENDAR_END)
        dates = [stamp.date() for stamp in bench["timestamp"]]
        days = label_history(config, dates[0], dates[-1], data_dir).days if dates else []
        _LABELS.clear()  # one history at a time: a backtest, a demo or a decision job
        _LABELS[key] = {day.date: day for day in days}
    return _LABELS[key]


def label_before(config: Config, data_dir: Path, day: dt.date) -> RegimeDay | None:
    """The regime of the last session before ``day`` (what a pre-open decision may know); None when the
    store has no label for it (treated as UNKNOWN by E2)."""
    return labels_by_date(config, data_dir).get(nyse().previous_session(day))
