"""The dashboard in a real headless browser (Debian's chromium and chromium-driver, through selenium):
every page opened over a real uvicorn on 127.0.0.1, its figures equal to the CLI's --json, the page script
running under the CSP (it turns the refresh marker to "live"), no console error (a CSP violation is one),
the kill switch engaged through the form and the next cycle rejecting every entry. Screenshots are saved
under the test's temporary folder. Skips, saying so, when chromium or chromedriver is absent."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.dashboard.conftest import (
    BOOK,
    after_close,
    cli_json,
    home_config,
    home_copy,
    last_session,
    serving,
)

from avwap.core.calendar import nyse
from avwap.core.clock import FixedClock
from avwap.demo.home import prepare_demo_home
from avwap.demo.replay import demo_config, demo_engine
from avwap.ledger.record_enums import DecisionOutcome, OrderPurpose
from avwap.ledger.records import Decision, Note, OrderSubmitted, PositionOpened
from avwap.ledger.router import Ledger

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PAGES = {"overview": "/", "positions": "/positions", "today": "/today", "performance": "/performance",
         "audit": "/audit", "kill_switch": "/kill-switch"}  # fmt: skip


@pytest.fixture
def browser() -> Iterator[Any]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            f"browser tests need Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): "
            "apt-get install chromium chromium-driver (.ci/run does)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1600", "--no-first-run", "--disable-extensions"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver: Any, url: str, shots: Path, name: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    # the page script fetched /api/version under the CSP and marked the page live
    WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "refresh-status").text == "live")
    driver.save_screenshot(str(shots / f"{name}.png"))
    return driver


def field(driver: Any, scope: str, name: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, f'{scope} [data-field="{name}"]').text)


def console_errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_every_page_in_a_browser_shows_the_cli_figures(browser: Any, demo_home: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    shots = tmp_path / "screenshots"
    shots.mkdir()
    snapshot = cli_json(demo_home, "portfolio", "show", "--book", BOOK)
    verify = cli_json(demo_home, "ledger", "verify")
    with serving(home_config(demo_home), after_close(last_session(demo_home))) as url:
        for name, path in PAGES.items():
            open_page(browser, url + path, shots, name)
            assert browser.title == f"avwap dashboard · {name}"
            assert console_errors(browser) == [], name
            if name == "overview":
                scope = f"#book-{BOOK}"
                for key in ("equity", "cash", "daily_return", "drawdown", "gross_exposure"):
                    assert Decimal(field(browser, scope, key)) == Decimal(snapshot[key]), key
                assert field(browser, scope, "state") == "ACTIVE"
            if name == "positions":
                for line in snapshot["positions"]:
                    scope = f'tr[data-symbol="{line["symbol"]}"]'
                    assert Decimal(field(browser, scope, "mark")) == Decimal(line["mark"])
                    assert Decimal(field(browser, scope, "stop")) == Decimal(line["stop_price"])
                assert len(browser.find_elements(By.CSS_SELECTOR, "figure.chart svg")) == len(
                    snapshot["positions"]
                )
            if name == "performance":
                first, last = (
                    browser.find_element(By.CSS_SELECTOR, "p.muted").text.split(" (")[0].split(" to ")
                )
                exits = cli_json(demo_home, "exits", "report", "--book", BOOK, "--from", first, "--to", last)
                for key, value in exits["summary"].items():
                    assert field(browser, "#exit-summary", key) == str(value), key
            if name == "audit":
                summary = browser.find_element(By.ID, "verify-summary").text
                assert summary == f"{len(verify['files'])} files, 0 with a problem"
        # a decision's lineage, one click away from the Today page
        open_page(browser, url + "/today", shots, "today-again")
        browser.find_element(By.CSS_SELECTOR, "#decisions a").click()
        assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Lineage of")
        assert len(browser.find_elements(By.CSS_SELECTOR, "#lineage tr")) > 2
        browser.save_screenshot(str(shots / "trace.png"))
        assert console_errors(browser) == []
    saved = sorted(path.name for path in shots.glob("*.png"))
    assert len(saved) == len(PAGES) + 2 and all((shots / name).stat().st_size > 10_000 for name in saved)


def test_the_kill_switch_engaged_in_the_browser_blocks_the_next_cycle(
    browser: Any, demo_home: Path, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    shots = tmp_path / "screenshots"
    shots.mkdir()
    config = demo_config({}, prepare_demo_home(tmp_path / "home"))
    config.data_dir.parent.mkdir(parents=True, exist_ok=True)
    home_copy(demo_home / "data", config.data_dir)
    first = demo_engine(config, config.data_dir, 2).sessions[0]
    before = FixedClock(nyse().session_close(nyse().previous_session(first)) + dt.timedelta(hours=1))
    with serving(config, before) as url:
        open_page(browser, url + "/kill-switch", shots, "kill-switch-form")
        browser.find_element(By.ID, "kill-who").send_keys("browser operator")
        browser.find_element(By.ID, "kill-reason").send_keys("selenium test")
        browser.find_element(By.ID, "kill-confirm").send_keys("ENGAGE")
        browser.find_element(By.ID, "kill-submit").click()
        outcome = browser.find_element(By.ID, "kill-outcome").text
        assert outcome.startswith("Engaged:") and BOOK in outcome
        assert browser.find_element(By.ID, "kill-state").text == "ENGAGED"
        browser.save_screenshot(str(shots / "kill-switch-engaged.png"))
        open_page(browser, url + "/", shots, "overview-engaged")
        assert browser.find_element(By.ID, "kill-switch").text == "ENGAGED"
        assert console_errors(browser) == []
    assert cli_json(config.home, "decommission", "status")["kill_switch"] is True
    demo_engine(config, config.data_dir, 2).run()
    records = Ledger(config.ledger_dir).read_book(BOOK)
    notes = [
        record for record in records if isinstance(record, Note) and record.code == "KILL_SWITCH_ENGAGED"
    ]
    assert [note.detail["who"] for note in notes] == ["browser operator"]
    decisions = [record for record in records if isinstance(record, Decision)]
    assert decisions and all(d.outcome is DecisionOutcome.REJECT for d in decisions)
    assert {d.reason_codes[0] for d in decisions} == {"KILL_SWITCH_ACTIVE"}
    assert not [r for r in records if isinstance(r, OrderSubmitted) and r.purpose is OrderPurpose.ENTRY]
    assert not any(isinstance(record, PositionOpened) for record in records)
    shutil.copytree(shots, tmp_path / "kept", dirs_exist_ok=True)
