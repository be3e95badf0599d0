"""Universe liquidity rules on bar-store metrics, and the network guardrails (roadmap E1.2 and E1.3).

With ``UNIVERSE_ALLOW_NETWORK`` off the metrics provider is never invoked (nor its module imported), the rules
fail open (NOTHING is filtered; what stored metrics would reject is reported as advisory) and
``universe_network_disallowed`` is logged exactly once per call.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import pytest

from avwap.core.calendar import nyse
from avwap.core.errors import BrokerUnavailableError, ConfigurationError
from avwap.data.store import BarStore
from avwap.data.universe import LiquidityRules, get_universe_metrics, select_universe
from avwap.data.universe_metrics import (
    StoreMetricsProvider,
    SymbolMetrics,
    lookback_sessions,
    metrics_from_bars,
)

AS_OF = dt.date(2024, 3, 28)  # Thursday before Good Friday
RULES = LiquidityRules(lookback_days=5)


def daily(
    symbol: str, closes: Sequence[float], volumes: Sequence[float], last: dt.date = AS_OF
) -> pd.DataFrame:
    days = nyse().sessions(nyse().sessions_back(last, len(closes) - 1), last)
    return pd.DataFrame(
        {
            "symbol": symbol,
            "timestamp": [pd.Timestamp(day).tz_localize("America/New_York") for day in days],
            "open": closes,
            "high": closes,
            "low": closes,
            "close": closes,
            "volume": volumes,
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> BarStore:
    store = BarStore(tmp_path / "data")
    frames = [
        daily("LIQ", [50.0] * 8, [1_000_000.0] * 8),  # $50M a day: kept
        daily("PENNY", [2.0] * 8, [10_000_000.0] * 8),  # $20M a day but under $3
        daily("THIN", [20.0] * 8, [100_000.0] * 8),  # 100k shares, $2M
        daily("NEWCO", [30.0] * 3, [5_000_000.0] * 3),  # 3 sessions only: no metrics
    ]
    store.write(pd.concat(frames, ignore_index=True), "1d")
    return store


class RecordingProvider:
    """A fake network provider that records its calls."""

    def __init__(
        self, metrics: Mapping[str, SymbolMetrics] | None = None, error: Exception | None = None
    ) -> None:
        self.calls: list[tuple[tuple[str, ...], dt.date, int]] = []
        self._metrics = metrics or {}
        self._error = error

    def metrics(self, symbols: Sequence[str], as_of: dt.date, lookback: int) -> Mapping[str, SymbolMetrics]:
        self.calls.append((tuple(symbols), as_of, lookback))
        if self._error is not None:
            raise self._error
        return {symbol: self._metrics[symbol] for symbol in symbols if symbol in self._metrics}


def network_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage().split(":")[0] for record in caplog.records if record.name == "avwap.data.universe"
    ]


def test_metrics_are_hand_computable() -> None:
    frame = daily("ABC", [10.0, 11.0, 12.0, 13.0, 14.0, 15.0], [100.0, 200.0, 300.0, 400.0, 500.0, 600.0])
    metrics = metrics_from_bars(frame, AS_OF, 5)["ABC"]
    assert metrics.last_close == 15.0
    assert metrics.avg_volume == 400.0  # the last five bars: 200..600
    assert metrics.avg_dollar_volume == (11 * 200 + 12 * 300 + 13 * 400 + 14 * 500 + 15 * 600) / 5
    assert (metrics.bars, metrics.last_date, metrics.source) == (5, AS_OF, "store")


def test_the_window_ends_at_the_last_session_on_or_before_as_of() -> None:
    assert lookback_sessions(dt.date(2024, 3, 29), 3) == (dt.date(2024, 3, 26), AS_OF)  # Good Friday
    frame = daily("ABC", [10.0] * 5, [100.0] * 5, last=dt.date(2024, 3, 27))  # no bar on the 28th
    assert metrics_from_bars(frame, AS_OF, 3) == {}  # a missing session: unknown, not illiquid


def test_rules_filter_on_stored_metrics_with_ordered_reasons_when_the_network_is_allowed(
    store: BarStore,
) -> None:
    provider = RecordingProvider()
    selection = select_universe(
        ["liq", "PENNY", "THIN"], RULES, AS_OF, offline=StoreMetricsProvider(store), allow_network=True,
        network_factory=lambda: provider,
    )  # fmt: skip
    assert [(item.symbol, item.kept, item.reasons, item.advisory) for item in selection.decisions] == [
        ("LIQ", True, (), ()),
        ("PENNY", False, ("PRICE_TOO_LOW",), ()),
        ("THIN", False, ("VOLUME_TOO_LOW", "DOLLAR_VOLUME_TOO_LOW"), ()),
    ]
    assert selection.kept_symbols == ("LIQ",)
    assert not selection.network_skipped
    assert provider.calls == []  # the store measured everything


def test_network_disallowed_skips_the_provider_and_filters_nothing(
    store: BarStore, caplog: pytest.LogCaptureFixture
) -> None:
    provider = RecordingProvider()
    with caplog.at_level(logging.WARNING):
        selection = select_universe(
            ["LIQ", "NEWCO", "GHOST", "THIN", "PENNY"], RULES, AS_OF, offline=StoreMetricsProvider(store),
            allow_network=False, network_factory=lambda: provider,
        )  # fmt: skip
    assert provider.calls == []  # E1.3: never invoked offline
    assert network_messages(caplog) == ["universe_network_disallowed"]  # exactly once per call
    assert "5 symbol(s) kept unfiltered (2 without stored metrics)" in caplog.records[0].getMessage()
    assert selection.kept_symbols == ("GHOST", "LIQ", "NEWCO", "PENNY", "THIN")  # fail open: nothing filtered
    assert [(item.symbol, item.reasons, item.advisory) for item in selection.decisions] == [
        ("GHOST", (), ()),
        ("LIQ", (), ()),
        ("NEWCO", (), ()),
        ("PENNY", (), ("PRICE_TOO_LOW",)),  # would-be rejections are advisory only
        ("THIN", (), ("VOLUME_TOO_LOW", "DOLLAR_VOLUME_TOO_LOW")),
    ]
    decisions = {item.symbol: item for item in selection.decisions}
    assert decisions["NEWCO"].metrics_source == "none"
    assert decisions["THIN"].metrics_source == "store"
    assert selection.network_skipped and not selection.network_allowed


def test_without_any_offline_metrics_nothing_is_filtered(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        selection = select_universe(["AAA", "BBB"], RULES, AS_OF, offline=None, allow_network=False)
        select_universe(["AAA"], RULES, AS_OF, offline=None, allow_network=False)
    assert selection.kept_symbols == ("AAA", "BBB")
    assert network_messages(caplog) == ["universe_network_disallowed"] * 2  # once per call


def test_the_warning_is_logged_on_every_disallowed_call_even_when_the_store_measures_everything(
    store: BarStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            selection = select_universe(
                ["LIQ", "THIN"], RULES, AS_OF, offline=StoreMetricsProvider(store), allow_network=False
            )
    assert network_messages(caplog) == ["universe_network_disallowed"] * 2
    assert selection.kept_symbols == ("LIQ", "THIN")


def test_no_warning_when_the_network_is_allowed_and_the_store_measures_everything(
    store: BarStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        select_universe(["LIQ"], RULES, AS_OF, offline=StoreMetricsProvider(store), allow_network=True)
    assert network_messages(caplog) == []


def test_network_allowed_asks_the_provider_for_the_missing_symbols_only(store: BarStore) -> None:
    newco = SymbolMetrics("NEWCO", 30.0, 500_000.0, 15_000_000.0, 5, AS_OF, "network")
    provider = RecordingProvider({"NEWCO": newco})
    selection = select_universe(
        ["LIQ", "NEWCO", "GHOST"], RULES, AS_OF, offline=StoreMetricsProvider(store), allow_network=True,
        network_factory=lambda: provider,
    )  # fmt: skip
    assert provider.calls == [(("GHOST", "NEWCO"), AS_OF, 5)]
    decisions = {item.symbol: item for item in selection.decisions}
    assert (decisions["NEWCO"].kept, decisions["NEWCO"].reasons) == (False, ("VOLUME_TOO_LOW",))
    assert decisions["NEWCO"].metrics_source == "network"
    assert decisions["GHOST"].kept and decisions["GHOST"].metrics is None
    assert not selection.network_skipped


def test_a_failing_provider_fails_open_with_a_warning(
    store: BarStore, caplog: pytest.LogCaptureFixture
) -> None:
    provider = RecordingProvider(error=BrokerUnavailableError("HTTP 503"))
    with caplog.at_level(logging.WARNING):
        selection = select_universe(
            ["NEWCO"], RULES, AS_OF, offline=StoreMetricsProvider(store), allow_network=True,
            network_factory=lambda: provider,
        )  # fmt: skip
    assert selection.kept_symbols == ("NEWCO",)
    assert network_messages(caplog) == ["universe_network_failed"]


def test_get_universe_metrics_fails_closed_when_disallowed() -> None:
    provider = RecordingProvider()
    with pytest.raises(ConfigurationError) as caught:
        get_universe_metrics(["AAA"], AS_OF, 20, allow_network=False, factory=lambda: provider)
    assert caught.value.variable == "UNIVERSE_ALLOW_NETWORK"
    assert provider.calls == []


SCRIPT = textwrap.dedent(
    """
    import datetime as dt, json, os, sys
    from pathlib import Path
    from avwap.core.config import load_config
    from avwap.core.errors import ConfigurationError
    from avwap.data.store import BarStore
    from avwap.data.universe import (
        LiquidityRules, get_universe_metrics, load_universe, network_allowed, select_universe,
    )
    from avwap.data.universe_metrics import StoreMetricsProvider

    home = Path(sys.argv[1])
    config = load_config(os.environ, home=home)
    allowed = network_allowed(os.environ, config)
    universe = load_universe(None, config.data_dir)
    selection = select_universe(
        universe.symbols, LiquidityRules(), dt.date(2024, 3, 28),
        offline=StoreMetricsProvider(BarStore(config.data_dir)), allow_network=allowed, config=config,
    )
    try:
        get_universe_metrics(["AAPL"], dt.date(2024, 3, 28), 20, allow_network=allowed, config=config)
        guard = "passed"
    except ConfigurationError as error:
        guard = error.variable
    print(json.dumps({
        "allowed": allowed,
        "members": len(universe.symbols),
        "kept": len(selection.kept_symbols),
        "guard": guard,
        "network_module": "avwap.data.universe_network" in sys.modules,
        "alpaca_data": "alpaca.data" in sys.modules,
        "alpaca": any(name == "alpaca" or name.startswith("alpaca.") for name in sys.modules),
    }))
    """
)


def test_subprocess_proves_no_network_code_is_imported_when_disallowed(tmp_path: Path) -> None:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("ALPACA_", "AVWAP_"))
    }
    environment["UNIVERSE_ALLOW_NETWORK"] = "0"
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT, str(tmp_path / "home")],
        capture_output=True, text=True, env=environment, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report == {
        "allowed": False,
        "members": report["members"],
        "kept": report["members"],  # fail open: nothing filtered
        "guard": "UNIVERSE_ALLOW_NETWORK",
        "network_module": False,
        "alpaca_data": False,
        "alpaca": False,
    }
    assert report["members"] >= 25
    assert "universe_network_disallowed" in completed.stderr  # the warning reached the root logger
