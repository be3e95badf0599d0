"""Daily and rolling risk attribution summaries (Phases E3.2 and E3.2b). Pure: events in, JSON values out.

A **daily summary** folds one NY date's :class:`~avwap.ledger.records.RiskAttributionEvent` records (shadow
decisions are counted apart and left out of every figure: a shadow never trades): total baseline, modulated
and allowed notional, the E2 notional delta (modulated − baseline), the net exposure delta (allowed −
baseline) and the part of it the regime took (``regime_delta``), modulated vs unmodified decision counts,
the breakdown by attribution reason code (decisions, notional), the decisions' own portfolio codes, the
regime applied, every affected symbol (``by_symbol``) and the top ones by the notional the regime took away.

A **rolling summary** (5D, 20D, 60D) folds the last N daily summaries on disk dated ≤ the as-of date: sums of
the same figures, the persistence of each reason code (days present), the regime's prevalence (the day's
dominant applied regime) and the symbols by cumulative suppression. It reads the daily summaries only (their
``by_symbol`` is complete, so cumulative figures are exact). Money is summed in Decimal and written as
strings; every list has a stated order, so equal inputs are equal bytes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from avwap.analytics.risk_attribution import is_modulated
from avwap.core.canonical import content_hash, to_plain
from avwap.ledger.records import (
    RISK_ATTRIBUTION_CODES,
    RISK_ATTRIBUTION_REGIME_BLOCKED,
    RISK_ATTRIBUTION_REGIME_SCALED,
    RiskAttributionEvent,
    encode_record,
)

SUMMARY_KIND: Final = "portfolio_risk_attribution_summary"
ROLLING_KIND: Final = "portfolio_risk_attribution_rolling"
SCHEMA_VERSION: Final = 1
WINDOWS: Final = {"5D": 5, "20D": 20, "60D": 60}
TOP_SYMBOLS: Final = 10
REGIME_PARTS: Final = frozenset({RISK_ATTRIBUTION_REGIME_SCALED, RISK_ATTRIBUTION_REGIME_BLOCKED})
NOTIONALS: Final = (
    "baseline_notional",
    "modulated_notional",
    "allowed_notional",
    "notional_delta",
    "net_exposure_delta",
    "regime_delta",
)
COUNTS: Final = ("decisions", "modulated", "unmodified", "allowed", "blocked", "shadow_decisions")
ZERO: Final = Decimal("0")
_RANK: Final = {code: rank for rank, code in enumerate(RISK_ATTRIBUTION_CODES)}


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if not whole else (part * 100 / whole).quantize(Decimal("0.01"))


def regime_delta(event: RiskAttributionEvent) -> Decimal:
    """The part of the event's exposure change the regime made (scaling plus a block charged to it)."""
    return sum((part.notional_delta for part in event.components if part.code in REGIME_PARTS), ZERO)


def _symbol_rows(rows: Mapping[str, dict[str, Decimal]]) -> list[dict[str, Any]]:
    """Symbols whose exposure changed, by symbol: baseline, allowed, exposure and regime deltas."""
    return [{"symbol": symbol, **rows[symbol]} for symbol in sorted(rows) if rows[symbol]["exposure_delta"]]


def top_symbols(rows: Sequence[Mapping[str, Any]], limit: int = TOP_SYMBOLS) -> list[str]:
    """Symbols the regime reduced most (most negative regime delta first, ties by symbol)."""
    reduced = [row for row in rows if Decimal(row["regime_delta"]) < 0]
    ordered = sorted(reduced, key=lambda row: (Decimal(row["regime_delta"]), row["symbol"]))
    return [row["symbol"] for row in ordered[:limit]]


def _by_reason(events: Iterable[RiskAttributionEvent]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for event in events:
        for code in event.reason_codes:
            entry = found.setdefault(code, {"decisions": 0, "notional_delta": ZERO})
            entry["decisions"] += 1
        for part in event.components:
            found[part.code]["notional_delta"] += part.notional_delta
    return {code: found[code] for code in sorted(found, key=_RANK.__getitem__)}


def daily_summary(day: Any, events: Sequence[RiskAttributionEvent]) -> dict[str, Any]:
    """The summary of ``day`` from its events (plain JSON values; see the module docstring)."""
    counted = [event for event in events if not event.shadow]
    totals = dict.fromkeys(NOTIONALS, ZERO)
    symbols: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: dict.fromkeys(
            ("baseline_notional", "allowed_notional", "exposure_delta", "regime_delta"), ZERO
        )
    )
    for event in counted:
        regime = regime_delta(event)
        for name, value in (
            ("baseline_notional", event.baseline_notional),
            ("modulated_notional", event.modulated_notional),
            ("allowed_notional", event.allowed_notional),
            ("notional_delta", event.notional_delta),
            ("net_exposure_delta", event.exposure_delta),
            ("regime_delta", regime),
        ):
            totals[name] += value
        row = symbols[event.symbol]
        row["baseline_notional"] += event.baseline_notional
        row["allowed_notional"] += event.allowed_notional
        row["exposure_delta"] += event.exposure_delta
        row["regime_delta"] += regime
    modulated = sum(is_modulated(event) for event in counted)
    allowed = sum(event.verdict == "ALLOW" for event in counted)
    by_symbol = _symbol_rows(symbols)
    summary = {
        "kind": SUMMARY_KIND,
        "schema_version": SCHEMA_VERSION,
        "date_ny": day,
        "books": sorted({event.book_id for event in events}),
        "strategies": sorted({event.strategy_id for event in counted}),
        **totals,
        "regime_delta_pct": _percent(totals["regime_delta"], totals["baseline_notional"]),
        "net_exposure_delta_pct": _percent(totals["net_exposure_delta"], totals["baseline_notional"]),
        "decisions": len(counted),
        "modulated": modulated,
        "unmodified": len(counted) - modulated,
        "allowed": allowed,
        "blocked": len(counted) - allowed,
        "shadow_decisions": len(events) - len(counted),
        "regimes": dict(sorted(Counter(event.regime_code or "E2_OFF" for event in counted).items())),
        "policy_references": sorted({event.policy_reference for event in counted}),
        "by_reason_code": _by_reason(counted),
        "by_decision_reason_code": dict(
            sorted(Counter(code for event in counted for code in event.decision_reason_codes).items())
        ),
        "by_symbol": by_symbol,
        "top_symbols": top_symbols(to_plain(by_symbol)),
        "source": {"events": len(events), "events_sha256": events_hash(events)},
    }
    return dict(to_plain(summary))


def events_hash(events: Sequence[RiskAttributionEvent]) -> str:
    """The sha256 of the events as the ledger stores them (the summary's input, in ledger order)."""
    return content_hash([encode_record(event) for event in events])


def dominant(counts: Mapping[str, int]) -> str | None:
    """The key with the largest count (ties: the first by name); None when there is none."""
    return min(counts, key=lambda key: (-counts[key], key)) if counts else None


def _merge_reasons(days: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for day in days:
        for code, entry in day["by_reason_code"].items():
            into = merged.setdefault(code, {"decisions": 0, "notional_delta": ZERO, "days_present": 0})
            into["decisions"] += entry["decisions"]
            into["notional_delta"] += Decimal(entry["notional_delta"])
            into["days_present"] += 1
    return {code: merged[code] for code in sorted(merged, key=lambda code: (_RANK.get(code, 99), code))}


def _merge_symbols(days: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for day in days:
        for row in day["by_symbol"]:
            into = merged.setdefault(row["symbol"], {"days": 0, "exposure_delta": ZERO, "regime_delta": ZERO})
            into["days"] += 1
            into["exposure_delta"] += Decimal(row["exposure_delta"])
            into["regime_delta"] += Decimal(row["regime_delta"])
    return [{"symbol": symbol, **merged[symbol]} for symbol in sorted(merged)]


def rolling_summary(
    window: str, as_of: Any, days: Sequence[Mapping[str, Any]], hashes: Sequence[str]
) -> dict[str, Any]:
    """The ``window`` view as of ``as_of`` from its daily summaries (oldest first) and their file hashes."""
    length = WINDOWS[window]
    totals = {name: sum((Decimal(day[name]) for day in days), ZERO) for name in NOTIONALS}
    counts = {name: sum(int(day[name]) for day in days) for name in COUNTS}
    prevalence = Counter(dominant(day["regimes"]) or "NONE" for day in days)
    reasons = _merge_reasons(days)
    reducing = {code: -entry["notional_delta"] for code, entry in reasons.items() if entry["notional_delta"]}
    symbols = _merge_symbols(days)
    summary = {
        "kind": ROLLING_KIND,
        "schema_version": SCHEMA_VERSION,
        "window": window,
        "window_sessions": length,
        "as_of": as_of,
        "dates": [day["date_ny"] for day in days],
        "days": len(days),
        "complete": len(days) == length,
        **totals,
        "regime_delta_pct": _percent(totals["regime_delta"], totals["baseline_notional"]),
        **counts,
        "regime_prevalence": dict(sorted(prevalence.items())),
        "dominant_regime": dominant(prevalence),
        "by_reason_code": reasons,
        "dominant_reason_code": min(reducing, key=lambda code: (-reducing[code], code)) if reducing else None,
        "by_symbol": symbols,
        "top_symbols": top_symbols(to_plain(symbols)),
        "source": {"daily_summaries_sha256": content_hash(list(hashes))},
    }
    return dict(to_plain(summary))
