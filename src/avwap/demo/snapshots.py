"""End-of-day portfolio snapshots of the demo's book (Phase D2): the backtest engine's writer
(:mod:`avwap.backtest.snapshots`), with the replay's in-memory closes as marks."""

from __future__ import annotations

from avwap.backtest.snapshots import write_snapshot

__all__ = ["write_snapshot"]
