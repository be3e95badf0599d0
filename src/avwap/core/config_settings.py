"""The table of settings: each environment variable, the :class:`~avwap.core.config.Config` attribute it
sets, its parser, whether it is a secret, its help and its range; the variables left out of the config
hash; and the checks of a whole configuration (ranges, cut directions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from avwap.core.config_parsers import (
    parse_advisory_model,
    parse_bool,
    parse_correlation_sessions,
    parse_cuts,
    parse_daily_pnl,
    parse_dashboard_token,
    parse_data_feed,
    parse_date,
    parse_decimal,
    parse_fraction,
    parse_host,
    parse_int,
    parse_intraday_refresh,
    parse_lag_minutes,
    parse_mode,
    parse_multipliers,
    parse_optional_decimal,
    parse_optional_path,
    parse_port,
    parse_positive_int,
    parse_priorities,
    parse_sleeves,
    parse_sleeves_file,
    parse_strategy_ids,
    parse_symbol,
    parse_symbols,
    parse_text,
    parse_window,
)
from avwap.core.errors import ConfigurationError

if TYPE_CHECKING:
    from avwap.core.config import Config


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
KNOWN_VARIABLES: Final = frozenset(spec.variable for spec in SETTINGS)


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
