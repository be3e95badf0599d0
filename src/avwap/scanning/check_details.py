"""Every failing symbol-level check of a scan, with its measured value and threshold.

A :class:`~avwap.signals.scan_records.Diagnostic` names the *first* failing reason (with its value and
threshold) and the codes of the others. To answer "why is X not a candidate today?" completely, the
diagnostics artifact keeps one :class:`CheckDetail` per failing check. The numbers come from the scan's own
:func:`~avwap.signals.scan_checks.measure` and :func:`~avwap.signals.scan_checks.symbol_checks` on the same
panel, so they are the values the scan decided on (not a re-implementation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import msgspec
import numpy as np

from avwap.signals.panel import BarPanel
from avwap.signals.scan_checks import Check, measure, sessions_to_earnings, symbol_checks
from avwap.signals.scan_output import ratio
from avwap.signals.scan_records import MarketGate
from avwap.signals.scan_rules import ScanRules


class CheckDetail(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One failing check: ``value <comparison> threshold`` is what a passing symbol satisfies."""

    code: str
    measure: str
    comparison: str
    value: float | None
    threshold: float | None
    detail: str


def _detail(check: Check, row: int) -> CheckDetail:
    unavailable = bool(check.unavailable[row])
    return CheckDetail(
        code="INDICATOR_UNAVAILABLE" if unavailable else check.code,
        measure=check.measure,
        comparison=check.comparison,
        value=ratio(check.value[row]),
        threshold=ratio(check.threshold[row]),
        detail=check.detail(row),
    )


def failing_checks(
    panel: BarPanel,
    as_of: dt.date,
    gate: MarketGate,
    rules: ScanRules,
    *,
    earnings: Mapping[str, Sequence[dt.date]] | None = None,
    future_sessions: Sequence[dt.date] | None = None,
) -> dict[str, tuple[CheckDetail, ...]]:
    """Failing checks per symbol, in pipeline order; symbols that pass every check are absent.

    Takes the same inputs as :func:`avwap.signals.scan.scan_panel`, so the values match the scan's.
    """
    upcoming = sessions_to_earnings(panel.symbols, as_of, earnings or {}, future_sessions)
    checks = symbol_checks(measure(panel, as_of, rules, upcoming), gate, as_of, rules)
    return details_of_checks(panel.symbols, checks)


def details_of_checks(symbols: Sequence[str], checks: Sequence[Check]) -> dict[str, tuple[CheckDetail, ...]]:
    """:func:`failing_checks` from checks already evaluated on the panel of ``symbols`` (the scan's own,
    from :func:`avwap.signals.scan.scan_panel_checks`: the panel is measured once)."""
    failed = np.stack([check.failed for check in checks])
    details: dict[str, tuple[CheckDetail, ...]] = {}
    for row in np.flatnonzero(failed.any(axis=0)):
        index = int(row)
        details[symbols[index]] = tuple(
            _detail(check, index) for position, check in enumerate(checks) if failed[position, index]
        )
    return details
