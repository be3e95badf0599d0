"""``avwap regime``: the market regime (Phase E1, measurement only) of a range of NY dates.

``show`` labels ``--from .. --to`` from the bar store and prints it (nothing is written, except the chart
when ``--chart`` names a file); ``label`` does the same and appends one ``REGIME_E1`` record per date that
the stream does not hold yet. Exit 4 when the bar store cannot be read.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from avwap.cli.output import JSON_OPTION, load_cli_config, print_json, print_table, run_guarded

if TYPE_CHECKING:
    from avwap.jobs.regime import RegimeHistory
    from avwap.regimes.classifier import RegimeDay

FROM_OPTION = typer.Option(..., "--from", formats=["%Y-%m-%d"], help="First NY date (YYYY-MM-DD).")
TO_OPTION = typer.Option(..., "--to", formats=["%Y-%m-%d"], help="Last NY date (YYYY-MM-DD).")
HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")
DATA_OPTION = typer.Option(None, "--data", help="Bar store root (default: <home>/data).")
CHART_OPTION = typer.Option(None, "--chart", help="Write an SVG chart (benchmark close on label bands).")
COLUMNS = ("date", "label", "confidence", "volatility", "drawdown", "trend", "breadth", "reasons")


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def day_row(day: RegimeDay) -> tuple[str, ...]:
    return (
        day.date.isoformat(), day.label.value, f"{day.confidence:.2f}", _percent(day.volatility),
        _percent(day.drawdown), _percent(day.trend), _percent(day.breadth), " ".join(day.reasons),
    )  # fmt: skip


def day_json(day: RegimeDay) -> dict[str, Any]:
    return {
        "date": day.date,
        "label": day.label.value,
        "candidate": day.candidate.value if day.candidate else None,
        "confidence": round(day.confidence, 4),
        "score": None if day.score is None else round(day.score, 4),
        "volatility": day.volatility,
        "drawdown": day.drawdown,
        "trend": day.trend,
        "breadth": day.breadth,
        "breadth_symbols": day.breadth_symbols,
        "levels": {name: label.value for name, label in day.levels.items()},
        "pending_sessions": day.pending_sessions,
        "reason_codes": list(day.reasons),
    }


def distribution(history: RegimeHistory) -> dict[str, int]:
    counts: dict[str, int] = {}
    for day in history.days:
        counts[day.label.value] = counts.get(day.label.value, 0) + 1
    return dict(sorted(counts.items()))


def history_json(history: RegimeHistory) -> dict[str, Any]:
    return {
        "from": history.start, "to": history.end, "benchmark": history.benchmark,
        "bars_source": history.bars_source, "data_sha256": history.data_sha256,
        "config_hash": history.config_hash, "universe_symbols": history.universe_symbols,
        "distribution": distribution(history), "days": [day_json(day) for day in history.days],
    }  # fmt: skip


def _label(home: Path | None, data: Path | None, start: dt.datetime, end: dt.datetime) -> Any:
    from avwap.jobs.regime import label_history

    config = load_cli_config(home=home)
    return config, label_history(config, start.date(), end.date(), data)


def _print_history(title: str, history: RegimeHistory) -> None:
    print_table(title, COLUMNS, [day_row(day) for day in history.days])
    summary = [("benchmark", f"{history.benchmark} ({history.bars_source})")]
    summary.append(("universe symbols", str(history.universe_symbols)))
    summary += [(label, str(count)) for label, count in distribution(history).items()]
    print_table("regime summary", ("figure", "value"), summary)


def _write_chart(path: Path, history: RegimeHistory) -> None:
    from avwap.core.files import atomic_write_bytes
    from avwap.presentation.regime_chart import regime_chart

    title = f"{history.benchmark} regime {history.start} .. {history.end}"
    labels = {day.date: day.label.value for day in history.days}
    svg = regime_chart(title, labels, history.closes, history.benchmark)
    atomic_write_bytes(path, svg.encode("utf-8"))


def register(app: typer.Typer) -> None:
    regime_app = typer.Typer(
        name="regime", help="Market regime labels (E1, measurement only).", no_args_is_help=True
    )
    app.add_typer(regime_app, name="regime")
    from avwap.cli import regime_attribution_command

    regime_attribution_command.register(regime_app)  # avwap regime attribution report|summarize (E3)

    @regime_app.command("show")
    def show(  # noqa: PLR0917 - one option each (typer passes them by name)
        start: dt.datetime = FROM_OPTION,
        end: dt.datetime = TO_OPTION,
        home: Path | None = HOME_OPTION,
        data: Path | None = DATA_OPTION,
        chart: Path | None = CHART_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Label the range from the bar store and print it (writes nothing but --chart)."""

        def body() -> None:
            _, history = _label(home, data, start, end)
            if chart is not None:
                _write_chart(chart, history)
            if as_json:
                print_json(history_json(history))
            else:
                _print_history(f"avwap regime {history.start} .. {history.end}", history)

        run_guarded(body)

    @regime_app.command("label")
    def label(
        start: dt.datetime = FROM_OPTION,
        end: dt.datetime = TO_OPTION,
        home: Path | None = HOME_OPTION,
        data: Path | None = DATA_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Label the range and append one REGIME_E1 record per date the stream does not hold yet."""

        def body() -> None:
            from avwap.core.clock import SystemClock
            from avwap.jobs.regime import record_history

            config, history = _label(home, data, start, end)
            outcome = record_history(config, history, SystemClock())
            written = set(outcome.written)
            if as_json:
                data_out = history_json(history)
                data_out["days"] = [day_json(day) for day in history.days if day.date in written]
                data_out["written"] = outcome.written
                data_out["already_recorded"] = outcome.already_recorded
                print_json(data_out)
                return
            rows = [day_row(day) for day in history.days if day.date in written]
            print_table(f"REGIME_E1: {len(rows)} dates recorded", COLUMNS, rows)
            if outcome.already_recorded:
                skipped = outcome.already_recorded
                print_table(
                    "not appended (the stream already ends later)",
                    ("dates", "first", "last"),
                    [(len(skipped), skipped[0], skipped[-1])],
                )

        run_guarded(body)
