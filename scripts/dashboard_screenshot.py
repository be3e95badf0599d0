#!/usr/bin/env python3
"""Screenshot the dashboard over a demo home with Debian's headless chromium (the README's picture).

Usage: ``scripts/dashboard_screenshot.py HOME OUT.png [PATH]``: HOME is a demo home (``avwap demo --home
HOME``); the clock is pinned an hour after its last session's close, so the picture does not depend on the
day it is taken. PATH is the page (default ``/``).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from tests.fakes.uvicorn_server import uvicorn_serving

from avwap.core.calendar import nyse
from avwap.core.clock import FixedClock
from avwap.core.config import load_config
from avwap.dashboard.app import create_app


def main(home: Path, out: Path, path: str = "/") -> None:
    last = max(dt.date.fromisoformat(item.stem) for item in (home / "ledger" / "PAPER_SIM").glob("*.jsonl"))
    clock = FixedClock(nyse().session_close(last) + dt.timedelta(hours=1))
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,1300"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))
    try:
        with uvicorn_serving(create_app(load_config({}, home=home), clock)) as url:
            driver.get(url + path)
            # the page script has reached /api/version (what the marker at the top right says)
            WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "refresh-status").text == "live")
            driver.save_screenshot(str(out))
    finally:
        driver.quit()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:])
