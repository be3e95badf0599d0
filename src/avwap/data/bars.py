"""The canonical bar frame every part of avwap exchanges.

A bar frame is a pandas DataFrame with exactly these columns, sorted by (symbol, timestamp), no duplicates:

=========  ==========================================  =====================================================
column     dtype                                       meaning
=========  ==========================================  =====================================================
symbol     object (str, upper case)                    ticker
timestamp  datetime64[ns, America/New_York]            bar START; daily bars: the session date at 00:00 NY
open       float64                                     first trade price
high       float64                                     highest price
low        float64                                     lowest price
close      float64                                     last trade price
volume     float64                                     shares (float so that adjusted volumes stay exact)
=========  ==========================================  =====================================================

Frequencies are named ``1d``, ``1m``, ``5m``, ``10m``, ``1h``. Prices are float64 in vector code; they become
``Decimal`` only at the ledger/broker boundary (:mod:`avwap.core.money`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # pandas is imported where frames are built: the scan reads Arrow → numpy without it
    import pandas as pd


NEW_YORK: Final = "America/New_York"
BAR_COLUMNS: Final = ("symbol", "timestamp", "open", "high", "low", "close", "volume")
PRICE_COLUMNS: Final = ("open", "high", "low", "close")
FREQUENCIES: Final = ("1d", "1m", "5m", "10m", "1h")
FREQUENCY_MINUTES: Final = {"1m": 1, "5m": 5, "10m": 10, "1h": 60}


def empty_bars() -> pd.DataFrame:
    """A bar frame with no rows and the canonical dtypes."""
    import pandas as pd

    frame = pd.DataFrame({column: pd.Series(dtype="float64") for column in BAR_COLUMNS})
    frame["symbol"] = frame["symbol"].astype(object)
    frame["timestamp"] = pd.Series(dtype=f"datetime64[ns, {NEW_YORK}]")
    return frame[list(BAR_COLUMNS)]


def normalize_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with canonical column order, dtypes and sort order (does not validate values)."""
    import pandas as pd

    missing = [column for column in BAR_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"bar frame lacks columns {missing}")
    result = frame.loc[:, list(BAR_COLUMNS)].copy()
    symbols = result["symbol"].astype(str)
    uniques = symbols.unique()
    if any(symbol != symbol.upper() for symbol in uniques):  # map the few distinct names, not every row
        symbols = symbols.map({symbol: symbol.upper() for symbol in uniques})
    result["symbol"] = symbols.astype(object)
    timestamps = pd.to_datetime(result["timestamp"])
    if timestamps.dt.tz is None:
        raise ValueError("bar timestamps must be timezone-aware")
    result["timestamp"] = timestamps.dt.tz_convert(NEW_YORK).astype(pd.DatetimeTZDtype("ns", NEW_YORK))
    for column in (*PRICE_COLUMNS, "volume"):
        result[column] = result[column].astype("float64")
    return result.sort_values(["symbol", "timestamp"], kind="mergesort").reset_index(drop=True)
