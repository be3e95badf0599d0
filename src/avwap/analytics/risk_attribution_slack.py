"""The daily risk attribution message for Slack (Phase E3.3). Pure: artifacts in, one alert event out.

Built only from the daily summary and the rolling windows as written on disk (their JSON values), never from
live objects, so the message says exactly what the ledger artifacts say. Explanatory, not prescriptive: it
tells what the risk layer did and why (the regime read, the reason codes, the symbols it reduced), and
changes nothing. Amounts with two decimals and a sign, lists in stated orders: the same artifacts always
give the same message bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from avwap.analytics.risk_attribution_summary import WINDOWS, dominant
from avwap.integrations.slack.messages import AlertEvent, AlertKind, alert_event

SHOWN_SYMBOLS: Final = 5
CODE_TEXT: Final = {
    "RISK_ATTRIBUTION_REGIME_SCALED": "the regime's risk multiplier scaled sizes down",
    "RISK_ATTRIBUTION_REGIME_BLOCKED": "the regime allowed no more entries (no-risk or entry throttle)",
    "RISK_ATTRIBUTION_DRAWDOWN_GUARD": "the drawdown guard blocked entries",
    "RISK_ATTRIBUTION_HARD_CAP": "another guardrail (positions, concentration, correlation, gross, sleeve)",
    "RISK_ATTRIBUTION_UNMODIFIED": "decided at the sizing rule's size",
}


def money(value: Any) -> str:
    """``$1,234.50`` or ``-$1,234.50``."""
    amount = Decimal(value)
    return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


def _reason_lines(summary: Mapping[str, Any]) -> list[str]:
    rows = [
        (code, int(entry["decisions"]), Decimal(entry["notional_delta"]))
        for code, entry in summary["by_reason_code"].items()
    ]
    rows.sort(key=lambda row: (row[2], -row[1], row[0]))  # most notional taken away first
    width = max((len(code) for code, _, _ in rows), default=0)
    return [
        f"{code.ljust(width)}  {count:>4d} {'decision ' if count == 1 else 'decisions'}  {money(delta):>14}  "
        f"{CODE_TEXT.get(code, '')}".rstrip()
        for code, count, delta in rows
    ]


def _symbol_text(summary: Mapping[str, Any]) -> str:
    rows = {row["symbol"]: row for row in summary["by_symbol"]}
    shown = summary["top_symbols"][:SHOWN_SYMBOLS]
    more = len(summary["top_symbols"]) - len(shown)
    text = ", ".join(f"{symbol} {money(rows[symbol]['regime_delta'])}" for symbol in shown)
    return text + (f" and {more} more" if more > 0 else "")


def _window_line(window: Mapping[str, Any]) -> str:
    prevalence = window["regime_prevalence"]
    regime = window["dominant_regime"]
    partial = "" if window["complete"] else f" (only {window['days']} of {window['window_sessions']} days)"
    return (
        f"{window['window']}{partial}: the regime took {money(-Decimal(window['regime_delta']))} of "
        f"{money(window['baseline_notional'])} proposed across {window['modulated']} modulated decisions; "
        f"{regime} on {prevalence.get(regime, 0)} of {window['days']} days"
    )


def headline(summary: Mapping[str, Any]) -> str:
    taken = -Decimal(summary["regime_delta"])
    percent = summary["regime_delta_pct"]
    share = f" ({-Decimal(percent)}% of proposed)" if percent is not None and taken else ""
    if not taken:
        return f"Risk attribution {summary['date_ny']}: the market regime reduced no proposed exposure"
    day = summary["date_ny"]
    return f"Risk attribution {day}: the market regime reduced proposed exposure by {money(taken)}{share}"


def summary_event(summary: Mapping[str, Any], windows: Mapping[str, Mapping[str, Any]]) -> AlertEvent:
    """The day's message from its summary and the rolling windows written for the same date."""
    day = dt.date.fromisoformat(summary["date_ny"])
    regime = dominant(summary["regimes"]) or "E2_OFF"
    details = [
        f"Regime applied this morning: {regime} ({summary['regimes'].get(regime, 0)} of "
        f"{summary['decisions']} decisions). Sizing proposed {money(summary['baseline_notional'])}; after "
        f"the regime's multipliers {money(summary['modulated_notional'])}; the decisions allowed "
        f"{money(summary['allowed_notional'])} (net change {money(summary['net_exposure_delta'])}).",
        "",
        "Why, by notional taken away",
        *_reason_lines(summary),
    ]
    if summary["top_symbols"]:
        details += ["", f"Symbols most reduced by the regime: {_symbol_text(summary)}"]
    if windows:
        details += [
            "",
            "Over recent sessions",
            *(_window_line(windows[name]) for name in WINDOWS if name in windows),
        ]
    details += ["", "This explains what the risk layer did; it changes no decision and needs no action."]
    codes = list(summary["by_reason_code"])  # the documented order
    return alert_event(
        AlertKind.DAILY_SUMMARY,
        headline(summary),
        day,
        fields={
            "Allowed notional": money(summary["allowed_notional"]),
            "Baseline notional": money(summary["baseline_notional"]),
            "Decisions modulated": f"{summary['modulated']} of {summary['decisions']}",
            "Dominant regime": regime,
            "Symbols affected": len(summary["top_symbols"]),
        },
        reason_codes=codes,
        details=details,
        dedupe_key=f"{AlertKind.DAILY_SUMMARY.value}:{day.isoformat()}:risk_attribution",
    )
