"""Synthetic stocks: tickers, company names, sectors, index weights and per-symbol model parameters.

Tickers are three or four random capital letters drawn from the seeded generator. They are synthetic: any
resemblance to a listed company is accidental, and the best-known real tickers (the benchmarks and index
ETFs, mega caps) are reserved and never drawn. Names read "Synthetic Co 042" so no one mistakes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

SECTORS: Final = (
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Utilities",
)
SECTOR_SHARES: Final = (0.07, 0.11, 0.06, 0.06, 0.15, 0.13, 0.15, 0.17, 0.05, 0.05)
RESERVED_TICKERS: Final = frozenset(
    {
        *("SPY", "IWM", "QQQ", "DIA", "VTI", "VOO", "IVV", "IWV", "IWB", "IWR", "MDY", "TLT", "GLD", "SLV"),
        *("XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY", "XLRE", "SMH", "ARKK"),
        *("AAPL", "MSFT", "AMZN", "GOOG", "GOOGL", "META", "NVDA", "TSLA", "AVGO", "ORCL", "NFLX", "AMD"),
        *("INTC", "CSCO", "ADBE", "CRM", "QCOM", "IBM", "PYPL", "UBER", "SHOP", "PLTR", "COIN", "MSTR"),
        *("JPM", "BAC", "WFC", "GS", "MS", "BRK", "V", "MA", "AXP", "BLK", "SCHW", "HOOD"),
        *("JNJ", "PFE", "MRK", "ABBV", "LLY", "UNH", "CVS", "AMGN", "GILD", "TMO", "ABT", "MRNA"),
        *("XOM", "CVX", "COP", "OXY", "KO", "PEP", "WMT", "COST", "HD", "LOW", "MCD", "NKE", "SBUX"),
        *("DIS", "CMCSA", "T", "VZ", "BA", "CAT", "GE", "HON", "LMT", "UPS", "FDX", "F", "GM"),
    }
)
PENNY_SHARE: Final = 0.03  # the few stocks below $5 that the price filter must reject


@dataclass(frozen=True)
class SymbolParameters:
    """Per-stock model parameters, one array entry per stock (drawn order, not sorted)."""

    sector: np.ndarray  # int index into SECTORS
    beta: np.ndarray  # loading on the market factor
    sector_loading: np.ndarray  # loading on the stock's sector factor
    idio_vol: np.ndarray  # daily idiosyncratic volatility (random-walk part)
    swing_vol: np.ndarray  # daily innovation of the mean-reverting swing (pullbacks, pivots)
    end_price: np.ndarray  # price level at the last session: the path is pinned there
    base_volume: np.ndarray  # median shares per day
    gap_rate: np.ndarray  # probability per session of an overnight gap of 4.5% or more
    market_cap: np.ndarray  # dollars, for the index weights

    @property
    def count(self) -> int:
        return int(self.beta.size)

    def take(self, part: slice) -> SymbolParameters:
        """The parameters of a slice of the stocks."""
        return SymbolParameters(**{name: getattr(self, name)[part] for name in self.__dataclass_fields__})


def draw_tickers(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` distinct synthetic tickers (mostly four letters, some three), never a reserved one."""
    chosen: list[str] = []
    seen: set[str] = set(RESERVED_TICKERS)
    while len(chosen) < count:
        batch = 2 * (count - len(chosen)) + 16
        letters = rng.integers(0, 26, size=(batch, 4), dtype=np.uint8) + ord("A")
        lengths = np.where(rng.random(batch) < 0.2, 3, 4)
        for row, length in zip(letters, lengths, strict=True):
            ticker = row[:length].tobytes().decode("ascii")
            if ticker not in seen:
                seen.add(ticker)
                chosen.append(ticker)
                if len(chosen) == count:
                    break
    return chosen


def draw_parameters(rng: np.random.Generator, count: int) -> SymbolParameters:
    """Parameters that give prices mostly in $10-$400 (a few below $5) and mostly liquid volumes."""
    sector = rng.choice(len(SECTORS), size=count, p=np.asarray(SECTOR_SHARES))
    beta = np.clip(rng.normal(1.0, 0.3, count), 0.4, 1.9)
    sector_loading = rng.uniform(0.5, 1.3, count)
    idio_vol = np.clip(rng.lognormal(np.log(0.013), 0.35, count), 0.006, 0.035)
    swing_vol = idio_vol * rng.uniform(0.4, 0.9, count)
    regular_price = np.clip(rng.lognormal(np.log(55.0), 0.85, count), 9.0, 420.0)
    penny_price = rng.uniform(1.5, 4.9, count)
    penny = rng.random(count) < PENNY_SHARE
    end_price = np.where(penny, penny_price, regular_price)
    # Pricier stocks trade fewer shares; the spread puts roughly one in ten below the liquidity floors.
    # Low-priced stocks trade many shares but few dollars, as they do in real markets.
    log_shares = rng.normal(np.log(2.4e6), 0.9, count) - 0.3 * np.log(end_price / 55.0)
    penny_shares = rng.lognormal(np.log(8e6), 0.7, count) / end_price
    base_volume = np.clip(np.where(penny, penny_shares, np.exp(log_shares)), 5e4, 6e7)
    gap_rate = rng.uniform(0.010, 0.022, count)
    market_cap = end_price * base_volume * rng.lognormal(np.log(250.0), 0.5, count)
    return SymbolParameters(
        sector=sector,
        beta=beta,
        sector_loading=sector_loading,
        idio_vol=idio_vol,
        swing_vol=swing_vol,
        end_price=end_price,
        base_volume=base_volume,
        gap_rate=gap_rate,
        market_cap=market_cap,
    )


def universe_frame(tickers: list[str], parameters: SymbolParameters) -> pd.DataFrame:
    """The holdings-like table: symbol, name, sector, weight (percent of the index, summing to ~100).

    Sorted by symbol; names are numbered in that order ("Synthetic Co 001", ...).
    """
    order = np.argsort(np.asarray(tickers, dtype=object), kind="stable")
    width = max(3, len(str(len(tickers))))
    weights = 100.0 * parameters.market_cap / parameters.market_cap.sum()
    return pd.DataFrame(
        {
            "symbol": [tickers[index] for index in order],
            "name": [f"Synthetic Co {number:0{width}d}" for number in range(1, len(tickers) + 1)],
            "sector": [SECTORS[int(parameters.sector[index])] for index in order],
            "weight": np.round(weights[order], 6),
        }
    )
