"""The scan universe: holdings CSV, a cached copy, the committed fallback, and liquidity rules (E1.2, E1.3).

Holdings CSV: exactly the columns ``symbol,name,sector,weight`` (any order, header case-insensitive). A
missing or unknown column is a :class:`DataError` naming it. ``weight`` is a finite number >= 0 (percent of
the index; the rules do not use it). A symbol listed twice is a :class:`DataError` naming both lines: a
holdings file with a duplicate is wrong (double-counted weight), and silently picking one row would hide that.

Where the universe comes from (:func:`load_universe`): the file given (then cached, atomically, as
``<data>/universe/holdings.csv``); if none is given or it does not exist (a failed download), the cached copy;
if there is no cache either, the committed fallback (~30 liquid large caps, equal weights). A file that exists
but is malformed raises: falling back would hide the problem.

Liquidity rules (:func:`select_universe`): metrics come first from the bar store (offline, always allowed).
Symbols the store cannot measure would need the network metrics provider (:mod:`avwap.data.universe_network`).
``UNIVERSE_ALLOW_NETWORK`` (environment first, then config; default off) decides:

* off: the provider is skipped and its module is never imported, and the rules fail open: NOTHING is filtered
  (E1.3; issue 3 "the rules fail open (nothing filtered)"). What the stored metrics would have rejected is
  still reported, as ``advisory`` reasons of a kept decision. One warning ``universe_network_disallowed`` is
  logged on every such call (exactly once per call, whether or not the store measured every symbol);
* on: the provider measures the symbols the store cannot; the rules filter on all metrics; if the provider
  fails, those symbols pass unfiltered and ``universe_network_failed`` is logged.

Fail-open is right here because the universe only narrows what the scan looks at; the scan applies its own
liquidity filter to the bars it reads (DESIGN §7).
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.resources
import io
import logging
import math
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final

from avwap.core.config import Config
from avwap.core.config_parsers import parse_bool
from avwap.core.errors import AvwapError, ConfigurationError, DataError
from avwap.core.files import atomic_write_bytes
from avwap.data.universe_metrics import MetricsProvider, SymbolMetrics

LOGGER: Final = logging.getLogger(__name__)
HOLDINGS_COLUMNS: Final = ("symbol", "name", "sector", "weight")
NETWORK_VARIABLE: Final = "UNIVERSE_ALLOW_NETWORK"
_TICKER: Final = re.compile(r"^[A-Z][A-Z0-9.\-]{0,9}$")


@dataclass(frozen=True)
class UniverseMember:
    symbol: str
    name: str
    sector: str
    weight: float


@dataclass(frozen=True)
class Universe:
    """Members sorted by symbol; ``source`` is ``file``, ``cache`` or ``fallback``; ``origin`` says which."""

    members: tuple[UniverseMember, ...]
    source: str
    origin: str

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(member.symbol for member in self.members)


# ------------------------------------------------------------------------------------------- holdings


def _header(names: Sequence[str], origin: str) -> list[str]:
    header = [name.strip().lower() for name in names]
    for name in header:
        if name not in HOLDINGS_COLUMNS:
            raise DataError(f"{origin}: unknown column {name!r}; expected {','.join(HOLDINGS_COLUMNS)}")
    for column in HOLDINGS_COLUMNS:
        if column not in header:
            raise DataError(f"{origin}: missing column {column!r}")
    return header


def _member(row: dict[str, str], where: str) -> UniverseMember:
    symbol = (row["symbol"] or "").strip().upper()
    if not _TICKER.match(symbol):
        raise DataError(f"{where}: column 'symbol' is not a ticker: {row['symbol']!r}")
    text = (row["weight"] or "").strip()
    try:
        weight = float(text)
    except ValueError:
        raise DataError(f"{where}: column 'weight' is not a number: {text!r}") from None
    if not math.isfinite(weight) or weight < 0:
        raise DataError(f"{where}: column 'weight' must be a finite number >= 0, got {text!r}")
    return UniverseMember(symbol, (row["name"] or "").strip(), (row["sector"] or "").strip(), weight)


def parse_holdings(text: str, origin: str) -> tuple[UniverseMember, ...]:
    """Members of a holdings CSV text, sorted by symbol (see the module docstring for the rules)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        raise DataError(f"{origin}: empty holdings file (no header)")
    reader.fieldnames = _header(reader.fieldnames, origin)
    members: dict[str, tuple[int, UniverseMember]] = {}
    for number, row in enumerate(reader, start=2):
        if None in row or any(value is None for value in row.values()):
            raise DataError(f"{origin}:{number}: expected {len(HOLDINGS_COLUMNS)} fields")
        member = _member(row, f"{origin}:{number}")
        if member.symbol in members:
            first = members[member.symbol][0]
            raise DataError(f"{origin}: symbol {member.symbol} listed twice (lines {first} and {number})")
        members[member.symbol] = (number, member)
    if not members:
        raise DataError(f"{origin}: no symbols")
    return tuple(members[symbol][1] for symbol in sorted(members))


def read_holdings(path: Path) -> tuple[UniverseMember, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataError(f"cannot read holdings file {path}: {error}") from None
    return parse_holdings(text, str(path))


def holdings_csv(members: Sequence[UniverseMember]) -> bytes:
    """The canonical CSV of ``members`` (sorted, fixed header, ``\\n`` line ends): the cache format."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HOLDINGS_COLUMNS)
    for member in sorted(members, key=lambda item: item.symbol):
        writer.writerow((member.symbol, member.name, member.sector, repr(member.weight)))
    return buffer.getvalue().encode("utf-8")


def cache_path(data_dir: Path) -> Path:
    return data_dir / "universe" / "holdings.csv"


def fallback_members() -> tuple[UniverseMember, ...]:
    """The committed fallback universe (package data)."""
    resource = importlib.resources.files("avwap.data").joinpath("fallback_universe.csv")
    return parse_holdings(resource.read_text(encoding="utf-8"), "avwap.data/fallback_universe.csv")


def load_universe(holdings_file: Path | None, data_dir: Path) -> Universe:
    """The universe from ``holdings_file`` (cached), else the cache, else the fallback (module docstring)."""
    if holdings_file is not None and holdings_file.exists():
        members = read_holdings(holdings_file)
        atomic_write_bytes(cache_path(data_dir), holdings_csv(members))
        return Universe(members, "file", str(holdings_file))
    if holdings_file is not None:
        LOGGER.warning(
            "universe_file_missing: %s does not exist; using the cache or the fallback", holdings_file
        )
    cached = cache_path(data_dir)
    if cached.exists():
        return Universe(read_holdings(cached), "cache", str(cached))
    return Universe(fallback_members(), "fallback", "avwap.data/fallback_universe.csv")


def sector_map(data_dir: Path) -> dict[str, str]:
    """Sector by symbol of the universe :func:`load_universe` finds for ``data_dir`` (blank: UNKNOWN); empty
    when none can be read (every symbol then falls in the UNKNOWN bucket)."""
    try:
        universe = load_universe(None, data_dir)
    except (AvwapError, OSError):
        return {}
    return {member.symbol: member.sector.strip() or "UNKNOWN" for member in universe.members}


# ---------------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class LiquidityRules:
    """Liquidity thresholds; ``lookback_days`` counts NYSE sessions."""

    min_price: float = 3.0
    min_avg_volume: float = 750_000.0
    min_avg_dollar_volume: float = 10_000_000.0
    lookback_days: int = 20


def load_rules(path: Path) -> LiquidityRules:
    """Rules from TOML: the keys of :class:`LiquidityRules`, top level or under ``[liquidity]``."""
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except OSError as error:
        raise ConfigurationError(str(path), f"cannot read the rules file: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(str(path), f"not valid TOML: {error}") from None
    table = data.get("liquidity", data)
    known = {item.name: item.type for item in fields(LiquidityRules)}
    values: dict[str, Any] = {}
    for key, value in sorted(table.items()):
        if key not in known:
            raise ConfigurationError(key, f"unknown liquidity rule in {path}")
        integral = key == "lookback_days"
        valid_type = isinstance(value, int) if integral else isinstance(value, int | float)
        if isinstance(value, bool) or not valid_type or value < (1 if integral else 0):
            raise ConfigurationError(key, f"expected a {'whole number >= 1' if integral else 'number >= 0'}")
        values[key] = value if integral else float(value)
    return LiquidityRules(**values)


def network_allowed(environ: Mapping[str, str], config: Config | None = None) -> bool:
    """``UNIVERSE_ALLOW_NETWORK`` from the environment first (a runtime override), then the config."""
    if NETWORK_VARIABLE in environ:
        return parse_bool(NETWORK_VARIABLE, environ[NETWORK_VARIABLE])
    return bool(config and config.universe_allow_network)


ProviderFactory = Callable[[], MetricsProvider]


def get_universe_metrics(
    symbols: Sequence[str],
    as_of: dt.date,
    lookback: int,
    *,
    allow_network: bool,
    factory: ProviderFactory | None = None,
    config: Config | None = None,
) -> Mapping[str, SymbolMetrics]:
    """Network metrics. Fails closed (raises) when the network is disallowed, BEFORE importing anything."""
    if not allow_network:
        raise ConfigurationError(NETWORK_VARIABLE, "network universe metrics are disallowed")
    if factory is None:
        from avwap.data.universe_network import provider_from_config  # alpaca-py: only past the guard

        return provider_from_config(config or Config()).metrics(symbols, as_of, lookback)
    return factory().metrics(symbols, as_of, lookback)


# ------------------------------------------------------------------------------------------ selection

REJECTION_REASONS: Final = ("PRICE_TOO_LOW", "VOLUME_TOO_LOW", "DOLLAR_VOLUME_TOO_LOW")


@dataclass(frozen=True)
class UniverseDecision:
    """Whether ``symbol`` stays in the universe; ``metrics`` is None when nothing could measure it.

    ``reasons``: the rules that removed it (empty when kept). ``advisory``: the rules it fails that were NOT
    applied because the rules failed open (network disallowed); reported, never filtered on.
    """

    symbol: str
    kept: bool
    reasons: tuple[str, ...]
    metrics: SymbolMetrics | None
    advisory: tuple[str, ...] = ()

    @property
    def metrics_source(self) -> str:
        return "none" if self.metrics is None else self.metrics.source


@dataclass(frozen=True)
class UniverseSelection:
    """The outcome of :func:`select_universe`, decisions sorted by symbol."""

    as_of: dt.date
    rules: LiquidityRules
    decisions: tuple[UniverseDecision, ...]
    network_allowed: bool
    network_skipped: bool

    @property
    def kept_symbols(self) -> tuple[str, ...]:
        return tuple(decision.symbol for decision in self.decisions if decision.kept)


def rejection_reasons(metrics: SymbolMetrics, rules: LiquidityRules) -> tuple[str, ...]:
    """The rules ``metrics`` fails, in :data:`REJECTION_REASONS` order."""
    failed = (
        metrics.last_close < rules.min_price,
        metrics.avg_volume < rules.min_avg_volume,
        metrics.avg_dollar_volume < rules.min_avg_dollar_volume,
    )
    return tuple(code for code, hit in zip(REJECTION_REASONS, failed, strict=True) if hit)


def _network_metrics(
    missing: Sequence[str],
    as_of: dt.date,
    rules: LiquidityRules,
    factory: ProviderFactory | None,
    config: Config | None,
) -> Mapping[str, SymbolMetrics]:
    try:
        return get_universe_metrics(
            missing, as_of, rules.lookback_days, allow_network=True, factory=factory, config=config
        )
    except AvwapError as error:
        LOGGER.warning(
            "universe_network_failed: %d symbol(s) without stored metrics pass unfiltered: %s",
            len(missing),
            error,
        )
        return {}


def _decision(
    symbol: str, metrics: SymbolMetrics | None, rules: LiquidityRules, enforce: bool
) -> UniverseDecision:
    failed = () if metrics is None else rejection_reasons(metrics, rules)
    if enforce:
        return UniverseDecision(symbol, not failed, failed, metrics)
    return UniverseDecision(symbol, True, (), metrics, advisory=failed)


def select_universe(
    symbols: Sequence[str],
    rules: LiquidityRules,
    as_of: dt.date,
    *,
    offline: MetricsProvider | None,
    allow_network: bool,
    network_factory: ProviderFactory | None = None,
    config: Config | None = None,
) -> UniverseSelection:
    """Apply ``rules`` to ``symbols`` at ``as_of``: offline metrics first, the network only when allowed.

    With the network disallowed the rules fail open: every symbol is kept (would-be rejections are
    ``advisory``), no network code is imported, and ``universe_network_disallowed`` is logged exactly once.
    With it allowed, a symbol nothing could measure is kept (fail open) and the others are filtered.
    """
    wanted = sorted({symbol.strip().upper() for symbol in symbols})
    found = dict(offline.metrics(wanted, as_of, rules.lookback_days)) if offline is not None else {}
    missing = [symbol for symbol in wanted if symbol not in found]
    if not allow_network:
        LOGGER.warning(
            "universe_network_disallowed: metrics provider skipped; liquidity rules fail open, %d symbol(s) "
            "kept unfiltered (%d without stored metrics); set %s=1 to apply them",
            len(wanted),
            len(missing),
            NETWORK_VARIABLE,
        )
    elif missing:
        network = _network_metrics(missing, as_of, rules, network_factory, config)
        found.update({symbol: network[symbol] for symbol in missing if symbol in network})
    decisions = tuple(_decision(symbol, found.get(symbol), rules, allow_network) for symbol in wanted)
    return UniverseSelection(as_of, rules, decisions, allow_network, not allow_network)
