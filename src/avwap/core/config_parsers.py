"""Parsers of the configuration's values: each takes the variable's name and its raw value (text from the
environment, or a TOML value) and returns the typed value or raises :class:`ConfigurationError` naming
the variable. Nothing is silently defaulted."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import msgspec

from avwap.core.errors import ConfigurationError
from avwap.core.execution_mode import ExecutionMode

TRUE_WORDS: Final = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS: Final = frozenset({"0", "false", "no", "off", ""})


def parse_bool(variable: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ConfigurationError(variable, f"expected a boolean (1/0, true/false), got {raw!r}")


def parse_int(variable: str, raw: object) -> int:
    if isinstance(raw, bool):
        raise ConfigurationError(variable, f"expected an integer, got {raw!r}")
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ConfigurationError(variable, f"expected an integer, got {raw!r}") from None
    if value < 0:
        raise ConfigurationError(variable, f"must not be negative, got {value}")
    return value


def parse_positive_int(variable: str, raw: object) -> int:
    value = parse_int(variable, raw)
    if value < 1:
        raise ConfigurationError(variable, f"must be at least 1, got {value}")
    return value


def parse_decimal(variable: str, raw: object) -> Decimal:
    if isinstance(raw, bool):
        raise ConfigurationError(variable, f"expected a number, got {raw!r}")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ConfigurationError(variable, f"expected a number, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ConfigurationError(variable, f"expected a finite non-negative number, got {raw!r}")
    return value


def parse_optional_decimal(variable: str, raw: object) -> Decimal | None:
    """Empty text means "not set" (None); anything else must be a finite non-negative number."""
    if isinstance(raw, str) and not raw.strip():
        return None
    return parse_decimal(variable, raw)


def parse_fraction(variable: str, raw: object) -> Decimal:
    value = parse_decimal(variable, raw)
    if value >= 1:
        raise ConfigurationError(variable, f"expected a fraction in [0, 1), got {raw!r}")
    return value


def parse_date(variable: str, raw: object) -> dt.date | None:
    text = str(raw).strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(variable, f"expected a date YYYY-MM-DD, got {raw!r}") from None


def parse_symbols(variable: str, raw: object) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else str(raw).split(",")
    symbols = sorted({str(item).strip().upper() for item in items if str(item).strip()})
    for symbol in symbols:
        if not symbol.replace(".", "").replace("-", "").isalnum():
            raise ConfigurationError(variable, f"not a ticker symbol: {symbol!r}")
    return tuple(symbols)


def parse_strategy_ids(variable: str, raw: object) -> tuple[str, ...]:
    """Strategy ids in the order given, without duplicates (whether each is registered is checked by
    :func:`avwap.strategies.registry.enabled_strategies`, which core cannot import)."""
    items = raw if isinstance(raw, list) else str(raw).split(",")
    ids = tuple(dict.fromkeys(str(item).strip().upper() for item in items if str(item).strip()))
    for strategy_id in ids:
        if not strategy_id.replace("_", "").isalnum():
            raise ConfigurationError(variable, f"not a strategy id: {strategy_id!r}")
    return ids


def parse_correlation_sessions(variable: str, raw: object) -> int:
    """Sessions of daily returns for correlations: at least 10 (fewer says nothing), at most 500."""
    value = parse_int(variable, raw)
    if not 10 <= value <= 500:
        raise ConfigurationError(variable, f"expected 10 to 500 sessions, got {value}")
    return value


def parse_mode(variable: str, raw: object) -> ExecutionMode:
    text = str(raw).strip().upper()
    try:
        return ExecutionMode(text)
    except ValueError:
        choices = ", ".join(mode.value for mode in ExecutionMode)
        raise ConfigurationError(variable, f"expected one of {choices}, got {raw!r}") from None


def parse_text(variable: str, raw: object) -> str:
    if not isinstance(raw, str | int):
        raise ConfigurationError(variable, f"expected text, got {raw!r}")
    return str(raw).strip()


class Sleeve(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One strategy's sleeve (Phase S2): its own caps inside the book's caps. ``None``: no cap of that kind
    (``max_new_entries_per_day`` is optional; the other three must be given, possibly as ``null``)."""

    max_daily_loss: Decimal | None
    max_gross_exposure: Decimal | None
    max_positions: int | None
    max_new_entries_per_day: int | None = None


SLEEVE_FIELDS: Final = ("max_daily_loss", "max_gross_exposure", "max_positions", "max_new_entries_per_day")
SleeveTable = tuple[tuple[str, Sleeve], ...]  # (strategy id, sleeve), sorted by id (hashable, canonical)


def _strategy_key(variable: str, raw: object) -> str:
    text = str(raw).strip().upper()
    if not text or not text.replace("_", "").isalnum():
        raise ConfigurationError(variable, f"not a strategy id: {raw!r}")
    return text


def _json_object(variable: str, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise ConfigurationError(variable, f"malformed JSON: {error}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(variable, f"expected a JSON object keyed by strategy_id, got {text[:60]!r}")
    return data


def _sleeve(variable: str, strategy_id: str, raw: object) -> Sleeve:
    if not isinstance(raw, dict):
        raise ConfigurationError(variable, f"{strategy_id}: expected an object of caps, got {raw!r}")
    unknown = sorted(set(raw) - set(SLEEVE_FIELDS))
    missing = [name for name in SLEEVE_FIELDS[:3] if name not in raw]
    if unknown or missing:
        raise ConfigurationError(variable, f"{strategy_id}: unknown caps {unknown}, missing caps {missing}")
    values: dict[str, Any] = {}
    for name in SLEEVE_FIELDS:
        value = raw.get(name)
        parse = parse_int if name in ("max_positions", "max_new_entries_per_day") else parse_decimal
        try:  # negative, non-numeric or non-finite caps are refused
            values[name] = None if value is None else parse(variable, value)
        except ConfigurationError as error:
            raise ConfigurationError(variable, f"{strategy_id}.{name}: {error}") from None
    return Sleeve(**values)


def parse_sleeves(variable: str, raw: object) -> SleeveTable | None:
    """``S2_SLEEVES_JSON``: ``{"<strategy_id>": {"max_daily_loss": 500, "max_gross_exposure": 20000,
    "max_positions": 3, "max_new_entries_per_day": 2}, ...}``; empty text: not set (None)."""
    if isinstance(raw, dict):
        data = raw
    else:
        text = parse_text(variable, raw)
        if not text:
            return None
        data = _json_object(variable, text)
    table: dict[str, Sleeve] = {}
    for key, value in data.items():
        strategy_id = _strategy_key(variable, key)
        if strategy_id in table:
            raise ConfigurationError(variable, f"{strategy_id} has two sleeves")
        table[strategy_id] = _sleeve(variable, strategy_id, value)
    return tuple(sorted(table.items()))


def parse_sleeves_file(variable: str, raw: object) -> SleeveTable | None:
    """``S2_SLEEVES_FILE``: a path to a JSON file holding what ``S2_SLEEVES_JSON`` would (read once, at
    start-up: the sleeves are part of the config hash)."""
    path = parse_optional_path(variable, raw)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(variable, f"cannot read {path}: {error}") from None
    return parse_sleeves(variable, text) if text.strip() else parse_sleeves(variable, "{}")


def parse_daily_pnl(variable: str, raw: object) -> tuple[tuple[str, Decimal], ...] | None:
    """``S2_DAILY_PNL_JSON``: the operator's override of today's PnL by strategy (negative is a loss)."""
    text = parse_text(variable, raw)
    if not text:
        return None
    values: dict[str, Decimal] = {}
    for key, value in _json_object(variable, text).items():
        strategy_id = _strategy_key(variable, key)
        try:
            amount = Decimal(str(value)) if not isinstance(value, bool) else Decimal("NaN")
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite():
            raise ConfigurationError(variable, f"{strategy_id}: expected a finite amount, got {value!r}")
        values[strategy_id] = amount
    return tuple(sorted(values.items()))


def parse_priorities(variable: str, raw: object) -> tuple[tuple[str, int], ...]:
    """``S3_STRATEGY_PRIORITIES``: ``S1_AVWAP_CORE=1,S2_AVWAP_SWING=2`` (1 = highest); a priority given
    twice (or a strategy given twice) is a ConfigurationError: conflict resolution needs a strict order."""
    items = raw if isinstance(raw, list) else [item for item in str(raw).split(",") if item.strip()]
    table: dict[str, int] = {}
    for item in items:
        name, separator, number = str(item).partition("=")
        if not separator:
            raise ConfigurationError(variable, f"expected STRATEGY_ID=priority, got {item!r}")
        strategy_id = _strategy_key(variable, name)
        if strategy_id in table:
            raise ConfigurationError(variable, f"{strategy_id} is given two priorities")
        priority = parse_int(variable, number)
        if priority in table.values():
            raise ConfigurationError(variable, f"duplicate priority {priority} ({strategy_id})")
        table[strategy_id] = priority
    return tuple(sorted(table.items(), key=lambda pair: (pair[1], pair[0])))


# Alpaca stock bar feeds the loop may read (the SDK knows more, e.g. otc/boats, which are not US-equity
# consolidated or exchange feeds for this strategy).
DATA_FEEDS: Final = ("iex", "sip", "delayed_sip")
INTRADAY_REFRESH_CHOICES: Final = ("alpaca", "off")
MAX_INTRADAY_LAG_MINUTES: Final = 390  # one regular session
ML_ADVISORY_MODELS: Final = ("logistic", "gbt")  # avwap.ml.model.MODEL_KINDS (core cannot import ml)


def parse_advisory_model(variable: str, raw: object) -> str:
    return _parse_choice(variable, raw, ML_ADVISORY_MODELS)


def _parse_choice(variable: str, raw: object, choices: tuple[str, ...]) -> str:
    text = parse_text(variable, raw).lower()
    if text not in choices:
        raise ConfigurationError(variable, f"expected one of {', '.join(choices)}, got {raw!r}")
    return text


def parse_data_feed(variable: str, raw: object) -> str:
    return _parse_choice(variable, raw, DATA_FEEDS)


def parse_intraday_refresh(variable: str, raw: object) -> str:
    return _parse_choice(variable, raw, INTRADAY_REFRESH_CHOICES)


def parse_lag_minutes(variable: str, raw: object) -> int:
    value = parse_positive_int(variable, raw)
    if value > MAX_INTRADAY_LAG_MINUTES:
        raise ConfigurationError(variable, f"must be at most {MAX_INTRADAY_LAG_MINUTES} minutes, got {value}")
    return value


MIN_DASHBOARD_TOKEN_LENGTH: Final = 16


def parse_port(variable: str, raw: object) -> int:
    value = parse_positive_int(variable, raw)
    if value > 65535:
        raise ConfigurationError(variable, f"must be a TCP port 1..65535, got {value}")
    return value


def parse_host(variable: str, raw: object) -> str:
    """An address or host name to bind to: no spaces, no scheme, no port."""
    text = parse_text(variable, raw)
    if not text or any(character in text for character in " /@") or text.count(":") == 1:
        raise ConfigurationError(variable, f"must be an address or host name without port, got {text!r}")
    return text


def parse_dashboard_token(variable: str, raw: object) -> str:
    text = parse_text(variable, raw)
    if text and len(text) < MIN_DASHBOARD_TOKEN_LENGTH:
        raise ConfigurationError(
            variable, f"must be at least {MIN_DASHBOARD_TOKEN_LENGTH} characters when set"
        )
    return text


def parse_cuts(variable: str, raw: object) -> tuple[Decimal, Decimal, Decimal]:
    """Three regime cut points ``a,b,c`` (RISK_ON | NEUTRAL | RISK_OFF | STRESSED), strictly monotone in
    either direction (rising for volatility and drawdown, falling for trend and breadth)."""
    items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    texts = [str(item).strip() for item in items]
    if len(texts) != 3:
        raise ConfigurationError(variable, f"expected three comma-separated numbers, got {raw!r}")
    values: list[Decimal] = []
    for text in texts:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ConfigurationError(variable, f"expected three numbers, got {raw!r}") from None
        if not value.is_finite():
            raise ConfigurationError(variable, f"expected finite numbers, got {raw!r}")
        values.append(value)
    first, second, third = values
    if not (first < second < third or first > second > third):
        raise ConfigurationError(variable, f"cut points must be strictly rising or falling, got {raw!r}")
    return first, second, third


def parse_window(variable: str, raw: object) -> int:
    """A rolling window of sessions for the regime features: 2 to 1000."""
    value = parse_int(variable, raw)
    if not 2 <= value <= 1000:
        raise ConfigurationError(variable, f"expected 2 to 1000 sessions, got {value}")
    return value


def parse_symbol(variable: str, raw: object) -> str:
    symbols = parse_symbols(variable, raw)
    if len(symbols) != 1:
        raise ConfigurationError(variable, f"expected one ticker symbol, got {raw!r}")
    return symbols[0]


def parse_multipliers(variable: str, raw: object) -> tuple[Decimal, Decimal]:
    """E2 regime multipliers ``risk,new_positions``: two numbers in [0, 1] (a regime never adds risk)."""
    items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    texts = [str(item).strip() for item in items]
    if len(texts) != 2:
        raise ConfigurationError(
            variable, f"expected two comma-separated numbers (risk,new_positions), got {raw!r}"
        )
    values = [parse_decimal(variable, text) for text in texts]
    if any(value > 1 for value in values):
        raise ConfigurationError(variable, f"multipliers are between 0 and 1, got {raw!r}")
    return values[0], values[1]


def parse_optional_path(variable: str, raw: object) -> Path | None:
    text = parse_text(variable, raw)
    return Path(text) if text else None
