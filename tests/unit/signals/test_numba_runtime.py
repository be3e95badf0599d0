"""The numba kernels load without numba's SciPy BLAS probe, and nothing they call depends on its answer."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import avwap.signals

KERNEL_MODULES = ("avwap_numba.py", "wilder_numba.py")
BLAS_DEPENDENT = {"correlate", "convolve"}  # the only numba functions whose code depends on the probe

RUN_KERNELS = """
import json, sys
import numpy as np
from avwap.signals.avwap import avwap_series, avwap_snapshot
from avwap.signals.indicators import atr_and_adx
bars = np.linspace(10.0, 20.0, 80).reshape(2, 40)
volume = np.full((2, 40), 1000.0)
anchors = np.array([[0, 5], [3, -1]])
avwap_snapshot(bars + 0.1, bars - 0.1, bars, volume, anchors, engine="numba")
avwap_series(bars + 0.1, bars - 0.1, bars, volume, anchors, engine="numba")
atr_and_adx(bars + 0.1, bars - 0.1, bars, 14)
loaded = sorted(name for name in ("scipy.linalg", "numpy.f2py") if name in sys.modules)
import importlib.util
if importlib.util.find_spec("scipy") is not None:
    import scipy.linalg.cython_blas  # still importable afterwards
    loaded.append("scipy importable")
print(json.dumps(loaded))
"""


def test_running_the_kernels_imports_neither_scipy_linalg_nor_f2py() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", RUN_KERNELS], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    loaded = json.loads(completed.stdout.splitlines()[-1])
    assert [name for name in loaded if name != "scipy importable"] == []


def test_the_probe_is_left_alone_when_scipy_blas_was_imported_first() -> None:
    script = (
        "import importlib.util, sys\n"
        "if importlib.util.find_spec('scipy') is None: print('no scipy'); raise SystemExit\n"
        "import scipy.linalg.cython_blas\n"
        "import avwap.signals.numba_runtime\n"
        "import numba.np.arraymath as array_math\n"
        "print(array_math._HAVE_BLAS)\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip() in {"True", "no scipy"}


def test_no_kernel_calls_a_function_whose_code_depends_on_the_blas_probe() -> None:
    folder = Path(avwap.signals.__file__).parent
    for name in KERNEL_MODULES:
        tree = ast.parse((folder / name).read_text(encoding="utf-8"))
        called = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        called |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        assert not called & BLAS_DEPENDENT, name
        assert "from avwap.signals.numba_runtime import" in (folder / name).read_text(encoding="utf-8"), name
