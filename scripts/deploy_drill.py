"""Deployment drill: install avwap into the ops/README.md layout under ROOT, as the current (unprivileged)
user, and run every command of every unit in ops/ once, in DRY_RUN, exactly as systemd would (the unit's
ExecStartPre/ExecStart lines in order, its EnvironmentFile and Environment, its WorkingDirectory; a ``-``
prefix tolerates a failure, as in systemd).

Layout under ROOT: ``opt/avwap`` (a copy of the checkout: src, ops, docs, pyproject.toml) with the virtualenv
``opt/avwap/.venv`` (made by ``python -m venv``; no network here, so instead of ``pip install`` its
site-packages gets a ``.pth`` naming the running interpreter's dependencies and ``opt/avwap/src``, and
``bin/avwap`` is the console script), ``etc/avwap/avwap.env`` (0600), ``var/lib/avwap`` (the home, 0700). The
market-data API is the fake of tests/fakes on 127.0.0.1 serving deterministic daily bars of the committed
fallback universe, so nothing leaves the machine. Differences from a real start, each on purpose: paths are
rebased under ROOT, and the loop's ``--max-cycles 90`` runs one cycle (``--max-cycles 1``).

Usage: ``python scripts/deploy_drill.py [ROOT]`` (default: a new temporary folder), as the current user;
``python scripts/deploy_drill.py --as-user NAME [ROOT]`` (as root): the same drill run as the unprivileged
system user NAME (created when missing, given ROOT), with the system's python of this version. Prints each
command
with its exit code; exit 0 and ``DRILL OK`` when every command ended as expected, else 1 naming the first
unit that did not.
"""

from __future__ import annotations

import configparser
import datetime as dt
import os
import pwd
import shlex
import shutil
import site
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
UNIT_ORDER = (
    "avwap-sync",
    "avwap-scan",
    "avwap-portfolio-decide",
    "avwap-execute",
    "avwap-portfolio-snapshot",
    "avwap-schwab-snapshot",
)
# Services that run until stopped (a listener): the drill cannot run them to an exit, so it leaves them out.
LONG_RUNNING = ("avwap-slack-receiver", "avwap-dashboard")
# Exit codes a unit's command may end with in this drill, beyond 0, and why (anything else fails the drill).
EXPECTED = {
    # on a day that is not a session, or before a first evening snapshot exists, every candidate is BLOCKed
    # and the command says so with exit 1 (docs/RUNBOOK.md section 8); a new deployment has no snapshot yet
    "avwap portfolio decide": {1},
    # DRY_RUN has no broker to reconcile against: a configuration refusal (exit 3), by design
    "avwap portfolio reconcile": {3},
    # a new deployment has the Schwab API off (SCHWAB_API_SNAPSHOTS unset): a refusal naming the flag (exit 3)
    "avwap schwab snapshot": {3},
    # ... so there is no snapshot: the reconciliation reports RECON_NO_SNAPSHOT, a warning (exit 1)
    "avwap schwab reconcile": {1},
}


def _copy_checkout(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache")
    for name in ("src", "ops", "docs"):
        shutil.copytree(REPOSITORY / name, target / name, ignore=ignore)
    shutil.copy2(REPOSITORY / "pyproject.toml", target / "pyproject.toml")


def _make_venv(checkout: Path) -> Path:
    venv = checkout / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # the running interpreter's site-packages, and those on its path (an unprivileged drill user runs the
    # system's python with the checkout's virtualenv on PYTHONPATH: see --as-user)
    found = [*site.getsitepackages(), *(entry for entry in sys.path if Path(entry).name == "site-packages")]
    dependencies = [path for path in dict.fromkeys(found) if Path(path).is_dir()]
    (Path(purelib) / "avwap_drill.pth").write_text("\n".join([str(checkout / "src"), *dependencies]) + "\n")
    script = venv / "bin" / "avwap"
    script.write_text(f"#!{python}\nimport sys\nfrom avwap.cli.main import main\nsys.exit(main())\n")
    script.chmod(0o755)
    return venv


def install(root: Path, data_url: str) -> dict[str, str]:
    """Build the layout; return the path rebasing map (absolute unit path -> path under root)."""
    checkout, etc, home = root / "opt" / "avwap", root / "etc" / "avwap", root / "var" / "lib" / "avwap"
    checkout.mkdir(parents=True)
    _copy_checkout(checkout)
    _make_venv(checkout)
    for folder in (home, home / "state", home / "numba-cache"):
        folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    etc.mkdir(parents=True)
    from tests.fakes.alpaca_data_server import API_KEY, SECRET_KEY

    settings = {
        "AVWAP_HOME": str(home),
        "EXECUTION_MODE": "DRY_RUN",
        "DRY_RUN": "1",
        "ALPACA_API_KEY": API_KEY,
        "ALPACA_SECRET_KEY": SECRET_KEY,
        "ALPACA_DATA_URL": data_url,
    }
    env_file = etc / "avwap.env"
    descriptor = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("".join(f"{key}={value}\n" for key, value in settings.items()))
    return {"/opt/avwap": str(checkout), "/var/lib/avwap": str(home), "/etc/avwap": str(etc)}


def _rebase(text: str, paths: dict[str, str]) -> str:
    for original, rebased in paths.items():
        text = text.replace(original, rebased)
    return text


def _read_unit(path: Path) -> dict[str, list[str]]:
    parser = configparser.RawConfigParser(strict=False, interpolation=None, dict_type=_MultiDict)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return {key: value.split("\n") for key, value in parser["Service"].items()}


class _MultiDict(dict):  # type: ignore[type-arg]
    """configparser storage keeping every value of a repeated key (systemd's ExecStart=, Environment=)."""

    def __setitem__(self, key: str, value: object) -> None:
        if isinstance(value, list) and key in self:
            self[key].extend(value)
            return
        super().__setitem__(key, value)


def _environment(service: dict[str, list[str]], paths: dict[str, str]) -> dict[str, str]:
    environment = {key: os.environ[key] for key in ("PATH", "LANG", "TZ") if key in os.environ}
    for file in service.get("EnvironmentFile", []):
        for line in Path(_rebase(file.lstrip("-"), paths)).read_text().splitlines():
            key, _, value = line.partition("=")
            environment[key.strip()] = value.strip()
    for assignment in service.get("Environment", []):
        key, _, value = assignment.partition("=")
        environment[key] = _rebase(value, paths)
    return environment


def _commands(service: dict[str, list[str]], paths: dict[str, str]) -> list[tuple[bool, list[str]]]:
    commands = []
    for key in ("ExecStartPre", "ExecStart"):
        for line in service.get(key, []):
            tolerated = line.startswith("-")
            text = (
                _rebase(line.lstrip("-"), paths)
                .replace("%%", "%")
                .replace("--max-cycles 90", "--max-cycles 1")
            )
            commands.append((tolerated, shlex.split(text)))
    return commands


def run_units(ops: Path, paths: dict[str, str]) -> list[str]:
    """Run every unit's commands; return the failures (empty: the drill passed)."""
    failures = []
    for name in UNIT_ORDER:
        service = _read_unit(ops / f"{name}.service")
        environment = _environment(service, paths)
        directory = _rebase(service["WorkingDirectory"][0], paths)
        for tolerated, command in _commands(service, paths):
            started = time.monotonic()
            completed = subprocess.run(
                command, check=False, cwd=directory, env=environment, capture_output=True, text=True
            )
            seconds = time.monotonic() - started
            shown = " ".join(command).replace(paths["/opt/avwap"], "/opt/avwap")
            label = next((key for key in EXPECTED if key in shown), "")
            fine = (
                completed.returncode == 0 or tolerated or completed.returncode in EXPECTED.get(label, set())
            )
            verdict = "ok  " if fine else "FAIL"
            print(f"{name}: exit {completed.returncode} {verdict} {seconds:5.1f}s {shown}", flush=True)
            if not fine:
                print(completed.stdout[-2000:], completed.stderr[-3000:], sep="\n")
                failures.append(f"{name}: {shown} exited {completed.returncode}")
    return failures


def run_doctor(paths: dict[str, str]) -> list[str]:
    """``avwap doctor`` on the installed deployment, with the units' environment: it must find nothing."""
    service = _read_unit(REPOSITORY / "ops" / "avwap-execute.service")
    command = [
        f"{paths['/opt/avwap']}/.venv/bin/avwap",
        "doctor",
        "--env-file",
        f"{paths['/etc/avwap']}/avwap.env",
    ]
    environment = _environment(service, paths)
    completed = subprocess.run(command, check=False, env=environment, capture_output=True, text=True)
    print(f"avwap doctor: exit {completed.returncode}\n{completed.stdout}", flush=True)
    return [] if completed.returncode == 0 else [f"avwap doctor exited {completed.returncode}"]


def _as_user(user: str, root: Path) -> int:
    """Run the drill again as ``user``, an unprivileged system user (created when missing), owning ``root``:
    the system's python of this version (an interpreter under root's home is not readable by others) with
    the checkout and this interpreter's site-packages on PYTHONPATH."""
    if os.geteuid() != 0:
        print("--as-user needs root (to create the user and hand it the drill folder)", file=sys.stderr)
        return 2
    system_python = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if not system_python.is_file():
        print(f"--as-user: no {system_python} an unprivileged user could run", file=sys.stderr)
        return 2
    if subprocess.run(["id", user], capture_output=True, check=False).returncode != 0:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user], check=True
        )
    root.mkdir(parents=True, exist_ok=True)
    shutil.chown(root, user)
    packages = [entry for entry in sys.path if Path(entry).name == "site-packages"]
    environment = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(root),
        "PYTHONPATH": os.pathsep.join([str(REPOSITORY / "src"), *packages]),
    }
    command = ["runuser", "-u", user, "--", "env", *(f"{key}={value}" for key, value in environment.items())]
    return subprocess.run([*command, str(system_python), __file__, str(root)], check=False).returncode


def main(arguments: list[str]) -> int:
    if arguments[:1] == ["--as-user"]:
        root = Path(arguments[2]) if len(arguments) > 2 else Path(tempfile.mkdtemp(prefix="avwap-drill-"))
        return _as_user(arguments[1], root)
    sys.path.insert(0, str(REPOSITORY))
    from tests.fakes.alpaca_data_server import make_bars, running_fake_alpaca_data

    from avwap.core.calendar import ny_date, nyse
    from avwap.core.clock import SystemClock
    from avwap.data.universe import fallback_members

    root = Path(arguments[0]) if arguments else Path(tempfile.mkdtemp(prefix="avwap-drill-"))
    today = ny_date(SystemClock().now())
    last = nyse().previous_session(today + dt.timedelta(days=1))
    symbols = sorted({member.symbol for member in fallback_members()} | {"SPY"})
    with running_fake_alpaca_data() as fake:
        fake.add_frame(make_bars(symbols, last - dt.timedelta(days=760), last))
        paths = install(root, fake.url)
        user = pwd.getpwuid(os.geteuid()).pw_name
        print(f"installed into {root} as {user} (uid {os.geteuid()}{', root' if os.geteuid() == 0 else ''})")
        failures = run_units(REPOSITORY / "ops", paths)
        failures += run_doctor(paths)
    print("DRILL OK" if not failures else f"DRILL FAILED: {failures[0]}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
