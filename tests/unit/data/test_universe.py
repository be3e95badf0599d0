"""Universe holdings: CSV rules and errors, the atomic cache, the committed fallback, rules, the flag."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError, DataError
from avwap.data.universe import (
    LiquidityRules,
    UniverseMember,
    cache_path,
    fallback_members,
    holdings_csv,
    load_rules,
    load_universe,
    network_allowed,
    parse_holdings,
)

HOLDINGS = (
    "symbol,name,sector,weight\nMSFT,Microsoft Corp.,Information Technology,6.5\naapl,Apple Inc.,IT,7\n"
)


def test_parse_sorts_and_normalizes() -> None:
    assert parse_holdings(HOLDINGS, "h.csv") == (
        UniverseMember("AAPL", "Apple Inc.", "IT", 7.0),
        UniverseMember("MSFT", "Microsoft Corp.", "Information Technology", 6.5),
    )


def test_header_is_case_insensitive_in_any_order_with_a_bom() -> None:
    text = "\ufeffWeight,Sector,SYMBOL,Name\n1.5,Energy,XOM,Exxon Mobil Corp.\n"
    assert parse_holdings(text, "h.csv") == (UniverseMember("XOM", "Exxon Mobil Corp.", "Energy", 1.5),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("symbol,name,sector\nAAPL,Apple,IT\n", "missing column 'weight'"),
        ("ticker,name,sector,weight\nAAPL,Apple,IT,1\n", "unknown column 'ticker'"),
        ("symbol,name,sector,weight,price\nAAPL,Apple,IT,1,190\n", "unknown column 'price'"),
        ("symbol,name,sector,weight\nAAPL,Apple,IT,abc\n", "h.csv:2: column 'weight' is not a number"),
        ("symbol,name,sector,weight\nAAPL,Apple,IT,-1\n", "column 'weight' must be a finite number >= 0"),
        ("symbol,name,sector,weight\nAAPL,Apple,IT,nan\n", "column 'weight' must be a finite number >= 0"),
        ("symbol,name,sector,weight\nAAPL,Apple,IT,\n", "column 'weight' is not a number"),
        ("symbol,name,sector,weight\n$$$,Cash,,1\n", "column 'symbol' is not a ticker"),
        (
            "symbol,name,sector,weight\nAAPL,Apple,IT,1\nMSFT,Msft,IT,1\naapl,Apple,IT,2\n",
            "AAPL listed twice .lines 2 and 4.",
        ),
        ("symbol,name,sector,weight\nAAPL,Apple,IT,1,extra\n", "h.csv:2: expected 4 fields"),
        ("symbol,name,sector,weight\nAAPL,Apple\n", "h.csv:2: expected 4 fields"),
        ("symbol,name,sector,weight\n", "no symbols"),
        ("", "empty holdings file"),
    ],
)
def test_holdings_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_holdings(text, "h.csv")


def test_a_given_file_is_used_and_cached_atomically(tmp_path: Path) -> None:
    holdings = tmp_path / "holdings.csv"
    holdings.write_text(HOLDINGS)
    data_dir = tmp_path / "data"
    universe = load_universe(holdings, data_dir)
    assert (universe.source, universe.symbols) == ("file", ("AAPL", "MSFT"))
    cached = cache_path(data_dir)
    assert cached.read_bytes() == (
        b"symbol,name,sector,weight\n"
        b"AAPL,Apple Inc.,IT,7.0\n"
        b"MSFT,Microsoft Corp.,Information Technology,6.5\n"
    )
    assert [path.name for path in cached.parent.iterdir()] == ["holdings.csv"]  # no temp file left behind
    again = load_universe(None, data_dir)
    assert (again.source, again.members) == ("cache", universe.members)


def test_a_missing_file_falls_back_to_the_cache_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    cache_path(data_dir).parent.mkdir(parents=True)
    cache_path(data_dir).write_bytes(holdings_csv(parse_holdings(HOLDINGS, "h")))
    with caplog.at_level(logging.WARNING, logger="avwap.data.universe"):
        universe = load_universe(tmp_path / "gone.csv", data_dir)
    assert universe.source == "cache"
    assert [record.getMessage().split(":")[0] for record in caplog.records] == ["universe_file_missing"]


def test_without_file_or_cache_the_committed_fallback_is_used(tmp_path: Path) -> None:
    universe = load_universe(None, tmp_path / "data")
    assert universe.source == "fallback"
    assert universe.members == fallback_members()
    assert 25 <= len(universe.members) <= 40
    assert {"AAPL", "MSFT", "JPM", "XOM", "BRK.B"} <= set(universe.symbols)
    assert sum(member.weight for member in universe.members) == pytest.approx(100.0)
    assert all(member.name and member.sector for member in universe.members)
    assert not cache_path(tmp_path / "data").exists()  # the fallback is not cached: it is not a download


def test_a_malformed_file_raises_and_leaves_the_cache_alone(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    load_universe(_write(tmp_path / "good.csv", HOLDINGS), data_dir)
    before = cache_path(data_dir).read_bytes()
    with pytest.raises(DataError, match="missing column 'weight'"):
        load_universe(_write(tmp_path / "bad.csv", "symbol,name,sector\nX,Y,Z\n"), data_dir)
    assert cache_path(data_dir).read_bytes() == before


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --------------------------------------------------------------------------------------------- rules


def test_rules_defaults_match_the_design() -> None:
    assert LiquidityRules() == LiquidityRules(3.0, 750_000.0, 10_000_000.0, 20)


@pytest.mark.parametrize(
    "text",
    [
        "min_price = 5\nlookback_days = 10\n",
        "[liquidity]\nmin_price = 5.0\nlookback_days = 10\n",
    ],
)
def test_rules_file(tmp_path: Path, text: str) -> None:
    rules = load_rules(_write(tmp_path / "rules.toml", text))
    assert rules == LiquidityRules(min_price=5.0, lookback_days=10)


@pytest.mark.parametrize(
    ("text", "variable"),
    [
        ("min_prize = 5\n", "min_prize"),
        ("lookback_days = 2.5\n", "lookback_days"),
        ("lookback_days = 0\n", "lookback_days"),
        ("min_avg_volume = -1\n", "min_avg_volume"),
        ("min_avg_volume = true\n", "min_avg_volume"),
        ("min_price = [1]\n", "min_price"),
    ],
)
def test_bad_rules_name_the_key(tmp_path: Path, text: str, variable: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_rules(_write(tmp_path / "rules.toml", text))
    assert caught.value.variable == variable


def test_rules_file_that_is_not_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_rules(_write(tmp_path / "rules.toml", "min_price = = 3\n"))


@pytest.mark.parametrize(
    ("environ", "configured", "allowed"),
    [
        ({}, False, False),
        ({}, True, True),
        ({"UNIVERSE_ALLOW_NETWORK": "0"}, True, False),  # the environment wins (runtime override)
        ({"UNIVERSE_ALLOW_NETWORK": "yes"}, False, True),
    ],
)
def test_network_flag_environment_first_then_config(
    environ: dict[str, str], configured: bool, allowed: bool
) -> None:
    config = load_config({}, universe_allow_network=configured)
    assert network_allowed(environ, config) is allowed


def test_network_flag_malformed_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        network_allowed({"UNIVERSE_ALLOW_NETWORK": "maybe"}, None)
    assert caught.value.variable == "UNIVERSE_ALLOW_NETWORK"
