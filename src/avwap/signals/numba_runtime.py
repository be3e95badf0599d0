"""Numba for the kernels of this package, without numba's SciPy BLAS probe.

The first call of any jitted function (even one loaded from the on-disk cache) makes numba import all of its
lowering registries, among them ``numba.np.arraymath``, which probes ``import scipy.linalg.cython_blas`` at
import time. When SciPy is installed (a test dependency here), that probe imports all of ``scipy.linalg`` and
``numpy.f2py``: about 0.2 s of every short ``avwap scan``. The probe's answer only decides how compiled
``np.correlate`` / ``np.convolve`` form inner products (BLAS or numba's own loop); no kernel here calls them
(tests/unit/signals/test_numba_runtime.py holds that), every other linear-algebra function still imports SciPy
when it is compiled, and a production install has no SciPy at all. So numba's array math is imported once
here with the probe answered "absent": the same path as production, at no cost.

The probe is hidden only while that one module is imported, and only when neither it nor SciPy's BLAS was
imported before: SciPy itself stays importable afterwards, and a process that already loaded either keeps
what it has.
"""

from __future__ import annotations

import importlib
import sys
from typing import Final

from numba import njit, prange

BLAS_PROBE: Final = "scipy.linalg.cython_blas"
ARRAY_MATH: Final = "numba.np.arraymath"


def load_array_math_without_blas_probe() -> None:
    """Import ``numba.np.arraymath`` with SciPy's BLAS reported missing (see the module docstring)."""
    if ARRAY_MATH in sys.modules or BLAS_PROBE in sys.modules:
        return
    sys.modules[BLAS_PROBE] = None  # type: ignore[assignment]  # the import system's "known missing" mark
    try:
        importlib.import_module(ARRAY_MATH)
    finally:
        if sys.modules.get(BLAS_PROBE, 0) is None:
            del sys.modules[BLAS_PROBE]


load_array_math_without_blas_probe()

__all__ = ["load_array_math_without_blas_probe", "njit", "prange"]
