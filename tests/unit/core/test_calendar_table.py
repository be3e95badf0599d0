"""The generated NYSE table (core/nyse_table.py) gives exactly the sessions exchange_calendars gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from avwap.core.calendar import (
    CALENDAR_END,
    CALENDAR_START,
    TradingCalendar,
    _build_sessions,
    _table_sessions,
    nyse,
)

ROOT = Path(__file__).resolve().parents[3]


def test_table_sessions_equal_exchange_calendars_sessions() -> None:
    table = _table_sessions()
    library = _build_sessions(CALENDAR_START, CALENDAR_END)
    assert len(table) == len(library) > 10_000
    assert table == library
    assert {session.open.tzinfo for session in table} == {session.open.tzinfo for session in library}
    # the shared calendar makes its sessions lazily: the same records, whatever order they are asked in
    calendar = TradingCalendar.lazy(
        [session.date for session in library], {s.date: s for s in library}.__getitem__
    )
    assert calendar.session(library[-1].date) == library[-1]
    assert nyse().session_records(CALENDAR_START, CALENDAR_END) == library
    assert calendar.session_records(CALENDAR_START, CALENDAR_END) == library


def test_nyse_is_built_from_the_table_without_exchange_calendars() -> None:
    """A fresh process answers calendar questions without importing exchange_calendars or pandas."""
    script = (
        "import sys, datetime as dt\n"
        "from avwap.core.calendar import nyse\n"
        "calendar = nyse()\n"
        "assert calendar.is_early_close(dt.date(2026, 11, 27))\n"
        "assert not calendar.is_session(dt.date(2026, 11, 26))\n"
        "print(sorted(name for name in ('pandas', 'exchange_calendars') if name in sys.modules))\n"
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "[]"
    assert nyse().first_date == CALENDAR_START


def test_committed_table_is_current() -> None:
    """After an exchange_calendars upgrade, run scripts/nyse_table.py."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "nyse_table.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
