"""Import presets: one :class:`ImportSpec` per CSV family in the shared real-data folder (and alike).

Facts behind each preset (zones, bar-start vs bar-end labels, volume units) are in
``shared/data/PROVENANCE.md``; the realdata tests check each preset against those facts.
"""

from __future__ import annotations

from typing import Final

from avwap.core.errors import DataError
from avwap.data.importing.spec import ImportSpec

LOWER_OHLCV: Final = {"open": "open", "high": "high", "low": "low", "close": "close", "volume": "volume"}
TITLE_OHLCV: Final = {"open": "Open", "high": "High", "low": "Low", "close": "Close", "volume": "Volume"}
ISO_DATE: Final = ("%Y-%m-%d",)
ISO_MINUTE: Final = ("%Y-%m-%d %H:%M:%S",)
FILE_STEM_SYMBOL: Final = r"^(?P<symbol>[A-Za-z0-9.]+)\.csv$"
UNDERSCORE_PREFIX_SYMBOL: Final = r"^(?P<symbol>[A-Za-z.]+)_"


def _daily(name: str, description: str, **fields: object) -> ImportSpec:
    values: dict[str, object] = {
        "columns": dict(LOWER_OHLCV),
        "timestamp_columns": ("date",),
        "timestamp_formats": ISO_DATE,
    }
    values.update(fields)
    return ImportSpec(name=name, frequency="1d", description=description, **values)  # type: ignore[arg-type]


def _intraday(name: str, frequency: str, description: str, **fields: object) -> ImportSpec:
    values: dict[str, object] = {"columns": dict(LOWER_OHLCV), "timestamp_formats": ISO_MINUTE}
    values.update(fields)
    return ImportSpec(name=name, frequency=frequency, description=description, **values)  # type: ignore[arg-type]


def _yahoo_daily(name: str, description: str, pattern: str) -> ImportSpec:
    return _daily(
        name, description, columns=dict(TITLE_OHLCV), timestamp_columns=("Date",), symbol_pattern=pattern
    )


_PRESETS: Final = (
    _daily(
        "cnuge_daily",
        "Kaggle/CNuge S&P 500 5-year daily: <SYM>_data.csv, date,open,high,low,close,volume,Name",
        symbol_column="Name",
        symbol_pattern=r"^(?P<symbol>[A-Za-z0-9.]+)_data\.csv$",
    ),
    _daily("lean_daily", "Lean/AlgoSeek daily <SYM>.csv (raw prices)", symbol_pattern=FILE_STEM_SYMBOL),
    _daily(
        "lean_daily_adjusted",
        "Lean daily_adjusted <SYM>.csv (price_factor/split_factor columns ignored)",
        symbol_pattern=FILE_STEM_SYMBOL,
    ),
    _intraday(
        "lean_hour",
        "1h",
        "Lean hour <SYM>.csv, ET; the '09:00' label is the 09:30-09:59 bar",
        timestamp_columns=("datetime_et",),
        hour_label="lean",
        symbol_pattern=FILE_STEM_SYMBOL,
    ),
    _intraday(
        "lean_minute",
        "1m",
        "Lean minute <SYM>.csv, ET bar start, 04:00-20:00 trade bars",
        timestamp_columns=("datetime_et",),
        symbol_pattern=FILE_STEM_SYMBOL,
    ),
    _intraday(
        "pyalgotrade_1min_et",
        "1m",
        "pyalgotrade SPY_1min_*_ET.csv, ET bar start",
        timestamp_columns=("datetime_et_bar_start",),
        symbol_pattern=UNDERSCORE_PREFIX_SYMBOL,
    ),
    _intraday(
        "ninjatrader_minute",
        "1m",
        "NinjaTrader export 'yyyymmdd HHMMSS;o;h;l;c;v', no header, UTC, bar END (nt-<sym>-minute-*.csv)",
        has_header=False,
        delimiter=";",
        column_names=("datetime", "open", "high", "low", "close", "volume"),
        timestamp_columns=("datetime",),
        timestamp_formats=("%Y%m%d %H%M%S",),
        timezone="UTC",
        label="end",
        symbol_pattern=r"^nt-(?P<symbol>[A-Za-z.]+)-",
    ),
    _intraday(
        "ib_5min_et",
        "5m",
        "Interactive Brokers 5-min converted to ET (SPY_5min_IB_*_ET.csv), volume_shares already in shares",
        columns={**LOWER_OHLCV, "volume": "volume_shares"},
        timestamp_columns=("datetime_et_bar_start",),
        symbol_pattern=UNDERSCORE_PREFIX_SYMBOL,
    ),
    _intraday(
        "ib_5min_raw",
        "5m",
        "Interactive Brokers raw 5-min (ib-<sym>-5min-*.csv): Europe/Budapest bar start, volume in 100-lots",
        columns=dict(TITLE_OHLCV),
        timestamp_columns=("Date",),
        timezone="Europe/Budapest",
        volume_multiplier=100.0,
        symbol_pattern=r"^ib-(?P<symbol>[A-Za-z.]+)-",
    ),
    _intraday(
        "alphavantage_1min",
        "1m",
        "Alpha Vantage intraday <SYM>_1min_*.csv, ET bar END (09:31 is the 09:30 bar)",
        timestamp_columns=("datetime_et_bar_end",),
        label="end",
        symbol_pattern=UNDERSCORE_PREFIX_SYMBOL,
    ),
    _intraday(
        "yfinance_5min",
        "5m",
        "yfinance 5-min (spy_5m_*.csv): symbol,timestamp (ISO with offset),open,high,low,close,volume",
        timestamp_columns=("timestamp",),
        timestamp_formats=("%Y-%m-%dT%H:%M:%S%z",),
        symbol_column="symbol",
    ),
    _daily(
        "zipline_quandl",
        "Quandl WIKI table (multi-symbol 'ticker' column, raw prices; dividend/split/adj_* ignored)",
        symbol_column="ticker",
    ),
    _daily(
        "zipline_csvdir",
        "zipline csvdir daily <SYM>.csv (dividend/split ignored)",
        symbol_pattern=FILE_STEM_SYMBOL,
    ),
    _yahoo_daily(
        "mplfinance_yahoo_daily",
        "Yahoo daily yahoofinance-<SYM>-<from>-<to>.csv (Adj Close ignored)",
        r"^yahoofinance-(?P<symbol>[A-Za-z.]+)-",
    ),
    _yahoo_daily(
        "backtrader_yahoo_daily",
        "Yahoo daily <sym>-<yyyy>-<yyyy>.csv from backtrader (Adj Close ignored)",
        r"^(?P<symbol>[A-Za-z.]+)-\d{4}-\d{4}",
    ),
    _intraday(
        "sp500_index_1min",
        "1m",
        "S&P 500 index 1-min (SP500_*_IDay*.csv): Date,Open,Close,High,Low,Volume, ET bar start; symbol SPX",
        columns=dict(TITLE_OHLCV),
        timestamp_columns=("Date",),
        symbol="SPX",
    ),
    _daily(
        "sp500_index_daily",
        "S&P 500 index daily (SP500_*_Hist.csv) with M/D/YYYY dates; symbol SPX",
        columns=dict(TITLE_OHLCV),
        timestamp_columns=("Date",),
        timestamp_formats=("%m/%d/%Y",),
        symbol="SPX",
    ),
    _daily(
        "skender_daily",
        "Stock.Indicators test quotes (BOM; ISO, M/D/YYYY or MM/DD/YY dates); symbol = file stem",
        timestamp_formats=("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"),
        symbol_pattern=FILE_STEM_SYMBOL,
    ),
    _intraday(
        "skender_intraday",
        "1m",
        "Stock.Indicators intraday.csv (BOM; 'YYYY-MM-DD HH:MM', ET bar start); symbol = file stem",
        timestamp_columns=("date",),
        timestamp_formats=("%Y-%m-%d %H:%M",),
        symbol_pattern=FILE_STEM_SYMBOL,
    ),
)

PRESETS: Final[dict[str, ImportSpec]] = {
    spec.name: spec for spec in sorted(_PRESETS, key=lambda spec: spec.name)
}


def preset(name: str) -> ImportSpec:
    """The preset called ``name``; :class:`DataError` listing the known names otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise DataError(f"unknown import preset {name!r}; known: {', '.join(PRESETS)}") from None
