"""The outcome of one intraday bar refresh (a plain record: importing it loads no pandas, no store)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RefreshOutcome:
    """What one refresh did. ``fetched``: symbols asked of the source; ``problems``: feed failures."""

    symbols: tuple[str, ...] = ()
    fetched: tuple[str, ...] = ()
    rows_written: int = 0
    rows_rejected: int = 0
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems
