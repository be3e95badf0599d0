"""Fixtures of the watchlist tests: one synthetic bar store per session, one scanned home per module."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.watchlist.scan_fixtures import build_store, scan_into

from avwap.scanning.job import ScanJobResult


@pytest.fixture(scope="session")
def market_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test bar store (read-only for tests: write elsewhere)."""
    return build_store(tmp_path_factory.mktemp("market") / "store")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory, market_store: Path) -> tuple[Path, ScanJobResult]:
    """A home in which the scan for the test trading day ran once (treat as read-only)."""
    home = tmp_path_factory.mktemp("scanned") / "home"
    return home, scan_into(home, market_store)
