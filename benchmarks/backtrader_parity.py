"""Trade parity of ``avwap backtest --resolution 1d`` with the backtrader oracle (:mod:`backtrader_oracle`).

:func:`run_parity` imports real CNuge S&P 500 symbols (+ SPY, the market gate's benchmark) into a bar
store, runs ``avwap backtest`` over ``[start, end]`` with :data:`PARITY_SETTINGS`, reads each session's
candidates artifact (the one input the engines share), runs the oracle over the same bars, and compares
the two trade lists trade by trade: symbol, entry date, quantity, entry price, exit date, exit price,
commissions and the initial stop. Used by ``tests/realdata/test_backtest_parity_backtrader.py`` and
``benchmarks/bench_backtest_parity.py``.

Settings (docs/BACKTEST.md, "Parity with backtrader"): avwap's default sizing and stop rules, non-zero costs
(slippage 5 bps, $0.005 a share with a $0.25 minimum an order: orders of more than 50 shares pay per
share, half-cents rounded half-even) and caps set so that none binds (the comparison is of the execution
rules; the oracle implements the count caps only, and :func:`caps_never_bound` checks avwap's decisions).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from backtrader_oracle import OracleCandidate, OracleSettings, OracleTrade, run_oracle

SPY_FILE: Final = "mplfinance/yahoofinance-SPY-20080101-20180101.csv"
CNUGE: Final = "daily_sp500_5yr_cnuge"
BENCHMARK: Final = "SPY"
LAST_SESSION: Final = dt.date(2017, 12, 29)  # the SPY file ends with 2017
HISTORY_SESSIONS: Final = 130  # > the stop rules' 120-bar look-back
PARITY_SETTINGS: Final = {
    "STARTING_CASH": "100000",
    "SIM_SLIPPAGE_BPS": "5",
    "SIM_COMMISSION_PER_SHARE": "0.005",
    "SIM_COMMISSION_MINIMUM": "0.25",
    "MAX_POSITIONS": "1000",
    "MAX_ORDERS_PER_DAY": "1000",
    "MAX_GROSS_EXPOSURE": "100000000",
    "MAX_GROSS_EXPOSURE_PCT": "100",
    "MAX_NOTIONAL_PER_SYMBOL": "100000000",
    "MAX_RISK_PER_TRADE": "100000000",
    "MAX_RISK_PER_TRADE_PCT": "100",
    # The oracle implements S1's daily rules; a backtest trades S2_AVWAP_SWING too unless told otherwise.
    "ENABLED_STRATEGIES": "S1_AVWAP_CORE",
}
ORACLE_SETTINGS: Final = OracleSettings(
    starting_cash=Decimal(PARITY_SETTINGS["STARTING_CASH"]),
    slippage_bps=Decimal(PARITY_SETTINGS["SIM_SLIPPAGE_BPS"]),
    commission_per_share=Decimal(PARITY_SETTINGS["SIM_COMMISSION_PER_SHARE"]),
    commission_minimum=Decimal(PARITY_SETTINGS["SIM_COMMISSION_MINIMUM"]),
    max_positions=int(PARITY_SETTINGS["MAX_POSITIONS"]),
    max_entries_per_day=int(PARITY_SETTINGS["MAX_ORDERS_PER_DAY"]),
)

TradeKey = tuple[str, dt.date, int, Decimal, dt.date | None, Decimal | None, Decimal, Decimal]


@dataclass
class ParityReport:
    symbols: list[str]
    sessions: int
    first_session: dt.date
    last_session: dt.date
    bar_events: int  # stock daily bars inside [first, last]: what both engines step through
    avwap_trades: list[TradeKey]
    oracle_trades: list[TradeKey]
    avwap_seconds: float
    oracle_seconds: float
    avwap_cpu_seconds: float
    oracle_cpu_seconds: float
    caps_bound: list[str] = field(default_factory=list)

    @property
    def only_avwap(self) -> list[TradeKey]:
        return [trade for trade in self.avwap_trades if trade not in set(self.oracle_trades)]

    @property
    def only_oracle(self) -> list[TradeKey]:
        return [trade for trade in self.oracle_trades if trade not in set(self.avwap_trades)]

    def summary(self) -> dict[str, Any]:
        """Figures of the run; rates are bar events per second of wall and of CPU time (the machine is
        shared, so CPU time is the steadier of the two)."""
        return {
            "symbols": len(self.symbols),
            "sessions": self.sessions,
            "first_session": self.first_session.isoformat(),
            "last_session": self.last_session.isoformat(),
            "bar_events": self.bar_events,
            "trades_avwap": len(self.avwap_trades),
            "trades_backtrader": len(self.oracle_trades),
            "closed_trades": sum(trade[4] is not None for trade in self.avwap_trades),
            "trades_equal": self.avwap_trades == self.oracle_trades,
            "only_avwap": [_shown(trade) for trade in self.only_avwap],
            "only_backtrader": [_shown(trade) for trade in self.only_oracle],
            "caps_bound": self.caps_bound,
            **_speed("wall", self.bar_events, self.avwap_seconds, self.oracle_seconds),
            **_speed("cpu", self.bar_events, self.avwap_cpu_seconds, self.oracle_cpu_seconds),
        }


def _speed(kind: str, events: int, avwap: float, oracle: float) -> dict[str, Any]:
    avwap_rate = events / avwap if avwap > 0 else None
    oracle_rate = events / oracle if oracle > 0 else None
    ratio = None if not avwap_rate or not oracle_rate else round(avwap_rate / oracle_rate, 3)
    return {
        f"avwap_{kind}_seconds": round(avwap, 3),
        f"backtrader_{kind}_seconds": round(oracle, 3),
        f"avwap_bar_events_per_{kind}_second": None if avwap_rate is None else round(avwap_rate, 1),
        f"backtrader_bar_events_per_{kind}_second": None if oracle_rate is None else round(oracle_rate, 1),
        f"speed_ratio_avwap_over_backtrader_{kind}": ratio,
    }


def _shown(trade: TradeKey) -> str:
    return " ".join("-" if part is None else str(part) for part in trade)


def choose_files(shared_data: Path, count: int) -> list[Path]:
    """``count`` CNuge files spread evenly over the alphabet (the other real-data tests' choice)."""
    from avwap.data.importing.csv_import import expand_paths

    paths = sorted(expand_paths([shared_data / CNUGE]))
    return paths[:: len(paths) // count][:count]


def build_store(shared_data: Path, folder: Path, count: int) -> Path:
    from avwap.data.importing.csv_import import import_csv, import_many
    from avwap.data.importing.presets import preset
    from avwap.data.store import BarStore

    store = BarStore(folder / "store")
    store.write(import_many(choose_files(shared_data, count), preset("cnuge_daily")).bars, "1d")
    store.write(import_csv(shared_data / SPY_FILE, preset("mplfinance_yahoo_daily")).bars, "1d")
    return folder / "store"


def trade_key(row: dict[str, Any]) -> TradeKey:
    exit_date, exit_price = row["exit_date_ny"], row["exit_price"]
    return (
        str(row["symbol"]),
        dt.date.fromisoformat(row["entry_date_ny"]),
        int(row["entry_quantity"]),
        Decimal(str(row["entry_price"])),
        None if exit_date is None else dt.date.fromisoformat(exit_date),
        None if exit_price is None else Decimal(str(exit_price)),
        Decimal(str(row["commissions"])),
        Decimal(str(row["initial_stop"])),
    )


def oracle_key(trade: OracleTrade) -> TradeKey:
    return (
        trade.symbol,
        trade.entry_date,
        trade.quantity,
        trade.entry_price,
        trade.exit_date,
        trade.exit_price,
        trade.commissions,
        trade.initial_stop,
    )


def ordered(trades: Sequence[TradeKey]) -> list[TradeKey]:
    return sorted(trades, key=lambda trade: (trade[1], trade[0], trade[4] or dt.date.max))


def shared_candidates(home: Path) -> dict[dt.date, list[OracleCandidate]]:
    """Each session's candidates artifact, keyed by its as-of session (``data_through``)."""
    from avwap.watchlist.artifact import artifact_dates, read_candidates

    artifacts = home / "artifacts"
    result: dict[dt.date, list[OracleCandidate]] = {}
    for day in artifact_dates(artifacts):
        watchlist = read_candidates(artifacts, day)
        ranked = sorted(watchlist.candidates, key=lambda item: item.rank)
        result[watchlist.data_through] = [
            OracleCandidate(item.symbol, Decimal(item.avwap), item.rank) for item in ranked
        ]
    return result


def caps_never_bound(home: Path) -> list[str]:
    """Decisions of the avwap run that were not a plain APPROVE (a cap bound, or a gate refused)."""
    from avwap.ledger.paths import BACKTEST
    from avwap.ledger.record_enums import DecisionOutcome
    from avwap.ledger.records import Decision
    from avwap.ledger.router import Ledger

    return [
        f"{record.date_ny} {record.symbol} {record.outcome} {','.join(record.reason_codes)}"
        for record in Ledger(home / "ledger").read_book(BACKTEST)
        if isinstance(record, Decision) and record.outcome != DecisionOutcome.APPROVE
    ]


def oracle_frames(root: Path, first: dt.date, last: dt.date) -> dict[str, Any]:
    """Per-symbol frames of the stocks indexed by session date, from the stop rules' look-back before
    ``first`` (older bars cannot change a stop) through ``last``."""
    import pandas as pd

    from avwap.data.store import BarStore

    frame = BarStore(root).read("1d")
    frame = frame.assign(session=pd.to_datetime(frame["timestamp"].dt.tz_convert("America/New_York").dt.date))
    stocks = frame.loc[frame["symbol"] != BENCHMARK, "session"]
    sessions = sorted(set(stocks.loc[stocks < pd.Timestamp(first)]))
    earliest = sessions[-HISTORY_SESSIONS] if len(sessions) >= HISTORY_SESSIONS else stocks.min()
    frame = frame.loc[(frame["session"] >= earliest) & (frame["session"] <= pd.Timestamp(last))]
    columns = ["open", "high", "low", "close", "volume"]
    frames = {
        str(symbol): group.set_index("session")[columns].astype("float64")
        for symbol, group in frame.groupby("symbol", sort=True)
    }
    return {symbol: bars for symbol, bars in frames.items() if symbol != BENCHMARK}


def run_parity(
    root: Path, out: Path, *, start: dt.date, end: dt.date = LAST_SESSION, code_version: str = "parity"
) -> ParityReport:
    """Both engines over the store at ``root`` (module docstring)."""
    from avwap.backtest.run import run_backtest

    started, cpu = time.perf_counter(), time.process_time()
    outcome = run_backtest(
        PARITY_SETTINGS,
        start=start,
        end=end,
        data_root=root,
        out=out,
        resolution="1d",
        code_version=code_version,
    )
    avwap_seconds, avwap_cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = json.loads((out / "trades.json").read_text(encoding="utf-8"))["trades"]
    sessions = outcome.result.sessions
    candidates = shared_candidates(out / "home")
    bars = oracle_frames(root, sessions[0], sessions[-1])
    started, cpu = time.perf_counter(), time.process_time()
    oracle = run_oracle(bars, candidates, ORACLE_SETTINGS, first=sessions[0], last=sessions[-1])
    oracle_seconds, oracle_cpu = time.perf_counter() - started, time.process_time() - cpu
    return ParityReport(
        symbols=sorted(bars),
        sessions=len(sessions),
        first_session=sessions[0],
        last_session=sessions[-1],
        bar_events=oracle.bars,
        avwap_trades=ordered([trade_key(row) for row in rows]),
        oracle_trades=ordered([oracle_key(trade) for trade in oracle.trades]),
        avwap_seconds=avwap_seconds,
        oracle_seconds=oracle_seconds,
        avwap_cpu_seconds=avwap_cpu,
        oracle_cpu_seconds=oracle_cpu,
        caps_bound=caps_never_bound(out / "home"),
    )
