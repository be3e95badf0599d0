"""System-managed exits (Phase C′): structural stops that only ever tighten, and an exit simulator.

Modules, bottom up: :mod:`rules` (``StopRules``), :mod:`reasons` (stable reason codes), :mod:`phases`
(session phases and submission gates), :mod:`bar_arrays` (bars as arrays), :mod:`candidates` (intraday
higher low, daily swing low), :mod:`ratchet`, :mod:`position_state` (folded from ledgers), :mod:`policy`
(``resolve_stop`` → ``StopDecision``), :mod:`events` (the ``ExitEvent`` s of a decision), :mod:`simulator` and
:mod:`simulator_daily`. Everything here is pure: no clock, no files, no broker. The execution cycle calls
``resolve_stop`` every cycle and does the I/O; this package never imports :mod:`avwap.execution`.
See docs/STOPS.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from avwap.exits.policy import StopDecision, apply_decision, resolve_stop
    from avwap.exits.position_state import ExitBook, ExitPosition, fold_exit_positions
    from avwap.exits.ratchet import ratchet
    from avwap.exits.rules import StopRules

# The package's names, resolved on first use (PEP 562): importing a light submodule such as
# ``avwap.exits.position_state`` (the execution book does, every ``avwap execute``) runs this file, and the
# policy imports numpy, which an idle cycle never needs.
_HOMES: Final = {
    "StopDecision": "avwap.exits.policy",
    "apply_decision": "avwap.exits.policy",
    "resolve_stop": "avwap.exits.policy",
    "ExitBook": "avwap.exits.position_state",
    "ExitPosition": "avwap.exits.position_state",
    "fold_exit_positions": "avwap.exits.position_state",
    "ratchet": "avwap.exits.ratchet",
    "StopRules": "avwap.exits.rules",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "ExitBook",
    "ExitPosition",
    "StopDecision",
    "StopRules",
    "apply_decision",
    "fold_exit_positions",
    "ratchet",
    "resolve_stop",
]
