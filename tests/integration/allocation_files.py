"""The 401(k) allocation inputs the manual-book integration tests share: the fund menu's targets, an
operator's holdings file (400 FXAIX and 400 FSPSX, no cash) and the tickets channel of the fake Slack."""

from __future__ import annotations

from typing import Final

CHANNEL: Final = "C0TICKETS"
TARGETS: Final = """
menu = ["FXAIX", "FSPSX", "FXNAX"]
drift_band = "0.05"
[targets]
FXAIX = "0.6"
FSPSX = "0.25"
FXNAX = "0.15"
"""
HOLDINGS: Final = """
cash = "0"
[positions]
FXAIX = 400
FSPSX = 400
[prices]
FXAIX = "200"
FSPSX = "50"
FXNAX = "10"
"""
