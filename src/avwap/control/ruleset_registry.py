"""The ruleset registry of a home: files in ``<home>/rulesets/``, activations in the ``RULESETS`` ledger.

An activation is a :class:`~avwap.ledger.records.RulesetActivated` record: version, content hash and the
first session it governs, always a session *after* the day it is recorded (New York date of the injected
clock), so rules never change mid-session. The ruleset in force on day ``D`` is the activation with the
latest ``effective_from_ny`` on or before ``D`` (ties: the one recorded last). Loading it checks the file
still has the recorded hash: an edited file fails closed (:class:`ConfigurationError`). Rollback records a
new activation of the version the current one replaced (running it twice re-applies the rolled-back one).

Public API::

    rulesets_dir(config) -> Path
    list_versions(config) -> list[str]
    read_ruleset(config, version) -> Ruleset
    activations(config) -> list[RulesetActivated]             ledger order
    activation_in_force(records, day) -> RulesetActivated | None   (avwap.ledger.rulesets_stream)
    ruleset_in_force(config, day) -> Ruleset | None           hash-checked
    activate(config, version, clock, effective_from=None, *, action="ACTIVATE") -> RulesetActivated
    rollback(config, clock) -> RulesetActivated
    config_in_force(config, environ, day) -> Config            the ruleset's values applied (CLI start-up)
    check_bundle_rulesets(bundle) -> list[str]                  an audit bundle's ruleset files vs its ledger
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from avwap.control.rulesets import Ruleset, apply_ruleset, load_ruleset
from avwap.core.calendar import TradingCalendar, ny_date, nyse
from avwap.core.clock import Clock
from avwap.core.config import Config, explicit_variables
from avwap.core.errors import ConfigurationError
from avwap.core.execution_mode import ExecutionMode
from avwap.ledger.paths import ALPACA_LIVE, RULESETS
from avwap.ledger.records import RulesetActivated
from avwap.ledger.router import Ledger
from avwap.ledger.rulesets_stream import RULESETS_FOLDER, activation_in_force, read_activations


def rulesets_dir(config: Config) -> Path:
    return config.home / RULESETS_FOLDER


def list_versions(config: Config) -> list[str]:
    folder = rulesets_dir(config)
    return sorted(path.stem for path in folder.glob("*.toml")) if folder.is_dir() else []


def read_ruleset(config: Config, version: str) -> Ruleset:
    path = rulesets_dir(config) / f"{version}.toml"
    if not path.is_file():
        known = ", ".join(list_versions(config)) or "none"
        raise ConfigurationError(
            "ruleset", f"no ruleset {version!r} in {rulesets_dir(config)} (known: {known})"
        )
    return load_ruleset(path)


def activations(config: Config) -> list[RulesetActivated]:
    """Every activation, in ledger order (the chain and file links are checked while reading)."""
    return read_activations(config.ledger_dir)


def _checked(config: Config, record: RulesetActivated) -> Ruleset:
    ruleset = read_ruleset(config, record.version)
    if ruleset.sha256 != record.ruleset_sha256:
        raise ConfigurationError(
            "ruleset",
            f"{record.version}.toml changed since it was activated on {record.date_ny} (hash "
            f"{ruleset.sha256[:12]} != {record.ruleset_sha256[:12]}): restore it, or save the change as a "
            "new version and activate that",
        )
    return ruleset


def ruleset_in_force(config: Config, day: dt.date) -> Ruleset | None:
    record = activation_in_force(activations(config), day)
    return None if record is None else _checked(config, record)


def _book_id(config: Config) -> str:
    """The deployment's book (as execution.book.BOOK_FOR_MODE names it; that layer is above this one)."""
    mode = config.effective_mode
    return ALPACA_LIVE if mode == ExecutionMode.LIVE else mode.value


def activate(
    config: Config,
    version: str,
    clock: Clock,
    effective_from: dt.date | None = None,
    *,
    action: str = "ACTIVATE",
    calendar: TradingCalendar | None = None,
) -> RulesetActivated:
    """Record that ``version`` governs from ``effective_from`` (default: the next session after today)."""
    sessions = calendar or nyse()
    now = clock.now()
    today = ny_date(now)
    start = effective_from or sessions.next_session(today)
    if start <= today:
        raise ConfigurationError(
            "--from", f"{start} is not after today ({today}, New York): rules change from the next session"
        )
    if not sessions.is_session(start):
        raise ConfigurationError(
            "--from", f"{start} is not an NYSE session (next: {sessions.next_session(start)})"
        )
    ruleset = read_ruleset(config, version)
    history = activations(config)
    current = activation_in_force(history, start)  # what would govern `start` without this record
    record = RulesetActivated(
        book_id=_book_id(config),
        date_ny=today,
        ts=now,
        version=version,
        ruleset_sha256=ruleset.sha256,
        effective_from_ny=start,
        previous_version=None if current is None else current.version,
        action=action,
    )
    Ledger(config.ledger_dir).store(RULESETS, today).append(record)
    return record


def rollback(config: Config, clock: Clock, calendar: TradingCalendar | None = None) -> RulesetActivated:
    """Activate, from the next session, the version the latest activation replaced."""
    sessions = calendar or nyse()
    history = activations(config)
    upcoming = activation_in_force(history, sessions.next_session(ny_date(clock.now())))
    if upcoming is None or upcoming.previous_version is None:
        raise ConfigurationError("ruleset", "nothing to roll back to: no earlier ruleset was in force")
    return activate(config, upcoming.previous_version, clock, action="ROLLBACK", calendar=sessions)


def config_in_force(config: Config, environ: Mapping[str, str], day: dt.date) -> Config:
    """``config`` with the ruleset in force on ``day`` applied (unchanged when none was ever activated)."""
    ruleset = ruleset_in_force(config, day)
    return config if ruleset is None else apply_ruleset(config, ruleset, explicit_variables(environ))


def check_bundle_rulesets(bundle: Path) -> list[str]:
    """Problems of an audit bundle's rulesets (none: every version its RULESETS stream activated is in
    ``bundle/rulesets/`` with the content hash the activation recorded)."""
    problems = []
    for record in read_activations(bundle / "ledger"):
        path = bundle / RULESETS_FOLDER / f"{record.version}.toml"
        if not path.is_file():
            problems.append(
                f"{path}: missing (activated on {record.date_ny} from {record.effective_from_ny})"
            )
            continue
        try:
            found = load_ruleset(path).sha256
        except ConfigurationError as error:
            problems.append(f"{path}: unreadable ({error})")
            continue
        if found != record.ruleset_sha256:
            problems.append(f"{path}: content hash {found}, the activation recorded {record.ruleset_sha256}")
    return list(dict.fromkeys(problems))
