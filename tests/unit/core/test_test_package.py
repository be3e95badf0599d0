"""The suite's own ``tests`` package must win over any ``tests`` package a dependency installs."""

from __future__ import annotations

from pathlib import Path

import tests


def test_tests_package_is_the_repository_one() -> None:
    # schwab-py 1.5.1 installs a top-level ``tests`` package into site-packages; a namespace package here
    # would lose to it and every ``from tests.unit ...`` import would fail at collection.
    assert Path(tests.__file__).resolve().parent == Path(__file__).resolve().parents[2]
