#!/usr/bin/env python3
"""Write docs/REASON_CODES.md from the reason codes defined in the code (``--check``: exit 1 if stale).

Sources, in the order of the document: the control plane (:data:`avwap.control.reasons.REASONS` and the
config-check codes), watchlist freshness, the execution cycle's ledger codes, broker refusals
(:class:`avwap.execution.broker.RejectCode`), the stop policy (:class:`avwap.exits.reasons.StopReason`), the
daily scan (:data:`avwap.signals.scan_rules.REASON_CODES`), bar validation
(:data:`avwap.data.validation.REASON_CODES`), reconciliation drift
(:data:`avwap.execution.reconcile_schema.DRIFT_MEANINGS`) and the backtest's notes
(:data:`avwap.backtest.fill_rules.NOTE_MEANINGS`). Where the code keeps a code without a
description (enums, tuples), the one-line meaning lives in :data:`MEANINGS` below, and
:func:`missing_meanings` (tested) makes sure no code is left undocumented.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from avwap.backtest.fill_rules import NOTE_MEANINGS
from avwap.control.reasons import (
    CONFLICT_REASONS,
    ENFORCEMENT_REASONS,
    PORTFOLIO_REASONS,
    reason_table_markdown,
)
from avwap.data import validation
from avwap.execution.broker import RejectCode
from avwap.execution.broker_sync import LEDGER_CODES
from avwap.execution.reconcile_schema import DRIFT_MEANINGS, INCOMPLETE_MEANINGS
from avwap.exits.reasons import GATE_KINDS, StopReason
from avwap.signals import scan_rules

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "REASON_CODES.md"

FRESHNESS: Mapping[str, str] = {  # avwap.watchlist.artifact.check_freshness
    "WATCHLIST_STALE": "today's candidates artifact is missing, unreadable, malformed or not dated today",
    "WATCHLIST_NO_SESSION": "today is not an NYSE session: there is no watchlist to be fresh",
}
MEANINGS: Mapping[str, str] = {
    # broker refusals (BrokerRejectedError.code, also OrderRejected.reason_code)
    RejectCode.INSUFFICIENT_BUYING_POWER: "403: cash (minus open buy orders) does not cover the order",
    RejectCode.INSUFFICIENT_QUANTITY: "403: selling more shares than are held and not already reserved",
    RejectCode.SUB_PENNY_PRICE: "422: a price not on a valid tick ($0.01 at or above $1, $0.0001 below)",
    RejectCode.INVALID_QUANTITY: "422: quantity not a positive whole number of shares",
    RejectCode.UNKNOWN_SYMBOL: "422: the broker does not know the symbol",
    RejectCode.NO_REFERENCE_PRICE: "422: a market order for a symbol without any price yet (simulator)",
    RejectCode.INVALID_REQUEST: "422: a request the broker considers malformed",
    RejectCode.DUPLICATE_CLIENT_ORDER_ID: "422: the client_order_id exists (looked up, never re-sent)",
    RejectCode.CLIENT_ORDER_ID_CONFLICT: "our client_order_id names a different order at the broker",
    RejectCode.ORDER_NOT_FOUND: "404: no order with that id",
    RejectCode.ORDER_NOT_OPEN: "422: the order is no longer open (filled, canceled, replaced)",
    # stop policy (ExitEvent.reason)
    StopReason.HIGHER_LOW: "stop tightened to an intraday higher low minus the buffer",
    StopReason.DAILY_SWING_LOW: "stop tightened to the latest daily swing low minus the buffer",
    StopReason.INITIAL_STOP: "first resolution keeps the entry's initial stop",
    StopReason.CANDIDATE_NOT_HIGHER: "the ratchet keeps the working stop (the candidate is not higher)",
    StopReason.NO_CANDIDATE: "no confirmed pivot and no stop yet",
    StopReason.NO_INTRADAY_BARS: "halted or no data yet today: the stop is kept, nothing recorded",
    StopReason.MARKET_CLOSED: "no stop submission outside the regular session",
    StopReason.BEFORE_SUBMIT_WINDOW: "no stop submission before open + 5 minutes (09:35)",
    StopReason.ENTRY_DELAY: "no stop submission within the minimum delay after the entry fill",
    StopReason.ENTRY_MIN_BARS: "no stop submission before the minimum bars after the entry have closed",
    StopReason.TOO_CLOSE_TO_PRICE: "the stop would be closer to the last price than the minimum distance",
    # bar validation (quarantine reasons)
    "MALFORMED_ROW": "a CSV row that cannot be split into the expected columns",
    "UNPARSEABLE_TIMESTAMP": "a timestamp that cannot be parsed",
    "AMBIGUOUS_LOCAL_TIME": "a local time that occurs twice (DST fall-back) without an offset",
    "MISALIGNED_TIMESTAMP": "a bar start not on the frequency's grid",
    "UNPARSEABLE_VALUE": "a price or volume that is not a number",
    "MISSING_VALUE": "a price or volume is empty",
    "NON_FINITE_VALUE": "a price or the volume is infinite",
    "NON_POSITIVE_PRICE": "a price at or below zero",
    "HIGH_BELOW_LOW": "high below low",
    "OPEN_OUTSIDE_RANGE": "open outside [low, high]",
    "CLOSE_OUTSIDE_RANGE": "close outside [low, high]",
    "NEGATIVE_VOLUME": "volume below zero",
    "DUPLICATE_TIMESTAMP": "two bars of one symbol with the same start",
    "ZERO_VOLUME": "flag, not a quarantine: a bar without volume (kept; it fills nothing in the simulator)",
}


def _table(rows: Iterable[tuple[str, str]], header: str = "| code | meaning |") -> list[str]:
    return [header, "|---|---|", *(f"| `{code}` | {text} |" for code, text in rows)]


def _stop_meaning(code: StopReason) -> str:
    kind = GATE_KINDS.get(code)
    return MEANINGS[code] + (f" (recorded as `{kind}`)" if kind is not None else "")


def missing_meanings() -> list[str]:
    """Codes defined in the code that have no description anywhere (must be empty)."""
    listed = [*RejectCode, *StopReason, *validation.REASON_CODES, *validation.FLAG_CODES]
    return sorted(str(code) for code in listed if code not in MEANINGS)


def render() -> str:
    """The whole document, deterministic."""
    lines = [
        "# Reason codes",
        "",
        "Generated by `scripts/reason_codes.py` from the code; do not edit by hand (a test checks that it is",
        "current). Codes are stable UPPER_SNAKE strings: never renamed, never reused.",
        "",
        "## Control plane: entry decisions (`Decision.reason_codes`), in gate order",
        "",
        "When several apply, they are listed in this order and the first is the primary reason. The same",
        "codes name the entry-half blockers of a cycle (`entries_blocked` in the cycle report).",
        "",
        reason_table_markdown().rstrip("\n"),
        "",
        "## Portfolio decisions (`PortfolioDecision.reason_codes`, in rule order; see docs/PORTFOLIO.md)",
        "",
        "Inputs first (they block every candidate of the day), then the guardrails in the order they run.",
        "",
        *_table(PORTFOLIO_REASONS.items()),
        "",
        "## Portfolio decision enforcement (`PORTFOLIO_DECISION_ENFORCE=1`; `PORTFOLIO_ENFORCEMENT` ledger)",
        "",
        "The cycle lets an entry through only when today's decision artifact is usable and ALLOWs it; exits",
        "are never affected (see docs/RUNBOOK.md).",
        "",
        *_table(ENFORCEMENT_REASONS.items()),
        "",
        "## Cross-strategy conflicts (`ConflictResolved.reason_codes`, rule order; see docs/STRATEGIES.md)",
        "",
        "Static rules applied across strategies before the control plane decides each surviving intent.",
        "",
        *_table(CONFLICT_REASONS.items()),
        "",
        "## Watchlist freshness (`avwap watchlist check`, the cycle's freshness gate)",
        "",
        *_table(FRESHNESS.items()),
        "",
        "## Execution cycle ledger codes",
        "",
        *_table(LEDGER_CODES.items()),
        "",
        "## Broker refusals (`OrderRejected.reason_code`; `HTTP_<status>` for refusals not classified)",
        "",
        *_table((str(code), MEANINGS[code]) for code in RejectCode),
        "",
        "## Stop policy (`ExitEvent.reason`)",
        "",
        *_table((str(code), _stop_meaning(code)) for code in StopReason),
        "",
        "## Daily scan (diagnostics of symbols that are not candidates)",
        "",
        *_table(scan_rules.REASON_CODES.items()),
        "",
        "Setup tags of candidates:",
        "",
        *_table(scan_rules.SETUP_TAGS.items(), "| tag | meaning |"),
        "",
        "## Bar validation (quarantined rows)",
        "",
        *_table((code, MEANINGS[code]) for code in (*validation.REASON_CODES, *validation.FLAG_CODES)),
        "",
        "## Reconciliation drift (`DriftItem.code`, in report order; see docs/PORTFOLIO.md)",
        "",
        *_table((str(code), text) for code, text in DRIFT_MEANINGS.items()),
        "",
        "Incomplete reconciliation reports (`ReconciliationReport.incomplete_code`):",
        "",
        *_table((str(code), text) for code, text in INCOMPLETE_MEANINGS.items()),
        "",
        "## Backtest notes (`Note.code` in a backtest's ledger; see docs/BACKTEST.md)",
        "",
        *_table(NOTE_MEANINGS.items()),
        "",
    ]
    return "\n".join(lines)


def main(arguments: list[str]) -> int:
    missing = missing_meanings()
    if missing:
        sys.stderr.write(f"codes without a meaning in scripts/reason_codes.py: {', '.join(missing)}\n")
        return 1
    text = render()
    if "--check" in arguments:
        current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
        if current != text:
            sys.stderr.write(f"{DOCUMENT} is out of date: run `python scripts/reason_codes.py`\n")
            return 1
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
