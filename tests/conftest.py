"""Shared fixtures: fixed clocks, temporary homes, and the path to ../shared/data (skip when absent)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from avwap.core.clock import FixedClock
from avwap.core.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("AVWAP_SHARED_DATA", ROOT.parent / "shared" / "data"))

settings.register_profile("ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def shared_data() -> Path:
    """The real market data folder; tests that need it skip with a clear message when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real market data not found at {SHARED_DATA} (set AVWAP_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def fixed_clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 4, 1, 14, 0, tzinfo=dt.UTC))


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "home"
    path.mkdir()
    yield path


@pytest.fixture
def config(home: Path) -> Config:
    return load_config({}, home=home)
