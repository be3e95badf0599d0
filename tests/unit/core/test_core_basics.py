from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avwap.core.canonical import canonical_json, content_hash, pretty_json, to_plain
from avwap.core.clock import FixedClock, SimulatedClock
from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError
from avwap.core.execution_mode import ExecutionMode
from avwap.core.ids import client_order_id, stable_id
from avwap.core.money import is_valid_tick, round_money, round_price, tick_size


def test_canonical_json_sorts_keys_and_formats_decimals_and_times() -> None:
    moment = dt.datetime(2026, 3, 9, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    data = {"b": Decimal("1.50"), "a": [1, 2.5, None], "t": moment, "d": dt.date(2026, 3, 9)}
    assert (
        canonical_json(data) == b'{"a":[1,2.5,null],"b":"1.50","d":"2026-03-09","t":"2026-03-09T13:30:00Z"}'
    )


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity")])
def test_canonical_json_rejects_non_finite(bad: object) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        canonical_json({"x": bad})


def test_canonical_json_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        canonical_json({"t": dt.datetime(2026, 1, 1)})  # noqa: DTZ001


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=6))
def test_ids_do_not_depend_on_key_order(fields: dict[str, object]) -> None:
    reordered = dict(reversed(list(fields.items())))
    assert stable_id("int", fields) == stable_id("int", reordered)
    assert content_hash(fields) == content_hash(reordered)


def test_stable_id_is_prefixed_and_pinned() -> None:
    identifier = stable_id("int", {"symbol": "AAPL", "date_ny": "2026-04-01"})
    assert identifier.startswith("int_") and len(identifier) == 4 + 32
    assert identifier == stable_id("int", {"date_ny": "2026-04-01", "symbol": "AAPL"})
    with pytest.raises(ValueError, match="unknown id prefix"):
        stable_id("zzz", {})


def test_client_order_id_is_derived_and_bounded() -> None:
    assert client_order_id("int_abc") == "avw-int_abc-entry"
    assert client_order_id("int_abc", "stop", 2) == "avw-int_abc-stop-r2"
    with pytest.raises(ValueError):
        client_order_id("x" * 200)


@pytest.mark.parametrize(
    ("value", "direction", "expected"),
    [
        ("12.345", "down", "12.34"),
        ("12.341", "up", "12.35"),
        ("12.345", "nearest", "12.34"),
        ("0.12345", "down", "0.1234"),
        ("0.99999", "up", "1.00"),
        ("1.004", "down", "1.00"),
    ],
)
def test_round_price_to_ticks(value: str, direction: str, expected: str) -> None:
    assert round_price(value, direction) == Decimal(expected)
    assert is_valid_tick(round_price(value, direction))


def test_tick_size_and_money() -> None:
    assert tick_size("1") == Decimal("0.01")
    assert tick_size("0.5") == Decimal("0.0001")
    assert round_money("2.675") == Decimal("2.68")
    assert round_money(0.125) == Decimal("0.12")


def test_clocks() -> None:
    start = dt.datetime(2026, 1, 2, 14, 30, tzinfo=dt.UTC)
    assert FixedClock(start).now() == start
    clock = SimulatedClock(start)
    assert clock.advance(60) == start + dt.timedelta(minutes=1)
    with pytest.raises(ValueError):
        clock.set(start)
    with pytest.raises(ValueError):
        FixedClock(dt.datetime(2026, 1, 1))  # noqa: DTZ001


def test_config_defaults_to_dry_run_and_dry_run_wins() -> None:
    assert load_config({}).effective_mode is ExecutionMode.DRY_RUN
    config = load_config({"EXECUTION_MODE": "LIVE", "DRY_RUN": "1"})
    assert config.execution_mode is ExecutionMode.LIVE
    assert config.effective_mode is ExecutionMode.DRY_RUN


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MAX_POSITIONS", "five"),
        ("MAX_POSITIONS", "-1"),
        ("KILL_SWITCH", "maybe"),
        ("EXECUTION_MODE", "YOLO"),
        ("LIVE_ENABLE_DATE_NY", "2026-13-01"),
        ("MAX_GROSS_EXPOSURE", "NaN"),
        ("ALLOWLIST_SYMBOLS", "AAPL,$$$"),
    ],
)
def test_config_malformed_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_config({variable: value})
    assert raised.value.variable == variable


def test_config_file_and_precedence(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "avwap.toml"
    path.write_text('MAX_POSITIONS = 3\nALLOWLIST_SYMBOLS = ["msft", "aapl"]\n')
    config = load_config({"AVWAP_CONFIG": str(path), "MAX_POSITIONS": "4"})
    assert config.max_positions == 4
    assert config.allowlist_symbols == ("AAPL", "MSFT")
    path.write_text("NOT_A_SETTING = 1\n")
    with pytest.raises(ConfigurationError, match="NOT_A_SETTING"):
        load_config({"AVWAP_CONFIG": str(path)})


def test_config_hash_ignores_secrets_and_paths() -> None:
    base = load_config({})
    assert base.config_hash() == load_config({"ALPACA_API_KEY": "k", "AVWAP_HOME": "/x"}).config_hash()
    assert base.config_hash() != load_config({"MAX_POSITIONS": "2"}).config_hash()
    where_people_look = {"AVWAP_DASHBOARD_PORT": "9000", "AVWAP_DASHBOARD_RUNS_DIR": "/runs"}
    assert base.config_hash() == load_config(where_people_look).config_hash()
    assert "sekrit-value" not in repr(load_config({"ALPACA_API_KEY": "sekrit-value"}))


def test_the_memoized_config_hash_follows_every_new_config() -> None:
    base = load_config({})
    first = base.config_hash()
    assert base.config_hash() == first and base == load_config({})  # the memo is no field
    changed = dataclasses.replace(base, max_positions=base.max_positions + 1)
    assert changed.config_hash() == load_config({"MAX_POSITIONS": str(base.max_positions + 1)}).config_hash()
    assert changed.config_hash() != first and "_config_hash" not in repr(base)


def test_demo_sessions_must_be_positive() -> None:
    with pytest.raises(ConfigurationError, match="at least 1"):
        load_config({"DEMO_SESSIONS": "0"})


PRETTY_CASES: list[object] = [
    {"a": [], "b": {}, "c": [{}], "d": 'é中\n\t"\\ \u2028 \x01 \x7f', "e": 1e-07, "f": 1.5e300, "g": -0.0},
    {"h": 10**30, "i": [1, [2, []]], "j": None, "k": True, "l": "😀", "": 1, "é": 2, "B": 3},
    [],
    {},
    "x",
    3,
    [[], {}],
    {"z": {"y": [{"x": []}]}},
    {"t": dt.datetime(2026, 3, 9, 13, 30, tzinfo=dt.UTC), "n": Decimal("1.50"), "s": frozenset({"b", "a"})},
    {"lone": "\ud800"},  # not UTF-8: the pure json path
]


@pytest.mark.parametrize("value", PRETTY_CASES)
def test_pretty_json_is_json_dumps_with_indent_2(value: object) -> None:
    expected = json.dumps(to_plain(value), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    assert pretty_json(value) == expected + "\n"


def test_to_plain_fast_paths_keep_the_canonical_forms() -> None:
    class Color(enum.StrEnum):
        RED = "red"

    class Level(enum.IntEnum):
        HIGH = 2

    value = {1: (Color.RED, Level.HIGH, [True, None]), "m": {"k": Decimal("2.0")}}
    plain = to_plain(value)
    assert plain == {"1": ["red", 2, [True, None]], "m": {"k": "2.0"}}
    assert canonical_json(value) == b'{"1":["red",2,[true,null]],"m":{"k":"2.0"}}'


def test_to_plain_leaves_in_containers_take_the_same_path_as_alone() -> None:
    """Leaves of exact builtin types are kept as they are inside dicts and lists; every other leaf (enums,
    Decimals, datetimes, non-finite floats, numpy scalars) is converted (or refused) exactly as alone."""
    import numpy as np

    class Color(enum.StrEnum):
        RED = "red"

    leaves: list[object] = [
        Color.RED,
        Decimal("1.50"),
        dt.date(2026, 3, 9),
        dt.datetime(2026, 3, 9, 13, 30, tzinfo=dt.UTC),
        np.float64(2.5),
        np.int64(7),
        1.25,
        "s",
        3,
        False,
        None,
    ]
    for leaf in leaves:
        alone = to_plain(leaf)
        for wrapped, unwrap in (
            ({"k": leaf}, lambda p: p["k"]),
            ([leaf], lambda p: p[0]),
            ((leaf,), lambda p: p[0]),
        ):
            inner = unwrap(to_plain(wrapped))
            assert inner == alone and type(inner) is type(alone)
    for bad in (float("nan"), Decimal("Infinity")):
        with pytest.raises(ValueError, match="non-finite"):
            to_plain({"k": [bad]})
    assert to_plain({True: 1, 2: {3: "x"}}) == {"True": 1, "2": {"3": "x"}}
