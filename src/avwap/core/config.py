"""The one configuration object, parsed once from the environment and an optional TOML file.

Precedence: environment variable, then the file named by ``AVWAP_CONFIG`` (flat ``KEY = value`` pairs
using the same UPPER_SNAKE names), then the default. A malformed value raises :class:`ConfigurationError`
naming the variable; nothing is silently defaulted. Secrets are never part of
:meth:`Config.config_hash` or of printed output. Operators of the earlier system know these names; keep them.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

from avwap.core.canonical import content_hash
from avwap.core.config_parsers import Sleeve, SleeveTable, parse_optional_path
from avwap.core.config_settings import (
    ANALYTICS_VARIABLES,
    KNOWN_VARIABLES,
    PATH_VARIABLES,
    PRESENTATION_VARIABLES,
    SETTINGS,
    check_ranges,
)
from avwap.core.errors import ConfigurationError
from avwap.core.execution_mode import ExecutionMode


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


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigurationError("AVWAP_CONFIG", f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError("AVWAP_CONFIG", f"{path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - KNOWN_VARIABLES)
    if unknown:
        raise ConfigurationError(unknown[0], f"unknown setting in {path}")
    return data


def explicit_variables(environ: Mapping[str, str], config_file: Path | None = None) -> frozenset[str]:
    """The setting names given explicitly, in the environment or the ``AVWAP_CONFIG`` file (not defaulted)."""
    file_path = config_file or parse_optional_path("AVWAP_CONFIG", environ.get("AVWAP_CONFIG", ""))
    in_file = set(_read_file(file_path)) if file_path else set()
    return frozenset((set(environ) & KNOWN_VARIABLES) | in_file)


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
