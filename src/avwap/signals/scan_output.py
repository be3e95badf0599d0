"""Turning the scan's arrays into records: one :class:`Candidate` or :class:`Diagnostic` per symbol.

This is the float → record boundary: prices become tick-rounded ``Decimal`` (stops down, the rest to the
nearest tick), ratios become floats rounded to 6 decimals, and NaN becomes ``None``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from avwap.core.money import round_price
from avwap.signals.anchors import ANCHOR_TYPES
from avwap.signals.avwap import AvwapSnapshot
from avwap.signals.panel import BarPanel
from avwap.signals.scan_anchors import ANCHOR_REASONS, ELIGIBLE
from avwap.signals.scan_checks import TIER_NAMES, Check, Measures
from avwap.signals.scan_records import AnchorRejection, Candidate, Diagnostic
from avwap.signals.scan_rules import ScanRules

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
DIGITS = 6


@dataclass(frozen=True)
class SymbolContext:
    """Everything the scan computed, for building the records of individual symbols."""

    panel: BarPanel
    as_of: dt.date
    rules: ScanRules
    measures: Measures
    snapshot: AvwapSnapshot
    indices: IntArray
    priorities: IntArray
    scores: FloatArray
    stops: FloatArray
    anchor_reasons: IntArray
    anchor_values: FloatArray
    anchor_thresholds: FloatArray

    def anchor_date(self, row: int, column: int) -> dt.date:
        return self.panel.dates[row, self.indices[row, column]].astype(object)  # type: ignore[no-any-return]

    @cached_property  # one table per scan, not one per record
    def type_order(self) -> tuple[str, ...]:
        """The anchor types highest priority first (ties by name): the order merged types are listed in."""
        table = self.rules.anchors.priorities()
        return tuple(sorted(ANCHOR_TYPES, key=lambda name: (-table[name], name)))

    def merged_types(self, row: int, column: int) -> tuple[str, ...]:
        """Every anchor type on the same bar as ``column``, highest priority first."""
        bars = dict(
            zip(ANCHOR_TYPES, self.indices[row].tolist(), strict=True)
        )  # plain ints: numpy's cost ~10x
        return tuple(name for name in self.type_order if bars[name] == bars[ANCHOR_TYPES[column]])


def ratio(value: float) -> float | None:
    """A float for a record: rounded to 6 decimals, None when undefined."""
    number = float(value)
    return round(number, DIGITS) if math.isfinite(number) else None


def measured(value: float, name: str) -> float:
    """:func:`ratio` for a value the rules guarantee is defined; a NaN here is a bug, so it raises."""
    number = ratio(value)
    if number is None:
        raise ValueError(
            f"candidate field {name} is undefined ({value!r}); eligibility should have excluded it"
        )
    return number


def _setup_tags(context: SymbolContext, row: int, column: int, types: tuple[str, ...]) -> tuple[str, ...]:
    rules, snapshot = context.rules, context.snapshot
    distance = snapshot.distance[row, column]
    tags = []
    if snapshot.reclaim[row, column]:
        tags.append("RECLAIM")
    if rules.near_distance_low <= distance <= rules.near_distance_high:
        tags.append("NEAR_AVWAP")
    # with σ = 0 the band is the AVWAP itself: "above the band" would only repeat "above the AVWAP"
    if snapshot.sigma[row, column] > 0.0 and context.measures.close[row] > snapshot.upper_1[row, column]:
        tags.append("ABOVE_UPPER_1")
    if len(types) > 1:  # types: context.merged_types(row, column), found once per candidate
        tags.append("MERGED_ANCHOR")
    return tuple(sorted(tags))


def build_candidate(context: SymbolContext, row: int, column: int, rank: int) -> Candidate:
    """The candidate record of ``row`` with its chosen anchor ``column``."""
    snapshot, measures = context.snapshot, context.measures
    entry = round_price(float(snapshot.avwap[row, column]))
    stop = round_price(float(context.stops[row]), "down")
    risk = entry - stop
    sigma = float(snapshot.sigma[row, column])
    level = float(snapshot.avwap[row, column])
    types = context.merged_types(row, column)
    return Candidate(
        symbol=context.panel.symbols[row],
        as_of=context.as_of,
        rank=rank,
        anchor_type=types[0],
        anchor_types=types,
        anchor_date=context.anchor_date(row, column),
        anchor_priority=int(context.priorities[row, column]),
        avwap=entry,
        close=round_price(float(measures.close[row])),
        distance=measured(snapshot.distance[row, column], "distance"),
        slope=measured(snapshot.slope[row, column], "slope"),
        sigma=measured(sigma, "sigma"),
        band_lower_1=round_price(max(level - sigma, 0.0)),
        band_upper_1=round_price(level + sigma),
        band_lower_2=round_price(max(level - 2.0 * sigma, 0.0)),
        band_upper_2=round_price(level + 2.0 * sigma),
        trend_tier=TIER_NAMES[int(measures.tier[row])],
        trend_score=measured(measures.trend_score[row], "trend_score"),
        atr=measured(measures.atr[row], "atr"),
        atr_pct=measured(measures.atr_pct[row], "atr_pct"),
        stop=stop,
        risk_per_share=risk,
        target_r1=entry + risk,
        target_r2=entry + 2 * risk,
        score=measured(context.scores[row, column], "score"),
        reclaim=bool(snapshot.reclaim[row, column]),
        tags=_setup_tags(context, row, column, types),
    )


def anchor_rejection_records(context: SymbolContext, row: int) -> tuple[AnchorRejection, ...]:
    """Why each of the symbol's (merged) anchors was rejected, highest priority first."""
    seen: set[int] = set()
    records = []
    # the row's figures as plain Python numbers (the same values; numpy scalars cost ~10x per access)
    priorities, bars = context.priorities[row].tolist(), context.indices[row].tolist()
    reasons, values = context.anchor_reasons[row].tolist(), context.anchor_values[row].tolist()
    thresholds = context.anchor_thresholds[row].tolist()
    order = sorted(range(len(ANCHOR_TYPES)), key=lambda column: (-priorities[column], column))
    for column in order:
        bar = bars[column]
        if bar < 0 or bar in seen or reasons[column] == ELIGIBLE:
            continue
        seen.add(bar)
        types = context.merged_types(row, column)
        records.append(
            AnchorRejection(
                anchor_type=types[0],
                anchor_types=types,
                anchor_date=context.anchor_date(row, column),
                reason=ANCHOR_REASONS[reasons[column]],
                value=ratio(values[column]),
                threshold=ratio(thresholds[column]),
            )
        )
    return tuple(records)


def _anchor_summary(rejections: tuple[AnchorRejection, ...]) -> str:
    if not rejections:
        return "no anchor found"
    parts = [f"{item.anchor_type} {item.anchor_date.isoformat()}: {item.reason}" for item in rejections]
    return "no eligible anchor (" + "; ".join(parts) + ")"


def build_diagnostic(
    context: SymbolContext, row: int, checks: list[Check], first: int | None, rank: int | None
) -> Diagnostic:
    """Why ``row`` is not a candidate: the first failing check (or the anchor rules, or its rank)."""
    failing = [check for check in checks if check.failed[row]]
    codes = [("INDICATOR_UNAVAILABLE" if check.unavailable[row] else check.code) for check in failing]
    rejections = anchor_rejection_records(context, row)
    has_eligible = bool((context.anchor_reasons[row] == ELIGIBLE).any())
    if not has_eligible:
        codes.append("NO_ELIGIBLE_ANCHOR")
    if first is not None:
        check = checks[first]
        reason, value, threshold = codes[0], ratio(check.value[row]), ratio(check.threshold[row])
        detail = check.detail(row)
    elif not has_eligible:
        reason, value, threshold, detail = "NO_ELIGIBLE_ANCHOR", None, None, _anchor_summary(rejections)
    else:
        reason, value, threshold = "RANK_BELOW_TOP_N", float(rank or 0), float(context.rules.top_n)
        detail = f"ranked {rank} of the eligible symbols; only the top {context.rules.top_n} are candidates"
        codes.append(reason)
    return Diagnostic(
        symbol=context.panel.symbols[row],
        as_of=context.as_of,
        reason=reason,
        value=value,
        threshold=threshold,
        detail=detail,
        reasons=tuple(dict.fromkeys(codes)),
        anchor_rejections=rejections,
    )
