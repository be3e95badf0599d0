"""Where ledger files live: ``<root>/<BOOK_OR_STREAM>/<YYYY-MM-DD>.jsonl`` (the New York trading date).

A *book* holds the trading events of one account (``PAPER_SIM``, ``ALPACA_PAPER``, ``ALPACA_LIVE``,
``SCHWAB_401K_MANUAL``); a *stream* holds any other append-only series (``REGIME_E1``, ``EXIT_EVENTS``, ...).
Both are UPPER_SNAKE folder names, validated here so that a typo can never create a stray ledger folder.

Public API::

    validate_name(name) -> str                        the name, or ValueError
    ledger_file(root, book_or_stream, date_ny) -> Path
    ledger_date(path) -> date | None                  the date a ledger file name stands for
    quarantine_path(path) -> Path                     ``<name>.jsonl.quarantine`` next to the ledger file
    list_ledger_files(root, book_or_stream) -> list[Path]   one folder, in date order
    dated_file_names(folder) -> list[str]             the names of those files, in date order
    newest_ledger_names(folder, before=) -> Iterator[str]   the same newest first, lazily
    list_ledger_names(root) -> list[str]              folders that hold ledger files, sorted
    list_all_ledger_files(root) -> list[Path]         every ledger file, by (name, date)
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

PAPER_SIM: Final = "PAPER_SIM"
ALPACA_PAPER: Final = "ALPACA_PAPER"
ALPACA_LIVE: Final = "ALPACA_LIVE"
SCHWAB_401K_MANUAL: Final = "SCHWAB_401K_MANUAL"
BACKTEST: Final = "BACKTEST"  # the backtest engine's book (avwap.backtest.engine), in its run folder
BOOK_IDS: Final = frozenset({PAPER_SIM, ALPACA_PAPER, ALPACA_LIVE, SCHWAB_401K_MANUAL, BACKTEST})

REGIME_E1: Final = "REGIME_E1"
PORTFOLIO_DECISIONS: Final = "PORTFOLIO_DECISIONS"
PORTFOLIO_ENFORCEMENT: Final = "PORTFOLIO_ENFORCEMENT"
EXIT_EVENTS: Final = "EXIT_EVENTS"
PORTFOLIO_RISK_ATTRIBUTION: Final = "PORTFOLIO_RISK_ATTRIBUTION"
ALERTS: Final = "ALERTS"
RULESETS: Final = "RULESETS"
SLACK_REPLIES: Final = "SLACK_REPLIES"  # operator replies to manual-book tickets (avwap.ledger.confirmations)
REGIME_REVIEWS: Final = (
    "REGIME_REVIEWS"  # operator reviews of the E3.4 diagnostics (`avwap regime attribution review`)
)
BROKER_SNAPSHOTS: Final = (
    "BROKER_SNAPSHOTS"  # read-only broker truth of manual books (`avwap schwab snapshot`)
)
STREAM_NAMES: Final = frozenset(
    {
        REGIME_E1,
        PORTFOLIO_DECISIONS,
        PORTFOLIO_ENFORCEMENT,
        EXIT_EVENTS,
        PORTFOLIO_RISK_ATTRIBUTION,
        ALERTS,
        RULESETS,
        SLACK_REPLIES,
        BROKER_SNAPSHOTS,
        REGIME_REVIEWS,
    }
)

NAME_PATTERN: Final = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
LEDGER_SUFFIX: Final = ".jsonl"
QUARANTINE_SUFFIX: Final = ".quarantine"
_FILE_PATTERN: Final = re.compile(r"^(\d{4}-\d{2}-\d{2})\.jsonl$")


def validate_name(name: str) -> str:
    """Return ``name`` when it is an UPPER_SNAKE book or stream name; raise ``ValueError`` otherwise."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"ledger book/stream names are UPPER_SNAKE (e.g. PAPER_SIM, REGIME_E1), got {name!r}"
        )
    return name


def ledger_file(root: Path, book_or_stream: str, date_ny: dt.date) -> Path:
    """The ledger file of ``book_or_stream`` for the New York date ``date_ny``."""
    if isinstance(date_ny, dt.datetime) or not isinstance(date_ny, dt.date):
        raise TypeError(f"date_ny must be a date, got {type(date_ny).__name__}")
    return Path(root) / validate_name(book_or_stream) / f"{date_ny.isoformat()}{LEDGER_SUFFIX}"


def ledger_date(path: Path) -> dt.date | None:
    """The date encoded in a ledger file name (``2026-04-01.jsonl``), or None for any other file."""
    match = _FILE_PATTERN.fullmatch(Path(path).name)
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def quarantine_path(path: Path) -> Path:
    """Where torn tails of ``path`` are kept: ``2026-04-01.jsonl.quarantine`` in the same folder."""
    path = Path(path)
    return path.with_name(path.name + QUARANTINE_SUFFIX)


def dated_file_names(folder: Path) -> list[str]:
    """Names of the ledger files (``YYYY-MM-DD.jsonl`` of a real date, regular files) in ``folder``, in date
    order (name order is date order); [] when it is absent. Plain names, no ``Path`` per entry: called once
    per new day file, it stays cheap in long runs."""
    try:
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries if _is_ledger_name(entry.name) and entry.is_file()]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(names)


def newest_ledger_names(folder: Path, *, before: str | None = None) -> Iterator[str]:
    """The names :func:`dated_file_names` lists (only those before the name ``before``), newest first and
    lazily: the folder is listed and sorted in C, and only the names consumed are checked, so the latest
    day costs O(1) Python work however long the history (each new day file asks for its predecessor)."""
    try:
        names = sorted(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    stop = len(names) if before is None else bisect.bisect_left(names, before)
    for name in reversed(names[:stop]):
        if _is_ledger_name(name) and os.path.isfile(os.path.join(folder, name)):
            yield name


def _is_ledger_name(name: str) -> bool:
    match = _FILE_PATTERN.fullmatch(name)
    if match is None:
        return False
    try:
        dt.date.fromisoformat(match.group(1))
    except ValueError:
        return False
    return True


def list_ledger_files(root: Path, book_or_stream: str) -> list[Path]:
    """Ledger files of one book or stream in date order (the canonical fold order); [] when absent."""
    folder = Path(root) / validate_name(book_or_stream)
    return [folder / name for name in dated_file_names(folder)]


def list_ledger_names(root: Path) -> list[str]:
    """Book and stream folders under ``root`` that follow the naming rule, sorted."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(
        entry.name for entry in root.iterdir() if entry.is_dir() and NAME_PATTERN.fullmatch(entry.name)
    )


def list_all_ledger_files(root: Path) -> list[Path]:
    """Every ledger file under ``root``, ordered by (book or stream name, date)."""
    return [path for name in list_ledger_names(root) for path in list_ledger_files(root, name)]
