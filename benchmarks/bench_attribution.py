"""Strategy attribution (Phase S4) of one year of ledgers for 2 strategies (seeded, synthetic).

The book: ``S1_AVWAP_CORE`` opens 2 positions a session and holds each 2 sessions, ``S2_AVWAP_SWING`` opens
1 a session and holds it 20 sessions (a swing horizon); each entry has its approving ``Decision``, ``Fill``
and ``PositionOpened``, each exit its ``Fill`` and ``PositionClosed``, and each session one rejected intent
per strategy. Prices follow a seeded random walk per symbol; each close marks every symbol. The ledger is
written to a temporary folder (one batch per session) before timing.

Timed (medians over the repeats): ``attribute_ms`` = ``attribute_days`` over every session +
``summarize`` of the whole year (the attribution: records in, report out), ``read_ms`` = reading the book
back first (typed, hash chain and links checked: the ledger's own reader), ``total_ms`` = both, ``*_cpu_ms``
= CPU time (steadier on a loaded host). Target: ``attribute_ms`` median ≤ 1,000 ms; ``total_ms`` is
reported beside it (the reader's cost is the ledger's, shared with every command). The result also checks
itself: the strategies' PnL adds up to the portfolio's to the cent.

``python benchmarks/bench_attribution.py smoke`` runs a small size (20 sessions).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from avwap.analytics.attribution import attribute_days
from avwap.analytics.attribution_range import summarize
from avwap.core.calendar import nyse
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.record_enums import CashMovementKind, DecisionOutcome, Side
from avwap.ledger.records import CashMovement, Decision, Fill, PositionClosed, PositionOpened, Record
from avwap.ledger.router import Ledger

SEED = 20261206
FIRST = dt.date(2025, 1, 2)
SYMBOLS = 120
STRATEGIES = {"S1_AVWAP_CORE": (2, 2), "S2_AVWAP_SWING": (1, 20)}  # id -> (entries a session, hold)
FULL = {"sessions": 252, "repeats": 5}
SMOKE = {"sessions": 20, "repeats": 2}
TARGET_MS = 1000


class _Book:
    """Builds the records of one session at a time (ids are sequence numbers: unique, deterministic)."""

    def __init__(self) -> None:
        self.number = 0
        # symbol -> (strategy, position id, quantity, entry price, index of the session that closes it)
        self.held: dict[str, tuple[str, str, int, Decimal, int]] = {}

    def next(self, prefix: str) -> str:
        self.number += 1
        return f"{prefix}_{self.number:08d}"

    def stamp(self, day: dt.date, minute: int) -> dict[str, Any]:
        ts = dt.datetime(day.year, day.month, day.day, 15, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
        return {"book_id": PAPER_SIM, "date_ny": day, "ts": ts}

    def fill(
        self, day: dt.date, strategy: str, *, position: str, symbol: str, side: Side, qty: int, price: Decimal
    ) -> Fill:
        number = self.next("fil")
        return Fill(
            **self.stamp(day, self.number % 300), strategy_id=strategy, fill_id=number,
            order_id=number.replace("fil", "ord"), client_order_id=number.replace("fil", "c"),
            position_id=position, symbol=symbol, side=side, quantity=qty, price=price,
            commission=Decimal("0.35"), broker_fill_id=number.replace("fil", "b"),
        )  # fmt: skip

    def session(
        self, day: dt.date, index: int, prices: dict[str, Decimal], rng: np.random.Generator
    ) -> list[Record]:
        records: list[Record] = []
        for symbol, (strategy, position, quantity, cost, until) in sorted(self.held.items()):
            if until > index:
                continue
            price = prices[symbol]
            fill = self.fill(
                day, strategy, position=position, symbol=symbol, side=Side.SELL, qty=quantity, price=price
            )
            records += [fill, PositionClosed(
                **self.stamp(day, 1), strategy_id=strategy, position_id=position, symbol=symbol,
                quantity=quantity, average_price=cost, exit_price=price,
                realized_pnl=(price - cost) * quantity - Decimal("0.70"), fill_ids=(fill.fill_id,),
            )]  # fmt: skip
            del self.held[symbol]
        for strategy, (entries, hold) in STRATEGIES.items():
            free = [f"SYM{n:03d}" for n in range(SYMBOLS) if f"SYM{n:03d}" not in self.held]
            for symbol in [free[int(i)] for i in rng.choice(len(free), size=entries, replace=False)]:
                quantity, price = int(rng.integers(10, 200)), prices[symbol]
                position, intent = self.next("pos"), self.next("int")
                fill = self.fill(
                    day, strategy, position=position, symbol=symbol, side=Side.BUY, qty=quantity, price=price
                )
                records += [
                    Decision(**self.stamp(day, 0), strategy_id=strategy, decision_id=self.next("dec"),
                             intent_id=intent, symbol=symbol, outcome=DecisionOutcome.APPROVE,
                             approved_quantity=quantity),
                    fill,
                    PositionOpened(**self.stamp(day, 0), strategy_id=strategy, position_id=position,
                                   intent_id=intent, symbol=symbol, quantity=quantity, average_price=price,
                                   fill_ids=(fill.fill_id,)),
                ]  # fmt: skip
                self.held[symbol] = (strategy, position, quantity, price, index + hold)
            records.append(
                Decision(**self.stamp(day, 2), strategy_id=strategy, decision_id=self.next("dec"),
                         intent_id=self.next("int"), symbol=free[-1], outcome=DecisionOutcome.REJECT,
                         approved_quantity=0, reason_codes=("MAX_POSITIONS_REACHED",))
            )  # fmt: skip
        return records


def build(root: Path, sessions: int) -> dict[dt.date, dict[str, Decimal]]:
    """Write the year's ledger under ``root``; returns each close's marks."""
    calendar = nyse()
    days = calendar.sessions(FIRST, FIRST + dt.timedelta(days=2 * sessions))[:sessions]
    rng = np.random.default_rng(SEED)
    walks = 50 * np.cumprod(1 + rng.normal(0, 0.015, (len(days), SYMBOLS)), axis=0)
    ledger, book = Ledger(root), _Book()
    marks: dict[dt.date, dict[str, Decimal]] = {}
    for index, day in enumerate(days):
        prices = {f"SYM{n:03d}": Decimal(f"{walks[index, n]:.2f}") for n in range(SYMBOLS)}
        records: list[Record] = []
        if index == 0:
            funding = Decimal("1000000")
            records.append(
                CashMovement(
                    **book.stamp(day, 0),
                    movement_id="evt_funding",
                    kind=CashMovementKind.DEPOSIT,
                    amount=funding,
                )
            )
        records += book.session(day, index, prices, rng)
        ledger.append_together(records)
        marks[day] = prices
    return marks


def run(*, smoke: bool = False) -> dict[str, Any]:
    sizes = SMOKE if smoke else FULL
    with tempfile.TemporaryDirectory(prefix="bench-attribution-") as folder:
        root = Path(folder)
        marks = build(root, sizes["sessions"])
        read, attribute, total, cpu, attribute_cpu = [], [], [], [], []
        for _ in range(sizes["repeats"]):
            cpu_started = time.process_time()
            started = time.perf_counter()
            records = Ledger(root).read_book(PAPER_SIM)
            middle, cpu_middle = time.perf_counter(), time.process_time()
            days = attribute_days(PAPER_SIM, records, marks)
            report = summarize(PAPER_SIM, days, days[0].date_ny, days[-1].date_ny, records)
            finished, cpu_finished = time.perf_counter(), time.process_time()
            read.append((middle - started) * 1000)
            attribute.append((finished - middle) * 1000)
            total.append((finished - started) * 1000)
            cpu.append((cpu_finished - cpu_started) * 1000)
            attribute_cpu.append((cpu_finished - cpu_middle) * 1000)
    strategies_pnl = sum((group.pnl for group in report.strategies), Decimal(0))
    return {
        "smoke": smoke,
        "sessions": len(days),
        "strategies": len(report.strategies),
        "records": len(records),
        "positions_opened": sum(1 for record in records if isinstance(record, PositionOpened)),
        "reconciles_to_the_cent": strategies_pnl == report.portfolio.pnl,
        "read_ms_median": round(statistics.median(read), 1),
        "attribute_ms_median": round(statistics.median(attribute), 1),
        "total_ms_median": round(statistics.median(total), 1),
        "attribute_ms_max": round(max(attribute), 1),
        "attribute_cpu_ms_median": round(statistics.median(attribute_cpu), 1),
        "total_cpu_ms_median": round(statistics.median(cpu), 1),
        "target_attribute_ms": TARGET_MS,
        "host_load_1min": round(os.getloadavg()[0], 2),  # wall times on a shared host scale with it
    }


if __name__ == "__main__":
    print(json.dumps(run(smoke="smoke" in sys.argv[1:] or "--smoke" in sys.argv[1:]), indent=2))
