"""What one execution cycle works with: its dependencies (the seams) and the facts it established."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict

from avwap.control.live_gate import ModeResolution
from avwap.core.clock import Clock
from avwap.core.config import Config
from avwap.execution.book import BookRecorder
from avwap.execution.broker import Broker
from avwap.execution.market_data import MarketData
from avwap.integrations.slack.notifier import Notifier
from avwap.strategies.registry import S1_AVWAP_CORE
from avwap.watchlist.artifact import Freshness


class Stamp(TypedDict):
    """The fields every record shares: its book, NY date and instant."""

    book_id: str
    date_ny: dt.date
    ts: dt.datetime


@dataclass
class CycleDependencies:
    """The seams: only clock, market data, broker and notifier differ between modes and the demo."""

    config: Config
    clock: Clock
    book: BookRecorder
    broker: Broker | None
    market: MarketData
    notifier: Notifier
    artifacts_dir: Path
    state_dir: Path
    strategy_id: str = S1_AVWAP_CORE


@dataclass
class CycleFacts:
    """What the cycle established before deciding anything (all of it goes into the cycle report)."""

    now: dt.datetime
    today: dt.date
    is_session: bool
    market_open: bool
    mode: ModeResolution
    kill_switch: bool
    broker_market_open: bool | None = None
    equity: Decimal | None = None
    freshness: Freshness | None = None
    drift: tuple[str, ...] = ()
    unknown_positions: bool = False
    unresolved_orders: tuple[str, ...] = ()
    events: list[dict[str, Any]] = field(default_factory=list)

    def stamp(self, book_id: str) -> Stamp:
        """The common fields of every record written in this cycle."""
        return Stamp(book_id=book_id, date_ny=self.today, ts=self.now)

    def note(self, kind: str, **detail: Any) -> None:
        self.events.append({"event": kind, **detail})
