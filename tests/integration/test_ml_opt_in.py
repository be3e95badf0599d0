"""With ML_ADVISORY off (the default) no run-time command imports avwap.ml or scikit-learn, and the scan's
outputs are byte-identical whether the variable is unset or 0 (fresh interpreters, as the console script)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.unit.ml.market import write_store

REPORT = (
    "import atexit, json, sys\n"
    "def report():\n"
    "    loaded = sorted(name for name in sys.modules if name == 'sklearn' or name.startswith('avwap.ml'))\n"
    "    sys.stderr.write('ML ' + json.dumps(loaded) + '\\n')\n"
    "atexit.register(report)\n"
)
AT_INSTANT = (
    "import datetime as dt\n"
    "from avwap.core import clock\n"
    "clock.SystemClock.now = lambda self: dt.datetime.fromisoformat('2025-06-02T12:00:00+00:00')\n"
)


def _run(script: str, *arguments: str, env: dict[str, str]) -> tuple[int, list[str], str]:
    completed = subprocess.run(
        [sys.executable, "-c", REPORT + AT_INSTANT + script, *arguments],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    lines = [line for line in completed.stderr.splitlines() if line.startswith("ML ")]
    assert lines, completed.stderr[-3000:]
    return completed.returncode, json.loads(lines[-1].removeprefix("ML ")), completed.stdout


def _environment(**extra: str) -> dict[str, str]:
    base = {key: value for key, value in os.environ.items() if key != "ML_ADVISORY"}
    return {**base, **extra}


MAIN = "from avwap.cli.main import main\nmain()\n"


@pytest.mark.parametrize("setting", [None, "0"])
def test_scan_and_execute_once_import_no_ml_when_advisory_is_off(tmp_path: Path, setting: str | None) -> None:
    home = tmp_path / "home"
    write_store(home / "data")
    env = _environment() if setting is None else _environment(ML_ADVISORY=setting)
    code, loaded, output = _run(MAIN, "scan", "--as-of", "2025-06-02", "--home", str(home), "--json", env=env)
    assert code == 0, output
    assert json.loads(output)["candidate_count"] > 0
    assert loaded == []
    code, loaded, output = _run(MAIN, "execute", "--once", "--json", "--home", str(home), env=env)
    assert code == 0, output
    assert loaded == []


def _artifacts(home: Path) -> dict[str, bytes]:
    root = home / "artifacts"
    return {
        str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()
    }


def test_scan_outputs_are_byte_identical_with_advisory_unset_or_off(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    write_store(first / "data")
    shutil.copytree(first / "data", second / "data")
    arguments = ("scan", "--as-of", "2025-06-02", "--json")
    unset = _run(MAIN, *arguments, "--home", str(first), env=_environment())
    off = _run(MAIN, *arguments, "--home", str(second), env=_environment(ML_ADVISORY="0"))
    assert unset[0] == off[0] == 0
    assert unset[2].replace(str(first), "") == off[2].replace(str(second), "")
    assert _artifacts(first) == _artifacts(second) != {}


def test_the_ml_command_itself_is_the_only_importer(tmp_path: Path) -> None:
    """Guard of the guard: the probe does see avwap.ml when a command really imports it."""
    code, loaded, output = _run(MAIN, "ml", "validate", "--home", str(tmp_path), env=_environment())
    assert code == 4, output  # no feature store yet: a data error, after importing avwap.ml.store
    assert "avwap.ml.store" in loaded
