"""System-managed exits (Phase C′): structural stops that only ever tighten, and an exit simulator.

Modules, bottom up: :mod:`rules` (``StopRules``), :mod:`reasons` (stable reason codes), :mod:`phases`
(session phases and submission gates), :mod:`bar_arrays` (bars as arrays), :mod:`candidates` (intraday
higher low, daily swing low), :mod:`ratchet`, :mod:`position_state` (folded from ledgers), :mod:`policy`
(``resolve_stop`` → ``StopDecision``), :mod:`events` (the ``ExitEvent`` s of a decision), :mod:`simulator` and
:mod:`simulator_daily`. Everything here is pure: no clock, no files, no broker. The execution cycle calls
``resolve_stop`` every cycle and does the I/O; this package never imports :mod:`avwap.execution`.
See docs/STOPS.md.
"""

from avwap.exits.policy import StopDecision, apply_decision, resolve_stop
from avwap.exits.position_state import ExitBook, ExitPosition, fold_exit_positions
from avwap.exits.ratchet import ratchet
from avwap.exits.rules import StopRules

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
