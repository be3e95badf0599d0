"""Deployment validation: ``systemd-analyze verify`` accepts every unit in ops/, and the deployment drill
(scripts/deploy_drill.py) reads each unit's commands and environment the way systemd does."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted(path for path in (ROOT / "ops").iterdir() if path.suffix in (".service", ".timer"))
SYSTEM_UNITS = Path("/usr/lib/systemd/system")


def drill() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_drill", ROOT / "scripts" / "deploy_drill.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verify_root(tmp_path: Path, units: list[Path]) -> subprocess.CompletedProcess[str]:
    """``systemd-analyze verify --root`` over ``units`` installed into a scratch root that has the system's
    own unit library and the executables the units name (so only the units themselves are judged)."""
    if shutil.which("systemd-analyze") is None or not SYSTEM_UNITS.is_dir():
        pytest.skip(
            "systemd-analyze or the systemd unit library is absent on this machine: units not verified"
        )
    root = tmp_path / "root"
    target = root / "etc" / "systemd" / "system"
    target.mkdir(parents=True)
    shutil.copytree(SYSTEM_UNITS, root / "usr" / "lib" / "systemd" / "system", symlinks=True)
    for executable in (root / "opt" / "avwap" / ".venv" / "bin" / "avwap", root / "bin" / "sh"):
        executable.parent.mkdir(parents=True, exist_ok=True)
        executable.write_text("#!/bin/sh\nexit 0\n")
        executable.chmod(0o755)
    for unit in units:
        shutil.copy2(unit, target / unit.name)
    command = [
        "systemd-analyze",
        "verify",
        "--man=no",
        f"--root={root}",
        *(str(target / u.name) for u in units),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_systemd_analyze_verify_passes_on_every_unit(tmp_path: Path) -> None:
    assert len(UNITS) >= 10
    result = verify_root(tmp_path, UNITS)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_verification_fails_on_a_broken_unit(tmp_path: Path) -> None:
    broken = tmp_path / "avwap-broken.service"
    text = (ROOT / "ops" / "avwap-sync.service").read_text().replace("Type=oneshot", "Type=oneshoot")
    broken.write_text(text)
    result = verify_root(tmp_path, [broken])
    assert result.returncode != 0 and "oneshoot" in result.stderr


def test_the_drill_reads_commands_and_environment_as_systemd_does() -> None:
    module = drill()
    paths = {"/opt/avwap": "/R/opt/avwap", "/var/lib/avwap": "/R/var/lib/avwap", "/etc/avwap": "/R/etc/avwap"}
    execute = module._read_unit(ROOT / "ops" / "avwap-execute.service")
    commands = module._commands(execute, paths)
    assert commands == [
        (False, ["/R/opt/avwap/.venv/bin/avwap", "config-check"]),
        (True, ["/R/opt/avwap/.venv/bin/avwap", "watchlist", "check"]),
        (
            False,
            [
                "/R/opt/avwap/.venv/bin/avwap",
                "execute",
                "--loop",
                "--poll-seconds",
                "300",
                "--max-cycles",
                "1",
            ],
        ),
    ]
    sync = module._commands(module._read_unit(ROOT / "ops" / "avwap-sync.service"), paths)
    assert [command[-1] for _, command in sync] == ["1d", "SPY"]  # both ExecStart= lines, in order
    decide = module._commands(module._read_unit(ROOT / "ops" / "avwap-portfolio-decide.service"), paths)
    assert decide[0][1][:2] == ["/bin/sh", "-c"] and "+%F" in decide[0][1][2]  # %% unescaped as systemd does
    services = {unit.stem for unit in UNITS if unit.suffix == ".service"}
    assert set(module.UNIT_ORDER) | set(module.LONG_RUNNING) == services
    assert not set(module.UNIT_ORDER) & set(module.LONG_RUNNING)


@pytest.mark.skipif(
    os.environ.get("AVWAP_DEPLOY_DRILL") != "1",
    reason="the full drill takes 20 s of CPU, 2-3 minutes wall on a loaded 2-core host: AVWAP_DEPLOY_DRILL=1",
)
def test_the_full_drill_runs_every_unit_once(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "deploy_drill.py"), str(tmp_path / "drill")],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and "DRILL OK" in result.stdout, (
        result.stdout[-4000:] + result.stderr[-4000:]
    )


@pytest.mark.skipif(
    os.environ.get("AVWAP_DEPLOY_DRILL") != "1" or os.geteuid() != 0,
    reason="opt-in (AVWAP_DEPLOY_DRILL=1), and as root: it creates the system user avwap-drill",
)
def test_the_full_drill_runs_as_an_unprivileged_system_user() -> None:
    parent = Path(tempfile.mkdtemp(prefix="avwap-drill-"))  # not pytest's tmp_path: root's, 0700
    parent.chmod(0o755)
    root = parent / "drill"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "deploy_drill.py"), "--as-user", "avwap-drill", str(root)],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    output = result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0 and "DRILL OK" in result.stdout, output
    assert "as avwap-drill (uid " in result.stdout and ", root)" not in result.stdout, output
    assert (root / "var" / "lib" / "avwap").stat().st_uid != 0  # the home belongs to the drill user
    shutil.rmtree(parent)
