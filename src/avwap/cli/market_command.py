"""``avwap market``: generate the deterministic synthetic market into the bar store (``<home>/data``).

``generate`` reuses a market already there when its ``market.json`` matches the requested spec (``--force``
rewrites it anyway, byte for byte the same). It refuses a data folder holding bars that it did not generate.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import typer

from avwap.cli.output import JSON_OPTION, load_cli_config, print_json, print_table, run_guarded

if TYPE_CHECKING:
    from avwap.data.synthetic import SyntheticMarketSpec

INTRADAY_SESSIONS: Final = 25

HOME_OPTION = typer.Option(
    None, "--home", help="avwap home folder (overrides AVWAP_HOME); bars go to <home>/data."
)
SYMBOLS_OPTION = typer.Option(
    300, "--symbols", min=1, help="Number of synthetic stocks (SPY and IWM come on top)."
)
SEED_OPTION = typer.Option(None, "--seed", min=0, help="Random seed (default: DEMO_SEED, 7).")
START_OPTION = typer.Option(
    None, "--start", formats=["%Y-%m-%d"], help="First daily session (default 2023-11-01)."
)
END_OPTION = typer.Option(None, "--end", formats=["%Y-%m-%d"], help="Last session (default 2026-11-30).")
FORCE_OPTION = typer.Option(False, "--force", help="Rewrite even when a matching market is already there.")


def summary_rows(record: dict[str, Any]) -> list[tuple[str, str]]:
    """The human table of a market summary."""
    rows = [("folder", str(record["root"])), ("reused", "yes" if record["reused"] else "no")]
    rows += [("seed", str(record["seed"])), ("stocks", str(record["symbol_count"]))]
    rows.append(("benchmarks", ", ".join(record["benchmarks"])))
    for part in ("daily", "intraday"):
        info = record.get(part)
        if info:
            text = f"{info['start']} .. {info['end']}: {info['sessions']} sessions, {info['rows']} bars"
            rows.append((f"{part} ({info['frequency']})", text))
    rows.append(("content hash", str(record["content_hash"])[:16]))
    return rows


def register(app: typer.Typer) -> None:
    market_app = typer.Typer(
        name="market",
        help="The deterministic synthetic market (what `avwap demo` trades).",
        no_args_is_help=True,
    )
    app.add_typer(market_app, name="market")

    @market_app.command("generate")
    def generate(
        *,
        symbols: int = SYMBOLS_OPTION,
        seed: int | None = SEED_OPTION,
        start: dt.datetime | None = START_OPTION,
        end: dt.datetime | None = END_OPTION,
        home: Path | None = HOME_OPTION,
        force: bool = FORCE_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Generate a seeded synthetic US equity market (daily and 5-minute bars, universe.csv)."""

        def body() -> None:
            from avwap.data.synthetic import ensure_market, write_market

            config = load_cli_config(home=home)
            spec = build_spec(
                seed=config.demo_seed if seed is None else seed,
                symbols=symbols,
                start=start.date() if start else None,
                end=end.date() if end else None,
            )
            action = write_market if force else ensure_market
            record = action(spec, config.data_dir).to_record()
            if as_json:
                print_json(record)
            else:
                print_table("Synthetic market", ("item", "value"), summary_rows(record))

        run_guarded(body)


def build_spec(*, seed: int, symbols: int, start: dt.date | None, end: dt.date | None) -> SyntheticMarketSpec:
    """The spec of the command line: the demo defaults, with the five intraday weeks (25 sessions) moved
    along with ``--end`` and never before ``--start``."""
    from avwap.core.calendar import nyse
    from avwap.data.synthetic import SyntheticMarketSpec

    defaults = SyntheticMarketSpec()
    daily_start, daily_end = start or defaults.daily_start, end or defaults.daily_end
    intraday_start = defaults.intraday_start
    if end is not None:
        recent = nyse().sessions(daily_end - dt.timedelta(days=60), daily_end)
        intraday_start = recent[-INTRADAY_SESSIONS] if len(recent) >= INTRADAY_SESSIONS else daily_end
    if intraday_start is not None and intraday_start < daily_start:
        intraday_start = daily_start
    return SyntheticMarketSpec(
        seed=seed,
        symbols=symbols,
        daily_start=daily_start,
        daily_end=daily_end,
        intraday_start=intraday_start,
    )
