"""The 401(k) allocation file (``ALLOCATION_401K_FILE``, TOML): the fund/ETF menu, target weights, the band.

Example::

    menu = ["FXAIX", "FSPSX", "FXNAX", "VTI"]    # what the 401(k) window offers (known symbols)
    drift_band = "0.05"                           # rebalance when a weight is off its target by more
    schedule = "monthly"                          # also rebalance on the first session of each month

    [targets]                                     # weights over the menu: non-negative, summing to 1
    FXAIX = "0.6"
    FSPSX = "0.25"
    FXNAX = "0.15"

Weights and the band are decimal strings or TOML numbers (a number is read through its text, so ``0.6``
is exactly ``0.6``). Any problem is a :class:`ConfigurationError` naming ``ALLOCATION_401K_FILE``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from avwap.core.errors import ConfigurationError

VARIABLE: Final = "ALLOCATION_401K_FILE"
WEIGHT_TOLERANCE: Final = Decimal("1e-9")
SCHEDULES: Final = frozenset({"monthly", "none"})
_SYMBOL: Final = re.compile(r"^[A-Z][A-Z0-9.\-]{0,14}$")
_KEYS: Final = frozenset({"menu", "targets", "drift_band", "schedule"})


@dataclass(frozen=True)
class AllocationPlan:
    """Validated targets: ``targets`` maps each menu symbol with a weight to it (menu order)."""

    menu: tuple[str, ...]
    targets: Mapping[str, Decimal]
    drift_band: Decimal
    schedule: str


def load_allocation(path: Path | None, variable: str = VARIABLE) -> AllocationPlan:
    """Read and validate the allocation file at ``path``."""
    if path is None:
        raise ConfigurationError(variable, "not set: the S_401K_ALLOCATION strategy needs a targets file")
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(variable, f"cannot read {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(variable, f"{path} is not valid TOML: {error}") from None
    return parse_allocation(data, variable)


def parse_allocation(data: Mapping[str, Any], variable: str = VARIABLE) -> AllocationPlan:
    """Validate the parsed TOML table (see the module docstring)."""
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ConfigurationError(variable, f"unknown keys {unknown}; known: {sorted(_KEYS)}")
    menu = _menu(data.get("menu"), variable)
    targets = _targets(data.get("targets"), menu, variable)
    band = _decimal(data.get("drift_band", "0.05"), "drift_band", variable)
    if not Decimal(0) < band < Decimal(1):
        raise ConfigurationError(variable, f"drift_band must be between 0 and 1, got {band}")
    schedule = data.get("schedule", "monthly")
    if schedule not in SCHEDULES:
        raise ConfigurationError(variable, f"schedule must be one of {sorted(SCHEDULES)}, got {schedule!r}")
    return AllocationPlan(menu, MappingProxyType(targets), band, str(schedule))


def _menu(raw: object, variable: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigurationError(variable, "menu must be a non-empty list of symbols")
    bad = [item for item in raw if not isinstance(item, str) or not _SYMBOL.fullmatch(item)]
    if bad:
        raise ConfigurationError(variable, f"menu symbols must be upper-case tickers, got {bad!r}")
    if len(set(raw)) != len(raw):
        raise ConfigurationError(variable, "menu lists a symbol twice")
    return tuple(raw)


def _targets(raw: object, menu: tuple[str, ...], variable: str) -> dict[str, Decimal]:
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigurationError(variable, "[targets] must map menu symbols to weights")
    unknown = sorted(str(symbol) for symbol in raw if symbol not in menu)
    if unknown:
        raise ConfigurationError(variable, f"targets name symbols not on the menu: {unknown}")
    weights = {
        symbol: _decimal(raw[symbol], f"targets.{symbol}", variable) for symbol in menu if symbol in raw
    }
    negative = sorted(symbol for symbol, weight in weights.items() if weight < 0)
    if negative:
        raise ConfigurationError(variable, f"target weights must not be negative: {negative}")
    total = sum(weights.values(), Decimal(0))
    if abs(total - 1) > WEIGHT_TOLERANCE:
        raise ConfigurationError(variable, f"target weights must sum to 1 (within 1e-9), got {total}")
    return weights


def _decimal(raw: object, name: str, variable: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ConfigurationError(variable, f"{name} must be a number, got {raw!r}")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ConfigurationError(variable, f"{name} must be a number, got {raw!r}") from None
    if not value.is_finite():
        raise ConfigurationError(variable, f"{name} must be finite, got {raw!r}")
    return value
