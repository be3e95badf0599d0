"""Earnings dates: read them, find the first session that reacts to each report, count sessions to the next.

Files (the format is detected from the header):

* Alpha Vantage ``EARNINGS`` quarterly CSV: ``symbol,fiscalDateEnding,reportedDate,reportedEPS,...``. It
  has no report time, so every report is ``UNKNOWN``. A row whose ``reportedDate`` is empty or ``None`` (a
  quarter not reported yet) carries no date and is skipped.
* minimal: ``symbol,date[,time]`` with ``time`` one of ``BMO`` (before the open), ``AMC`` (after the close) or
  empty / ``UNKNOWN``.

The reaction session (what the scan anchors on and what the proximity filter counts to):

* ``BMO``: the report date itself (the next session when the report falls on a closed day);
* ``AMC``: the first session after the report date;
* ``UNKNOWN``: treated as ``AMC``. Why: the scan skips a symbol 0-2 sessions before its reaction session,
  so assuming AMC skips the report day AND the day after; the true reaction day (the report day if it was BMO,
  the next session if it was AMC) is inside that window either way. Assuming BMO would let an AMC reporter
  through on its reaction day. (IBM, the file we ship tests with, reports after the close.)

Sessions until the next earnings: NYSE sessions in ``(as_of, reaction]``, so 0 means the reaction session is
``as_of`` itself (the same count as :func:`avwap.signals.scan_checks.sessions_until`).
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from avwap.core.calendar import TradingCalendar, nyse
from avwap.core.errors import DataError

ALPHA_VANTAGE_COLUMNS: Final = ("symbol", "fiscalDateEnding", "reportedDate")
MINIMAL_COLUMNS: Final = ("symbol", "date")
EARNINGS_WINDOW_SESSIONS: Final = 2  # DESIGN §7: skip when earnings are 0-2 sessions away
_MISSING_DATES: Final = frozenset({"", "none", "null"})


class ReportTime(enum.StrEnum):
    BMO = "BMO"
    AMC = "AMC"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class EarningsEvent:
    """One earnings report."""

    symbol: str
    report_date: dt.date
    report_time: ReportTime = ReportTime.UNKNOWN
    fiscal_date_ending: dt.date | None = None

    def reaction_session(self, calendar: TradingCalendar) -> dt.date:
        """The first session whose prices can react to the report (see the module docstring)."""
        if self.report_time is ReportTime.BMO and calendar.is_session(self.report_date):
            return self.report_date
        return calendar.next_session(self.report_date)


def _date(text: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DataError(f"{where}: not a date YYYY-MM-DD: {text!r}") from None


def _report_time(text: str | None, where: str) -> ReportTime:
    value = (text or "").strip().upper()
    if not value:
        return ReportTime.UNKNOWN
    try:
        return ReportTime(value)
    except ValueError:
        raise DataError(f"{where}: time must be BMO, AMC or empty, got {text!r}") from None


def _symbol(text: str | None, where: str) -> str:
    symbol = (text or "").strip().upper()
    if not symbol:
        raise DataError(f"{where}: empty symbol")
    return symbol


def _parse(row: dict[str, str], where: str, alpha_vantage: bool) -> EarningsEvent | None:
    symbol = _symbol(row.get("symbol"), where)
    if not alpha_vantage:
        return EarningsEvent(symbol, _date(row["date"], where), _report_time(row.get("time"), where))
    if row["reportedDate"].strip().lower() in _MISSING_DATES:
        return None
    fiscal = row["fiscalDateEnding"].strip()
    fiscal_date = None if fiscal.lower() in _MISSING_DATES else _date(fiscal, where)
    return EarningsEvent(symbol, _date(row["reportedDate"], where), ReportTime.UNKNOWN, fiscal_date)


def read_earnings(path: Path) -> list[EarningsEvent]:
    """Events of an earnings CSV (either format), sorted by (symbol, report date)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or ()]
            reader.fieldnames = header
            alpha_vantage = all(column in header for column in ALPHA_VANTAGE_COLUMNS)
            if not alpha_vantage and header not in (list(MINIMAL_COLUMNS), [*MINIMAL_COLUMNS, "time"]):
                raise DataError(
                    f"{path}: unknown earnings header {header}; expected symbol,date[,time] or Alpha "
                    f"Vantage's {','.join(ALPHA_VANTAGE_COLUMNS)},..."
                )
            parsed = [_parse(row, f"{path}:{number}", alpha_vantage) for number, row in enumerate(reader, 2)]
    except OSError as error:
        raise DataError(f"cannot read earnings file {path}: {error}") from None
    return _deduplicated(event for event in parsed if event is not None)


def _deduplicated(events: Iterable[EarningsEvent]) -> list[EarningsEvent]:
    """One event per (symbol, report date); a known report time wins over UNKNOWN, BMO vs AMC is an error."""
    chosen: dict[tuple[str, dt.date], EarningsEvent] = {}
    for event in events:
        key = (event.symbol, event.report_date)
        known = chosen.get(key)
        if known is None or known.report_time is ReportTime.UNKNOWN:
            chosen[key] = event
        elif event.report_time not in (known.report_time, ReportTime.UNKNOWN):
            raise DataError(f"{event.symbol} {event.report_date}: reported both BMO and AMC")
    return [chosen[key] for key in sorted(chosen)]


class EarningsCalendar:
    """Earnings events per symbol with their reaction sessions on the NYSE calendar."""

    def __init__(self, events: Iterable[EarningsEvent], calendar: TradingCalendar | None = None) -> None:
        self._calendar = calendar or nyse()
        by_symbol: dict[str, list[EarningsEvent]] = {}
        for event in _deduplicated(events):
            by_symbol.setdefault(event.symbol, []).append(event)
        self._events = {symbol: tuple(items) for symbol, items in sorted(by_symbol.items())}
        self._reactions = {
            symbol: tuple(sorted({event.reaction_session(self._calendar) for event in items}))
            for symbol, items in self._events.items()
        }

    @classmethod
    def from_file(cls, path: Path, calendar: TradingCalendar | None = None) -> EarningsCalendar:
        return cls(read_earnings(path), calendar)

    def symbols(self) -> list[str]:
        return list(self._events)

    def events(self, symbol: str) -> tuple[EarningsEvent, ...]:
        return self._events.get(symbol.upper(), ())

    def report_dates(self, symbol: str) -> tuple[dt.date, ...]:
        """Report dates of ``symbol``, ascending."""
        return tuple(event.report_date for event in self.events(symbol))

    def reaction_dates(self, symbol: str) -> tuple[dt.date, ...]:
        """Reaction sessions of ``symbol``, ascending and unique."""
        return self._reactions.get(symbol.upper(), ())

    def reaction_map(self) -> Mapping[str, tuple[dt.date, ...]]:
        """Reaction sessions per symbol: the ``earnings`` input of the daily scan."""
        return dict(self._reactions)

    def next_reaction(self, symbol: str, as_of: dt.date) -> dt.date | None:
        """The first reaction session on or after ``as_of`` (None when none is known)."""
        return next((day for day in self.reaction_dates(symbol) if day >= as_of), None)

    def sessions_until_next_earnings(self, symbol: str, as_of: dt.date) -> int | None:
        """Sessions from ``as_of`` to the next reaction session (0 = ``as_of`` itself; None = none known)."""
        upcoming = self.next_reaction(symbol, as_of)
        if upcoming is None:
            return None
        return len(self._calendar.sessions(as_of + dt.timedelta(days=1), upcoming))

    def within_window(self, symbol: str, as_of: dt.date, sessions: int = EARNINGS_WINDOW_SESSIONS) -> bool:
        """True when the next reaction session is 0..``sessions`` sessions away: the scan skips the symbol."""
        count = self.sessions_until_next_earnings(symbol, as_of)
        return count is not None and count <= sessions


def sessions_until_next_earnings(calendar: EarningsCalendar, symbol: str, as_of: dt.date) -> int | None:
    """Function form of :meth:`EarningsCalendar.sessions_until_next_earnings`."""
    return calendar.sessions_until_next_earnings(symbol, as_of)


def reaction_sessions(path: Path) -> dict[str, tuple[dt.date, ...]]:
    """The reaction sessions per symbol of an earnings file: the ``earnings`` input of the scan (``avwap
    scan --earnings``, ``avwap ml build|score --earnings``); a missing file is a DataError."""
    if not Path(path).is_file():
        raise DataError(f"earnings file not found: {path}")
    return {symbol: tuple(days) for symbol, days in EarningsCalendar.from_file(path).reaction_map().items()}
