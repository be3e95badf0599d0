"""The one exception tree of avwap.

Errors are grouped by what the operator must do about them::

    AvwapError
    ├── ConfigurationError       fix the environment / config file (names the variable)
    ├── DataError                fix or re-import the input data
    │   └── CalendarError        a date or instant outside the exchange calendar
    ├── BrokerError              broker said no, or could not be reached
    │   ├── BrokerRejectedError  the broker refused a request (4xx); never retried blindly
    │   └── BrokerUnavailableError  timeouts, 5xx, connection errors; state is unknown
    ├── LedgerIntegrityError     a ledger is corrupt; execution fails closed until repaired
    └── SweepError               a backtest sweep's workers (Ray) could not start or be reached

Errors from dependencies are mapped once, at the boundary that calls them (``raise ... from e``).
"""

from __future__ import annotations


class AvwapError(Exception):
    """Base of every error avwap raises on purpose."""


class ConfigurationError(AvwapError):
    """A configuration value is missing or malformed.

    ``variable`` names the environment variable or config key at fault.
    """

    def __init__(self, variable: str, message: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {message}")


class DataError(AvwapError):
    """Input data (bars, CSV, artifacts) is missing or malformed."""


class CalendarError(DataError):
    """A date or instant that the exchange calendar cannot place."""


class BrokerError(AvwapError):
    """A broker request failed."""


class BrokerRejectedError(BrokerError):
    """The broker refused the request; ``status`` is the HTTP status when known."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        self.status = status
        self.code = code
        super().__init__(message)


class BrokerUnavailableError(BrokerError):
    """The broker could not be reached or timed out: the request's outcome is unknown."""


class LedgerIntegrityError(AvwapError):
    """A ledger file is corrupt (bad line in the middle, broken hash chain, bad sequence).

    ``path`` and ``line_number`` (1-based) point at the first bad line.
    """

    def __init__(self, path: str, line_number: int, message: str) -> None:
        self.path = path
        self.line_number = line_number
        super().__init__(f"{path}:{line_number}: {message}")


class SweepError(AvwapError):
    """A backtest sweep could not run its parameter sets: Ray did not start in time, or the cluster at
    ``--address`` could not be reached. Nothing was run; the message says what to check."""
