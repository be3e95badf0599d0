"""A sweep's parameter grid: a TOML file of value lists, expanded into parameter sets.

Grid file (``avwap backtest sweep --grid FILE``)::

    STOP_BUFFER = [0.05, 0.10]        # Config settings, by the config file's names
    MAX_POSITIONS = [5, 10]
    [scan]                            # scan rules (ScanRules fields)
    max_distance = [0.04, 0.06]
    [scan.anchors]                    # anchor rules (AnchorRules fields)
    gap_threshold = [0.03, 0.05]

Every value is checked up front by the parser the normal config (or scan rules file) uses, and every
combination is built once as a Config and ScanRules, so a bad value fails before any run starts, as a
:class:`ConfigurationError` naming the key. Parameter sets come in a fixed order (keys sorted: Config
settings, then ``scan.*``; values in the file's order; the last key varies fastest) with ids ``p000``,
``p001``, ...: the same file always gives the same ids.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from avwap.core.config import load_config
from avwap.core.config_settings import SETTINGS
from avwap.core.errors import ConfigurationError
from avwap.signals.scan_rules import ScanRules
from avwap.signals.scan_rules_file import ANCHORS_TABLE, scan_rules_from_mapping

SCAN_TABLE: Final = "scan"
SCAN_PREFIX: Final = "scan."
# Settings a sweep must not vary: where the run lives, its mode and the safety switches, and secrets.
NOT_SWEEPABLE: Final = frozenset(
    {"AVWAP_HOME", "AVWAP_STATE_DIR", "EXECUTION_MODE", "DRY_RUN", "KILL_SWITCH", "LIVE_TRADING", "PHASE_C"}
    | {spec.variable for spec in SETTINGS if spec.secret}
)
SETTINGS_BY_VARIABLE: Final = {spec.variable: spec for spec in SETTINGS}
MAX_SETS: Final = 10_000  # each set is a full backtest; a grid this large is a typo, not a plan
Scalar = int | float | str | bool


@dataclass(frozen=True)
class ParameterSet:
    """One combination: ``values`` maps each grid key (``STOP_BUFFER``, ``scan.max_distance``,
    ``scan.anchors.gap_threshold``) to its value as written in the grid file."""

    id: str
    index: int
    values: tuple[tuple[str, Scalar], ...]

    def settings(self) -> dict[str, Any]:
        """The Config attributes this set overrides, parsed by the normal config parsers."""
        parsed: dict[str, Any] = {}
        for key, value in self.values:
            if not key.startswith(SCAN_PREFIX):
                spec = SETTINGS_BY_VARIABLE[key]
                parsed[spec.attribute] = spec.parse(key, value)
        return parsed

    def rules(self) -> ScanRules:
        """The scan rules of this set (defaults where the grid says nothing)."""
        table: dict[str, Any] = {}
        for key, value in self.values:
            if key.startswith(SCAN_PREFIX):
                *owners, name = key.removeprefix(SCAN_PREFIX).split(".")
                target = table
                for owner in owners:
                    target = target.setdefault(owner, {})
                target[name] = value
        return scan_rules_from_mapping(table)

    def label(self) -> str:
        return ", ".join(f"{key}={value}" for key, value in self.values)


@dataclass(frozen=True)
class ParameterGrid:
    keys: tuple[str, ...]
    sets: tuple[ParameterSet, ...]

    def varying(self) -> tuple[str, ...]:
        """The keys with more than one value (the ones a heatmap can show)."""
        return tuple(key for key in self.keys if len({dict(item.values)[key] for item in self.sets}) > 1)


def _values(key: str, raw: object) -> list[Scalar]:
    if not isinstance(raw, list) or not raw:
        raise ConfigurationError(key, f"expected a non-empty list of values, got {raw!r}")
    for value in raw:
        if not isinstance(value, int | float | str | bool):
            raise ConfigurationError(key, f"expected numbers, text or booleans, got {value!r}")
    if len({repr(value) for value in raw}) != len(raw):
        raise ConfigurationError(key, f"the same value is listed twice: {raw!r}")
    return list(raw)


def _config_keys(data: Mapping[str, Any]) -> dict[str, list[Scalar]]:
    keys: dict[str, list[Scalar]] = {}
    for key, raw in data.items():
        if key == SCAN_TABLE:
            continue
        if key not in SETTINGS_BY_VARIABLE:
            raise ConfigurationError(key, "unknown setting in the grid (use the config file's names)")
        if key in NOT_SWEEPABLE:
            raise ConfigurationError(key, "this setting cannot be swept")
        values = _values(key, raw)
        for value in values:
            SETTINGS_BY_VARIABLE[key].parse(key, value)
        keys[key] = values
    return keys


def _scan_keys(table: object, prefix: str = SCAN_PREFIX) -> dict[str, list[Scalar]]:
    if not isinstance(table, Mapping):
        raise ConfigurationError(prefix.rstrip("."), "must be a table")
    keys: dict[str, list[Scalar]] = {}
    for name, raw in table.items():
        if name == ANCHORS_TABLE and prefix == SCAN_PREFIX:
            keys.update(_scan_keys(raw, f"{prefix}{ANCHORS_TABLE}."))
        else:
            keys[f"{prefix}{name}"] = _values(f"{prefix}{name}", raw)
    return keys


def _check(item: ParameterSet) -> None:
    """Build the set's Config and ScanRules once: range checks and unknown or mistyped rules fail here."""
    try:
        item.rules()
    except ConfigurationError as error:
        # ScanRules names its fields ``ScanRules.x``; the grid calls them ``scan.x``.
        variable = error.variable.replace("ScanRules.", SCAN_PREFIX)
        message = str(error).split(": ", 1)[-1]
        raise ConfigurationError(variable, f"{message} (parameter set {item.id})") from None
    load_config({}, None, **item.settings())


def grid_from_mapping(data: Mapping[str, Any]) -> ParameterGrid:
    """The grid of a parsed TOML mapping (see the module docstring)."""
    values = _config_keys(data)
    values.update(_scan_keys(data.get(SCAN_TABLE, {})))
    if not values:
        raise ConfigurationError("--grid", "the grid lists no parameter")
    size = math.prod(len(options) for options in values.values())
    if size > MAX_SETS:
        raise ConfigurationError("--grid", f"{size} parameter sets (at most {MAX_SETS})")
    keys = tuple(sorted(key for key in values if not key.startswith(SCAN_PREFIX)))
    keys += tuple(sorted(key for key in values if key.startswith(SCAN_PREFIX)))
    combinations = itertools.product(*(values[key] for key in keys))
    sets = tuple(
        ParameterSet(id=f"p{index:03d}", index=index, values=tuple(zip(keys, combination, strict=True)))
        for index, combination in enumerate(combinations)
    )
    for item in sets:
        _check(item)
    return ParameterGrid(keys=keys, sets=sets)


def load_grid(path: Path) -> ParameterGrid:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError("--grid", f"cannot read {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError("--grid", f"{path} is not valid TOML: {error}") from None
    return grid_from_mapping(data)
