"""The Today page: the day's candidates (the scan's artifact), the control plane's decisions with their
ordered reason codes (filterable by code), intents and the order lifecycle, and the ML advisory scores when
the operator has written them (``avwap ml score``; shown beside the candidates, never used to decide).

Every row is a ledger record or an artifact line as stored; nothing is recomputed.

Public API::

    TodayView, today_view(config, records, day, code) -> TodayView
    ledger_days(records) -> list[date]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from avwap.core.config import Config
from avwap.core.errors import AvwapError
from avwap.ledger.records import (
    Decision,
    Fill,
    OrderAcknowledged,
    OrderCanceled,
    OrderRejected,
    OrderReplaced,
    OrderSubmitted,
    Record,
    TradeIntent,
)
from avwap.signals.scan_records import Candidate
from avwap.watchlist.advisory import read_advisory
from avwap.watchlist.artifact import read_candidates

ORDER_TYPES = (OrderSubmitted, OrderAcknowledged, OrderRejected, OrderCanceled, OrderReplaced, Fill)


@dataclass(frozen=True)
class TodayView:
    day: dt.date | None
    days: tuple[dt.date, ...]
    candidates: tuple[Candidate, ...]
    candidates_problem: str
    decisions: tuple[Decision, ...]
    codes: tuple[str, ...]
    code: str
    intents: tuple[TradeIntent, ...]
    orders: tuple[Record, ...]
    advisory: dict[str, Any]


def ledger_days(records: Sequence[Record]) -> list[dt.date]:
    return sorted({record.date_ny for record in records})


def _advisory(config: Config, as_of: dt.date) -> dict[str, Any]:
    """The scores of ``<artifacts>/ml/advisory_scores_<as_of>.json`` (the scan's, or ``avwap ml score``'s,
    read by the same reader as ``scan explain`` and the cycle): symbol -> P(R1); empty when absent or not a
    well-formed advisory artifact of that date."""
    scores = read_advisory(config.artifacts_dir, as_of)
    if scores is None:
        return {}
    return {
        "model": scores.model_sha256[:12],
        "scores": {item.symbol: item.p_hit_r1 for item in scores.scores},
    }


def today_view(config: Config, records: Sequence[Record], day: dt.date | None, code: str) -> TodayView:
    days = ledger_days(records)
    if day is None:
        day = days[-1] if days else None
    if day is None:
        return TodayView(None, (), (), "no ledger day yet", (), (), code, (), (), {})
    of_day = [record for record in records if record.date_ny == day]
    decisions = [record for record in of_day if isinstance(record, Decision)]
    codes = sorted({item for decision in decisions for item in decision.reason_codes})
    if code:
        decisions = [decision for decision in decisions if code in decision.reason_codes]
    advisory: dict[str, Any] = {}
    try:
        watchlist = read_candidates(config.artifacts_dir, day)
        candidates, problem = watchlist.candidates, ""
        advisory = _advisory(config, watchlist.data_through)
    except (AvwapError, OSError) as error:
        candidates, problem = (), str(error)
    return TodayView(
        day,
        tuple(days),
        tuple(candidates),
        problem,
        tuple(decisions),
        tuple(codes),
        code,
        tuple(record for record in of_day if isinstance(record, TradeIntent)),
        tuple(record for record in of_day if isinstance(record, ORDER_TYPES)),
        advisory,
    )


__all__ = ["TodayView", "ledger_days", "today_view"]
