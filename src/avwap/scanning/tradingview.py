"""TradingView watchlist file ``<artifacts>/watchlists/<D>.txt``.

Format: one plain ticker per line, in rank order, ``\\n`` line ends, no exchange prefix and no header.
TradingView's watchlist "Import list..." accepts a ``.txt`` file of symbols separated by newlines or commas
and resolves a plain ticker to its primary listing, so the file works without knowing each stock's exchange
(``NASDAQ:``/``NYSE:``); share classes keep their dot (``BRK.B``), which TradingView also uses. No
candidates gives an empty file, so "the scan ran and found nothing" differs from "no scan".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from avwap.core.files import atomic_write_bytes
from avwap.signals.scan_records import Candidate


def watchlist_path(artifacts_dir: Path, trading_date: dt.date) -> Path:
    return Path(artifacts_dir) / "watchlists" / f"{trading_date.isoformat()}.txt"


def tradingview_text(candidates: Sequence[Candidate]) -> bytes:
    """The watchlist bytes: tickers by rank, one per line (empty for no candidates)."""
    ranked = sorted(candidates, key=lambda candidate: (candidate.rank, candidate.symbol))
    return "".join(f"{candidate.symbol}\n" for candidate in ranked).encode("utf-8")


def write_tradingview(artifacts_dir: Path, trading_date: dt.date, candidates: Sequence[Candidate]) -> Path:
    """Write the watchlist of ``trading_date`` atomically; returns its path."""
    path = watchlist_path(artifacts_dir, trading_date)
    atomic_write_bytes(path, tradingview_text(candidates))
    return path
