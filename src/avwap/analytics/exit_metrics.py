"""Exit quality per trade (Phase D1): MAE/MFE, R-multiple, stop efficiency, giveback, holding time; the daily
exit artifact; and parity between real exits (ledger) and simulated exits (the exit simulator).

Definitions (per share, in the trade's direction; a long is shown, a short mirrors it):

* bars used: those overlapping the holding interval (bar start < exit time and bar end > entry time; a daily
  bar spans its New York day). The entry and exit prices count as traded prices too, so a trade with missing
  bars still has MAE/MFE from its own fills.
* MAE = min(0, worst low − entry); MFE = max(0, best high − entry); both also in R.
* R-multiple = (exit − entry) / (entry − initial stop); None when the initial risk is not positive.
* stop efficiency = (exit − entry) / (best high − entry) when best high > entry, else None.
* giveback = best high − exit (≥ 0), also in R.
* holding time: sessions = NYSE sessions from the entry date to the exit date, both included; minutes = market
  minutes of the regular sessions inside [entry, exit].

Dollar figures are rounded to 4 places, ratios to 4 places (half-even): the artifact is byte-stable.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Final

import msgspec
import numpy as np

from avwap.analytics.trades import CLOSED, LONG, Trade
from avwap.core.calendar import TradingCalendar, ny_date, nyse
from avwap.core.money import to_decimal
from avwap.exits.bar_arrays import MINUTE_NS, BarArrays, instant_ns
from avwap.exits.simulator import STOPPED, SimulatedExit
from avwap.ledger.atomic import Provenance, atomic_write_json
from avwap.ledger.record_enums import StopBasis

PLACES: Final = Decimal("0.0001")
DAY_NS: Final = 24 * 60 * MINUTE_NS
ARTIFACT_SCHEMA_VERSION: Final = 1


def _q(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_EVEN)


def _ratio(numerator: Decimal, denominator: Decimal | None) -> Decimal | None:
    return _q(numerator / denominator) if denominator is not None and denominator > 0 else None


class ExitMetrics(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Exit quality of one closed trade."""

    position_id: str
    book_id: str
    symbol: str
    strategy_id: str
    entry_time: dt.datetime
    exit_time: dt.datetime
    exit_date_ny: dt.date
    quantity: int
    entry_price: Decimal
    exit_price: Decimal
    initial_stop: Decimal | None
    risk_per_share: Decimal | None
    mae: Decimal
    mfe: Decimal
    mae_r: Decimal | None
    mfe_r: Decimal | None
    r_multiple: Decimal | None
    efficiency: Decimal | None
    giveback: Decimal
    giveback_r: Decimal | None
    holding_sessions: int
    holding_minutes: int
    bars: int
    exit_reason: str | None
    stop_basis: StopBasis | None
    net_pnl: Decimal


def trade_metrics(
    trade: Trade, bars: BarArrays, bar_minutes: int | None, calendar: TradingCalendar | None = None
) -> ExitMetrics:
    """Metrics of a closed ``trade`` from its symbol's ``bars`` (``bar_minutes`` None: daily bars)."""
    if trade.status != CLOSED or trade.exit_time is None or trade.exit_price is None:
        raise ValueError(f"trade {trade.position_id} is not closed: no exit metrics yet")
    assert trade.exit_date_ny is not None
    length = DAY_NS if bar_minutes is None else bar_minutes * MINUTE_NS
    entry_ns, exit_ns = instant_ns(trade.entry_time), instant_ns(trade.exit_time)
    inside = bars.between(entry_ns - length + 1, exit_ns)  # start < exit and start + length > entry
    direction = Decimal(1 if trade.direction == LONG else -1)
    entry, exit_ = trade.entry_price, trade.exit_price
    prices = [float(entry), float(exit_), *inside.low.tolist(), *inside.high.tolist()]
    finite = [value for value in prices if np.isfinite(value)]
    worst = to_decimal(min(finite) if direction > 0 else max(finite))
    best = to_decimal(max(finite) if direction > 0 else min(finite))
    risk = (entry - trade.initial_stop) * direction if trade.initial_stop is not None else None
    risk = risk if risk is not None and risk > 0 else None
    mae = min(Decimal(0), (worst - entry) * direction)
    mfe = max(Decimal(0), (best - entry) * direction)
    captured = (exit_ - entry) * direction
    giveback = max(Decimal(0), (best - exit_) * direction)
    sessions, minutes = holding_time(trade.entry_time, trade.exit_time, calendar)
    return ExitMetrics(
        position_id=trade.position_id,
        book_id=trade.book_id,
        symbol=trade.symbol,
        strategy_id=trade.strategy_id,
        entry_time=trade.entry_time,
        exit_time=trade.exit_time,
        exit_date_ny=trade.exit_date_ny,
        quantity=trade.entry_quantity,
        entry_price=entry,
        exit_price=exit_,
        initial_stop=trade.initial_stop,
        risk_per_share=_q(risk) if risk is not None else None,
        mae=_q(mae),
        mfe=_q(mfe),
        mae_r=_ratio(mae, risk),
        mfe_r=_ratio(mfe, risk),
        r_multiple=_ratio(captured, risk),
        efficiency=_ratio(captured, mfe if mfe > 0 else None),
        giveback=_q(giveback),
        giveback_r=_ratio(giveback, risk),
        holding_sessions=sessions,
        holding_minutes=minutes,
        bars=len(inside),
        exit_reason=trade.exit_reason,
        stop_basis=trade.stop_basis,
        net_pnl=trade.net_pnl,
    )


def holding_time(
    entry: dt.datetime, exit_: dt.datetime, calendar: TradingCalendar | None = None
) -> tuple[int, int]:
    """(sessions from the entry date to the exit date inclusive, regular-session minutes in [entry, exit])."""
    book = calendar or nyse()
    sessions = book.session_records(ny_date(entry), ny_date(exit_))
    seconds = 0.0
    for session in sessions:
        overlap = min(session.close, exit_) - max(session.open, entry)
        seconds += max(0.0, overlap.total_seconds())
    return len(sessions), int(seconds // 60)


def summarize(metrics: Sequence[ExitMetrics]) -> dict[str, object]:
    """Counts and averages of a day's exits (None when nothing qualifies)."""
    r_values = [item.r_multiple for item in metrics if item.r_multiple is not None]
    efficiencies = [item.efficiency for item in metrics if item.efficiency is not None]
    return {
        "trades": len(metrics),
        "winners": sum(1 for item in metrics if item.net_pnl > 0),
        "losers": sum(1 for item in metrics if item.net_pnl < 0),
        "net_pnl": sum((item.net_pnl for item in metrics), Decimal(0)),
        "average_r": _q(sum(r_values, Decimal(0)) / len(r_values)) if r_values else None,
        "average_efficiency": _q(sum(efficiencies, Decimal(0)) / len(efficiencies)) if efficiencies else None,
        "stopped_out": sum(1 for item in metrics if item.exit_reason == "STOP"),
    }


def exit_artifact_path(artifacts_dir: Path, date_ny: dt.date) -> Path:
    """``<artifacts>/exits/<YYYY-MM-DD>.json``."""
    return Path(artifacts_dir) / "exits" / f"{date_ny.isoformat()}.json"


def write_exit_artifact(
    artifacts_dir: Path,
    date_ny: dt.date,
    metrics_by_book: Mapping[str, Sequence[ExitMetrics]],
    provenance: Provenance,
) -> Path:
    """Write the exit metrics of trades closed on ``date_ny`` (atomic, sorted, with provenance)."""
    books = {}
    for book_id in sorted(metrics_by_book):
        rows = sorted(
            (item for item in metrics_by_book[book_id] if item.exit_date_ny == date_ny),
            key=lambda item: (item.exit_time, item.position_id),
        )
        books[book_id] = {"summary": summarize(rows), "trades": rows}
    payload = {
        "schema_version": ARTIFACT_SCHEMA_VERSION,
        "kind": "exit_metrics",
        "date_ny": date_ny,
        "books": books,
    }
    path = exit_artifact_path(artifacts_dir, date_ny)
    atomic_write_json(path, payload, provenance)
    return path


class DivergenceCause(enum.StrEnum):
    MISSING_IN_REAL = "MISSING_IN_REAL"
    MISSING_IN_SIMULATION = "MISSING_IN_SIMULATION"
    QUANTITY_DIFFERS = "QUANTITY_DIFFERS"
    PRICE_DIFFERS = "PRICE_DIFFERS"
    TIME_DIFFERS = "TIME_DIFFERS"


class Divergence(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One way a real exit and its simulated twin disagree."""

    position_id: str
    symbol: str
    cause: DivergenceCause
    real: str | None
    simulated: str | None


class ParityReport(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Real vs simulated exits: how many positions were compared, matched, and every divergence."""

    compared: int
    matched: int
    divergences: tuple[Divergence, ...]

    @property
    def ok(self) -> bool:
        return not self.divergences


def exit_parity(
    real_trades: Sequence[Trade],
    simulated_exits: Sequence[SimulatedExit],
    *,
    price_tolerance: Decimal = Decimal(0),
    time_tolerance: dt.timedelta = dt.timedelta(0),
) -> ParityReport:
    """Compare exits position by position. A real exit time matches when it falls inside the simulated exit
    bar (``exit_time .. exit_bar_end``) widened by ``time_tolerance``. Divergences are sorted by (position,
    cause)."""
    real = {trade.position_id: trade for trade in real_trades}
    simulated = {item.position_id: item for item in simulated_exits}
    divergences: list[Divergence] = []
    matched = 0
    for position_id in sorted(real.keys() | simulated.keys()):
        found = _diverge(real.get(position_id), simulated.get(position_id), price_tolerance, time_tolerance)
        divergences.extend(found)
        matched += int(not found)
    ordered = sorted(
        divergences, key=lambda item: (item.position_id, list(DivergenceCause).index(item.cause))
    )
    return ParityReport(len(real.keys() | simulated.keys()), matched, tuple(ordered))


def _diverge(
    trade: Trade | None, simulated: SimulatedExit | None, tolerance: Decimal, window: dt.timedelta
) -> list[Divergence]:
    symbol = trade.symbol if trade else simulated.symbol if simulated else ""
    position_id = trade.position_id if trade else simulated.position_id if simulated else ""
    real_exit = trade is not None and trade.status == CLOSED and trade.exit_price is not None
    simulated_exit = simulated is not None and simulated.outcome == STOPPED

    def divergence(cause: DivergenceCause, real: object, sim: object) -> Divergence:
        return Divergence(position_id, symbol, cause, _text(real), _text(sim))

    if not real_exit and not simulated_exit:
        return []
    if not real_exit:
        assert simulated is not None
        return [divergence(DivergenceCause.MISSING_IN_REAL, None, simulated.exit_time)]
    assert trade is not None
    if not simulated_exit:
        return [divergence(DivergenceCause.MISSING_IN_SIMULATION, trade.exit_time, None)]
    assert simulated is not None and simulated.exit_price is not None and trade.exit_price is not None
    assert simulated.exit_time is not None and simulated.exit_bar_end is not None and trade.exit_time
    found: list[Divergence] = []
    if trade.exit_quantity != simulated.quantity:
        found.append(divergence(DivergenceCause.QUANTITY_DIFFERS, trade.exit_quantity, simulated.quantity))
    if abs(trade.exit_price - simulated.exit_price) > tolerance:
        found.append(divergence(DivergenceCause.PRICE_DIFFERS, trade.exit_price, simulated.exit_price))
    if not simulated.exit_time - window <= trade.exit_time <= simulated.exit_bar_end + window:
        found.append(divergence(DivergenceCause.TIME_DIFFERS, trade.exit_time, simulated.exit_time))
    return found


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return str(value)
