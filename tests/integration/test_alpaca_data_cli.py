"""``avwap sync`` against the fake Alpaca market-data API, and ``avwap universe show``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from tests.fakes.alpaca_data_server import (
    API_KEY,
    SECRET_KEY,
    FakeAlpacaData,
    alpaca_data_server_fixture,  # noqa: F401 - registers the ``alpaca_data_server`` fixture
    make_bars,
)
from typer.testing import CliRunner

from avwap.cli.sync_command import register
from avwap.data.store import BarStore

pytestmark = pytest.mark.integration
HOLDINGS = "symbol,name,sector,weight\nAAA,Triple A,Energy,60\nBBB,Double B,Utilities,40\n"


@pytest.fixture
def market(alpaca_data_server: FakeAlpacaData) -> FakeAlpacaData:
    alpaca_data_server.add_frame(make_bars(("AAA", "BBB"), dt.date(2023, 1, 3), dt.date(2024, 6, 28)))
    return alpaca_data_server


def invoke(*arguments: str, environment: dict[str, str] | None = None) -> tuple[int, str, str]:
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, list(arguments), env={"AVWAP_HOME": "", **(environment or {})})
    return result.exit_code, result.stdout, result.stderr


def keys(fake: FakeAlpacaData) -> dict[str, str]:
    return {"ALPACA_API_KEY": API_KEY, "ALPACA_SECRET_KEY": SECRET_KEY, "ALPACA_DATA_URL": fake.url}


def test_sync_symbols_as_json(market: FakeAlpacaData, home: Path) -> None:
    code, output, errors = invoke(
        "sync", "--symbols", "aaa,NODATA", "--as-of", "2024-03-29", "--backfill-days", "30",
        "--home", str(home), "--json", environment=keys(market),
    )  # fmt: skip
    assert code == 0, errors
    record: dict[str, Any] = json.loads(output)
    assert record["as_of"] == "2024-03-28"  # Good Friday: the session before
    assert (record["symbols"], record["batches_run"], record["symbols_without_data"]) == (2, 1, ["NODATA"])
    assert record["rows_written"] == len(BarStore(home / "data").read("1d")) > 0
    assert market.requests[0]["symbols"] == "AAA,NODATA"


def test_sync_a_universe_file_with_a_table(market: FakeAlpacaData, home: Path, tmp_path: Path) -> None:
    holdings = tmp_path / "holdings.csv"
    holdings.write_text(HOLDINGS)
    code, output, errors = invoke(
        "sync", "--universe", str(holdings), "--as-of", "2024-03-28", "--backfill-days", "10",
        "--frequency", "1d", "--home", str(home), environment=keys(market),
    )  # fmt: skip
    assert code == 0, errors
    assert "rows written" in output
    assert BarStore(home / "data").symbols("1d") == ["AAA", "BBB"]
    assert (home / "data" / "universe" / "holdings.csv").exists()  # the file was cached


@pytest.mark.parametrize(
    ("arguments", "environment", "code"),
    [
        (["--symbols", "AAA", "--universe", "x.csv"], "keys", 2),
        (["--symbols", "AAA", "--as-of", "28/03/2024"], "keys", 2),
        (["--universe", "missing.csv", "--as-of", "2024-03-28"], "keys", 4),
        (["--symbols", "AAA", "--as-of", "2024-03-28"], "none", 3),  # no keys: configuration error
    ],
)
def test_sync_exit_codes(
    market: FakeAlpacaData, home: Path, arguments: list[str], environment: str, code: int
) -> None:
    values = keys(market) if environment == "keys" else {"ALPACA_API_KEY": "", "ALPACA_SECRET_KEY": ""}
    assert invoke("sync", *arguments, "--home", str(home), environment=values)[0] == code
    assert market.request_count() == 0


def test_universe_show_fallback_and_file(home: Path, tmp_path: Path) -> None:
    code, output, _ = invoke("universe", "show", "--home", str(home), "--json")
    assert code == 0
    fallback = json.loads(output)
    assert fallback["source"] == "fallback" and len(fallback["members"]) >= 25
    holdings = tmp_path / "holdings.csv"
    holdings.write_text(HOLDINGS)
    code, output, _ = invoke("universe", "show", "--file", str(holdings), "--home", str(home), "--json")
    assert [member["symbol"] for member in json.loads(output)["members"]] == ["AAA", "BBB"]
    code, output, _ = invoke("universe", "show", "--home", str(home), "--json")
    assert json.loads(output)["source"] == "cache"


def test_universe_show_with_rules_on_stored_bars(home: Path, tmp_path: Path) -> None:
    bars = make_bars(("AAA",), dt.date(2024, 1, 2), dt.date(2024, 3, 28))
    BarStore(home / "data").write(bars, "1d")
    (tmp_path / "h.csv").write_text(HOLDINGS)
    (tmp_path / "rules.toml").write_text("[liquidity]\nmin_price = 100\n")
    code, output, errors = invoke(
        "universe", "show", "--file", str(tmp_path / "h.csv"), "--rules", str(tmp_path / "rules.toml"),
        "--as-of", "2024-03-28", "--home", str(home), "--json", environment={"UNIVERSE_ALLOW_NETWORK": "0"},
    )  # fmt: skip
    assert code == 0, errors
    shown = json.loads(output)
    assert shown["network_skipped"] is True
    # Network disallowed (E1.3): nothing is filtered; what the stored metrics would reject is advisory.
    assert [(m["symbol"], m["kept"], m["reasons"], m["metrics_source"]) for m in shown["members"]] == [
        ("AAA", True, [], "store"),
        ("BBB", True, [], "none"),
    ]
    assert shown["members"][0]["advisory"] == ["PRICE_TOO_LOW"]  # ~$50 < $100
    code, output, _ = invoke("universe", "show", "--rules", str(tmp_path / "rules.toml"), "--home", str(home))
    assert code == 0 and "kept" in output
