"""``avwap doctor``: one pass over a deployment, each check saying what is wrong and what to do about it.

Checks (each returns a :class:`Check`; ``PROBLEM`` makes the command exit 1, ``SKIPPED`` always says why):

``config``        the configuration parses, the stop rules and strategies resolve, the ruleset in force loads
``preflight``     the offline preflight of ``avwap config-check`` has no problem
``permissions``   every file in the state folder and the environment file (secrets) is mode 0600 or stricter
``ledgers``       every ledger chain, link and head verifies (a torn tail is repairable: ``--repair``)
``data``          the newest daily bar is at least the previous session (the scan reads through D-1)
``numba_cache``   ``NUMBA_CACHE_DIR`` is set and writable (compiled kernels survive restarts)
``time_sync``     the host clock is within :data:`MAX_CLOCK_SKEW` of the broker's (Alpaca books with keys)
``disk``          the home's file system has at least :data:`MIN_FREE_BYTES` free

The probes that touch the outside (the broker clock, disk usage) are injected, so tests drive each failure.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from avwap.core.calendar import ny_date, nyse
from avwap.core.clock import Clock
from avwap.core.config import Config, load_config
from avwap.core.errors import AvwapError
from avwap.core.execution_mode import ExecutionMode

OK: Final = "OK"
PROBLEM: Final = "PROBLEM"
SKIPPED: Final = "SKIPPED"
MAX_CLOCK_SKEW: Final = dt.timedelta(seconds=2)  # stop timing and the session gates assume seconds, not more
MIN_FREE_BYTES: Final = 2 * 1024**3  # a year of ledgers and a bar store refresh fit comfortably
BROKER_MODES: Final = frozenset({ExecutionMode.ALPACA_PAPER, ExecutionMode.LIVE})
DEFAULT_ENV_FILE: Final = Path("/etc/avwap/avwap.env")  # ops/README.md layout


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Probes:
    """The outside world: the broker's clock (None when no broker is configured) and disk usage."""

    broker_time: Callable[[Config], dt.datetime] | None = None
    disk_free: Callable[[Path], int] = field(default=lambda path: shutil.disk_usage(path).free)


def _config_check(environ: Mapping[str, str], day: dt.date) -> tuple[Check, Config | None]:
    from avwap.control.ruleset_registry import config_in_force
    from avwap.exits.rules import stop_rules
    from avwap.strategies.registry import enabled_strategies

    try:
        config = config_in_force(load_config(environ), environ, day)
        stop_rules(config)
        enabled_strategies(config)
    except AvwapError as error:
        fix = (
            "correct the named variable in /etc/avwap/avwap.env (or AVWAP_CONFIG); see docs/RUNBOOK.md Flags"
        )
        return Check("config", PROBLEM, f"{type(error).__name__}: {error}", fix), None
    version = f", ruleset {config.ruleset_version}" if config.ruleset_version else ", no ruleset activated"
    return Check("config", OK, f"mode {config.effective_mode}{version}, home {config.home}"), config


def _preflight_check(config: Config, day: dt.date) -> Check:
    from avwap.control.preflight import build_preflight
    from avwap.control.state_files import read_state_files

    report = build_preflight(config, read_state_files(config.state_dir), day)
    if report.ok:
        return Check("preflight", OK, "no preflight problem")
    codes = ", ".join(f"{item.code}: {item.message}" for item in report.problems)
    return Check(
        "preflight", PROBLEM, codes, "run `avwap config-check` and follow docs/RUNBOOK.md for each code"
    )


def _loose_files(paths: list[Path]) -> list[str]:
    loose = []
    for path in paths:
        mode = path.stat().st_mode
        if stat.S_ISREG(mode) and mode & 0o077:
            loose.append(f"{path} ({stat.filemode(mode)})")
    return loose


def _permissions_check(config: Config, env_file: Path | None) -> Check:
    folder = config.state_dir
    files = sorted(path for path in folder.iterdir()) if folder.is_dir() else []
    if env_file is not None and env_file.is_file():
        files.append(env_file)
    loose = _loose_files(files)
    if not loose:
        return Check(
            "permissions", OK, f"{len(files)} state/secret file(s), none readable by group or others"
        )
    targets = " ".join(item.split(" (")[0] for item in loose)
    return Check(
        "permissions", PROBLEM, "readable by group or others: " + ", ".join(loose), f"chmod 600 {targets}"
    )


def _ledger_check(config: Config) -> Check:
    from avwap.ledger.verify import verify_path

    if not config.ledger_dir.is_dir():
        return Check("ledgers", OK, f"no ledger yet under {config.ledger_dir}")
    reports = verify_path(config.ledger_dir)
    broken = [report for report in reports if report.integrity_failure]
    torn = [report for report in reports if not report.ok and not report.integrity_failure]
    if broken:
        first = broken[0]
        detail = (
            f"{len(broken)} file(s) fail verification; first {first.location}: {first.status} {first.reason}"
        )
        fix = "execution fails closed: restore the file from backup (docs/RUNBOOK.md Ledger integrity)"
        return Check("ledgers", PROBLEM, detail, fix)
    if torn:
        detail = f"torn tail in {torn[0].location} (a crash mid-write)"
        return Check("ledgers", PROBLEM, detail, f"avwap ledger verify --repair {config.ledger_dir}")
    return Check("ledgers", OK, f"{len(reports)} ledger file(s) verify")


def _data_check(config: Config, today: dt.date) -> Check:
    from avwap.data.store import BarStore

    coverage = BarStore(config.data_dir).coverage("1d") if config.data_dir.is_dir() else []
    if not coverage:
        return Check("data", PROBLEM, f"no daily bars under {config.data_dir}", "avwap sync --frequency 1d")
    newest = max(item.last for item in coverage).date()
    calendar = nyse()
    needed = calendar.previous_session(today)
    if newest >= needed:
        return Check("data", OK, f"newest daily bar {newest} (the scan needs {needed})")
    detail = f"newest daily bar {newest}, older than the previous session {needed}"
    return Check("data", PROBLEM, detail, "avwap sync --frequency 1d (see the avwap-sync timer's journal)")


def _numba_check(environ: Mapping[str, str]) -> Check:
    folder = environ.get("NUMBA_CACHE_DIR", "")
    fix = "set NUMBA_CACHE_DIR=/var/lib/avwap/numba-cache (as the ops/ units do), owned by the avwap user"
    if not folder:
        return Check("numba_cache", PROBLEM, "NUMBA_CACHE_DIR is not set: every start recompiles", fix)
    path = Path(folder)
    if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
        return Check("numba_cache", PROBLEM, f"{path} is missing or not writable", f"mkdir -p {path}; {fix}")
    cached = sum(1 for _ in path.rglob("*.nbi"))
    note = f"{cached} cached kernel index file(s)" if cached else "empty (filled by the first scan)"
    return Check("numba_cache", OK, f"{path}: {note}")


def _time_check(config: Config, clock: Clock, probes: Probes) -> Check:
    if not (config.alpaca_api_key and config.alpaca_secret_key):
        return Check(
            "time_sync", SKIPPED, "skipped: ALPACA_API_KEY/ALPACA_SECRET_KEY not set (no broker clock)"
        )
    if config.effective_mode not in BROKER_MODES:
        return Check("time_sync", SKIPPED, f"skipped: {config.effective_mode} trades through no broker clock")
    if probes.broker_time is None:
        return Check("time_sync", SKIPPED, "skipped: no broker clock probe for this mode")
    try:
        broker = probes.broker_time(config)
    except AvwapError as error:
        return Check("time_sync", PROBLEM, f"broker clock unreachable: {error}", "check keys and network")
    skew = clock.now() - broker
    if abs(skew) <= MAX_CLOCK_SKEW:
        return Check("time_sync", OK, f"host clock within {abs(skew.total_seconds()):.3f}s of the broker's")
    detail = f"host clock is {skew.total_seconds():+.3f}s off the broker's (limit {MAX_CLOCK_SKEW.seconds}s)"
    return Check("time_sync", PROBLEM, detail, "enable NTP: timedatectl set-ntp true; chronyc tracking")


def _disk_check(config: Config, probes: Probes) -> Check:
    target = config.home if config.home.exists() else Path(config.home).resolve().parent
    free = probes.disk_free(target)
    gib = free / 1024**3
    if free >= MIN_FREE_BYTES:
        return Check("disk", OK, f"{gib:.1f} GiB free at {target}")
    fix = "free space (old reports, `avwap audit export` then archive old artifacts) or grow the volume"
    return Check("disk", PROBLEM, f"only {gib:.2f} GiB free at {target}", fix)


def run_doctor(
    environ: Mapping[str, str], clock: Clock, probes: Probes, env_file: Path | None = DEFAULT_ENV_FILE
) -> list[Check]:
    """Every check, in order; checks that need a valid configuration are skipped (saying so) without one."""
    today = ny_date(clock.now())
    first, config = _config_check(environ, today)
    checks = [first, _numba_check(environ)]
    if config is None:
        skipped = ("preflight", "permissions", "ledgers", "data", "time_sync", "disk")
        return checks + [Check(name, SKIPPED, "skipped: the configuration does not load") for name in skipped]
    checks += [
        _preflight_check(config, today),
        _permissions_check(config, env_file),
        _ledger_check(config),
        _data_check(config, today),
        _time_check(config, clock, probes),
        _disk_check(config, probes),
    ]
    return checks


def alpaca_broker_time(config: Config) -> dt.datetime:
    """The broker's clock (Alpaca ``GET /v2/clock``), for the time-sync check."""
    from avwap.execution.alpaca_broker import AlpacaBroker, AlpacaSettings

    paper = config.effective_mode is not ExecutionMode.LIVE
    return AlpacaBroker(AlpacaSettings.from_config(config, paper=paper)).clock().timestamp
