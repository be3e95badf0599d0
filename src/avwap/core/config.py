"""The one configuration object, parsed once from the environment and an optional TOML file.

Precedence: environment variable, then the file named by ``AVWAP_CONFIG`` (flat ``KEY = value`` pairs
using the same UPPER_SNAKE names), then the default. A malformed value raises :class:`ConfigurationError`
naming the variable; nothing is silently defaulted. Secrets are never part of
:meth:`Config.config_hash` or of printed output. Operators of the earlier system know these names; keep them.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import msgspec

from avwap.core.canonical import content_hash
from avwap.core.errors import ConfigurationError


class ExecutionMode(enum.StrEnum):
    DRY_RUN = "DRY_RUN"
    PAPER_SIM = "PAPER_SIM"
    BACKTEST = "BACKTEST"
    ALPACA_PAPER = "ALPACA_PAPER"
    LIVE = "LIVE"
    SCHWAB_401K_MANUAL = "SCHWAB_401K_MANUAL"


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


@dataclass(frozen=True)
class Config:
    """Typed, frozen configuration. Build it with :func:`load_config`."""

    home: Path = Path("var")
    state_dir_override: Path | None = None
    execution_mode: ExecutionMode = ExecutionMode.DRY_RUN
    dry_run: bool = False
    kill_switch: bool = False
    live_trading: bool = False
    live_confirm_token: str = field(default="", repr=False)
    phase_c: bool = False
    live_enable_date_ny: dt.date | None = None
    allowlist_symbols: tuple[str, ...] = ()
    max_orders_per_day: int = 5
    max_positions: int = 5
    max_gross_exposure: Decimal = Decimal("5000")
    max_gross_exposure_pct: Decimal = Decimal("100")
    max_notional_per_symbol: Decimal = Decimal("1000")
    max_risk_per_trade: Decimal = Decimal("100")
    max_risk_per_trade_pct: Decimal = Decimal("1")
    universe_allow_network: bool = False
    alpaca_api_key: str = field(default="", repr=False)
    alpaca_secret_key: str = field(default="", repr=False)
    alpaca_trading_url: str = ""
    alpaca_data_url: str = ""
    alpaca_data_feed: str = "iex"
    intraday_refresh: str = "alpaca"
    intraday_max_lag_minutes: int = 15
    slack_bot_token: str = field(default="", repr=False)
    slack_channel: str = ""
    slack_base_url: str = ""
    # The Schwab 401(k) book (issue 13): target weights (TOML) and the Slack channel its tickets go to.
    allocation_401k_file: Path | None = None
    tickets_channel: str = ""
    # 1: `avwap tickets send` records the allocation intents and the control plane's decisions in the
    # manual book and tickets only what was approved (docs/SCHWAB.md); 0 (default): tickets as planned.
    allocation_401k_decisions: bool = False
    # Verifies that Events API requests come from Slack (the Slack reply receiver, `avwap slack serve`).
    slack_signing_secret: str = field(default="", repr=False)
    # App-level token (xapp-...) for Socket Mode (`avwap slack listen`), when there is no public endpoint.
    slack_app_token: str = field(default="", repr=False)
    # Read-only Schwab snapshots (issue 13, M1-D): the API source is off unless SCHWAB_API_SNAPSHOTS=1.
    schwab_api_snapshots: bool = False
    schwab_app_key: str = field(default="", repr=False)
    schwab_app_secret: str = field(default="", repr=False)
    schwab_token_file: Path | None = None  # default <state>/schwab_token.json
    schwab_account_number: str = field(default="", repr=False)
    schwab_base_url: str = ""
    # The operator dashboard (`avwap dashboard`, docs/DASHBOARD.md): a non-loopback bind needs the token.
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = 8765
    dashboard_token: str = field(default="", repr=False)
    dashboard_runs_dir: Path | None = None
    starting_cash: Decimal = Decimal("100000")
    entry_delay_max_seconds: int = 30
    # Costs of the simulated broker (the demo and the backtest): adverse slippage in basis points on market
    # and stop fills, commission per share with a per-order minimum.
    sim_slippage_bps: Decimal = Decimal("0")
    sim_commission_per_share: Decimal = Decimal("0")
    sim_commission_minimum: Decimal = Decimal("0")
    poll_seconds: int = 300
    max_risk_per_share: Decimal = Decimal("3.00")
    stop_buffer: Decimal = Decimal("0.10")
    # The stop rules (avwap.exits.rules.StopRules, one set for the initial and the trailing stop).
    stop_daily_left_bars: int = 2
    stop_daily_right_bars: int = 2
    stop_intraday_left_bars: int = 2
    stop_intraday_right_bars: int = 2
    stop_daily_lookback: int = 120
    stop_buffer_atr_fraction: Decimal | None = None
    stop_atr_period: int = 14
    stop_min_distance_fraction: Decimal = Decimal("0.003")
    stop_submit_after_open_minutes: int = 5
    stop_min_delay_after_entry_minutes: int = 5
    stop_min_bars_after_entry: int = 2
    stop_open_noise_minutes: int = 15
    stop_early_trend_minutes: int = 60
    stop_close_protect_minutes: int = 30
    enabled_strategies: tuple[str, ...] = ("S1_AVWAP_CORE",)
    sizing_base_risk_pct: Decimal = Decimal("2")
    sizing_max_allocation_pct: Decimal = Decimal("10")
    sizing_min_scale: Decimal = Decimal("0.25")
    sizing_distance_scale_pct: Decimal = Decimal("6")
    demo_seed: int = 7
    demo_sessions: int = 20
    quarantine_sample_rows: int = 1000
    benchmark_symbols: tuple[str, ...] = ("DIA", "IWM", "QQQ", "SPY")
    candidates_include_benchmarks: bool = False
    # Portfolio decision guardrails (roadmap 2A; avwap.control.portfolio). Percentages of book equity.
    portfolio_max_positions: int = 10
    portfolio_max_new_entries: int = 3
    portfolio_max_symbol_pct: Decimal = Decimal("10")
    portfolio_max_sector_pct: Decimal = Decimal("30")
    portfolio_max_gross_pct: Decimal = Decimal("100")
    portfolio_max_correlation: Decimal = Decimal("0.85")
    portfolio_max_book_correlation: Decimal = Decimal("0.90")
    portfolio_correlation_sessions: int = 60
    portfolio_drawdown_throttle_pct: Decimal = Decimal("10")
    portfolio_snapshot_max_age_sessions: int = 1
    portfolio_shadow: bool = True
    portfolio_decision_enforce: bool = False
    # Market regime (E1, avwap.regimes): feature windows, cut points, hysteresis; see docs/REGIMES.md.
    regime_benchmark: str = "SPY"
    regime_volatility_window: int = 20
    regime_drawdown_window: int = 63
    regime_trend_fast: int = 50
    regime_trend_slow: int = 200
    regime_breadth_window: int = 50
    regime_breadth_min_symbols: int = 30
    regime_volatility_cuts: tuple[Decimal, Decimal, Decimal] = (
        Decimal("0.16"),
        Decimal("0.24"),
        Decimal("0.35"),
    )
    regime_drawdown_cuts: tuple[Decimal, Decimal, Decimal] = (
        Decimal("0.04"),
        Decimal("0.08"),
        Decimal("0.15"),
    )
    regime_trend_cuts: tuple[Decimal, Decimal, Decimal] = (
        Decimal("0.01"),
        Decimal("-0.02"),
        Decimal("-0.08"),
    )
    regime_breadth_cuts: tuple[Decimal, Decimal, Decimal] = (
        Decimal("0.60"),
        Decimal("0.45"),
        Decimal("0.25"),
    )
    regime_hysteresis: Decimal = Decimal("0.25")
    regime_confirm_sessions: int = 3
    regime_no_breadth_confidence: Decimal = Decimal("0.75")
    regime_max_daily_move: Decimal = Decimal("0.25")
    # Regime risk modulation (E2, avwap.control.portfolio.regime): (risk, new positions) per label.
    e2_regime_modulation: bool = False
    # ML advisory (Phase F, docs/ML.md): off means no run-time command imports avwap.ml.
    ml_advisory: bool = False
    ml_advisory_model: str = "logistic"  # the scan scores with <artifacts>/ml/model-<this>
    ml_advisory_model_dir: Path | None = None  # ... unless this names the model folder
    # Risk reduction only (needs ML_ADVISORY=1): the bottom share of a day's scores is sized down.
    ml_advisory_size_down: bool = False
    ml_advisory_size_down_bottom: Decimal = Decimal("0.5")
    ml_advisory_size_down_multiplier: Decimal = Decimal("0.5")
    e2_confidence_threshold: Decimal = Decimal("0.6")
    e2_multipliers_risk_on: tuple[Decimal, Decimal] = (Decimal("1"), Decimal("1"))
    e2_multipliers_neutral: tuple[Decimal, Decimal] = (Decimal("0.6"), Decimal("0.7"))
    e2_multipliers_risk_off: tuple[Decimal, Decimal] = (Decimal("0.2"), Decimal("0.3"))
    e2_multipliers_stressed: tuple[Decimal, Decimal] = (Decimal("0"), Decimal("0"))
    # E2 gross exposure cap per label, a multiplier of PORTFOLIO_MAX_GROSS_PCT (default: the risk multiplier).
    e2_gross_exposure_risk_on: Decimal = Decimal("1")
    e2_gross_exposure_neutral: Decimal = Decimal("0.6")
    e2_gross_exposure_risk_off: Decimal = Decimal("0.2")
    e2_gross_exposure_stressed: Decimal = Decimal("0")
    # The ruleset version whose values were applied (avwap.control.rulesets); not a setting of its own.
    ruleset_version: str = ""
    # The audit trail (avwap.ledger.audit): both live OUTSIDE the home, so that whoever can write the home
    # can neither forge a daily seal (no key) nor erase the record of one (the anchor file).
    audit_key_file: Path | None = None
    audit_anchor_file: Path | None = None
    # Strategy sleeves (Phase S2) and cross-strategy conflict rules (S3); see docs/STRATEGIES.md.
    s2_sleeves_json: SleeveTable | None = None
    s2_sleeves_file: SleeveTable | None = None
    s2_allow_unsleeved: bool = False
    s2_allow_symbol_overlap: bool = False
    s2_daily_pnl: tuple[tuple[str, Decimal], ...] | None = None
    s3_strategy_priorities: tuple[tuple[str, int], ...] = ()
    # Risk attribution (E3, avwap.analytics.risk_attribution): write-only analytics, fail open.
    e3_risk_attribution_write: bool = False
    e3_risk_attribution_summary_write: bool = False
    e3_risk_attribution_rolling_write: bool = False
    e3_risk_attribution_slack_summary: bool = False

    @property
    def state_dir(self) -> Path:
        return self.state_dir_override or self.home / "state"

    @property
    def schwab_token_path(self) -> Path:
        return self.schwab_token_file or self.state_dir / "schwab_token.json"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def ledger_dir(self) -> Path:
        return self.home / "ledger"

    @property
    def artifacts_dir(self) -> Path:
        return self.home / "artifacts"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    def excluded_from_candidates(self, gate_benchmark: str) -> frozenset[str]:
        """Symbols the scan never offers as candidates: the benchmarks, unless the operator opts in."""
        if self.candidates_include_benchmarks:
            return frozenset()
        return frozenset({*self.benchmark_symbols, gate_benchmark})

    @property
    def effective_mode(self) -> ExecutionMode:
        """``DRY_RUN=1`` always wins over ``EXECUTION_MODE`` (the live gate narrows further, elsewhere)."""
        return ExecutionMode.DRY_RUN if self.dry_run else self.execution_mode

    def __post_init__(self) -> None:
        # Here, not in the parsers, so that overrides and direct construction are checked too.
        check_ranges(self)
        if self.s2_sleeves_json is not None and self.s2_sleeves_file is not None:
            raise ConfigurationError("S2_SLEEVES_FILE", "set S2_SLEEVES_JSON or S2_SLEEVES_FILE, not both")
        if self.ml_advisory_size_down and not self.ml_advisory:
            raise ConfigurationError(
                "ML_ADVISORY_SIZE_DOWN", "sizing down by the advisory scores needs the opt-in ML_ADVISORY=1"
            )

    @property
    def sleeves(self) -> dict[str, Sleeve] | None:
        """The sleeves by strategy id; None when neither sleeve variable is set (the sleeve layer is off)."""
        table = self.s2_sleeves_json if self.s2_sleeves_json is not None else self.s2_sleeves_file
        return None if table is None else dict(table)

    @property
    def sleeves_variable(self) -> str:
        """The variable the sleeves came from (named by errors about them)."""
        return "S2_SLEEVES_FILE" if self.s2_sleeves_file is not None else "S2_SLEEVES_JSON"

    def strategy_priorities(self) -> dict[str, int]:
        """Conflict priority by strategy id (lower wins): S3_STRATEGY_PRIORITIES, then ENABLED_STRATEGIES
        order after every explicitly prioritized strategy."""
        table = dict(self.s3_strategy_priorities)
        start = max(table.values(), default=0) + 1
        for offset, strategy_id in enumerate(self.enabled_strategies):
            table.setdefault(strategy_id, start + offset)
        return table

    def public_values(self) -> dict[str, Any]:
        """Every setting by its variable name, secrets replaced by whether they are set."""
        values: dict[str, Any] = {}
        for spec in SETTINGS:
            value = getattr(self, spec.attribute)
            values[spec.variable] = ("set" if value else "unset") if spec.secret else value
        return values

    def config_hash(self) -> str:
        """sha256 over non-secret settings; paths excluded so a moved checkout keeps its hash, and the
        measurement-only E3 switches (ANALYTICS_VARIABLES) and the dashboard's address, which decide
        nothing. Computed once per Config (it is frozen; a backtest asks for it with every telemetry record
        it writes)."""
        cached = self.__dict__.get("_config_hash")
        if cached is None:
            excluded = (
                {spec.variable for spec in SETTINGS if spec.secret}
                | PATH_VARIABLES
                | ANALYTICS_VARIABLES
                | PRESENTATION_VARIABLES
            )
            public = {name: value for name, value in self.public_values().items() if name not in excluded}
            cached = content_hash(public)
            object.__setattr__(self, "_config_hash", cached)
        return str(cached)


@dataclass(frozen=True)
class Range:
    """Inclusive bounds of a percent (of equity, 0..100) or ratio (0..1) setting; ``positive``: 0 refused."""

    low: Decimal
    high: Decimal
    positive: bool = False

    def problem(self, value: Decimal) -> str | None:
        if value > self.high or value < self.low or (self.positive and value == self.low):
            lowest = f"more than {self.low}" if self.positive else f"at least {self.low}"
            return f"must be {lowest} and at most {self.high}, got {value}"
        return None


PERCENT: Final = Range(Decimal(0), Decimal(100))  # 0 is valid but blocks every entry (config-check says so)
POSITIVE_PERCENT: Final = Range(Decimal(0), Decimal(100), positive=True)  # 0 would size nothing
RATIO: Final = Range(Decimal(0), Decimal(1))
GROSS_PERCENT: Final = Range(Decimal(0), Decimal(1000), positive=True)  # above 100: margin; 0 blocks all


@dataclass(frozen=True)
class Setting:
    variable: str
    attribute: str
    parse: Callable[[str, object], Any]
    secret: bool = False
    help: str = ""
    range: Range | None = None


SETTINGS: Final[tuple[Setting, ...]] = (
    Setting("AVWAP_HOME", "home", parse_optional_path, help="home folder: data, ledger, artifacts, state"),
    Setting("AVWAP_STATE_DIR", "state_dir_override", parse_optional_path, help="overrides <home>/state"),
    Setting("EXECUTION_MODE", "execution_mode", parse_mode, help="DRY_RUN (default) | PAPER_SIM | ..."),
    Setting("DRY_RUN", "dry_run", parse_bool, help="1 forces DRY_RUN whatever EXECUTION_MODE says"),
    Setting("KILL_SWITCH", "kill_switch", parse_bool, help="1 blocks new entries (exits still run)"),
    Setting("LIVE_TRADING", "live_trading", parse_bool, help="first of the three LIVE keys"),
    Setting("LIVE_CONFIRM_TOKEN", "live_confirm_token", parse_text, secret=True),
    Setting("PHASE_C", "phase_c", parse_bool, help="1 enables the Phase C single-symbol live day gate"),
    Setting("LIVE_ENABLE_DATE_NY", "live_enable_date_ny", parse_date),
    Setting("ALLOWLIST_SYMBOLS", "allowlist_symbols", parse_symbols, help="comma-separated; empty = all"),
    Setting("MAX_ORDERS_PER_DAY", "max_orders_per_day", parse_int),
    Setting("MAX_POSITIONS", "max_positions", parse_int),
    Setting("MAX_GROSS_EXPOSURE", "max_gross_exposure", parse_decimal),
    Setting("MAX_GROSS_EXPOSURE_PCT", "max_gross_exposure_pct", parse_decimal, range=PERCENT),
    Setting("MAX_NOTIONAL_PER_SYMBOL", "max_notional_per_symbol", parse_decimal),
    Setting("MAX_RISK_PER_TRADE", "max_risk_per_trade", parse_decimal),
    Setting("MAX_RISK_PER_TRADE_PCT", "max_risk_per_trade_pct", parse_decimal, range=PERCENT),
    Setting("UNIVERSE_ALLOW_NETWORK", "universe_allow_network", parse_bool),
    Setting("ALPACA_API_KEY", "alpaca_api_key", parse_text, secret=True),
    Setting("ALPACA_SECRET_KEY", "alpaca_secret_key", parse_text, secret=True),
    Setting("ALPACA_TRADING_URL", "alpaca_trading_url", parse_text),
    Setting("ALPACA_DATA_URL", "alpaca_data_url", parse_text),
    Setting("ALPACA_DATA_FEED", "alpaca_data_feed", parse_data_feed, help="iex | sip | delayed_sip"),
    Setting(
        "INTRADAY_REFRESH",
        "intraday_refresh",
        parse_intraday_refresh,
        help="alpaca: each execute cycle fetches its 5m bars | off: the store is kept current elsewhere",
    ),
    Setting(
        "INTRADAY_MAX_LAG_MINUTES",
        "intraday_max_lag_minutes",
        parse_lag_minutes,
        help="max age of the newest closed 5m bar for new entries (1..390)",
    ),
    Setting("SLACK_BOT_TOKEN", "slack_bot_token", parse_text, secret=True),
    Setting("SLACK_CHANNEL", "slack_channel", parse_text),
    Setting("SLACK_BASE_URL", "slack_base_url", parse_text),
    Setting(
        "ALLOCATION_401K_FILE",
        "allocation_401k_file",
        parse_optional_path,
        help="S_401K_ALLOCATION target weights (TOML)",
    ),
    Setting("TICKETS_CHANNEL", "tickets_channel", parse_text, help="Slack channel of 401(k) trade tickets"),
    Setting(
        "ALLOCATION_401K_DECISIONS",
        "allocation_401k_decisions",
        parse_bool,
        help="1: 401(k) tickets pass the control plane (only approved ones are posted)",
    ),
    Setting(
        "SLACK_SIGNING_SECRET",
        "slack_signing_secret",
        parse_text,
        secret=True,
        help="Slack app signing secret: `avwap slack serve` verifies every request with it",
    ),
    Setting(
        "SLACK_APP_TOKEN",
        "slack_app_token",
        parse_text,
        secret=True,
        help="Slack app-level token (xapp-...) for Socket Mode: `avwap slack listen`",
    ),
    Setting(
        "SCHWAB_API_SNAPSHOTS",
        "schwab_api_snapshots",
        parse_bool,
        help="1 lets `avwap schwab snapshot` read the Schwab API (read-only); default off (CSV only)",
    ),
    Setting("SCHWAB_APP_KEY", "schwab_app_key", parse_text, secret=True, help="Schwab developer app key"),
    Setting("SCHWAB_APP_SECRET", "schwab_app_secret", parse_text, secret=True, help="Schwab app secret"),
    Setting(
        "SCHWAB_TOKEN_FILE",
        "schwab_token_file",
        parse_optional_path,
        help="Schwab OAuth token (schwab-py format, mode 0600); default <state>/schwab_token.json",
    ),
    Setting(
        "SCHWAB_ACCOUNT_NUMBER",
        "schwab_account_number",
        parse_text,
        secret=True,
        help="which Schwab account to snapshot when the token reaches several",
    ),
    Setting("SCHWAB_BASE_URL", "schwab_base_url", parse_text, help="tests only: another Schwab API origin"),
    Setting("AVWAP_DASHBOARD_HOST", "dashboard_host", parse_host, help="`avwap dashboard` bind address"),
    Setting("AVWAP_DASHBOARD_PORT", "dashboard_port", parse_port, help="`avwap dashboard` port (8765)"),
    Setting(
        "AVWAP_DASHBOARD_TOKEN",
        "dashboard_token",
        parse_dashboard_token,
        secret=True,
        help="login token of the dashboard; required for any bind other than loopback (16+ characters)",
    ),
    Setting(
        "AVWAP_DASHBOARD_RUNS_DIR",
        "dashboard_runs_dir",
        parse_optional_path,
        help="folder of backtest run folders the dashboard's Performance page may open",
    ),
    Setting("STARTING_CASH", "starting_cash", parse_decimal, help="PAPER_SIM funding and DRY_RUN equity"),
    Setting("SIM_SLIPPAGE_BPS", "sim_slippage_bps", parse_decimal, help="sim fills: slippage (bps)"),
    Setting("SIM_COMMISSION_PER_SHARE", "sim_commission_per_share", parse_decimal, help="sim fills: $/share"),
    Setting("SIM_COMMISSION_MINIMUM", "sim_commission_minimum", parse_decimal, help="sim fills: $/order min"),
    Setting("ENTRY_DELAY_MAX_SECONDS", "entry_delay_max_seconds", parse_int, help="per-intent delay bound"),
    Setting("POLL_SECONDS", "poll_seconds", parse_int, help="execution loop period"),
    Setting("MAX_RISK_PER_SHARE", "max_risk_per_share", parse_decimal, help="sizing rejects wider stops"),
    Setting("STOP_BUFFER", "stop_buffer", parse_decimal, help="dollars below a swing low for stops"),
    Setting("STOP_DAILY_LEFT_BARS", "stop_daily_left_bars", parse_positive_int, help="daily swing low shape"),
    Setting("STOP_DAILY_RIGHT_BARS", "stop_daily_right_bars", parse_int, help="bars confirming a daily low"),
    Setting("STOP_INTRADAY_LEFT_BARS", "stop_intraday_left_bars", parse_positive_int),
    Setting("STOP_INTRADAY_RIGHT_BARS", "stop_intraday_right_bars", parse_int),
    Setting("STOP_DAILY_LOOKBACK", "stop_daily_lookback", parse_positive_int, help="daily bars searched"),
    Setting(
        "STOP_BUFFER_ATR_FRACTION", "stop_buffer_atr_fraction", parse_optional_decimal, help="ATR buffer"
    ),
    Setting("STOP_ATR_PERIOD", "stop_atr_period", parse_positive_int),
    Setting("STOP_MIN_DISTANCE_FRACTION", "stop_min_distance_fraction", parse_fraction),
    Setting("STOP_SUBMIT_AFTER_OPEN_MINUTES", "stop_submit_after_open_minutes", parse_int),
    Setting("STOP_MIN_DELAY_AFTER_ENTRY_MINUTES", "stop_min_delay_after_entry_minutes", parse_int),
    Setting("STOP_MIN_BARS_AFTER_ENTRY", "stop_min_bars_after_entry", parse_int),
    Setting("STOP_OPEN_NOISE_MINUTES", "stop_open_noise_minutes", parse_int),
    Setting("STOP_EARLY_TREND_MINUTES", "stop_early_trend_minutes", parse_int),
    Setting("STOP_CLOSE_PROTECT_MINUTES", "stop_close_protect_minutes", parse_int),
    Setting("ENABLED_STRATEGIES", "enabled_strategies", parse_strategy_ids, help="comma-separated ids"),
    Setting(
        "SIZING_BASE_RISK_PCT",
        "sizing_base_risk_pct",
        parse_decimal,
        help="% of equity per entry",
        range=POSITIVE_PERCENT,
    ),
    Setting(
        "SIZING_MAX_ALLOCATION_PCT",
        "sizing_max_allocation_pct",
        parse_decimal,
        help="cap, % of equity",
        range=POSITIVE_PERCENT,
    ),
    Setting(
        "SIZING_MIN_SCALE", "sizing_min_scale", parse_decimal, help="floor of the distance scale", range=RATIO
    ),
    Setting(
        "SIZING_DISTANCE_SCALE_PCT",
        "sizing_distance_scale_pct",
        parse_decimal,
        help="distance % for 0",
        range=POSITIVE_PERCENT,
    ),
    Setting("DEMO_SEED", "demo_seed", parse_int),
    Setting("DEMO_SESSIONS", "demo_sessions", parse_positive_int),
    Setting(
        "QUARANTINE_SAMPLE_ROWS",
        "quarantine_sample_rows",
        parse_positive_int,
        help="rejected import rows kept with their text, per file and reason (all are counted)",
    ),
    Setting(
        "BENCHMARK_SYMBOLS",
        "benchmark_symbols",
        parse_symbols,
        help="index funds that are never candidates (plus the scan's market-gate benchmark)",
    ),
    Setting(
        "CANDIDATES_INCLUDE_BENCHMARKS",
        "candidates_include_benchmarks",
        parse_bool,
        help="1 lets BENCHMARK_SYMBOLS become scan candidates",
    ),
    Setting("PORTFOLIO_MAX_POSITIONS", "portfolio_max_positions", parse_int, help="held + allowed"),
    Setting("PORTFOLIO_MAX_NEW_ENTRIES", "portfolio_max_new_entries", parse_int, help="ALLOWs per day"),
    Setting(
        "PORTFOLIO_MAX_SYMBOL_PCT",
        "portfolio_max_symbol_pct",
        parse_decimal,
        help="% of equity",
        range=POSITIVE_PERCENT,
    ),
    Setting(
        "PORTFOLIO_MAX_SECTOR_PCT",
        "portfolio_max_sector_pct",
        parse_decimal,
        help="% of equity",
        range=POSITIVE_PERCENT,
    ),
    Setting(
        "PORTFOLIO_MAX_GROSS_PCT",
        "portfolio_max_gross_pct",
        parse_decimal,
        help="% of equity",
        range=GROSS_PERCENT,
    ),
    Setting(
        "PORTFOLIO_MAX_CORRELATION",
        "portfolio_max_correlation",
        parse_decimal,
        help="vs a position",
        range=RATIO,
    ),
    Setting("PORTFOLIO_MAX_BOOK_CORRELATION", "portfolio_max_book_correlation", parse_decimal, range=RATIO),
    Setting("PORTFOLIO_CORRELATION_SESSIONS", "portfolio_correlation_sessions", parse_correlation_sessions),
    Setting(
        "PORTFOLIO_DRAWDOWN_THROTTLE_PCT",
        "portfolio_drawdown_throttle_pct",
        parse_decimal,
        range=POSITIVE_PERCENT,
    ),
    Setting("PORTFOLIO_SNAPSHOT_MAX_AGE_SESSIONS", "portfolio_snapshot_max_age_sessions", parse_positive_int),
    Setting("PORTFOLIO_SHADOW", "portfolio_shadow", parse_bool, help="1 records the S1 shadow clone too"),
    Setting(
        "PORTFOLIO_DECISION_ENFORCE",
        "portfolio_decision_enforce",
        parse_bool,
        help="1: an entry needs an ALLOW in today's portfolio decision artifact (2B); exits never affected",
    ),
    Setting("REGIME_BENCHMARK", "regime_benchmark", parse_symbol, help="the regime's benchmark (E1)"),
    Setting("REGIME_VOLATILITY_WINDOW", "regime_volatility_window", parse_window, help="returns, sessions"),
    Setting("REGIME_DRAWDOWN_WINDOW", "regime_drawdown_window", parse_window, help="rolling high, sessions"),
    Setting("REGIME_TREND_FAST", "regime_trend_fast", parse_window, help="fast MA of the trend feature"),
    Setting("REGIME_TREND_SLOW", "regime_trend_slow", parse_window, help="slow MA (> fast)"),
    Setting("REGIME_BREADTH_WINDOW", "regime_breadth_window", parse_window, help="MA of the breadth feature"),
    Setting("REGIME_BREADTH_MIN_SYMBOLS", "regime_breadth_min_symbols", parse_positive_int),
    Setting("REGIME_VOLATILITY_CUTS", "regime_volatility_cuts", parse_cuts, help="annualized, rising"),
    Setting("REGIME_DRAWDOWN_CUTS", "regime_drawdown_cuts", parse_cuts, help="fraction below the high"),
    Setting("REGIME_TREND_CUTS", "regime_trend_cuts", parse_cuts, help="MA fast/slow - 1, falling"),
    Setting("REGIME_BREADTH_CUTS", "regime_breadth_cuts", parse_cuts, help="share above MA, falling"),
    Setting("REGIME_HYSTERESIS", "regime_hysteresis", parse_fraction, help="score margin to change label"),
    Setting("REGIME_CONFIRM_SESSIONS", "regime_confirm_sessions", parse_positive_int, help="to de-escalate"),
    Setting("REGIME_NO_BREADTH_CONFIDENCE", "regime_no_breadth_confidence", parse_decimal, range=RATIO),
    Setting("REGIME_MAX_DAILY_MOVE", "regime_max_daily_move", parse_fraction, help="larger: a data break"),
    Setting(
        "E2_REGIME_MODULATION",
        "e2_regime_modulation",
        parse_bool,
        help="1: portfolio decisions scale risk and new entries by the regime (E2); signals and exits never",
    ),
    Setting(
        "ML_ADVISORY",
        "ml_advisory",
        parse_bool,
        help="1: the operator opts in to ML advisory scores (docs/ML.md); advisory only, never orders",
    ),
    Setting(
        "ML_ADVISORY_MODEL",
        "ml_advisory_model",
        parse_advisory_model,
        help="logistic or gbt: the model the scan scores with (<artifacts>/ml/model-<name>)",
    ),
    Setting(
        "ML_ADVISORY_MODEL_DIR",
        "ml_advisory_model_dir",
        parse_optional_path,
        help="the model folder the scan scores with (default <artifacts>/ml/model-<ML_ADVISORY_MODEL>)",
    ),
    Setting(
        "ML_ADVISORY_SIZE_DOWN",
        "ml_advisory_size_down",
        parse_bool,
        help="1 (needs ML_ADVISORY=1): bottom-scored entries sized down; never up, never a new entry",
    ),
    Setting(
        "ML_ADVISORY_SIZE_DOWN_BOTTOM",
        "ml_advisory_size_down_bottom",
        parse_decimal,
        help="share of a day's scored candidates, lowest first, that is sized down",
        range=RATIO,
    ),
    Setting(
        "ML_ADVISORY_SIZE_DOWN_MULTIPLIER",
        "ml_advisory_size_down_multiplier",
        parse_decimal,
        help="their size multiplier (at least 1 share is kept)",
        range=RATIO,
    ),
    Setting("E2_CONFIDENCE_THRESHOLD", "e2_confidence_threshold", parse_decimal, range=RATIO),
    Setting("E2_MULTIPLIERS_RISK_ON", "e2_multipliers_risk_on", parse_multipliers, help="risk,new_positions"),
    Setting("E2_MULTIPLIERS_NEUTRAL", "e2_multipliers_neutral", parse_multipliers),
    Setting("E2_MULTIPLIERS_RISK_OFF", "e2_multipliers_risk_off", parse_multipliers),
    Setting("E2_MULTIPLIERS_STRESSED", "e2_multipliers_stressed", parse_multipliers, help="also UNKNOWN"),
    Setting(
        "E2_GROSS_EXPOSURE_RISK_ON",
        "e2_gross_exposure_risk_on",
        parse_decimal,
        range=RATIO,
        help="share of PORTFOLIO_MAX_GROSS_PCT allowed in RISK_ON",
    ),
    Setting("E2_GROSS_EXPOSURE_NEUTRAL", "e2_gross_exposure_neutral", parse_decimal, range=RATIO),
    Setting("E2_GROSS_EXPOSURE_RISK_OFF", "e2_gross_exposure_risk_off", parse_decimal, range=RATIO),
    Setting(
        "E2_GROSS_EXPOSURE_STRESSED",
        "e2_gross_exposure_stressed",
        parse_decimal,
        range=RATIO,
        help="also UNKNOWN",
    ),
    Setting(
        "AVWAP_AUDIT_KEY_FILE",
        "audit_key_file",
        parse_optional_path,
        help="HMAC key of the daily audit seal; outside AVWAP_HOME, mode 0600 (avwap audit keygen)",
    ),
    Setting(
        "AVWAP_AUDIT_ANCHOR_FILE",
        "audit_anchor_file",
        parse_optional_path,
        help="file outside AVWAP_HOME each daily audit root is appended to (external anchor)",
    ),
    Setting("S2_SLEEVES_JSON", "s2_sleeves_json", parse_sleeves, help="sleeves by strategy_id (JSON)"),
    Setting("S2_SLEEVES_FILE", "s2_sleeves_file", parse_sleeves_file, help="path to the sleeves JSON"),
    Setting("S2_ALLOW_UNSLEEVED", "s2_allow_unsleeved", parse_bool, help="1: no sleeve does not block"),
    Setting(
        "S2_ALLOW_SYMBOL_OVERLAP",
        "s2_allow_symbol_overlap",
        parse_bool,
        help="1: a symbol held by another strategy does not block the sleeve layer",
    ),
    Setting("S2_DAILY_PNL_JSON", "s2_daily_pnl", parse_daily_pnl, help="operator override: PnL today"),
    Setting(
        "S3_STRATEGY_PRIORITIES",
        "s3_strategy_priorities",
        parse_priorities,
        help="ID=n,... conflict priority (1 wins); default ENABLED_STRATEGIES order",
    ),
    Setting(
        "E3_RISK_ATTRIBUTION_WRITE",
        "e3_risk_attribution_write",
        parse_bool,
        help="1: one RiskAttributionEvent per portfolio decision (PORTFOLIO_RISK_ATTRIBUTION stream)",
    ),
    Setting(
        "E3_RISK_ATTRIBUTION_SUMMARY_WRITE",
        "e3_risk_attribution_summary_write",
        parse_bool,
        help="1: ledger/PORTFOLIO_RISK_ATTRIBUTION_SUMMARY/<D>.json from the day's events",
    ),
    Setting(
        "E3_RISK_ATTRIBUTION_ROLLING_WRITE",
        "e3_risk_attribution_rolling_write",
        parse_bool,
        help="1: 5D/20D/60D windows in ledger/PORTFOLIO_RISK_ATTRIBUTION_ROLLING/ from the daily summaries",
    ),
    Setting(
        "E3_RISK_ATTRIBUTION_SLACK_SUMMARY",
        "e3_risk_attribution_slack_summary",
        parse_bool,
        help="1: a daily Slack summary read from the attribution artifacts (explanatory only)",
    ),
)

# Where things live, not how the system trades: left out of the config hash (a moved home keeps its hash).
PATH_VARIABLES: Final = frozenset(
    {
        "AVWAP_HOME",
        "AVWAP_STATE_DIR",
        "AVWAP_AUDIT_KEY_FILE",
        "AVWAP_AUDIT_ANCHOR_FILE",
        "SCHWAB_TOKEN_FILE",
        "AVWAP_DASHBOARD_RUNS_DIR",
    }
)
# Measurement-only switches (E3 risk attribution): they add analytics outputs and change no decision, so they
# are left out of the config hash too; every artifact of a run is then byte-identical with them on or off.
ANALYTICS_VARIABLES: Final = frozenset(
    {
        "E3_RISK_ATTRIBUTION_WRITE",
        "E3_RISK_ATTRIBUTION_SUMMARY_WRITE",
        "E3_RISK_ATTRIBUTION_ROLLING_WRITE",
        "E3_RISK_ATTRIBUTION_SLACK_SUMMARY",
    }
)
# Where the read-only dashboard listens: how people look at the system, not how it trades.
PRESENTATION_VARIABLES: Final = frozenset({"AVWAP_DASHBOARD_HOST", "AVWAP_DASHBOARD_PORT"})
_KNOWN_VARIABLES: Final = frozenset(spec.variable for spec in SETTINGS)


def check_ranges(config: Config) -> None:
    """ConfigurationError naming the first percent or ratio setting outside its range (e.g. a 500 % cap)."""
    for spec in SETTINGS:
        value = getattr(config, spec.attribute)
        problem = spec.range.problem(value) if spec.range is not None else None
        if problem is not None:
            raise ConfigurationError(spec.variable, problem)
    if config.regime_trend_fast >= config.regime_trend_slow:
        raise ConfigurationError(
            "REGIME_TREND_SLOW",
            f"must exceed REGIME_TREND_FAST ({config.regime_trend_fast}), got {config.regime_trend_slow}",
        )
    parse_port("AVWAP_DASHBOARD_PORT", config.dashboard_port)
    parse_host("AVWAP_DASHBOARD_HOST", config.dashboard_host)
    parse_dashboard_token("AVWAP_DASHBOARD_TOKEN", config.dashboard_token)
    if config.regime_max_daily_move <= 0:
        raise ConfigurationError("REGIME_MAX_DAILY_MOVE", "must be more than 0")
    _check_cut_direction(config)


# Which way each regime feature's cut points run: volatility and drawdown get worse as they rise, trend and
# breadth as they fall (avwap.regimes.rules reads the direction from here too).
RISING_CUTS: Final = ("REGIME_VOLATILITY_CUTS", "REGIME_DRAWDOWN_CUTS")
FALLING_CUTS: Final = ("REGIME_TREND_CUTS", "REGIME_BREADTH_CUTS")


def _check_cut_direction(config: Config) -> None:
    by_variable = {spec.variable: getattr(config, spec.attribute) for spec in SETTINGS}
    for variable in (*RISING_CUTS, *FALLING_CUTS):
        first, second, third = by_variable[variable]
        rising = variable in RISING_CUTS
        if not (first < second < third if rising else first > second > third):
            direction = "rising (worse as the value grows)" if rising else "falling (worse as it shrinks)"
            raise ConfigurationError(
                variable, f"cut points must be {direction}, got {first},{second},{third}"
            )
    if not all(0 <= value <= 1 for value in config.regime_breadth_cuts):
        raise ConfigurationError("REGIME_BREADTH_CUTS", "breadth cut points are shares between 0 and 1")


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigurationError("AVWAP_CONFIG", f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError("AVWAP_CONFIG", f"{path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - _KNOWN_VARIABLES)
    if unknown:
        raise ConfigurationError(unknown[0], f"unknown setting in {path}")
    return data


def explicit_variables(environ: Mapping[str, str], config_file: Path | None = None) -> frozenset[str]:
    """The setting names given explicitly, in the environment or the ``AVWAP_CONFIG`` file (not defaulted)."""
    file_path = config_file or parse_optional_path("AVWAP_CONFIG", environ.get("AVWAP_CONFIG", ""))
    in_file = set(_read_file(file_path)) if file_path else set()
    return frozenset((set(environ) & _KNOWN_VARIABLES) | in_file)


def load_config(
    environ: Mapping[str, str],
    config_file: Path | None = None,
    *,
    defaults: Mapping[str, Any] | None = None,
    **overrides: Any,
) -> Config:
    """Parse the configuration once. ``overrides`` (by attribute name) win over everything (for tests/CLI);
    ``defaults`` (by attribute name) replace the built-in default where neither the environment nor the
    file sets the variable (a command's own defaults, e.g. the strategies a backtest runs)."""
    file_path = config_file or parse_optional_path("AVWAP_CONFIG", environ.get("AVWAP_CONFIG", ""))
    file_values = _read_file(file_path) if file_path else {}
    values: dict[str, Any] = {}
    for spec in SETTINGS:
        if spec.variable in environ:
            values[spec.attribute] = spec.parse(spec.variable, environ[spec.variable])
        elif spec.variable in file_values:
            values[spec.attribute] = spec.parse(spec.variable, file_values[spec.variable])
        elif defaults is not None and spec.attribute in defaults:
            values[spec.attribute] = defaults[spec.attribute]
    values.update(overrides)
    if values.get("home") is None:
        values.pop("home", None)
    known_attributes = {item.name for item in fields(Config)}
    for name in values:
        if name not in known_attributes:
            raise ConfigurationError(name, "unknown configuration attribute")
    return Config(**values)
