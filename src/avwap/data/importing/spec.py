"""``ImportSpec``: how to read one family of bar CSV files into the canonical bar frame.

A spec names the source columns, the timestamp text format(s), the source time zone, whether timestamps
label the bar start or end, where the symbol comes from, and which bars to keep. Specs are frozen records;
build them in code, take a preset (:mod:`avwap.data.importing.presets`), or load a TOML file with
:func:`load_spec`::

    name = "my_vendor"
    frequency = "1m"
    timestamp_columns = ["Date"]
    timestamp_formats = ["%m/%d/%Y %H:%M"]
    timezone = "America/Chicago"
    label = "end"
    symbol_pattern = "^(?P<symbol>[A-Z.]+)_"
    [columns]
    open = "Open"
    high = "High"
    low = "Low"
    close = "Close"
    volume = "Vol"
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from avwap.core.errors import DataError
from avwap.data.bars import FREQUENCIES

VALUE_COLUMNS: Final = ("open", "high", "low", "close", "volume")
Label = Literal["start", "end"]
HourLabel = Literal["clock", "lean"]
SessionPolicy = Literal["regular", "all"]


class ImportSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One CSV family. Column names are the file's (after stripping spaces and a UTF-8 BOM).

    - ``columns``: canonical name (open/high/low/close/volume) -> source column name; treat as read-only.
    - ``timestamp_columns``: source column(s) joined with one space before parsing with the first of
      ``timestamp_formats`` (strptime codes) that parses every row; ``%z`` formats carry their own offset.
    - ``timezone``: zone of naive intraday timestamps. Daily bars keep the written date.
    - ``label``: ``end`` means the timestamp is the bar end; the importer subtracts the bar length.
    - ``hour_label``: ``lean`` means an hourly "09:00" label is the 09:30-09:59 bar (Lean hour files).
    - symbol: ``symbol`` (explicit) wins over ``symbol_column`` which wins over ``symbol_pattern``
      (a regex with a ``symbol`` group searched in the file name).
    - ``session``: ``regular`` keeps only bars that start inside the NYSE regular session; ``all`` keeps
      everything; unset means regular for intraday frequencies and all for daily.
    - ``column_names``: names for the columns of a file without a header line.
    """

    name: str
    frequency: str
    columns: dict[str, str]
    timestamp_columns: tuple[str, ...]
    timestamp_formats: tuple[str, ...]
    timezone: str = "America/New_York"
    label: Label = "start"
    hour_label: HourLabel = "clock"
    delimiter: str = ","
    has_header: bool = True
    column_names: tuple[str, ...] = ()
    symbol: str | None = None
    symbol_column: str | None = None
    symbol_pattern: str | None = None
    volume_multiplier: float = 1.0
    session: SessionPolicy | None = None
    description: str = ""

    def __post_init__(self) -> None:
        problems = spec_problems(self)
        if problems:
            raise DataError(f"import spec {self.name!r}: " + "; ".join(problems))

    @property
    def is_daily(self) -> bool:
        return self.frequency == "1d"

    @property
    def session_policy(self) -> SessionPolicy:
        """The effective session policy (regular by default for intraday, all for daily)."""
        if self.session is not None:
            return self.session
        return "all" if self.is_daily else "regular"

    def required_columns(self) -> tuple[str, ...]:
        """Source columns that must exist in the file, in a stable order."""
        names = [*self.timestamp_columns, *(self.columns[key] for key in VALUE_COLUMNS)]
        if self.symbol is None and self.symbol_column is not None:
            names.append(self.symbol_column)
        return tuple(dict.fromkeys(names))


def spec_problems(spec: ImportSpec) -> list[str]:
    """Everything wrong with ``spec`` (empty when it is usable)."""
    problems = []
    for name, value, allowed in (
        ("label", spec.label, ("start", "end")),
        ("hour_label", spec.hour_label, ("clock", "lean")),
        ("session", spec.session, (None, "regular", "all")),
    ):
        if value not in allowed:
            problems.append(
                f"{name} must be one of {[choice for choice in allowed if choice]}, got {value!r}"
            )
    if spec.frequency not in FREQUENCIES:
        problems.append(f"frequency {spec.frequency!r} is not one of {list(FREQUENCIES)}")
    missing = [key for key in VALUE_COLUMNS if key not in spec.columns]
    unknown = sorted(set(spec.columns) - set(VALUE_COLUMNS))
    if missing:
        problems.append(f"columns lacks {missing}")
    if unknown:
        problems.append(f"columns has unknown keys {unknown} (expected {list(VALUE_COLUMNS)})")
    if not spec.timestamp_columns or not spec.timestamp_formats:
        problems.append("timestamp_columns and timestamp_formats must not be empty")
    if spec.label == "end" and spec.frequency == "1d":
        problems.append("label 'end' applies to intraday bars only")
    if spec.hour_label == "lean" and spec.frequency != "1h":
        problems.append("hour_label 'lean' applies to 1h bars only")
    if not spec.has_header and not spec.column_names:
        problems.append("a file without a header needs column_names")
    if len(spec.delimiter) != 1:
        problems.append(f"delimiter must be one character, got {spec.delimiter!r}")
    if spec.volume_multiplier <= 0:
        problems.append("volume_multiplier must be positive")
    if spec.symbol is None and spec.symbol_column is None and spec.symbol_pattern is None:
        problems.append("no symbol source: set symbol, symbol_column or symbol_pattern")
    if spec.symbol_pattern is not None:
        try:
            if "symbol" not in re.compile(spec.symbol_pattern).groupindex:
                problems.append("symbol_pattern needs a (?P<symbol>...) group")
        except re.error as error:
            problems.append(f"symbol_pattern is not a valid regex: {error}")
    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"unknown time zone {spec.timezone!r}")
    return problems


def with_overrides(spec: ImportSpec, **overrides: object) -> ImportSpec:
    """A copy of ``spec`` with the given fields replaced (``None`` values are ignored)."""
    changes = {key: value for key, value in overrides.items() if value is not None}
    if "symbol" in changes:
        changes["symbol"] = str(changes["symbol"]).strip().upper()
    if not changes:
        return spec
    # Rebuild through the constructor so that the combined spec is checked again.
    return ImportSpec(**{**msgspec.structs.asdict(spec), **changes})


def load_spec(path: Path) -> ImportSpec:
    """Read an :class:`ImportSpec` from a TOML file; any problem is a :class:`DataError` naming the file."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise DataError(f"cannot read import spec {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"import spec {path} is not valid TOML: {error}") from None
    data.setdefault("name", path.stem)
    try:
        return msgspec.convert(data, ImportSpec)
    except msgspec.ValidationError as error:
        raise DataError(f"import spec {path}: {error}") from None
    except DataError as error:
        raise DataError(f"{path}: {error}") from None
