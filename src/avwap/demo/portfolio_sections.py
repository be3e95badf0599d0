"""The demo report's "Portfolio decisions" and "Reconciliation" sections (tables, never dict reprs).

Decisions: each morning's batch (roadmap 2A; enforced by the cycle only with PORTFOLIO_DECISION_ENFORCE=1):
per session how many candidates each strategy had allowed and blocked and why the inputs failed, then the
block reasons counted over the run. Reconciliation: each evening's report of the ledger against the
simulated broker (complete or not, drift items by code).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from avwap.control.portfolio.records import PortfolioDecisionBatch, Verdict
from avwap.jobs.portfolio import ReconcileOutcome
from avwap.presentation.report import Section, Table


def decisions_section(batches: Mapping[dt.date, PortfolioDecisionBatch]) -> Section:
    rows = []
    reasons: Counter[str] = Counter()
    for day, batch in sorted(batches.items()):
        for strategy in batch.strategies:
            mine = [item for item in batch.decisions if item.strategy_id == strategy]
            allowed = [item.symbol for item in mine if item.verdict is Verdict.ALLOW]
            rows.append(
                [
                    day.isoformat(),
                    strategy + (" (shadow)" if strategy in batch.shadow_strategies else ""),
                    str(len(allowed)),
                    str(len(mine) - len(allowed)),
                    ", ".join(allowed) or "-",
                    ", ".join(batch.input_reasons) or "ok",
                ]
            )
            reasons.update(code for item in mine for code in item.reason_codes)
    per_day = Table(
        "Decisions per session",
        ["session", "strategy", "allowed", "blocked", "allowed symbols", "inputs"],
        rows,
        note="Decided before the open from the candidates and the previous close's snapshot "
        "(artifacts/portfolio_decisions/PAPER_SIM/<date>.json).",
    )
    by_reason = Table(
        "Blocked candidates by reason code",
        ["reason code", "count"],
        [[code, str(count)] for code, count in sorted(reasons.items())],
    )
    return Section("Portfolio decisions", tables=[per_day, by_reason] if reasons else [per_day])


def reconciliation_section(outcomes: Mapping[dt.date, ReconcileOutcome]) -> Section:
    rows = []
    for day, outcome in sorted(outcomes.items()):
        report: Any = outcome.report
        codes = ", ".join(f"{code} {count}" for code, count in report.counts.items() if count)
        rows.append(
            [
                day.isoformat(),
                "yes" if report.complete else f"NO ({report.incomplete_code})",
                str(len(report.items)),
                codes or ("-" if report.complete else str(report.incomplete_reason)[:120]),
                "yes" if report.cash_checked else "no",
            ]
        )
    table = Table(
        "",
        ["session", "complete", "drift items", "drift codes / why incomplete", "cash compared"],
        rows,
        note="The ledger against the simulated broker after each close, read through the read-only view "
        "(artifacts/reconciliation/PAPER_SIM/<date>.json).",
    )
    return Section("Reconciliation", tables=[table])
