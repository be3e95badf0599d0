"""Versioned rulesets: every trading rule of a deployment in one TOML file with a canonical content hash.

A ruleset file ``<home>/rulesets/<version>.toml`` holds::

    version = "2026-12-a"            # must equal the file name's stem
    description = "tighter caps"      # free text, not hashed
    [config]                          # trading-rule settings by their variable names (RULE_VARIABLES)
    MAX_POSITIONS = 4
    [scan]                            # ScanRules fields, as in a scan rules file
    top_n = 15
    [scan.anchors]                    # AnchorRules fields

Keys not given keep what the environment, ``AVWAP_CONFIG`` or the defaults say. The hash is the sha256 of
the canonical JSON of the *parsed* ``config`` and ``scan`` values actually given: key order, comments and
whitespace do not change it, a changed value does. When a ruleset is in force its keys win; a rule variable
that is also set explicitly (environment or ``AVWAP_CONFIG``) to another value is a
:class:`ConfigurationError` naming it, so there is one source of truth for each rule.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from avwap.core.canonical import content_hash, to_plain
from avwap.core.config import Config
from avwap.core.config_settings import SETTINGS
from avwap.core.errors import ConfigurationError
from avwap.signals.scan_rules import ScanRules
from avwap.signals.scan_rules_file import ANCHORS_TABLE, scan_rules_from_mapping

# The settings that are trading rules (caps, sizing, stop rules, strategy selection, benchmark policy and the
# portfolio guardrails, which hold the drawdown-throttle regime policy). Operating switches (modes, the kill
# switch, keys, paths, enforcement flags) are not rules: they stay in the environment.
RULE_VARIABLES: Final = (
    "MAX_ORDERS_PER_DAY",
    "MAX_POSITIONS",
    "MAX_GROSS_EXPOSURE",
    "MAX_GROSS_EXPOSURE_PCT",
    "MAX_NOTIONAL_PER_SYMBOL",
    "MAX_RISK_PER_TRADE",
    "MAX_RISK_PER_TRADE_PCT",
    "MAX_RISK_PER_SHARE",
    "STOP_BUFFER",
    "STOP_DAILY_LEFT_BARS",
    "STOP_DAILY_RIGHT_BARS",
    "STOP_INTRADAY_LEFT_BARS",
    "STOP_INTRADAY_RIGHT_BARS",
    "STOP_DAILY_LOOKBACK",
    "STOP_BUFFER_ATR_FRACTION",
    "STOP_ATR_PERIOD",
    "STOP_MIN_DISTANCE_FRACTION",
    "STOP_SUBMIT_AFTER_OPEN_MINUTES",
    "STOP_MIN_DELAY_AFTER_ENTRY_MINUTES",
    "STOP_MIN_BARS_AFTER_ENTRY",
    "STOP_OPEN_NOISE_MINUTES",
    "STOP_EARLY_TREND_MINUTES",
    "STOP_CLOSE_PROTECT_MINUTES",
    "ENABLED_STRATEGIES",
    "SIZING_BASE_RISK_PCT",
    "SIZING_MAX_ALLOCATION_PCT",
    "SIZING_MIN_SCALE",
    "SIZING_DISTANCE_SCALE_PCT",
    "BENCHMARK_SYMBOLS",
    "CANDIDATES_INCLUDE_BENCHMARKS",
    "PORTFOLIO_MAX_POSITIONS",
    "PORTFOLIO_MAX_NEW_ENTRIES",
    "PORTFOLIO_MAX_SYMBOL_PCT",
    "PORTFOLIO_MAX_SECTOR_PCT",
    "PORTFOLIO_MAX_GROSS_PCT",
    "PORTFOLIO_MAX_CORRELATION",
    "PORTFOLIO_MAX_BOOK_CORRELATION",
    "PORTFOLIO_CORRELATION_SESSIONS",
    "PORTFOLIO_DRAWDOWN_THROTTLE_PCT",
    "PORTFOLIO_SNAPSHOT_MAX_AGE_SESSIONS",
)
_SPECS: Final = {spec.variable: spec for spec in SETTINGS if spec.variable in RULE_VARIABLES}
_TOP_KEYS: Final = frozenset({"version", "description", "config", "scan"})


@dataclass(frozen=True)
class Ruleset:
    """One parsed ruleset: the values it gives (parsed) and its canonical content hash."""

    version: str
    description: str
    config_values: Mapping[str, Any]  # variable name -> parsed value
    scan_values: Mapping[str, Any]  # ScanRules field -> value; ``anchors`` -> {AnchorRules field: value}
    scan_rules: ScanRules
    sha256: str

    def flat(self) -> dict[str, Any]:
        """Every rule as ``config.NAME`` / ``scan.name`` / ``scan.anchors.name`` -> plain value (for diff)."""
        flat = {f"config.{name}": to_plain(value) for name, value in self.config_values.items()}
        for name, value in self.scan_values.items():
            if name == ANCHORS_TABLE:
                flat.update({f"scan.anchors.{key}": to_plain(item) for key, item in value.items()})
            else:
                flat[f"scan.{name}"] = to_plain(value)
        return flat


def _config_values(version: str, table: Any) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise ConfigurationError(f"ruleset {version}: config", "must be a table of settings")
    values: dict[str, Any] = {}
    for name, raw in sorted(table.items()):
        spec = _SPECS.get(name)
        if spec is None:
            raise ConfigurationError(
                name, f"ruleset {version}: not a trading-rule setting (see RULE_VARIABLES)"
            )
        values[name] = spec.parse(name, raw)
    return values


def _scan_values(table: Any) -> tuple[ScanRules, dict[str, Any]]:
    if not isinstance(table, Mapping):
        raise ConfigurationError("ScanRules", "the ruleset's scan entry must be a table")
    rules = scan_rules_from_mapping(table)
    parsed = vars(rules)  # the typed values (an int given for a float rule is a float here)
    values: dict[str, Any] = {key: parsed[key] for key in table if key != ANCHORS_TABLE}
    anchors = table.get(ANCHORS_TABLE, {})
    if anchors:
        values[ANCHORS_TABLE] = {key: vars(rules.anchors)[key] for key in anchors}
    return rules, values


def parse_ruleset(text: str, expected_version: str | None = None) -> Ruleset:
    """The ruleset in TOML ``text``; :class:`ConfigurationError` naming the first bad key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError("ruleset", f"not valid TOML: {error}") from None
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigurationError(unknown[0], "unknown ruleset key (version, description, config, scan)")
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise ConfigurationError("version", "a ruleset names its version (text)")
    if expected_version is not None and version != expected_version:
        raise ConfigurationError("version", f"the file says {version!r} but is named {expected_version!r}")
    config_values = _config_values(version, data.get("config", {}))
    scan_rules, scan_values = _scan_values(data.get("scan", {}))
    digest = content_hash({"config": config_values, "scan": scan_values})
    description = str(data.get("description", ""))
    return Ruleset(version, description, config_values, scan_values, scan_rules, digest)


def load_ruleset(path: Path) -> Ruleset:
    """The ruleset file ``path`` (its stem must be its version)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(str(path), f"cannot read the ruleset: {error}") from None
    return parse_ruleset(text, expected_version=Path(path).stem)


def apply_ruleset(config: Config, ruleset: Ruleset, explicit: frozenset[str] = frozenset()) -> Config:
    """``config`` with the ruleset's values; a rule also set explicitly to another value is refused."""
    changes: dict[str, Any] = {}
    for name, value in ruleset.config_values.items():
        attribute = _SPECS[name].attribute
        current = vars(config)[attribute]
        if name in explicit and current != value:
            raise ConfigurationError(
                name,
                f"set to {to_plain(current)!r} in the environment or AVWAP_CONFIG, but ruleset "
                f"{ruleset.version} in force says {to_plain(value)!r}: remove it there or activate a new "
                "ruleset",
            )
        changes[attribute] = value
    return dataclasses.replace(config, **changes, ruleset_version=ruleset.version)


def render_ruleset(version: str, config: Config, scan_rules: ScanRules, description: str = "") -> str:
    """A complete ruleset file holding every rule value of ``config`` and ``scan_rules`` (``rules init``)."""
    lines = [f"version = {_toml(version)}", f"description = {_toml(description)}", "", "[config]"]
    settings = vars(config)
    lines += [f"{name} = {_toml(settings[_SPECS[name].attribute])}" for name in RULE_VARIABLES]
    scan = dataclasses.asdict(scan_rules)
    anchors = scan.pop(ANCHORS_TABLE)
    lines += ["", "[scan]"] + [f"{name} = {_toml(value)}" for name, value in scan.items()]
    lines += ["", "[scan.anchors]"] + [f"{name} = {_toml(value)}" for name, value in anchors.items()]
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    """One TOML value; None (an optional setting left unset) is written as empty text, which parses back."""
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return _toml(",".join(str(item) for item in value))
    text = str(to_plain(value)).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
