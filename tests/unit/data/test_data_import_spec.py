"""ImportSpec: TOML parsing, checks that refuse unusable specs, overrides, presets."""

from __future__ import annotations

from pathlib import Path

import pytest

from avwap.core.errors import DataError
from avwap.data.importing.presets import PRESETS, preset
from avwap.data.importing.spec import ImportSpec, load_spec, with_overrides

VALID_TOML = """
name = "vendor_x"
frequency = "1m"
timestamp_columns = ["Date", "Time"]
timestamp_formats = ["%m/%d/%Y %H:%M"]
timezone = "America/Chicago"
label = "end"
symbol_pattern = "^(?P<symbol>[A-Z.]+)_"
volume_multiplier = 100
[columns]
open = "O"
high = "H"
low = "L"
close = "C"
volume = "V"
"""


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_toml_spec_is_parsed_into_a_frozen_record(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, VALID_TOML))
    assert spec.name == "vendor_x"
    assert spec.frequency == "1m"
    assert spec.timestamp_columns == ("Date", "Time")
    assert spec.label == "end"
    assert spec.volume_multiplier == 100.0
    assert spec.session_policy == "regular"  # intraday default
    assert spec.required_columns() == ("Date", "Time", "O", "H", "L", "C", "V")
    with pytest.raises(AttributeError):
        spec.name = "other"  # type: ignore[misc]


def test_the_spec_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    text = VALID_TOML.replace('name = "vendor_x"\n', "")
    assert load_spec(write(tmp_path, text, "my_feed.toml")).name == "my_feed"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('frequency = "1m"', 'frequency = "2m"'), "frequency '2m'"),
        (('label = "end"', 'label = "middle"'), "label"),
        (('close = "C"\n', ""), "columns lacks ['close']"),
        (('timezone = "America/Chicago"', 'timezone = "Mars/Olympus"'), "unknown time zone"),
        (('symbol_pattern = "^(?P<symbol>[A-Z.]+)_"', 'symbol_pattern = "^([A-Z]+)_"'), "(?P<symbol>"),
        (('symbol_pattern = "^(?P<symbol>[A-Z.]+)_"', 'symbol_pattern = "x"\ncolour = "red"'), "colour"),
        (('frequency = "1m"', 'frequency = "1d"'), "label 'end' applies to intraday bars only"),
        (("volume_multiplier = 100", "volume_multiplier = 0"), "volume_multiplier"),
    ],
)
def test_unusable_specs_are_refused_with_the_file_named(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    text = VALID_TOML.replace(*change)
    path = write(tmp_path, text)
    with pytest.raises(DataError) as caught:
        load_spec(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_invalid_toml_and_missing_file_are_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not valid TOML"):
        load_spec(write(tmp_path, "name = [unclosed"))
    with pytest.raises(DataError, match="cannot read import spec"):
        load_spec(tmp_path / "absent.toml")


def test_a_spec_needs_a_symbol_source() -> None:
    with pytest.raises(DataError, match="no symbol source"):
        ImportSpec(
            name="x",
            frequency="1d",
            columns={"open": "o", "high": "h", "low": "l", "close": "c", "volume": "v"},
            timestamp_columns=("d",),
            timestamp_formats=("%Y-%m-%d",),
        )


def test_overrides_replace_fields_and_are_checked_again() -> None:
    base = preset("lean_minute")
    changed = with_overrides(base, symbol=" spy ", session="all", label="end", timezone=None)
    assert changed.symbol == "SPY"
    assert changed.session_policy == "all"
    assert changed.label == "end"
    assert changed.timezone == base.timezone
    assert with_overrides(base) is base
    with pytest.raises(DataError, match="frequency"):
        with_overrides(base, frequency="3m")
    with pytest.raises(DataError, match="label 'end'"):
        with_overrides(preset("lean_daily"), label="end")


def test_every_preset_is_valid_and_listed_by_name() -> None:
    assert list(PRESETS) == sorted(PRESETS)
    for name, spec in PRESETS.items():
        assert spec.name == name
        assert spec.description
        assert spec.session_policy == ("all" if spec.frequency == "1d" else "regular")


def test_presets_encode_the_provenance_facts() -> None:
    assert preset("alphavantage_1min").label == "end"
    assert preset("ninjatrader_minute").timezone == "UTC"
    assert preset("ninjatrader_minute").label == "end"
    assert not preset("ninjatrader_minute").has_header
    assert preset("ib_5min_raw").timezone == "Europe/Budapest"
    assert preset("ib_5min_raw").volume_multiplier == 100
    assert preset("ib_5min_et").columns["volume"] == "volume_shares"
    assert preset("lean_hour").hour_label == "lean"
    assert preset("sp500_index_1min").columns["close"] == "Close"


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(DataError, match="cnuge_daily"):
        preset("nope")
