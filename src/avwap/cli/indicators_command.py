"""``avwap indicators avwap``: the anchored VWAP series of one CSV file, to check against any other tool.

The file is imported like ``avwap data import`` does (bad rows quarantined, not fatal) with a preset, or with
a spec detected from its header for simple files: a ``date`` (daily) or ``datetime``/``timestamp`` (intraday,
New York time unless the values carry an offset) column plus ``open,high,low,close,volume`` in any case, and
optionally ``symbol``. Daily dates may be ``YYYY-MM-DD``, ``M/D/YYYY`` or ``MM/DD/YY``, read exactly as the
``skender_daily`` preset reads them (same formats, same order, one format per file): slashed dates are month
first (US order; a day-first file is refused when a first field exceeds 12, and misread if none does: use
--preset for those), and two-digit years follow the POSIX pivot (69-99 are 1969-1999, 00-68 are
2000-2068). The frequency of intraday files is the smallest spacing of the first rows (1m, 5m, 10m or 1h). The
anchor bar is the first bar at or after ``--anchor`` (daily files compare dates). Output rows start at the
anchor: close, AVWAP of the typical price (H+L+C)/3, its volume-weighted σ and ±1σ/±2σ bands.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import itertools
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import typer

from avwap.cli.output import JSON_OPTION, print_json, print_table, run_guarded

if TYPE_CHECKING:
    import pandas as pd

    from avwap.data.importing.result import ImportResult
    from avwap.data.importing.spec import ImportSpec

VALUE_NAMES: Final = ("open", "high", "low", "close", "volume")
TIME_NAMES: Final = ("datetime", "timestamp", "date", "time")
DATE_FORMATS: Final = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y")  # the skender_daily preset's, in its order
INTRADAY_FORMATS: Final = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S")
SPACING_FREQUENCIES: Final = {1: "1m", 5: "5m", 10: "10m", 60: "1h"}
SAMPLE_ROWS: Final = 200
DIGITS: Final = 6
OUTPUT_COLUMNS: Final = ("close", "avwap", "sigma", "lower_2", "lower_1", "upper_1", "upper_2")

CSV_OPTION = typer.Option(..., "--csv", help="CSV file of bars.", exists=False)
ANCHOR_OPTION = typer.Option(..., "--anchor", help="Anchor: 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM' (New York).")
PRESET_OPTION = typer.Option(
    None,
    "--preset",
    help=(
        "Import preset (default: detect simple files; dates YYYY-MM-DD, M/D/YYYY or MM/DD/YY, month first, "
        "two-digit years 69-99 = 19xx and 00-68 = 20xx, as the skender_daily preset)."
    ),
)
SYMBOL_OPTION = typer.Option(None, "--symbol", help="Symbol to use when the file holds several.")


class EngineChoice(enum.StrEnum):
    numpy = "numpy"
    numba = "numba"


ENGINE_OPTION = typer.Option(
    EngineChoice.numpy, "--engine", help="AVWAP engine (numpy needs no compile step)."
)


def _sample(path: Path) -> tuple[list[str], list[list[str]]]:
    from avwap.core.errors import DataError

    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(itertools.islice(csv.reader(handle), SAMPLE_ROWS + 1))
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror or error}") from None
    if len(rows) < 2:
        raise DataError(f"{path}: no bars (need a header line and at least one row)")
    return [name.strip() for name in rows[0]], rows[1:]


def _matches(value: str, pattern: str) -> bool:
    try:
        dt.datetime.strptime(value.strip(), pattern)  # noqa: DTZ007 - format check only
    except ValueError:
        return False
    return True


def _time_formats(values: list[str], path: Path) -> tuple[str, ...]:
    """The timestamp formats of the sampled values: every date format when each value is a date in one of
    them (the importer then tries them in order, like the preset does), else the one intraday format that
    reads them all."""
    from avwap.core.errors import DataError

    if all(any(_matches(value, pattern) for pattern in DATE_FORMATS) for value in values):
        return DATE_FORMATS
    for pattern in INTRADAY_FORMATS:
        if all(_matches(value, pattern) for value in values):
            return (pattern,)
    raise DataError(f"{path}: timestamps like {values[0]!r} match no known format; pass --preset NAME")


def _frequency(values: list[str], formats: tuple[str, ...], path: Path) -> str:
    from avwap.core.errors import DataError

    if formats == DATE_FORMATS:
        return "1d"
    pattern = formats[0]
    # Naive wall times are fine here: only the spacing between neighbouring bars matters.
    moments = sorted(dt.datetime.strptime(value.strip(), pattern) for value in values)  # noqa: DTZ007
    gaps = [(later - earlier).total_seconds() / 60 for earlier, later in itertools.pairwise(moments)]
    spacing = min((gap for gap in gaps if gap > 0), default=0.0)
    if spacing not in SPACING_FREQUENCIES:
        raise DataError(f"{path}: bar spacing of {spacing:g} minutes is not 1m/5m/10m/1h; pass --preset NAME")
    return SPACING_FREQUENCIES[int(spacing)]


def detect_spec(path: Path) -> ImportSpec:
    """An import spec for a simple OHLCV file (see the module docstring); DataError for unknown columns."""
    from avwap.core.errors import DataError
    from avwap.data.importing.spec import ImportSpec

    header, rows = _sample(path)
    by_name = {name.lower(): name for name in header}
    time_name = next((by_name[name] for name in TIME_NAMES if name in by_name), None)
    missing = [name for name in VALUE_NAMES if name not in by_name]
    if time_name is None or missing:
        raise DataError(
            f"{path}: cannot detect the columns {header}: expected date or datetime plus "
            f"{','.join(VALUE_NAMES)} (any case); pass --preset NAME (see `avwap data presets`)"
        )
    position = header.index(time_name)
    values = [row[position] for row in rows if len(row) > position and row[position].strip()]
    formats = _time_formats(values, path)
    symbol_column = by_name.get("symbol")
    stem = re.match(r"[A-Za-z0-9.]+", path.stem)
    return ImportSpec(
        name="detected",
        frequency=_frequency(values, formats, path),
        columns={name: by_name[name] for name in VALUE_NAMES},
        timestamp_columns=(time_name,),
        timestamp_formats=formats,
        symbol_column=symbol_column,
        symbol=None if symbol_column else (stem.group(0).upper() if stem else "CSV"),
    )


def _nothing_imported(path: Path, imported: ImportResult) -> str:
    """Why a file gave no bars at all: every row read was dropped, and for which reasons."""
    reasons = ", ".join(f"{code} {count}" for code, count in imported.dropped_by_reason.items())
    return (
        f"{path}: none of its {imported.rows_read} rows was imported; all were dropped "
        f"({reasons or 'no rows'}); see `avwap data presets` or pass --preset NAME"
    )


def _one_symbol(imported: ImportResult, symbol: str | None, path: Path) -> tuple[str, pd.DataFrame]:
    from avwap.core.errors import DataError

    bars = imported.bars
    if not len(bars):
        raise DataError(_nothing_imported(path, imported))
    names = sorted(set(bars["symbol"]))
    if symbol is not None:
        wanted = symbol.strip().upper()
        if wanted not in names:
            raise DataError(
                f"{path}: no bars for {wanted}; symbols in the file: {', '.join(names) or 'none'}"
            )
        return wanted, bars.loc[bars["symbol"] == wanted].reset_index(drop=True)
    if len(names) != 1:
        raise DataError(f"{path}: holds {len(names)} symbols ({', '.join(names[:10])}); pass --symbol")
    return names[0], bars


def anchor_index(timestamps: pd.Series, anchor: str, daily: bool) -> int:
    """Index of the first bar at or after ``anchor`` (New York); DataError when there is none."""
    import pandas as pd

    from avwap.core.errors import DataError

    text = anchor.strip()
    try:
        moment = pd.Timestamp(dt.datetime.fromisoformat(text)).tz_localize("America/New_York")
    except ValueError:
        raise DataError(f"--anchor: expected 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM', got {anchor!r}") from None
    if daily:
        moment = moment.normalize()
    found = int(timestamps.searchsorted(moment, side="left"))
    if found >= len(timestamps):
        last = timestamps.iloc[-1].isoformat() if len(timestamps) else "none"
        raise DataError(f"no bar at or after the anchor {text} (last bar: {last})")
    return found


def _rounded(value: float) -> float | None:
    return round(float(value), DIGITS) if math.isfinite(value) else None


def avwap_rows(bars: pd.DataFrame, start: int, engine: str) -> list[dict[str, Any]]:
    """One row per bar from the anchor bar ``start`` on: timestamp, close, AVWAP, σ and the bands."""
    from avwap.signals.avwap import avwap_series

    high, low, close, volume = (
        bars[column].to_numpy(dtype="float64")[None, :] for column in ("high", "low", "close", "volume")
    )
    series = avwap_series(
        high, low, close, volume, [[start]], engine="numba" if engine == "numba" else "numpy"
    )
    level, sigma = series.avwap[0, 0], series.sigma[0, 0]
    columns = {
        "close": bars["close"].to_numpy(dtype="float64"),
        "avwap": level,
        "sigma": sigma,
        "lower_2": level - 2 * sigma,
        "lower_1": level - sigma,
        "upper_1": level + sigma,
        "upper_2": level + 2 * sigma,
    }
    stamps = bars["timestamp"]
    return [
        {
            "timestamp": stamps.iloc[index].isoformat(),
            **{key: _rounded(columns[key][index]) for key in columns},
        }
        for index in range(start, len(bars))
    ]


def compute(
    path: Path, anchor: str, preset_name: str | None, symbol: str | None, engine: str
) -> dict[str, Any]:
    """The whole command as data (also what ``--json`` prints)."""
    from avwap.data.importing.csv_import import import_csv
    from avwap.data.importing.presets import preset

    spec = preset(preset_name) if preset_name else detect_spec(path)
    imported = import_csv(path, spec)
    name, bars = _one_symbol(imported, symbol, path)
    start = anchor_index(bars["timestamp"], anchor, spec.is_daily)
    report = imported.report
    return {
        "symbol": name,
        "file": path.as_posix(),
        "spec": spec.name,
        "frequency": spec.frequency,
        "anchor": anchor.strip(),
        "anchor_bar": bars["timestamp"].iloc[start].isoformat(),
        # Every row read is accounted for: rows_read == rows_imported + sum(dropped_by_reason).
        "rows_read": report.rows_read,
        "rows_imported": report.rows_imported,
        "rows_quarantined": report.rows_quarantined,
        "rows_outside_session": report.rows_outside_session,
        "rows_dropped": report.rows_dropped,
        "dropped_by_reason": report.dropped_by_reason,
        "quarantined_by_reason": report.reason_counts,
        "symbol_bars": len(bars),
        "rows": avwap_rows(bars, start, engine),
    }


def register(app: typer.Typer) -> None:
    indicators_app = typer.Typer(
        name="indicators",
        help="Indicator series for one CSV file (to compare with other tools).",
        no_args_is_help=True,
    )
    app.add_typer(indicators_app, name="indicators")

    @indicators_app.command("avwap")
    def avwap_command(
        *,
        csv_file: Path = CSV_OPTION,
        anchor: str = ANCHOR_OPTION,
        preset_name: str | None = PRESET_OPTION,
        symbol: str | None = SYMBOL_OPTION,
        engine: EngineChoice = ENGINE_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Anchored VWAP with σ bands from the first bar at/after --anchor (exit 4: bad file or anchor)."""
        result = run_guarded(lambda: compute(csv_file, anchor, preset_name, symbol, engine.value))
        if as_json:
            print_json(result)
            return
        dropped = ", ".join(f"{code} {count}" for code, count in result["dropped_by_reason"].items())
        title = (
            f"AVWAP of {result['symbol']} ({result['frequency']}) anchored at {result['anchor_bar']}; "
            f"{result['rows_read']} rows read, {result['rows_imported']} imported, "
            f"{result['rows_dropped']} dropped" + (f" ({dropped})" if dropped else "")
        )
        print_table(title, ("bar", *OUTPUT_COLUMNS), table_rows(result))


def table_rows(result: dict[str, Any]) -> list[list[str]]:
    """Rows for people: the bar's date (daily) or New York date and time, numbers with 4 decimals."""
    width = 10 if result["frequency"] == "1d" else 16
    return [
        [
            row["timestamp"][:width].replace("T", " "),
            *("" if row[key] is None else f"{row[key]:.4f}" for key in OUTPUT_COLUMNS),
        ]
        for row in result["rows"]
    ]
