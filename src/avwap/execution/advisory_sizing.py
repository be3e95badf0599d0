"""``ML_ADVISORY_SIZE_DOWN=1`` in the cycle: the bottom-scored candidates' approved quantity is scaled down.

The scores are plain data here: today's watchlist names its as-of date, :mod:`avwap.watchlist.advisory`
reads ``<artifacts>/ml/advisory_scores_<as-of>.json`` and turns it into a multiplier ≤ 1 per symbol, and
:func:`avwap.control.sizing.scale_down` applies it to the quantity the control plane approved. Nothing here
imports :mod:`avwap.ml` (an import-linter contract forbids it). The plane's gates see the unscaled intent,
so a decision with the size-down is the decision without it, with a quantity that is smaller or equal (at
least one share): it cannot approve what the plane rejected, cannot size up, cannot add an entry, and exits
never come here. Off (the default), or without a readable artifact for the day, the multiplier is 1.

The artifact is read once per as-of date and again only when the file changes (size, times, inode).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, Final

from avwap.control import reasons
from avwap.control.plane import Action
from avwap.control.plane import Decision as PlaneDecision
from avwap.control.sizing import scale_down
from avwap.execution.context import CycleDependencies, CycleFacts
from avwap.watchlist.advisory import advisory_path, read_advisory, size_multipliers

ONE: Final = Decimal(1)
APPROVING: Final = frozenset({Action.APPROVE, Action.RESIZE})


def _file_key(path: Any) -> tuple[int, ...]:
    try:
        status = path.stat()
    except OSError:
        return ()
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


def advisory_multiplier(deps: CycleDependencies, facts: CycleFacts, symbol: str) -> Decimal:
    """The size multiplier of ``symbol`` today (1: off, no scores, or not bottom-scored)."""
    config = deps.config
    watchlist = facts.freshness.watchlist if facts.freshness is not None else None
    if not config.ml_advisory_size_down or watchlist is None:
        return ONE
    as_of = watchlist.data_through
    path = advisory_path(config.artifacts_dir, as_of)
    key = (str(path), _file_key(path))
    memo = deps.cache.advisory
    if memo is None or memo[0] != key:
        scores = read_advisory(config.artifacts_dir, as_of)
        table = (
            size_multipliers(
                scores, config.ml_advisory_size_down_bottom, config.ml_advisory_size_down_multiplier
            )
            if scores is not None
            else {}
        )
        memo = deps.cache.advisory = (key, table)
    return memo[1].get(symbol, ONE)


def sized_down(deps: CycleDependencies, facts: CycleFacts, verdict: PlaneDecision) -> PlaneDecision:
    """The plane's ``verdict`` after the size-down: a smaller quantity is a RESIZE with
    ``ML_ADVISORY_SIZED_DOWN``; a REJECT, or an unchanged quantity, is returned as is."""
    if verdict.action not in APPROVING:
        return verdict
    scaled = scale_down(verdict.quantity, advisory_multiplier(deps, facts, str(verdict.symbol)))
    if scaled >= verdict.quantity:
        return verdict
    codes = reasons.sort_reasons((*verdict.reasons, reasons.ML_ADVISORY_SIZED_DOWN))
    return dataclasses.replace(verdict, action=Action.RESIZE, quantity=scaled, reasons=codes)
