"""Short commands start fast: the heavy dependencies are imported only by the commands that use them.

Each check runs a fresh interpreter (what the ``avwap`` console script does) and lists which heavy modules
ended up in ``sys.modules``. See benchmarks/bench_startup.py for the figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "alpaca",
    "slack_sdk",
    "numba",
    "numpy",  # an idle cycle runs no stop policy and no trigger: the exits package resolves names lazily
    "pandas",
    "pyarrow",
    "exchange_calendars",
    "scipy",
    "requests",
)
# typer (with the pydantic adapters it builds per option) and rich: ~0.2 s of CPU; a plainly well-formed
# ``avwap execute`` runs without them (cli/fast_path.py)
COMMAND_LINE = ("typer", "pydantic", "pydantic_core", "rich", "click")

REPORT = (
    "import atexit, json, sys\n"
    f"HEAVY = {HEAVY + COMMAND_LINE!r}\n"
    "def report():\n"
    "    sys.stderr.write('HEAVY ' + json.dumps([name for name in HEAVY if name in sys.modules]) + '\\n')\n"
    "atexit.register(report)\n"
)


def _heavy_modules(script: str, *arguments: str) -> tuple[int, list[str], str]:
    """Exit code, the HEAVY modules loaded (typer and rich aside), stderr."""
    code, loaded, errors = _loaded_modules(script, *arguments)
    return code, [name for name in loaded if name not in COMMAND_LINE], errors


def _loaded_modules(script: str, *arguments: str) -> tuple[int, list[str], str]:
    """Exit code, the HEAVY and COMMAND_LINE modules loaded, stderr."""
    completed = subprocess.run(
        [sys.executable, "-c", REPORT + script, *arguments], capture_output=True, text=True, check=False
    )
    lines = [line for line in completed.stderr.splitlines() if line.startswith("HEAVY ")]
    assert lines, completed.stderr[-3000:]
    return completed.returncode, json.loads(lines[-1].removeprefix("HEAVY ")), completed.stderr


def test_building_the_cli_imports_no_heavy_dependency() -> None:
    code, heavy, errors = _heavy_modules("from avwap.cli.main import build_app\nbuild_app()\n")
    assert code == 0, errors
    assert heavy == []


def test_help_imports_no_heavy_dependency() -> None:
    code, heavy, errors = _heavy_modules("from avwap.cli.main import main\nmain()\n", "--help")
    assert code == 0, errors
    assert heavy == []


@pytest.mark.parametrize(
    "instant",
    [
        "2026-04-01T15:00:00+00:00",  # a Wednesday, market open, no watchlist: the cycle runs every step
        "2026-04-04T15:00:00+00:00",  # a Saturday
        "2026-04-01T12:00:00+00:00",  # the same Wednesday before the open
    ],
)
def test_idle_execute_once_imports_no_pandas_broker_or_slack_sdk(home: Path, instant: str) -> None:
    """DRY_RUN on an empty home (no candidates, no positions) needs no numpy, pandas, alpaca or slack_sdk,
    and (a plain command line: no typer) no typer, pydantic or rich."""
    at_instant = (
        "import datetime as dt\n"
        "from avwap.core import clock\n"
        f"clock.SystemClock.now = lambda self: dt.datetime.fromisoformat({instant!r})\n"
        "from avwap.cli.main import main\n"
        "main()\n"
    )
    code, heavy, errors = _loaded_modules(at_instant, "execute", "--once", "--json", "--home", str(home))
    assert code == 0, errors
    assert heavy == []


def test_idle_execute_once_imports_no_other_command_module(home: Path) -> None:
    """``main`` registers only the execute command: no other command module (e.g. the demo's
    rich.progress) is imported."""
    listing = (
        "import sys\n"
        "from avwap.cli.main import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    loaded = [name for name in ('avwap.cli.demo_command', 'avwap.cli.scan_command')\n"
        "              if name in sys.modules]\n"
        "    sys.stderr.write('LOADED ' + ','.join(loaded) + '\\n')\n"
    )
    code, heavy, errors = _heavy_modules(listing, "execute", "--once", "--json", "--home", str(home))
    assert code == 0, errors
    assert heavy == []
    assert "LOADED \n" in errors


def test_each_command_name_maps_to_the_module_that_registers_it() -> None:
    """``main`` registers only the invoked command's module: the name table must match what they register."""
    import importlib

    import typer

    from avwap.cli.main import COMMAND_MODULES, COMMAND_NAMES

    registered: dict[str, str] = {}
    for module_name in COMMAND_MODULES:
        app = typer.Typer()
        importlib.import_module(module_name).register(app)
        names = [command.name for command in app.registered_commands]
        names += [group.name for group in app.registered_groups]
        registered.update(dict.fromkeys(names, module_name))
    assert registered == COMMAND_NAMES


def test_a_command_registers_only_its_own_module() -> None:
    """``avwap scan --help`` loads no other command module (nor the demo's rich.progress), no numba, no
    pandas; the full help still lists every command."""
    script = (
        "import sys\n"
        "from avwap.cli.main import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    others = sorted(name for name in sys.modules\n"
        "                    if name.startswith('avwap.cli.') and name.endswith('_command'))\n"
        "    sys.stderr.write('COMMANDS ' + ','.join(others) + '\\n')\n"
    )
    code, heavy, errors = _heavy_modules(script, "scan", "--help")
    assert code == 0, errors
    assert heavy == []
    assert "COMMANDS avwap.cli.scan_command\n" in errors
    completed = subprocess.run(
        [sys.executable, "-c", script, "--help"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    from avwap.cli.main import COMMAND_NAMES

    for name in COMMAND_NAMES:
        assert f" {name} " in completed.stdout, name


def test_a_scan_imports_no_pandas_numba_or_pyarrow_dataset(home: Path, tmp_path: Path) -> None:
    """``avwap scan`` reads Parquet straight into numpy and runs the exact numpy twins of the numba kernels:
    pandas (~0.25 s), numba (~0.5 s with its cache) and pyarrow.dataset (which imports pandas) stay out; so do
    pyarrow.compute (~40 ms: symbols read dictionary-encoded), numpy.ma (~12 ms: what np.unique imports) and,
    for a plain command line, typer and pydantic."""
    from tests.unit.watchlist.scan_fixtures import TRADING_DATE, build_store

    store = build_store(tmp_path / "store")
    script = (
        "import sys\n"
        "from avwap.cli.main import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    heavy = ('pandas', 'numba', 'pyarrow.dataset', 'pyarrow.compute', 'numpy.ma', 'scipy',\n"
        "             'typer', 'pydantic')\n"
        "    loaded = [name for name in heavy if name in sys.modules]\n"
        "    sys.stderr.write('LOADED ' + ','.join(loaded) + '\\n')\n"
    )
    arguments = ["scan", "--as-of", TRADING_DATE.isoformat(), "--data", str(store), "--home", str(home)]
    completed = subprocess.run(
        [sys.executable, "-c", script, *arguments], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert (home / "artifacts" / "candidates" / f"{TRADING_DATE.isoformat()}.json").is_file()
    assert "LOADED \n" in completed.stderr, completed.stderr[-2000:]
