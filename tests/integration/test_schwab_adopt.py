"""``avwap schwab adopt`` (issue 13): a 401(k) that already holds funds starts its book from a snapshot.

A Schwab positions export is recorded (`schwab snapshot --csv`), adopted as the manual book's opening
state, and then every reader agrees with the broker: the book's fold, the portfolio snapshot's equity (to
the cent of the export's Account Total), the strategy attribution (S_401K_ALLOCATION owns the holdings) and
the three-way reconciliation (clean). Adoption is once only, `--dry-run` records nothing, `--force` trues
a traded book up to a later snapshot, fractional shares are refused.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import typer
from tests.integration.allocation_files import TARGETS
from typer.testing import CliRunner

from avwap.analytics.attribution_artifact import attribution_from_home
from avwap.cli import schwab_command
from avwap.core.clock import FixedClock
from avwap.core.config import Config, load_config
from avwap.data.store import BarStore
from avwap.jobs.portfolio import take_snapshot
from avwap.jobs.schwab_adopt import ADOPTION_OWNER, AdoptionRefused, adopt_job
from avwap.ledger.paths import SCHWAB_401K_MANUAL
from avwap.ledger.projection import fold_book
from avwap.ledger.record_enums import CashMovementKind
from avwap.ledger.records import CashMovement, Fill
from avwap.ledger.router import Ledger

pytestmark = pytest.mark.integration
DAY_1, DAY_2 = dt.date(2026, 12, 14), dt.date(2026, 12, 15)
CLOCK = FixedClock(dt.datetime(2026, 12, 14, 22, 0, tzinfo=dt.UTC))
HEADER = '"Symbol","Description","Qty (Quantity)","Price","Mkt Val (Market Value)","Security Type",'
# 300 x 201.10 + 200 x 50.25 + 1,000 x 10.02 + 1,250.40 cash = 81,650.40
HOLDINGS = {"FXAIX": (300, "201.10"), "FSPSX": (200, "50.25"), "FXNAX": (1000, "10.02")}
TOTAL = Decimal("81650.40")


def export(as_of: str, holdings: dict[str, tuple[str | int, str]], cash: str = "1,250.40") -> str:
    lines = [f'"Positions for account Workplace 401k ...123 as of 04:10 PM ET, {as_of}"', "", HEADER]
    for symbol, (quantity, price) in holdings.items():
        value = Decimal(str(quantity)) * Decimal(price)
        lines.append(f'"{symbol}","{symbol} FUND","{quantity}","${price}","${value:,.2f}","Mutual Fund",')
    positions = sum(Decimal(str(q)) * Decimal(p) for q, p in holdings.values())
    total = positions + Decimal(cash.replace(",", ""))
    lines += [f'"Cash & Cash Investments","--","--","--","${cash}","Cash and Money Market",',
              f'"Account Total","--","--","--","${total:,.2f}","--",']  # fmt: skip
    return "\n".join(lines) + "\n"


def _environment(home: Path) -> dict[str, str]:
    return {"AVWAP_HOME": str(home), "ALLOCATION_401K_FILE": str(home.parent / "targets.toml")}


def invoke(home: Path, *arguments: str) -> tuple[int, str, str]:
    app = typer.Typer()
    schwab_command.register(app)
    result = CliRunner().invoke(app, list(arguments), env=_environment(home))
    return result.exit_code, result.stdout, result.stderr


def record_export(home: Path, as_of: str, holdings: dict[str, tuple[str | int, str]]) -> dict[str, object]:
    path = home.parent / f"export-{as_of.replace('/', '-')}.csv"
    path.write_text(export(as_of, holdings), encoding="utf-8")
    code, out, err = invoke(home, "schwab", "snapshot", "--csv", str(path), "--json")
    assert code == 0, err
    return json.loads(out)["snapshot"]  # type: ignore[no-any-return]


def _home(tmp_path: Path) -> tuple[Path, Config]:
    home = tmp_path / "home"
    (tmp_path / "targets.toml").write_text(TARGETS, encoding="utf-8")
    return home, load_config(_environment(home))


def _write_closes(config: Config, closes: dict[dt.date, dict[str, str]]) -> None:
    rows = [
        {"symbol": symbol, "timestamp": pd.Timestamp(day).tz_localize("America/New_York"),
         "open": float(close), "high": float(close), "low": float(close), "close": float(close),
         "volume": 1_000.0}
        for day, by_symbol in closes.items() for symbol, close in by_symbol.items()
    ]  # fmt: skip
    BarStore(config.data_dir).write(pd.DataFrame(rows), "1d")


def test_adopting_an_export_makes_every_reader_agree_with_the_broker(tmp_path: Path) -> None:
    home, config = _home(tmp_path)
    snapshot = record_export(home, "2026/12/14", HOLDINGS)
    assert Decimal(str(snapshot["total_value"])) == TOTAL

    code, out, err = invoke(home, "schwab", "adopt", "--dry-run", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["recorded"] is False and Decimal(shown["book_value"]) == TOTAL
    assert sorted(r["symbol"] for r in shown["records"] if r["type"] == "Fill") == ["FSPSX", "FXAIX", "FXNAX"]
    assert Ledger(config.ledger_dir).read_book(SCHWAB_401K_MANUAL) == []  # a dry run records nothing

    adoption = adopt_job(config.ledger_dir, CLOCK, SCHWAB_401K_MANUAL)
    assert adoption.recorded and adoption.book_value == TOTAL
    records = Ledger(config.ledger_dir).read_book(SCHWAB_401K_MANUAL)
    fills = [r for r in records if isinstance(r, Fill)]
    assert {(f.symbol, f.quantity, f.price, f.strategy_id) for f in fills} == {
        ("FXAIX", 300, Decimal("201.10"), ADOPTION_OWNER),
        ("FSPSX", 200, Decimal("50.25"), ADOPTION_OWNER),
        ("FXNAX", 1000, Decimal("10.02"), ADOPTION_OWNER),
    }
    movements = [r for r in records if isinstance(r, CashMovement)]
    assert all(f"adopted from snapshot {snapshot['snapshot_id']}" in m.reason for m in movements)
    assert sum(m.amount for m in movements if m.kind == CashMovementKind.DEPOSIT) == TOTAL
    state = fold_book(records, SCHWAB_401K_MANUAL)
    assert state.cash == Decimal("1250.40")
    assert state.symbol_quantities() == {symbol: quantity for symbol, (quantity, _) in HOLDINGS.items()}

    # The portfolio snapshot at the export's prices is the broker's total, to the cent.
    _write_closes(config, {DAY_1: {s: p for s, (_, p) in HOLDINGS.items()},
                           DAY_2: {"FXAIX": "203.10", "FSPSX": "50.25", "FXNAX": "10.00"}})  # fmt: skip
    assert take_snapshot(config, SCHWAB_401K_MANUAL, DAY_1).snapshot.equity == TOTAL
    second = take_snapshot(config, SCHWAB_401K_MANUAL, DAY_2).snapshot
    assert second.equity == TOTAL + 300 * Decimal("2.00") - 1000 * Decimal("0.02")
    outcome = attribution_from_home(config.ledger_dir, config.artifacts_dir, SCHWAB_401K_MANUAL, DAY_1, DAY_2)
    report = outcome.report
    assert outcome.mismatched == () and report.start_equity == TOTAL
    (strategy,) = report.strategies
    assert strategy.name == ADOPTION_OWNER and strategy.pnl == report.portfolio.pnl == Decimal("580.00")

    code, out, err = invoke(home, "schwab", "reconcile", "--as-of", "2026-12-14", "--no-slack", "--json")
    assert code == 0, out + err
    assert json.loads(out)["report"]["status"] == "CLEAN"

    # Once only: the same snapshot again books nothing; a different one is refused without --force.
    assert adopt_job(config.ledger_dir, CLOCK, SCHWAB_401K_MANUAL).records == ()
    record_export(home, "2026/12/15", {**HOLDINGS, "FXAIX": (310, "203.10")})
    code, _, err = invoke(home, "schwab", "adopt")
    assert code == 4 and "--force" in err
    with pytest.raises(AdoptionRefused):
        adopt_job(config.ledger_dir, CLOCK, SCHWAB_401K_MANUAL)


def test_force_trues_a_book_up_to_a_later_snapshot(tmp_path: Path) -> None:
    home, config = _home(tmp_path)
    record_export(home, "2026/12/14", HOLDINGS)
    adopt_job(config.ledger_dir, CLOCK, SCHWAB_401K_MANUAL)
    later = {"FXAIX": (310, "203.10"), "FSPSX": (200, "50.25")}  # 10 more FXAIX, FXNAX sold
    record_export(home, "2026/12/15", later)
    clock = FixedClock(dt.datetime(2026, 12, 15, 22, 0, tzinfo=dt.UTC))
    adoption = adopt_job(config.ledger_dir, clock, SCHWAB_401K_MANUAL, force=True)
    assert sorted((f.symbol, str(f.side), f.quantity) for f in adoption.fills) == [
        ("FXAIX", "BUY", 10),
        ("FXNAX", "SELL", 1000),
    ]
    state = fold_book(Ledger(config.ledger_dir).read_book(SCHWAB_401K_MANUAL), SCHWAB_401K_MANUAL)
    assert state.symbol_quantities() == {"FXAIX": 310, "FSPSX": 200}
    assert state.cash == Decimal("1250.40")


def test_fractional_shares_and_a_missing_snapshot_are_refused_and_nothing_is_recorded(tmp_path: Path) -> None:
    home, config = _home(tmp_path)
    code, _, err = invoke(home, "schwab", "adopt")
    assert code == 4 and "no snapshot" in err
    record_export(home, "2026/12/14", {**HOLDINGS, "FXNAX": ("1000.125", "10.02")})
    code, _, err = invoke(home, "schwab", "adopt")
    assert code == 4 and "FXNAX" in err and "fractional" in err
    assert Ledger(config.ledger_dir).read_book(SCHWAB_401K_MANUAL) == []
