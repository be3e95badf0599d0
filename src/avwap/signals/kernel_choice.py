"""Where the ``"numba"`` engine's numbers come from in this process: numba's kernels, or their exact twins.

The twins (:mod:`avwap.signals.wilder_numpy`, :mod:`avwap.signals.avwap_twins`) give the kernels' bits
without numba, whose start (~0.5 s: the import, its lowering registries, the cached machine code) is most of
a short process such as one ``avwap scan``. They are slower per call, so a process that calls the kernels
many times (the demo, the backtest, the execution loop's stop policy) must keep numba. Only a short command
opts in, with :func:`prefer_twins`; even then, inputs above a size limit, and every call once numba is
loaded, go to numba. The numbers are the same either way (tests hold the twins equal to the kernels).
"""

from __future__ import annotations

import sys


class _Choice:
    twins = False  # set by prefer_twins(); never unset (one process, one short command)


def prefer_twins() -> None:
    """Declare this process short (e.g. ``avwap scan``): small inputs run the twins until numba loads."""
    _Choice.twins = True


def use_twins(size: int, limit: int) -> bool:
    """Whether an input of ``size`` (rows, or cells: the caller's ``limit`` says which) runs the twins."""
    return _Choice.twins and size <= limit and "numba" not in sys.modules
