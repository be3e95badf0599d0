"""What may differ between runs of the one engine (:class:`avwap.backtest.engine.BacktestEngine`): a preset.

``avwap backtest`` runs :data:`BACKTEST_PRESET`; ``avwap demo`` runs the demo's preset
(:data:`avwap.demo.replay.DEMO_PRESET`: book PAPER_SIM, 5-minute sessions, the production scan job each
morning, a reconciliation each evening). Everything else (the session loops, the cycle, the simulated
broker, the decisions, snapshots, missing-bar notes and the closing of symbols whose data ends) is the same
code for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from avwap.ledger.audit_key import AuditKey
from avwap.ledger.paths import BACKTEST

Resolution = Literal["auto", "5m", "1d"]
RESOLUTIONS: Final = ("auto", "5m", "1d")
# How each session's candidates are made: the one-pass panel scan (fast, equal to the production scan day
# by day; writes the candidates artifact), or the production scan job itself (``avwap scan``: candidates,
# diagnostics, watchlist and scan report, and its notification).
Morning = Literal["panel", "scan_job"]


@dataclass(frozen=True)
class Preset:
    name: str
    book_id: str = BACKTEST
    resolution: Resolution = "auto"
    morning: Morning = "panel"
    # After each session, reconcile the ledger against the simulated broker (``avwap portfolio reconcile``).
    reconcile: bool = False
    # One BACKTEST_FILL_RULE note per fill (the trades table's fill-rule columns read them).
    fill_rule_notes: bool = True
    funding_reference: str = "backtest"
    funding_reason: str = "backtest funding"
    # Each evening's attribution by strategy written as an artifact (Phase S4; fails open). The backtest
    # attributes its whole run once instead (backtest.run), which costs nothing per session.
    evening_attribution: bool = False
    # The evening audit seal (``avwap audit seal``) with this key after each session's snapshot; the demo
    # seals with the public DEMO_AUDIT_KEY (demo only: two runs stay byte-identical).
    audit_key: AuditKey | None = None


BACKTEST_PRESET: Final = Preset("backtest")
