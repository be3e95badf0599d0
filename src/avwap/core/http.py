"""The HTTP transport rules every Alpaca client shares (trading and market data).

``requests`` has no default timeout, so a server that accepts a connection and never answers would hang a
cycle forever. Both clients mount :class:`TimeoutAdapter` on their SDK session: every request gets the
configured timeout, and the transport itself never retries (the SDK's own retry loop, which only re-sends
429/504 answers, is the one retry policy).
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter


class TimeoutAdapter(HTTPAdapter):
    """Applies ``timeout`` (seconds) to every request that does not set its own; never retries."""

    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def mount_timeout(session: requests.Session, timeout: float) -> TimeoutAdapter:
    """Mount one :class:`TimeoutAdapter` for http and https on ``session``; returns it."""
    adapter = TimeoutAdapter(timeout)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return adapter
