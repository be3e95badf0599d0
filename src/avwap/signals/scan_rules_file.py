"""Scan rules from a TOML file, and the hash that names a rule set in artifacts.

The file holds any subset of :class:`ScanRules` fields at the top level and of
:class:`~avwap.signals.anchors.AnchorRules` fields in an ``[anchors]`` table; everything else keeps its
default. An unknown key or a value of the wrong type is a :class:`ConfigurationError` naming the key (a typo
must never silently fall back to a default).
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from avwap.core.canonical import content_hash
from avwap.core.errors import ConfigurationError
from avwap.signals.anchors import AnchorRules
from avwap.signals.scan_rules import ScanRules

ANCHORS_TABLE = "anchors"


def _checked_value(owner: str, key: str, value: Any, expected: Any) -> Any:
    """``value`` when it has the field's type (an int is accepted for a float field, a bool never)."""
    name = f"{owner}.{key}"
    if expected is bool:
        valid = isinstance(value, bool)
    elif expected is int:
        valid = isinstance(value, int) and not isinstance(value, bool)
    elif expected is float:
        valid = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if valid else value
    else:
        valid = isinstance(value, expected)
    if not valid:
        raise ConfigurationError(name, f"expected {expected.__name__}, got {type(value).__name__} {value!r}")
    return value


def _fields(record: type[Any], owner: str, table: Mapping[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(record)
    known = {field.name for field in dataclasses.fields(record)}
    values: dict[str, Any] = {}
    for key, value in sorted(table.items()):
        if key not in known:
            raise ConfigurationError(
                f"{owner}.{key}", f"unknown scan rule (known: {', '.join(sorted(known))})"
            )
        if key != ANCHORS_TABLE:
            values[key] = _checked_value(owner, key, value, hints[key])
    return values


def scan_rules_from_mapping(data: Mapping[str, Any]) -> ScanRules:
    """:class:`ScanRules` from a parsed mapping (see the module docstring)."""
    anchors_table = data.get(ANCHORS_TABLE, {})
    if not isinstance(anchors_table, Mapping):
        raise ConfigurationError(f"ScanRules.{ANCHORS_TABLE}", "must be a table of anchor rules")
    values = _fields(ScanRules, "ScanRules", data)
    anchors = AnchorRules(**_fields(AnchorRules, f"ScanRules.{ANCHORS_TABLE}", anchors_table))
    return ScanRules(**values, anchors=anchors)


def load_scan_rules(path: Path) -> ScanRules:
    """Read the TOML rules file ``path``; :class:`ConfigurationError` if unreadable, malformed or invalid."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(str(path), f"cannot read the scan rules file: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(str(path), f"not valid TOML: {error}") from None
    return scan_rules_from_mapping(data)


def scan_rules_hash(rules: ScanRules) -> str:
    """Content hash of every threshold (nested anchor rules included): equal rules, equal hash."""
    return content_hash(dataclasses.asdict(rules))


__all__ = ["load_scan_rules", "scan_rules_from_mapping", "scan_rules_hash"]
