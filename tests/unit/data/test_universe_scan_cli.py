"""``avwap scan --universe FILE`` goes through :func:`avwap.data.universe.load_universe`: the file is cached
under the home's data folder; a file that does not exist falls back to that cache (then the committed
fallback); a malformed file is exit 4 with nothing written, not even the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from tests.unit.watchlist.scan_fixtures import build_store, written_files
from typer.testing import CliRunner

from avwap.cli import scan_command
from avwap.data.universe import cache_path

HOLDINGS = "symbol,name,sector,weight\nGOODB,B,Tech,2\nGOODA,A,Tech,1\nPENNY,P,Tech,1\n"


@pytest.fixture(scope="module")
def market_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("market") / "store")


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """test root"""

    scan_command.register(app)
    return app


def scan(home: Path, store: Path, universe: Path) -> tuple[int, str]:
    arguments = ["scan", "--as-of", "2026-11-30", "--data", str(store), "--home", str(home), "--json"]
    result = CliRunner().invoke(cli(), [*arguments, "--universe", str(universe)], env={"COLUMNS": "300"})
    return result.exit_code, result.output


def test_the_file_is_cached_and_a_missing_file_uses_the_cache(tmp_path: Path, market_store: Path) -> None:
    home = tmp_path / "home"
    holdings = tmp_path / "holdings.csv"
    holdings.write_text(HOLDINGS)
    code, output = scan(home, market_store, holdings)
    assert code == 0, output
    assert json.loads(output)["scanned"] == 3
    cached = cache_path(home / "data")
    assert cached.read_text().splitlines()[1:] == ["GOODA,A,Tech,1.0", "GOODB,B,Tech,2.0", "PENNY,P,Tech,1.0"]
    assert not (market_store / "universe").exists()  # --data is read, never written
    code, output = scan(home, market_store, tmp_path / "absent.csv")  # a failed download: the cache
    assert code == 0, output
    assert json.loads(output)["scanned"] == 3


def test_a_missing_file_without_a_cache_uses_the_committed_fallback(
    tmp_path: Path, market_store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    code, output = scan(tmp_path / "home", market_store, tmp_path / "absent.csv")
    # The fallback's large caps are not in the synthetic store: the scan refuses, clearly, to write anything.
    assert code == 4, output
    assert "no universe symbol has a daily bar on 2026-11-27" in output
    assert any(record.getMessage().startswith("universe_file_missing") for record in caplog.records)
    assert written_files(tmp_path / "home") == {}


def test_a_malformed_file_is_exit_4_and_writes_nothing(tmp_path: Path, market_store: Path) -> None:
    home = tmp_path / "home"
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("symbol,name,sector,weight\nGOODA,A,Tech,1\nGOODA,A,Tech,2\n")
    code, output = scan(home, market_store, holdings)
    assert code == 4, output
    assert "listed twice" in output
    assert written_files(home) == {}
    assert not cache_path(home / "data").exists()
